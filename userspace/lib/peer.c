// SPDX-License-Identifier: MIT
#include "peer.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "msgio.h"
#include "net.h"
#include "pump.h"
#include "tls.h"
#include "workers.h"

#define PEER_PUMP_BUF (64u << 10)

static int error_reply(const struct sl_msg_in *m, char *why, size_t whylen)
{
	uint32_t code = nla_get_u32(m->tb[SLUICE_A_ERR_CODE]);
	const char *text = sl_wire_str(m, SLUICE_A_ERR_MSG);

	/* The text usually says more than the code's name; never both twice. */
	if (text && strcmp(text, sl_err_name(code)))
		snprintf(why, whylen, "relay refused: %s: %s", sl_err_name(code), text);
	else
		snprintf(why, whylen, "relay refused: %s", sl_err_name(code));
	switch (code) {
	case SLUICE_E_AUTH:
		return -EACCES;
	case SLUICE_E_DUPLICATE:
		return -EEXIST;
	case SLUICE_E_VERSION:
		return -EPROTONOSUPPORT;
	case SLUICE_E_LOCKED:
		return -ENOLCK;
	case SLUICE_E_DISABLED:
	case SLUICE_E_EXPIRED:
		return -EKEYEXPIRED;
	default:
		return -EPROTO;
	}
}

int sl_peer_hello(SSL *ssl, struct nl_msg *hello, struct sl_hello_ok *ok,
		  char *why, size_t whylen)
{
	static __thread char buf[SLUICE_MSG_MAX];
	struct sl_msg_in m;
	int ret;

	ret = sl_msg_send_free(ssl, hello);
	if (ret) {
		snprintf(why, whylen, "cannot send HELLO");
		return ret;
	}
	ret = sl_msg_recv(ssl, buf, &m, why, whylen);
	if (ret)
		return ret;
	if (m.cmd == SLUICE_CMD_ERROR)
		return error_reply(&m, why, whylen);
	if (m.cmd != SLUICE_CMD_HELLO_OK) {
		snprintf(why, whylen, "relay answered HELLO with %s", sl_cmd_name(m.cmd));
		return -EPROTO;
	}
	memset(ok, 0, sizeof(*ok));
	ok->hb_ms = nla_get_u32(m.tb[SLUICE_A_HEARTBEAT_MS]);
	if (ok->hb_ms < 100)
		ok->hb_ms = 100;
	if (m.tb[SLUICE_A_SECRET]) {
		ok->has_secret = true;
		memcpy(ok->secret, nla_data(m.tb[SLUICE_A_SECRET]), SLUICE_SECRET_LEN);
	}
	if (m.tb[SLUICE_A_STATE])
		ok->state = nla_get_u8(m.tb[SLUICE_A_STATE]);
	if (m.tb[SLUICE_A_DOMAIN])
		snprintf(ok->domain, sizeof(ok->domain), "%s", sl_wire_str(&m, SLUICE_A_DOMAIN));
	return 0;
}

SSL *sl_peer_attach(SSL_CTX *ctx, const struct sl_relay_addr *relay,
		    uint64_t session_id, const void *token, size_t token_len,
		    uint32_t err_code, const char *err_msg, int *err, char *why,
		    size_t whylen)
{
	static __thread char buf[SLUICE_MSG_MAX];
	struct nl_msg *msg;
	struct sl_msg_in m;
	SSL *ssl;

	ssl = sl_tls_dial(ctx, relay->host, relay->port, relay->timeout_ms,
			  relay->pin_file,
			  relay->fingerprint[0] ? relay->fingerprint : NULL, err,
			  why, whylen);
	if (!ssl)
		return NULL;
	msg = sl_wire_new(SLUICE_CMD_ATTACH, 0, 0);
	if (!msg || nla_put_u64(msg, SLUICE_A_SESSION_ID, session_id) ||
	    nla_put(msg, SLUICE_A_TOKEN, (int)token_len, token) ||
	    (err_code && (nla_put_u32(msg, SLUICE_A_ERR_CODE, err_code) ||
			  nla_put_string(msg, SLUICE_A_ERR_MSG, err_msg)))) {
		nlmsg_free(msg);
		snprintf(why, whylen, "cannot build ATTACH");
		*err = -ENOMEM;
		goto err;
	}
	*err = sl_msg_send_free(ssl, msg);
	if (*err) {
		snprintf(why, whylen, "cannot send ATTACH");
		goto err;
	}
	if (err_code) {
		*err = 0;
		goto err;
	}
	*err = sl_msg_recv(ssl, buf, &m, why, whylen);
	if (*err)
		goto err;
	if (m.cmd == SLUICE_CMD_ERROR) {
		*err = error_reply(&m, why, whylen);
		goto err;
	}
	if (m.cmd != SLUICE_CMD_ATTACH_OK) {
		snprintf(why, whylen, "relay answered ATTACH with %s", sl_cmd_name(m.cmd));
		*err = -EPROTO;
		goto err;
	}
	return ssl;
err:
	sl_tls_close(ssl);
	return NULL;
}

