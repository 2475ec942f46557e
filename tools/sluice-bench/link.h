/* SPDX-License-Identifier: MIT */
/*
 * Blocking streams to the bench device through a target, one per call, for
 * the measurements that need few connections (bulk, setup, pingpong).
 *
 * Through sluice a stream is a session, set up exactly as sluice-client
 * does it: a control connection under the user's certificate with
 * CLIENT_HELLO and the password (opened once by bench_link_open), then per stream OPEN -> OPEN_OK, a new TLS connection
 * with ATTACH -> ATTACH_OK (userspace/lib/peer.c), and the device's
 * greeting.  Through a TLS target a stream is a TLS connection to it, then
 * the greeting.  Every wait is bounded by --timeout.
 */
#ifndef BENCH_LINK_H
#define BENCH_LINK_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "peer.h"

struct bench_link {
	const struct bench_opts *o;
	SSL_CTX *ctx;
	SSL_CTX *leg_ctx;		/* sluice: data legs, no certificate */
	SSL *ctl;			/* sluice: the control connection */
	uint32_t seq;			/* sluice: last OPEN's seq */
	char *buf;			/* sluice: one message, SLUICE_MSG_MAX */
	struct sl_relay_addr relay;	/* sluice: for sl_peer_attach */
};

/* Makes the TLS context and, for sluice, logs in.  0 or -errno (logged). */
int bench_link_open(struct bench_link *l, const struct bench_opts *o);
void bench_link_close(struct bench_link *l);

/* A new stream whose greeting has arrived; NULL (logged) on failure.
 * The caller frees it with bench_stream_close(). */
SSL *bench_stream_open(struct bench_link *l);
/* Sends close_notify, waits (up to 2 s) for the device's side to end, and
 * frees the connection.  NULL-safe. */
void bench_stream_close(SSL *s);

/* Whole buffers over a blocking stream: 0, or -EIO / -ETIMEDOUT /
 * -ECONNRESET (peer closed). */
int bench_write_all(SSL *s, const void *p, size_t len);
int bench_read_all(SSL *s, void *p, size_t len);
/* One device command (bench.h). */
int bench_send_cmd(SSL *s, char op, uint64_t arg);

#endif
