/* SPDX-License-Identifier: MIT */
/*
 * The byte pump: moves a stream both ways between two endpoints, each a
 * plain socket or a TLS connection, without blocking, and propagates
 * half-close (EOF from one side becomes close_notify or SHUT_WR on the
 * other, while the opposite direction keeps flowing).
 *
 * The caller owns the sockets and the event loop: it calls sl_pump_step()
 * when an endpoint is ready and then waits for sl_pump_events() of each.
 * The relay drives many pumps from epoll; the agent and the client drive
 * one per thread with poll().
 */
#ifndef SL_PUMP_H
#define SL_PUMP_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sl_pump_state {
	SL_PUMP_DONE = 0,	/* both directions finished cleanly */
	SL_PUMP_ACTIVE = 1,	/* wait for sl_pump_events(), then step again */
	SL_PUMP_AGAIN = 2,	/* budget used up with work left: step again soon */
};

struct sl_pump_end {
	int fd;
	SSL *ssl;		/* NULL: plain socket */
	bool rd_eof;		/* the peer finished sending */
	bool wr_done;		/* we finished sending: close_notify or SHUT_WR */
	short rd_wait;		/* poll events the blocked read waits for */
	short wr_wait;		/* poll events the blocked write waits for */
	uint64_t rx_bytes;	/* stream bytes read from this end */
};

struct sl_pump_buf {
	char *data;
	size_t head;
	size_t tail;
};

struct sl_pump {
	struct sl_pump_end end[2];
	struct sl_pump_buf buf[2];	/* buf[i]: read from end i, for end !i */
	size_t size;
	char why[160];			/* reason of the last failure */
};

/* Allocates two buffers of bufsize.  0 or -ENOMEM. */
int sl_pump_init(struct sl_pump *p, int fd0, SSL *ssl0, int fd1, SSL *ssl1,
		 size_t bufsize);
/* Frees the buffers; sockets and SSLs stay the caller's. */
void sl_pump_uninit(struct sl_pump *p);
/*
 * Moves bytes until nothing more can move without blocking or about budget
 * bytes moved.  Returns enum sl_pump_state or -errno (reason in p->why).
 */
int sl_pump_step(struct sl_pump *p, size_t budget);
/* POLLIN/POLLOUT that end i waits for. */
short sl_pump_events(const struct sl_pump *p, int i);

#endif
