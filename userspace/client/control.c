// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "client.h"
#include "log.h"
#include "tls.h"

SSL *client_connect(struct client *c, uint32_t *hb_ms)
{
	struct sl_hello_ok ok;
	const struct sl_relay_addr *relay = &c->cfg.relay;
	struct nl_msg *hello;
	char why[1024];
	SSL *ssl;
	int err;

	ssl = sl_tls_dial(c->tls, relay->host, relay->port, relay->timeout_ms,
			  relay->pin_file, relay->fingerprint[0] ? relay->fingerprint : NULL,
			  &err, why, sizeof(why));
	if (!ssl) {
		sl_log_err("%s%s", err == -EPERM ? "fingerprint mismatch: " : "", why);
		return NULL;
	}
	hello = sl_wire_new(SLUICE_CMD_CLIENT_HELLO, 1, 0);
	if (hello && (nla_put_u32(hello, SLUICE_A_VERSION, SLUICE_PROTO_VERSION) ||
		      nla_put_string(hello, SLUICE_A_NAME, c->cfg.user) ||
		      nla_put_string(hello, SLUICE_A_PASSWORD, c->password) ||
		      (c->totp[0] && nla_put_string(hello, SLUICE_A_TOTP, c->totp)))) {
		nlmsg_free(hello);
		hello = NULL;
	}
	err = sl_peer_hello(ssl, hello, &ok, why, sizeof(why));
	if (err) {
		sl_log_err("relay %s:%u: %s", relay->host, relay->port, why);
		sl_tls_close(ssl);
		return NULL;
	}
	*hb_ms = ok.hb_ms;
	sl_log_debug("logged in to %s:%u as %s", relay->host, relay->port, c->cfg.user);
	return ssl;
}
