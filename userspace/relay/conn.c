// SPDX-License-Identifier: MIT
/*
 * Relay connections: non-blocking TLS handshake, message framing on
 * control connections, the send queue, heartbeats and deadlines.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admission.h"
#include "log.h"
#include "relay.h"

bool relay_conn_vet(struct relay *r, int fd, struct sockaddr_storage *ss,
		    uint64_t now_ms)
{
	socklen_t sl = sizeof(*ss);
	int one = 1;

	/* The multishot accept gives no address: one call per connection. */
	if (getpeername(fd, (struct sockaddr *)ss, &sl) == -1) {
		close(fd);	/* gone already */
		return false;
	}
	/* Small messages and records (ATTACH_OK, then the stream's first
	 * bytes) must not wait for the peer's delayed ACK. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Blocklisted or locked-out sources that the kernel did not drop (no
	 * eBPF, or a lockout newer than the SYN) end here. */
	if (relay_admission_refuse(r, (struct sockaddr *)ss, now_ms)) {
		close(fd);
		return false;
	}
	return true;
}

struct relay_conn *relay_conn_new(SSL_CTX *tls, int fd, const struct sockaddr *sa,
				  uint64_t now_ms, uint64_t timeout_ms)
{
	struct relay_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	c->kind = CONN_NEW;
	c->ssl = SSL_new(tls);
	if (!c->ssl || !SSL_set_fd(c->ssl, fd)) {
		sl_log_ssl(SL_LOG_ERR, "SSL_new");
		SSL_free(c->ssl);
		free(c);
		return NULL;
	}
	SSL_set_accept_state(c->ssl);
	sl_addr_str(sa, c->addr, sizeof(c->addr));
	memcpy(&c->peer, sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
							 sizeof(struct sockaddr_in));
	c->accepted_ms = now_ms;
	c->deadline_ms = now_ms + timeout_ms;
	LIST_INIT(&c->sessions);
	return c;
}

int relay_conn_adopt(struct relay *r, struct relay_conn *c)
{
	int ret;

	c->last_rx_ms = c->last_tx_ms = r->now_ms;
	c->heartbeat_ms = r->cfg.heartbeat_ms;
	ret = relay_watch_add(r->watch, c->fd, (uintptr_t)c, POLLIN);
	if (ret) {
		sl_log_errno(-ret, "io_uring watch");
		return ret;
	}
	LIST_INSERT_HEAD(&r->conns, c, link);
	c->in_conns = true;
	return 0;
}

void relay_conn_discard(struct relay_conn *c)
{
	SSL_free(c->ssl);
	close(c->fd);
	relay_conn_free(c);
}

struct relay_conn *relay_conn_accept(struct relay *r, int fd,
				     const struct sockaddr *sa)
{
	struct relay_conn *c = relay_conn_new(r->tls, fd, sa, r->now_ms,
					      r->cfg.handshake_timeout_ms);

	if (!c)
		return NULL;
	if (relay_conn_adopt(r, c)) {
		SSL_free(c->ssl);
		relay_conn_free(c);
		return NULL;
	}
	sl_log_debug("connection from %s", c->addr);
	return c;
}

