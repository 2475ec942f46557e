// SPDX-License-Identifier: MIT
/*
 * Each direction i has one buffer filled from end i and drained into end !i.
 * A buffer is linear: reads append at tail, writes take from head, and both
 * return to 0 when it empties.  That keeps a blocked SSL_write retried with
 * the same pointer and a length at least as large, as OpenSSL requires.
 */
#include "pump.h"

#include <errno.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int sl_pump_init(struct sl_pump *p, int fd0, SSL *ssl0, int fd1, SSL *ssl1,
		 size_t bufsize)
{
	memset(p, 0, sizeof(*p));
	p->end[0].fd = fd0;
	p->end[0].ssl = ssl0;
	p->end[1].fd = fd1;
	p->end[1].ssl = ssl1;
	p->size = bufsize;
	p->buf[0].data = malloc(bufsize);
	p->buf[1].data = malloc(bufsize);
	if (!p->buf[0].data || !p->buf[1].data) {
		sl_pump_uninit(p);
		return -ENOMEM;
	}
	return 0;
}

void sl_pump_uninit(struct sl_pump *p)
{
	free(p->buf[0].data);
	free(p->buf[1].data);
	p->buf[0].data = p->buf[1].data = NULL;
}

static int tls_failure(struct sl_pump *p, int i, const char *op)
{
	unsigned long e = ERR_peek_last_error();
	char reason[96] = "connection closed without close_notify";

	if (e)
		ERR_error_string_n(e, reason, sizeof(reason));
	snprintf(p->why, sizeof(p->why), "%s on end %d: %s", op, i, reason);
	ERR_clear_error();
	return -ECONNRESET;
}

/* Returns 1 on progress, 0 when blocked or idle, -errno on failure. */
static int do_read(struct sl_pump *p, int i)
{
	struct sl_pump_end *e = &p->end[i];
	struct sl_pump_buf *b = &p->buf[i];
	size_t room = p->size - b->tail, n;
	ssize_t r;

	e->rd_wait = 0;
	if (e->rd_eof || room == 0)
		return 0;
	if (e->ssl) {
		if (SSL_read_ex(e->ssl, b->data + b->tail, room, &n) == 1) {
			b->tail += n;
			e->rx_bytes += n;
			return 1;
		}
		switch (SSL_get_error(e->ssl, 0)) {
		case SSL_ERROR_WANT_READ:
			e->rd_wait = POLLIN;
			return 0;
		case SSL_ERROR_WANT_WRITE:
			e->rd_wait = POLLOUT;
			return 0;
		case SSL_ERROR_ZERO_RETURN:
			e->rd_eof = true;
			return 1;
		default:
			return tls_failure(p, i, "read");
		}
	}
	r = recv(e->fd, b->data + b->tail, room, 0);
	if (r > 0) {
		b->tail += (size_t)r;
		e->rx_bytes += (uint64_t)r;
		return 1;
	}
	if (r == 0) {
		e->rd_eof = true;
		return 1;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		e->rd_wait = POLLIN;
		return 0;
	}
	if (errno == EINTR)
		return 1;
	snprintf(p->why, sizeof(p->why), "read on end %d: %s", i, strerror(errno));
	return -errno;
}

static int do_shutdown(struct sl_pump *p, int j)
{
	struct sl_pump_end *e = &p->end[j];

	if (e->ssl) {
		if (SSL_shutdown(e->ssl) >= 0) {
			e->wr_done = true;
			return 1;
		}
		switch (SSL_get_error(e->ssl, -1)) {
		case SSL_ERROR_WANT_WRITE:
			e->wr_wait = POLLOUT;
			return 0;
		case SSL_ERROR_WANT_READ:
			e->wr_wait = POLLIN;
			return 0;
		default:
			return tls_failure(p, j, "close_notify");
		}
	}
	if (shutdown(e->fd, SHUT_WR) == -1 && errno != ENOTCONN) {
		snprintf(p->why, sizeof(p->why), "shutdown on end %d: %s", j,
			 strerror(errno));
		return -errno;
	}
	e->wr_done = true;
	return 1;
}

/* Drains buf[i] into end !i, then passes EOF on. */
static int do_write(struct sl_pump *p, int i)
{
	int j = !i;
	struct sl_pump_end *e = &p->end[j];
	struct sl_pump_buf *b = &p->buf[i];
	size_t len = b->tail - b->head, n;
	ssize_t r;

	e->wr_wait = 0;
	if (len == 0) {
		if (p->end[i].rd_eof && !e->wr_done)
			return do_shutdown(p, j);
		return 0;
	}
	if (e->ssl) {
		if (SSL_write_ex(e->ssl, b->data + b->head, len, &n) == 1) {
			r = (ssize_t)n;
		} else {
			switch (SSL_get_error(e->ssl, 0)) {
			case SSL_ERROR_WANT_WRITE:
				e->wr_wait = POLLOUT;
				return 0;
			case SSL_ERROR_WANT_READ:
				e->wr_wait = POLLIN;
				return 0;
			default:
				return tls_failure(p, j, "write");
			}
		}
	} else {
		r = send(e->fd, b->data + b->head, len, MSG_NOSIGNAL);
		if (r == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				e->wr_wait = POLLOUT;
				return 0;
			}
			if (errno == EINTR)
				return 1;
			snprintf(p->why, sizeof(p->why), "write on end %d: %s", j,
				 strerror(errno));
			return -errno;
		}
	}
	b->head += (size_t)r;
	if (b->head == b->tail)
		b->head = b->tail = 0;
	return 1;
}

static bool finished(const struct sl_pump *p)
{
	int i;

	for (i = 0; i < 2; i++)
		if (!p->end[i].rd_eof || p->buf[i].tail != p->buf[i].head ||
		    !p->end[!i].wr_done)
			return false;
	return true;
}

short sl_pump_events(const struct sl_pump *p, int i)
{
	return (short)(p->end[i].rd_wait | p->end[i].wr_wait);
}

int sl_pump_step(struct sl_pump *p, size_t budget)
{
	uint64_t start = p->end[0].rx_bytes + p->end[1].rx_bytes;

	for (;;) {
		int progress = 0, i, r;

		for (i = 0; i < 2; i++) {
			r = do_read(p, i);
			if (r < 0)
				return r;
			progress |= r;
			r = do_write(p, i);
			if (r < 0)
				return r;
			progress |= r;
		}
		if (finished(p))
			return SL_PUMP_DONE;
		if (!progress)
			break;
		if (p->end[0].rx_bytes + p->end[1].rx_bytes - start >= budget)
			return SL_PUMP_AGAIN;
	}
	if (!sl_pump_events(p, 0) && !sl_pump_events(p, 1)) {
		/* Nothing to wait for yet not finished: never hang on it. */
		snprintf(p->why, sizeof(p->why), "pump stalled");
		return -EDEADLK;
	}
	return SL_PUMP_ACTIVE;
}
