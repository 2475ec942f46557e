// SPDX-License-Identifier: MIT
/* Non-blocking client connections (conn.h). */
#include "conn.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "ca.h"
#include "stats.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static int set_events(struct bconn *c, int epfd, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (ev == c->events)
		return 0;
	if (epoll_ctl(epfd, c->events ? (ev ? EPOLL_CTL_MOD : EPOLL_CTL_DEL) :
					EPOLL_CTL_ADD, c->fd, &e) == -1) {
		snprintf(c->why, sizeof(c->why), "epoll_ctl: %s", strerror(errno));
		return -errno;
	}
	c->events = ev;
	return 0;
}

/* Room for the whole answer: a HELLO_OK is about 100 bytes, an
 * ENROLL_OK carries a DER certificate. */
static size_t answer_cap(enum bconn_expect expect)
{
	switch (expect) {
	case BCONN_GREETING:
		return 1;
	case BCONN_HELLO_OK:
		return 1024;
	case BCONN_ENROLL_OK:
		return SLUICE_CERT_MAX + 1024;
	}
	return 1;
}

int bconn_start(struct bconn *c, SSL_CTX *ctx, int epfd,
		const struct sockaddr_in *src, const struct sockaddr_in *dst,
		const struct bench_ident *id, enum bconn_expect expect,
		const char *fingerprint, struct nl_msg *msg)
{
	int one = 1, err;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->msg = msg;
	c->expect = expect;
	c->fingerprint = fingerprint;
	c->started_ns = bench_now_ns();
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		err = -errno;
		snprintf(c->why, sizeof(c->why), "socket: %s", strerror(errno));
		return err;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (src && src->sin_addr.s_addr != htonl(INADDR_ANY)) {
		setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(c->fd, (const struct sockaddr *)src, sizeof(*src)) == -1) {
			err = -errno;
			snprintf(c->why, sizeof(c->why), "bind: %s", strerror(errno));
			return err;
		}
	}
	if (connect(c->fd, (const struct sockaddr *)dst, sizeof(*dst)) == -1 &&
	    errno != EINPROGRESS) {
		err = -errno;
		snprintf(c->why, sizeof(c->why), "connect: %s", strerror(errno));
		return err;
	}
	c->in_cap = answer_cap(expect);
	c->in = malloc(c->in_cap);
	c->ssl = SSL_new(ctx);
	if (!c->in || !c->ssl || !SSL_set_fd(c->ssl, c->fd)) {
		snprintf(c->why, sizeof(c->why), "out of memory");
		return -ENOMEM;
	}
	/* The agent's certificate on this connection only: one context
	 * serves every simulated agent. */
	if (id && (SSL_use_certificate(c->ssl, id->cert) != 1 ||
		   SSL_use_PrivateKey(c->ssl, id->key) != 1)) {
		ERR_clear_error();
		snprintf(c->why, sizeof(c->why), "the certificate of agent %s does not "
			 "match its key", id->name);
		return -EINVAL;
	}
	SSL_set_connect_state(c->ssl);
	c->state = BCONN_CONNECTING;
	return set_events(c, epfd, EPOLLOUT);
}

