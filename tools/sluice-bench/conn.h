/* SPDX-License-Identifier: MIT */
/*
 * Non-blocking client connections for the measurements that keep many of
 * them in flight on one epoll set (handshake, idle, enrollment): TCP
 * connect from a chosen source address, TLS handshake (presenting an
 * agent's certificate where given), the pin check, an optional first
 * message, then the expected answer: the device's greeting byte, a sluice
 * HELLO_OK (its secondary id kept) or an ENROLL_OK (its certificate kept).
 */
#ifndef BENCH_CONN_H
#define BENCH_CONN_H

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct bench_ident;

enum bconn_expect {
	BCONN_GREETING = 1,	/* one BENCH_GREETING byte */
	BCONN_HELLO_OK = 2,	/* a sluice HELLO_OK message */
	BCONN_ENROLL_OK = 3,	/* a sluice ENROLL_OK message */
};

enum bconn_state {
	BCONN_CONNECTING = 1,
	BCONN_HANDSHAKE = 2,
	BCONN_SENDING = 3,
	BCONN_RECEIVING = 4,
	BCONN_DONE = 5,
};

struct bconn {
	int fd;
	SSL *ssl;
	enum bconn_state state;
	enum bconn_expect expect;
	const char *fingerprint;	/* expected pin; "" none */
	struct nl_msg *msg;		/* owned first message, NULL: none */
	size_t sent;			/* bytes of msg sent: > 0, the relay
					 * may have acted on it */
	unsigned char *in;		/* the answer, until it is checked */
	size_t in_cap, in_len, in_need;
	uint32_t err_code;		/* the relay's ERROR: enum sluice_err */
	uint32_t heartbeat_ms;		/* HELLO_OK: the relay's interval, 0 none */
	bool has_secret;		/* HELLO_OK: the next secondary id */
	unsigned char secret[SLUICE_SECRET_LEN];
	X509 *cert;			/* ENROLL_OK: owned, or taken (NULL) */
	uint32_t events;		/* epoll interest now */
	uint64_t started_ns;
	char why[192];			/* reason of a failure */
};

/*
 * Starts a connection from src (port chosen by the kernel at connect time,
 * so that many connections share one source address) to dst, registered
 * in epfd with c as its data.  id (may be NULL) is the certificate and key
 * the connection presents.  msg (may be NULL) is sent after the handshake
 * and freed.  0 or -errno with the reason in c->why.
 */
int bconn_start(struct bconn *c, SSL_CTX *ctx, int epfd,
		const struct sockaddr_in *src, const struct sockaddr_in *dst,
		const struct bench_ident *id, enum bconn_expect expect,
		const char *fingerprint, struct nl_msg *msg);
/*
 * Moves the connection on after an epoll event.  Returns 1 once the answer
 * has arrived (state BCONN_DONE, no epoll interest left), 0 while it goes
 * on, or -errno with the reason in c->why.
 */
int bconn_step(struct bconn *c, int epfd);
/*
 * A held agent connection (BCONN_DONE after a HELLO_OK): sends one
 * HEARTBEAT and watches for input.  0 or -errno with the reason in c->why.
 */
int bconn_heartbeat(struct bconn *c, int epfd);
/* Reads and drops what the relay sent a held connection.  0, or -errno
 * with the reason in c->why when the relay closed it. */
int bconn_drain(struct bconn *c);
/* Closes the socket (after close_notify when notify is set and the
 * handshake was done) and frees everything but c itself.  NULL-safe. */
void bconn_close(struct bconn *c, int epfd, bool notify);

#endif
