// SPDX-License-Identifier: MIT
/* Blocking streams through a target (link.h). */
#include "link.h"

#include <errno.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msgio.h"
#include "net.h"
#include "wire.h"

/* TCP connect, TLS handshake and the pin check; NULL (logged). */
static SSL *dial(struct bench_link *l)
{
	const struct bench_opts *o = l->o;
	char why[1024];
	SSL *ssl;
	int err;

	ssl = sl_tls_dial(l->ctx, o->host, o->port, o->timeout_ms, "",
			  o->fingerprint, &err, why, sizeof(why));
	if (!ssl)
		bench_err("%s", why);
	return ssl;
}

int bench_link_open(struct bench_link *l, const struct bench_opts *o)
{
	char why[1024];
	struct sl_hello_ok ok;
	int ret;

	memset(l, 0, sizeof(*l));
	l->o = o;
	l->seq = 100;	/* sluice-client numbers its OPENs from 101 */
	l->ctx = bench_client_ctx();
	if (!l->ctx)
		return -ENOMEM;
	if (o->kind != TARGET_SLUICE)
		return 0;
	/* The user's certificate on the control connection; data legs
	 * present none (the ATTACH token authenticates them), as
	 * sluice-client's.  They stay TLS 1.3 with the suites HAProxy and
	 * the direct connection get, where sluice-client's negotiate TLS 1.2
	 * AES-GCM for kernel TLS (docs/benchmarks.md). */
	ret = bench_user_use(o, l->ctx);
	if (ret)
		goto err;
	l->leg_ctx = bench_client_ctx();
	if (!l->leg_ctx) {
		ret = -ENOMEM;
		goto err;
	}
	snprintf(l->relay.host, sizeof(l->relay.host), "%s", o->host);
	l->relay.port = o->port;
	snprintf(l->relay.fingerprint, sizeof(l->relay.fingerprint), "%s",
		 o->fingerprint);
	l->relay.timeout_ms = o->timeout_ms;
	l->buf = malloc(SLUICE_MSG_MAX);
	if (!l->buf) {
		ret = -ENOMEM;
		goto err;
	}
	l->ctl = dial(l);
	if (!l->ctl) {
		ret = -ECONNREFUSED;
		goto err;
	}
	ret = sl_peer_hello(l->ctl, bench_client_hello(o), &ok, why, sizeof(why));
	if (ret) {
		bench_err("login to the relay as user %s failed: %s", o->user, why);
		goto err;
	}
	return 0;
err:
	bench_link_close(l);
	return ret;
}

void bench_link_close(struct bench_link *l)
{
	sl_tls_close(l->ctl);
	l->ctl = NULL;
	free(l->buf);
	l->buf = NULL;
	SSL_CTX_free(l->ctx);
	l->ctx = NULL;
	SSL_CTX_free(l->leg_ctx);
	l->leg_ctx = NULL;
}

static int send_open(struct bench_link *l)
{
	const struct bench_opts *o = l->o;
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_OPEN, ++l->seq, 0);

	if (!msg || nla_put_string(msg, SLUICE_A_DEVICE, o->device) ||
	    nla_put_u16(msg, SLUICE_A_PORT, o->device_port) ||
	    (o->agent[0] && nla_put_string(msg, SLUICE_A_AGENT, o->agent))) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return sl_msg_send_free(l->ctl, msg);
}