/* Events a blocked TLS call waits for, or -EIO with the reason. */
static int tls_wait(struct bconn *c, int ret, const char *op)
{
	unsigned long e;

	switch (SSL_get_error(c->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return EPOLLIN;
	case SSL_ERROR_WANT_WRITE:
		return EPOLLOUT;
	case SSL_ERROR_ZERO_RETURN:
		snprintf(c->why, sizeof(c->why), "%s: the server closed the connection", op);
		return -ECONNRESET;
	default:
		e = ERR_peek_last_error();
		if (e) {
			char buf[128];

			ERR_error_string_n(e, buf, sizeof(buf));
			snprintf(c->why, sizeof(c->why), "%s: %s", op, buf);
		} else {
			snprintf(c->why, sizeof(c->why), "%s: %s", op,
				 errno ? strerror(errno) : "connection closed");
		}
		ERR_clear_error();
		return -EIO;
	}
}

/* Checks what arrived; 1 complete, 0 more to read, -errno. */
static int check_answer(struct bconn *c)
{
	struct sl_msg_in m;
	int len;

	if (c->expect == BCONN_GREETING) {
		if (c->in[0] != BENCH_GREETING) {
			snprintf(c->why, sizeof(c->why), "wrong greeting byte 0x%02x",
				 c->in[0]);
			return -EPROTO;
		}
		return 1;
	}
	if (c->in_need == SL_WIRE_HDRLEN) {
		len = sl_wire_frame_len(c->in, c->why, sizeof(c->why));
		if (len < 0)
			return len;
		if ((size_t)len > c->in_cap) {
			snprintf(c->why, sizeof(c->why), "answer of %d bytes", len);
			return -EMSGSIZE;
		}
		if ((size_t)len > SL_WIRE_HDRLEN) {
			c->in_need = (size_t)len;
			return 0;
		}
	}
	if (sl_wire_parse(c->in, c->in_need, &m, c->why, sizeof(c->why)))
		return -EBADMSG;
	if (m.cmd == SLUICE_CMD_ERROR) {
		const char *text = sl_wire_str(&m, SLUICE_A_ERR_MSG);

		c->err_code = nla_get_u32(m.tb[SLUICE_A_ERR_CODE]);
		snprintf(c->why, sizeof(c->why), "relay refused: %s: %s",
			 sl_err_name(nla_get_u32(m.tb[SLUICE_A_ERR_CODE])),
			 text ? text : "");
		return -EACCES;
	}
	if (m.cmd != (c->expect == BCONN_HELLO_OK ? SLUICE_CMD_HELLO_OK :
						     SLUICE_CMD_ENROLL_OK)) {
		snprintf(c->why, sizeof(c->why), "relay answered with %s",
			 sl_cmd_name(m.cmd));
		return -EPROTO;
	}
	if (m.cmd == SLUICE_CMD_HELLO_OK && m.tb[SLUICE_A_SECRET]) {
		if (nla_len(m.tb[SLUICE_A_SECRET]) != SLUICE_SECRET_LEN) {
			snprintf(c->why, sizeof(c->why), "HELLO_OK with a secondary id "
				 "of %d bytes", nla_len(m.tb[SLUICE_A_SECRET]));
			return -EPROTO;
		}
		memcpy(c->secret, nla_data(m.tb[SLUICE_A_SECRET]), SLUICE_SECRET_LEN);
		c->has_secret = true;
	}
	if (m.cmd == SLUICE_CMD_HELLO_OK && m.tb[SLUICE_A_HEARTBEAT_MS])
		c->heartbeat_ms = nla_get_u32(m.tb[SLUICE_A_HEARTBEAT_MS]);
	if (m.cmd == SLUICE_CMD_ENROLL_OK) {
		c->cert = m.tb[SLUICE_A_CERT] ?
			  sl_cert_parse(nla_data(m.tb[SLUICE_A_CERT]),
					(size_t)nla_len(m.tb[SLUICE_A_CERT])) : NULL;
		if (!c->cert) {
			snprintf(c->why, sizeof(c->why), "ENROLL_OK without a readable "
				 "certificate");
			return -EPROTO;
		}
	}
	return 1;
}

/* One move of the state machine: >0 events to wait for, 0 moved on, <0. */
static int advance(struct bconn *c)
{
	socklen_t sl = sizeof(int);
	const void *p;
	size_t len, n;
	int ret, err = 0;

	switch (c->state) {
	case BCONN_CONNECTING:
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
			err = errno;
		if (err) {
			snprintf(c->why, sizeof(c->why), "connect: %s", strerror(err));
			return -err;
		}
		c->state = BCONN_HANDSHAKE;
		return 0;
	case BCONN_HANDSHAKE:
		ret = SSL_do_handshake(c->ssl);
		if (ret != 1)
			return tls_wait(c, ret, "TLS handshake");
		if (bench_pin_check(c->ssl, c->fingerprint, c->why, sizeof(c->why)))
			return -EPERM;
		c->state = c->msg ? BCONN_SENDING : BCONN_RECEIVING;
		c->in_need = c->expect == BCONN_GREETING ? 1 : SL_WIRE_HDRLEN;
		return 0;
	case BCONN_SENDING:
		p = sl_wire_bytes(c->msg, &len);
		if (SSL_write_ex(c->ssl, (const char *)p + c->sent, len - c->sent, &n) != 1)
			return tls_wait(c, 0, "send");
		c->sent += n;
		if (c->sent == len) {
			nlmsg_free(c->msg);
			c->msg = NULL;
			c->state = BCONN_RECEIVING;
		}
		return 0;
	case BCONN_RECEIVING:
		if (SSL_read_ex(c->ssl, c->in + c->in_len, c->in_need - c->in_len, &n) != 1)
			return tls_wait(c, 0, "receive");
		c->in_len += n;
		if (c->in_len < c->in_need)
			return 0;
		ret = check_answer(c);
		if (ret == 1) {
			/* Held connections (idle) keep no buffer. */
			c->state = BCONN_DONE;
			free(c->in);
			c->in = NULL;
		}
		return ret < 0 ? ret : 0;
	case BCONN_DONE:
		return 0;
	}
	return -EINVAL;
}

int bconn_step(struct bconn *c, int epfd)
{
	int ret;

	while (c->state != BCONN_DONE) {
		errno = 0;
		ret = advance(c);
		if (ret < 0)
			return ret;
		if (ret > 0)
			return set_events(c, epfd, (uint32_t)ret);
	}
	ret = set_events(c, epfd, 0);
	return ret < 0 ? ret : 1;
}

int bconn_heartbeat(struct bconn *c, int epfd)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_HEARTBEAT, 0, 0);
	const void *p;
	size_t len, n = 0;
	int ret;

	if (!msg) {
		snprintf(c->why, sizeof(c->why), "out of memory");
		return -ENOMEM;
	}
	p = sl_wire_bytes(msg, &len);
	/* 20 bytes into a socket that holds next to nothing: all or fail. */
	ret = SSL_write_ex(c->ssl, p, len, &n) == 1 && n == len ? 0 : -EIO;
	nlmsg_free(msg);
	if (ret) {
		ret = tls_wait(c, 0, "heartbeat");
		if (ret > 0) {
			snprintf(c->why, sizeof(c->why), "heartbeat: the relay reads nothing");
			ret = -EAGAIN;
		}
		return ret;
	}
	return set_events(c, epfd, EPOLLIN);
}

int bconn_drain(struct bconn *c)
{
	unsigned char buf[4096];
	size_t n;
	int ret;

	while (SSL_read_ex(c->ssl, buf, sizeof(buf), &n) == 1)
		;
	ret = tls_wait(c, 0, "receive");
	return ret > 0 ? 0 : ret;
}

void bconn_close(struct bconn *c, int epfd, bool notify)
{
	if (!c)
		return;
	if (c->fd >= 0 && c->events)
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	c->events = 0;
	if (c->ssl) {
		if (notify && c->state >= BCONN_SENDING)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	ERR_clear_error();
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	nlmsg_free(c->msg);
	c->msg = NULL;
	free(c->in);
	c->in = NULL;
	X509_free(c->cert);
	c->cert = NULL;
	OPENSSL_cleanse(c->secret, sizeof(c->secret));
}

struct in_addr bench_source(const struct bench_opts *o, unsigned int i)
{
	struct in_addr a = {
		.s_addr = htonl(ntohl(o->source.s_addr) + (o->nsources ? i % o->nsources : 0)),
	};

	return a;
}
