/* SPDX-License-Identifier: MIT */
/*
 * Non-blocking client connections for the measurements that keep many of
 * them in flight on one epoll set (handshake, idle): TCP connect from a
 * chosen source address, TLS handshake, the pin check, an optional first
 * message, then the expected answer: the device's greeting byte, or a
 * sluice HELLO_OK.
 */
#ifndef BENCH_CONN_H
#define BENCH_CONN_H

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

enum bconn_expect {
	BCONN_GREETING = 1,	/* one BENCH_GREETING byte */
	BCONN_HELLO_OK = 2,	/* a sluice HELLO_OK message */
};

enum bconn_state {
	BCONN_CONNECTING = 1,
	BCONN_HANDSHAKE = 2,
	BCONN_SENDING = 3,
	BCONN_RECEIVING = 4,
	BCONN_DONE = 5,
};

#define BCONN_IN_MAX 256	/* a HELLO_OK is about 40 bytes */

struct bconn {
	int fd;
	SSL *ssl;
	enum bconn_state state;
	enum bconn_expect expect;
	const char *fingerprint;	/* expected pin; "" none */
	struct nl_msg *msg;		/* owned first message, NULL: none */
	size_t sent;
	unsigned char in[BCONN_IN_MAX];
	size_t in_len, in_need;
	uint32_t events;		/* epoll interest now */
	uint64_t started_ns;
	char why[192];			/* reason of a failure */
};

/*
 * Starts a connection from src (port chosen by the kernel at connect time,
 * so that many connections share one source address) to dst, registered
 * in epfd with c as its data.  msg (may be NULL) is sent after the
 * handshake and freed.  0 or -errno with the reason in c->why.
 */
int bconn_start(struct bconn *c, SSL_CTX *ctx, int epfd,
		const struct sockaddr_in *src, const struct sockaddr_in *dst,
		enum bconn_expect expect, const char *fingerprint,
		struct nl_msg *msg);
/*
 * Moves the connection on after an epoll event.  Returns 1 once the answer
 * has arrived (state BCONN_DONE, no epoll interest left), 0 while it goes
 * on, or -errno with the reason in c->why.
 */
int bconn_step(struct bconn *c, int epfd);
/* Closes the socket (after close_notify when notify is set and the
 * handshake was done) and frees everything but c itself.  NULL-safe. */
void bconn_close(struct bconn *c, int epfd, bool notify);

#endif