/* Handshake threads call it too: a buffer per thread. */
static const char *ssl_reason(void)
{
	static _Thread_local char buf[160];
	unsigned long e = ERR_peek_last_error();

	if (!e)
		return "connection closed";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

static const char *kind_name(const struct relay_conn *c)
{
	return c->kind == CONN_AGENT ? "agent" : "client";
}

void relay_conn_close(struct relay *r, struct relay_conn *c, const char *why)
{
	struct relay_session *s;

	if (c->kind == CONN_CLOSED)
		return;
	if (c->auth_job) {
		relay_passwork_forget(r, c->auth_job);
		c->auth_job = NULL;
	}
	if (c->kind == CONN_AGENT || c->kind == CONN_CLIENT) {
		sl_log_info("%s %s disconnected (%s)", kind_name(c), c->name, why);
		relay_audit(r, c->kind == CONN_AGENT ? "agent.disconnect" : "user.disconnect",
			    c->name, NULL, c->agent ? c->agent->domain : NULL, c->addr,
			    "closed", "%s", why);
	}
	else if (c->kind == CONN_NEW)
		sl_log_debug("connection from %s closed (%s)", c->addr, why);
	if (c->kind == CONN_AGENT || c->kind == CONN_CLIENT)
		relay_sessions_of_conn_close(r, c, c->kind == CONN_AGENT ?
						  "agent disconnected" :
						  "client disconnected");
	if (c->kind == CONN_AGENT && c->agent)
		relay_agent_remove(r, c->agent);
	if (c->kind == CONN_LEG && (s = c->session)) {
		c->session = NULL;
		s->legs[c->leg] = NULL;
		relay_session_close(r, s, why);
	}
	c->kind = CONN_CLOSED;
	if (c->held) {
		LIST_REMOVE(c, held_link);
		c->held = false;
		c->syncing = false;
	}
	relay_watch_del(r->watch, c->fd);
	if (c->in_conns)
		LIST_REMOVE(c, link);
	c->in_conns = false;
	LIST_INSERT_HEAD(&r->dead_conns, c, link);
	SSL_free(c->ssl);
	c->ssl = NULL;
	close(c->fd);
	c->fd = -1;
}

void relay_conn_free(struct relay_conn *c)
{
	if (!c)
		return;
	free(c->rx);
	free(c->tx);
	free(c);
}

void relay_conn_last_answer(struct relay *r, struct relay_conn *c)
{
	c->close_after_flush = true;
	c->deadline_ms = r->now_ms + RELAY_LAST_ANSWER_MS;
}

/* Writes queued bytes.  0 when all is sent, the socket is full or the
 * bytes wait for a group commit. */
int relay_conn_flush(struct relay *r, struct relay_conn *c)
{
	size_t n;

	if (c->held)
		return 0;	/* relay_commit_end() sends it */
	c->wr_wait = 0;
	while (c->tx_head < c->tx_len) {
		if (SSL_write_ex(c->ssl, c->tx + c->tx_head, c->tx_len - c->tx_head,
				 &n) == 1) {
			c->tx_head += n;
			c->last_tx_ms = r->now_ms;
			continue;
		}
		switch (SSL_get_error(c->ssl, 0)) {
		case SSL_ERROR_WANT_WRITE:
			c->wr_wait = POLLOUT;
			return 0;
		case SSL_ERROR_WANT_READ:
			c->wr_wait = POLLIN;
			return 0;
		default:
			relay_conn_close(r, c, ssl_reason());
			return -EIO;
		}
	}
	free(c->tx);
	c->tx = NULL;
	c->tx_head = c->tx_len = c->tx_cap = 0;
	if (c->close_after_flush) {
		relay_conn_close(r, c, "last answer sent");
		return -ECONNRESET;
	}
	if (c->kind == CONN_LEG && c->session)
		relay_session_try_start(r, c->session);
	return 0;
}

int relay_conn_send(struct relay *r, struct relay_conn *c, struct nl_msg *msg)
{
	const void *p;
	size_t len;
	int ret;

	if (!msg)
		return -ENOMEM;
	if (c->kind == CONN_CLOSED) {
		nlmsg_free(msg);
		return -ECONNRESET;
	}
	p = sl_wire_bytes(msg, &len);
	if (c->tx_len + len > RELAY_TX_MAX) {
		nlmsg_free(msg);
		relay_conn_close(r, c, "peer does not read its messages");
		return -ENOBUFS;
	}
	if (c->tx_len + len > c->tx_cap) {
		size_t cap = c->tx_cap ? c->tx_cap * 2 : 256;
		char *tx;

		while (cap < c->tx_len + len)
			cap *= 2;
		tx = realloc(c->tx, cap);
		if (!tx) {
			nlmsg_free(msg);
			relay_conn_close(r, c, "out of memory");
			return -ENOMEM;
		}
		c->tx = tx;
		c->tx_cap = cap;
	}
	memcpy(c->tx + c->tx_len, p, len);
	c->tx_len += len;
	nlmsg_free(msg);
	/* An answer goes out only after what it reports is on disk. */
	if (relay_commit_owed(r))
		relay_commit_hold(r, c);
	ret = relay_conn_flush(r, c);
	if (!ret)
		relay_conn_update_events(r, c);
	return ret;
}

static bool conn_reads_messages(const struct relay_conn *c)
{
	return (c->kind == CONN_NEW || c->kind == CONN_AGENT ||
		c->kind == CONN_CLIENT) && !c->close_after_flush;
}

/* Reads and dispatches whole messages until the socket runs dry. */
static void conn_read(struct relay *r, struct relay_conn *c)
{
	char why[256];
	size_t n;
	int len;

	c->rd_wait = 0;
	while (conn_reads_messages(c)) {
		if (!c->rx) {
			c->rx = malloc(SL_WIRE_HDRLEN);
			if (!c->rx) {
				relay_conn_close(r, c, "out of memory");
				return;
			}
			c->rx_len = 0;
			c->rx_need = SL_WIRE_HDRLEN;
		}
		if (SSL_read_ex(c->ssl, c->rx + c->rx_len, c->rx_need - c->rx_len,
				&n) != 1) {
			switch (SSL_get_error(c->ssl, 0)) {
			case SSL_ERROR_WANT_READ:
				c->rd_wait = POLLIN;
				return;
			case SSL_ERROR_WANT_WRITE:
				c->rd_wait = POLLOUT;
				return;
			case SSL_ERROR_ZERO_RETURN:
				relay_conn_close(r, c, "closed by peer");
				return;
			default:
				relay_conn_close(r, c, ssl_reason());
				return;
			}
		}
		c->rx_len += n;
		c->last_rx_ms = r->now_ms;
		if (c->rx_len < c->rx_need)
			continue;
		if (c->rx_need == SL_WIRE_HDRLEN) {
			len = sl_wire_frame_len(c->rx, why, sizeof(why));
			if (len < 0)
				goto malformed;
			if ((size_t)len > SL_WIRE_HDRLEN) {
				char *rx = realloc(c->rx, (size_t)len);

				if (!rx) {
					relay_conn_close(r, c, "out of memory");
					return;
				}
				c->rx = rx;
				c->rx_need = (size_t)len;
				continue;
			}
		}
		{
			struct sl_msg_in m;

			if (sl_wire_parse(c->rx, c->rx_need, &m, why, sizeof(why)))
				goto malformed;
			relay_control_dispatch(r, c, &m);
		}
		/* Idle connections keep no receive buffer. */
		free(c->rx);
		c->rx = NULL;
	}
	return;
malformed:
	sl_log_warn("malformed message from %s%s%s: %s", c->addr,
		    c->name[0] ? " " : "", c->name, why);
	r->stats.malformed++;
	if (c->kind == CONN_NEW)
		r->stats.handshake_failures[HS_FAIL_PROTOCOL]++;
	free(c->rx);
	c->rx = NULL;
	relay_conn_last_answer(r, c);
	relay_conn_send(r, c, sl_wire_error(0, SLUICE_E_PROTO, 0,
					    "malformed message: %s", why));
}

int relay_conn_handshake(struct relay_conn *c, const char **why)
{
	int ret = SSL_do_handshake(c->ssl);

	c->rd_wait = 0;
	if (ret == 1)
		return 1;
	switch (SSL_get_error(c->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		c->rd_wait = POLLIN;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		c->rd_wait = POLLOUT;
		return 0;
	default:
		*why = ssl_reason();
		return -1;
	}
}

void relay_conn_handshaken(struct relay *r, struct relay_conn *c, uint64_t done_ms)
{
	c->handshaken = true;
	r->stats.handshakes++;
	relay_hist_observe(&r->stats.handshake_seconds,
			   (double)(done_ms - c->accepted_ms) / 1000.0);
	sl_log_debug("TLS handshake with %s done (%s)", c->addr,
		     SSL_get_cipher_name(c->ssl));
}

static void conn_handshake(struct relay *r, struct relay_conn *c)
{
	const char *why;
	int ret = relay_conn_handshake(c, &why);

	if (ret > 0) {
		relay_conn_handshaken(r, c, r->now_ms);
	} else if (ret < 0) {
		sl_log_info("TLS handshake with %s failed: %s", c->addr, why);
		r->stats.handshake_failures[HS_FAIL_TLS]++;
		relay_conn_close(r, c, "TLS handshake failed");
	}
}

void relay_conn_event(struct relay *r, struct relay_conn *c, uint32_t events)
{
	if (c->kind == CONN_CLOSED)
		return;
	if (c->kind == CONN_HTTP) {
		relay_http_event(r, c);
		return;
	}
	if (c->kind == CONN_LEG) {
		if (c->tx && relay_conn_flush(r, c))
			return;
		relay_session_leg_event(r, c, events);
		return;
	}
	if (!c->handshaken) {
		conn_handshake(r, c);
		if (!c->handshaken) {
			if (c->kind != CONN_CLOSED)
				relay_conn_update_events(r, c);
			return;
		}
	}
	if (c->tx && relay_conn_flush(r, c))
		return;
	if (conn_reads_messages(c))
		conn_read(r, c);
	else if (events & (POLLHUP | POLLERR))
		relay_conn_close(r, c, "connection reset");
	if (c->kind != CONN_CLOSED)
		relay_conn_update_events(r, c);
}

void relay_conn_tick(struct relay *r, struct relay_conn *c)
{
	uint64_t hb = c->heartbeat_ms;
	char why[96];

	if (c->kind == CONN_NEW || c->kind == CONN_HTTP || c->close_after_flush) {
		/* A held answer waits for the disk, not for the peer. */
		if (r->now_ms < c->deadline_ms || (c->close_after_flush && c->held))
			return;
		if (c->kind == CONN_NEW && !c->close_after_flush)
			r->stats.handshake_failures[HS_FAIL_TIMEOUT]++;
		relay_conn_close(r, c, c->close_after_flush ? "peer did not read its last answer" :
				       c->kind == CONN_HTTP ? "request timeout" :
							      "handshake timeout");
		return;
	}
	if ((c->kind != CONN_AGENT && c->kind != CONN_CLIENT) || c->held)
		return;	/* held: its answer waits for the disk (commit.c) */
	if (r->now_ms - c->last_rx_ms > 3 * hb && r->now_ms - c->released_ms > 3 * hb) {
		r->stats.heartbeat_misses[c->kind == CONN_AGENT]++;
		snprintf(why, sizeof(why), "heartbeat timeout: silent for %llu ms",
			 (unsigned long long)(r->now_ms - c->last_rx_ms));
		relay_conn_close(r, c, why);
		return;
	}
	if (r->now_ms - c->last_tx_ms >= hb)
		relay_conn_send(r, c, sl_wire_new(SLUICE_CMD_HEARTBEAT, 0, 0));
}