/* Waits for the answer to the last OPEN; heartbeats are skipped. */
static int wait_open_ok(struct bench_link *l, uint64_t *id, unsigned char *token)
{
	struct sl_msg_in m;
	char why[512];
	int ret;

	for (;;) {
		ret = sl_msg_recv(l->ctl, l->buf, &m, why, sizeof(why));
		if (ret) {
			bench_err("control connection: %s", why);
			return ret;
		}
		if (m.seq != l->seq ||
		    (m.cmd != SLUICE_CMD_OPEN_OK && m.cmd != SLUICE_CMD_ERROR))
			continue;
		if (m.cmd == SLUICE_CMD_ERROR) {
			const char *text = sl_wire_str(&m, SLUICE_A_ERR_MSG);

			bench_err("OPEN %s:%u refused: %s: %s", l->o->device,
				  l->o->device_port,
				  sl_err_name(nla_get_u32(m.tb[SLUICE_A_ERR_CODE])),
				  text ? text : "");
			return -EPROTO;
		}
		if (nla_len(m.tb[SLUICE_A_TOKEN]) != SLUICE_SESSION_TOKEN_LEN) {
			bench_err("OPEN_OK with a token of %d bytes",
				  nla_len(m.tb[SLUICE_A_TOKEN]));
			return -EPROTO;
		}
		*id = nla_get_u64(m.tb[SLUICE_A_SESSION_ID]);
		memcpy(token, nla_data(m.tb[SLUICE_A_TOKEN]), SLUICE_SESSION_TOKEN_LEN);
		return 0;
	}
}

static SSL *open_session(struct bench_link *l)
{
	unsigned char token[SLUICE_SESSION_TOKEN_LEN];
	char why[1024];
	uint64_t id;
	SSL *ssl;
	int err;

	if (send_open(l)) {
		bench_err("cannot send OPEN");
		return NULL;
	}
	if (wait_open_ok(l, &id, token))
		return NULL;
	ssl = sl_peer_attach(l->leg_ctx, &l->relay, id, token, sizeof(token), 0, NULL,
			     &err, why, sizeof(why));
	OPENSSL_cleanse(token, sizeof(token));
	if (!ssl)
		bench_err("session %016llx: %s", (unsigned long long)id, why);
	return ssl;
}

SSL *bench_stream_open(struct bench_link *l)
{
	SSL *ssl = l->o->kind == TARGET_SLUICE ? open_session(l) : dial(l);
	char g = 0;
	int ret;

	if (!ssl)
		return NULL;
	ret = bench_read_all(ssl, &g, 1);
	if (ret || g != BENCH_GREETING) {
		bench_err("no greeting from the device: %s",
			  ret ? strerror(-ret) : "wrong byte");
		sl_tls_close(ssl);
		return NULL;
	}
	return ssl;
}

void bench_stream_close(SSL *s)
{
	char buf[4096];
	size_t n;

	if (!s)
		return;
	sl_set_timeouts(SSL_get_fd(s), 2000);
	if (SSL_shutdown(s) >= 0)
		while (SSL_read_ex(s, buf, sizeof(buf), &n) == 1)
			;
	ERR_clear_error();
	close(SSL_get_fd(s));
	SSL_free(s);
}

int bench_write_all(SSL *s, const void *p, size_t len)
{
	const char *c = p;
	size_t n;

	while (len) {
		if (SSL_write_ex(s, c, len, &n) != 1) {
			int e = SSL_get_error(s, 0);

			ERR_clear_error();
			return e == SSL_ERROR_WANT_WRITE ? -ETIMEDOUT : -EIO;
		}
		c += n;
		len -= n;
	}
	return 0;
}

int bench_read_all(SSL *s, void *p, size_t len)
{
	char *c = p;
	size_t n;

	while (len) {
		if (SSL_read_ex(s, c, len, &n) != 1) {
			int e = SSL_get_error(s, 0);

			ERR_clear_error();
			if (e == SSL_ERROR_ZERO_RETURN)
				return -ECONNRESET;
			return e == SSL_ERROR_WANT_READ ? -ETIMEDOUT : -EIO;
		}
		c += n;
		len -= n;
	}
	return 0;
}

int bench_send_cmd(SSL *s, char op, uint64_t arg)
{
	unsigned char cmd[BENCH_CMD_LEN];

	cmd[0] = (unsigned char)op;
	memcpy(cmd + 1, &arg, sizeof(arg));
	return bench_write_all(s, cmd, sizeof(cmd));
}