int sl_peer_session(SSL_CTX *ctx, const struct sl_relay_addr *relay,
		    struct sl_worker *w, int fd, uint64_t session_id,
		    const void *token, size_t token_len, const char *what,
		    uint64_t *to_relay_out, uint64_t *from_relay_out)
{
	unsigned long long id = (unsigned long long)session_id;
	uint64_t to_relay = 0, from_relay = 0;
	char why[512];
	int err, ret = -EPIPE;
	SSL *ssl;

	if (!sl_worker_set_fd(w, 0, fd))
		goto out;
	ssl = sl_peer_attach(ctx, relay, session_id, token, token_len, 0, NULL,
			     &err, why, sizeof(why));
	if (!ssl) {
		sl_log_warn("session %016llx: data leg failed: %s", id, why);
		goto out;
	}
	if (!sl_worker_set_fd(w, 1, SSL_get_fd(ssl)))
		goto out_tls;
	sl_log_info("session %016llx: connected %s", id, what);
	ret = sl_peer_pump(fd, ssl, &to_relay, &from_relay, why, sizeof(why));
	if (ret)
		sl_log_warn("session %016llx ended: %s (%llu bytes to the relay, %llu from it)",
			    id, why, (unsigned long long)to_relay,
			    (unsigned long long)from_relay);
	else
		sl_log_info("session %016llx closed: %llu bytes to the relay, %llu from it",
			    id, (unsigned long long)to_relay, (unsigned long long)from_relay);
out_tls:
	sl_worker_set_fd(w, 1, -1);
	sl_tls_close(ssl);
out:
	sl_worker_set_fd(w, 0, -1);
	close(fd);
	if (to_relay_out)
		*to_relay_out = to_relay;
	if (from_relay_out)
		*from_relay_out = from_relay;
	return ret;
}

int sl_peer_pump(int fd, SSL *ssl, uint64_t *to_relay, uint64_t *from_relay,
		 char *why, size_t whylen)
{
	struct sl_pump p;
	int ret;

	*to_relay = *from_relay = 0;
	if (sl_set_nonblock(fd, 1) || sl_set_nonblock(SSL_get_fd(ssl), 1)) {
		snprintf(why, whylen, "cannot make sockets non-blocking");
		return -EIO;
	}
	ret = sl_pump_init(&p, fd, NULL, SSL_get_fd(ssl), ssl, PEER_PUMP_BUF);
	if (ret) {
		snprintf(why, whylen, "out of memory");
		return ret;
	}
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = fd },
			{ .fd = SSL_get_fd(ssl) },
		};

		ret = sl_pump_step(&p, 1u << 20);
		if (ret == SL_PUMP_DONE || ret < 0)
			break;
		if (ret == SL_PUMP_AGAIN)
			continue;
		/* An end with nothing to wait for is left out: its POLLHUP
		 * would wake us forever; its errors show on the next use. */
		pfd[0].events = sl_pump_events(&p, 0);
		pfd[1].events = sl_pump_events(&p, 1);
		if (!pfd[0].events)
			pfd[0].fd = -1;
		if (!pfd[1].events)
			pfd[1].fd = -1;
		if (poll(pfd, 2, -1) == -1 && errno != EINTR) {
			ret = -errno;
			snprintf(p.why, sizeof(p.why), "poll: %s", strerror(errno));
			break;
		}
	}
	*to_relay = p.end[0].rx_bytes;
	*from_relay = p.end[1].rx_bytes;
	if (ret < 0)
		snprintf(why, whylen, "%s", p.why);
	sl_pump_uninit(&p);
	return ret < 0 ? ret : 0;
}

void sl_heartbeat_start(struct sl_heartbeat *h, uint32_t interval_ms)
{
	h->interval_ms = interval_ms;
	h->last_rx_ms = h->last_tx_ms = sl_now_ms();
}

int sl_heartbeat_timeout(const struct sl_heartbeat *h)
{
	uint64_t send_at = h->last_tx_ms + h->interval_ms;
	uint64_t dead_at = h->last_rx_ms + 3 * h->interval_ms + 1;
	uint64_t next = send_at < dead_at ? send_at : dead_at, now = sl_now_ms();

	return next > now ? (int)(next - now) : 0;
}

bool sl_heartbeat_dead(const struct sl_heartbeat *h, uint64_t *silent_ms)
{
	*silent_ms = sl_now_ms() - h->last_rx_ms;
	return *silent_ms > 3 * h->interval_ms;
}

bool sl_heartbeat_due(struct sl_heartbeat *h)
{
	uint64_t now = sl_now_ms();

	if (now - h->last_tx_ms < h->interval_ms)
		return false;
	h->last_tx_ms = now;
	return true;
}

int sl_heartbeat_send_due(struct sl_heartbeat *h, SSL *ssl)
{
	if (!sl_heartbeat_due(h))
		return 0;
	return sl_msg_send_free(ssl, sl_wire_new(SLUICE_CMD_HEARTBEAT, 0, 0));
}

int sl_peer_conf_key(struct sl_conf *c, const char *key, const char *value,
		     struct sl_relay_addr *relay, char state_dir[SL_STATE_DIR_MAX])
{
	if (!strcmp(key, "relay")) {
		if (sl_parse_hostport(value, 11444, relay->host, sizeof(relay->host),
				      &relay->port))
			return sl_conf_error(c, "relay: bad address '%s' (use HOST, HOST:PORT or [IPv6]:PORT)",
					     value);
		return 0;
	}
	if (!strcmp(key, "token"))
		return sl_conf_error(c, "token: shared tokens are gone: agents enroll with "
				     "join_token, users log in with certificate and a "
				     "password (docs/security.md)");
	if (!strcmp(key, "relay_fingerprint")) {
		if (sl_tls_fingerprint_parse(value, relay->fingerprint))
			return sl_conf_error(c, "relay_fingerprint: '%s' is not sha256:<64 hex digits>",
					     value);
		return 0;
	}
	if (!strcmp(key, "state_dir")) {
		if (value[0] != '/' || strlen(value) >= SL_STATE_DIR_MAX - 32)
			return sl_conf_error(c, "state_dir: '%s' must be an absolute path",
					     value);
		snprintf(state_dir, SL_STATE_DIR_MAX, "%s", value);
		return 0;
	}
	return 1;
}
