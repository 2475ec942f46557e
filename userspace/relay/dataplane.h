/* SPDX-License-Identifier: MIT */
/*
 * The relay's data plane: worker threads, each with one io_uring, that
 * relay the bytes of active sessions.  The control thread (loop.c) hands a
 * session over once both legs are attached, and learns of its end through
 * a completion eventfd that it polls.  See dataplane.c for the
 * threading model and docs/datapath.md for the paths.
 */
#ifndef RELAY_DATAPLANE_H
#define RELAY_DATAPLANE_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

struct relay;
struct relay_session;
struct relay_dp;
struct dp_sess;

enum relay_path {
	PATH_USERSPACE = 0,	/* OpenSSL in the relay's process */
	PATH_KTLS,		/* kernel TLS both ways on both legs, splice */
	__PATH_MAX
};

extern const char *const relay_path_names[__PATH_MAX];

/* What the control thread learns when a session leaves the data plane. */
struct relay_dp_result {
	uint64_t bytes[2];	/* [0] to the device, [1] to the client */
	bool ok;		/* both directions finished cleanly */
	enum relay_path path;
	char why[160];		/* "finished" or the reason it ended */
};

/*
 * Starts nthreads workers (0: none, sessions stay in the control loop).
 * Returns 0, or -errno with why set when io_uring is unusable; the caller
 * then runs without a data plane.  *efd gets the completion eventfd.
 */
int relay_dp_init(struct relay_dp **dpp, unsigned int nthreads, int *efd,
		  char *why, size_t whylen);
/*
 * Stops every worker (their sessions end "relay shutting down"), joins
 * them, hands every result still queued to done() (see relay_dp_reap) and
 * frees the data plane.  NULL-safe.
 */
void relay_dp_uninit(struct relay_dp *dp,
		     void (*done)(void *arg, void *cookie,
				  const struct relay_dp_result *res),
		     void *arg);
/* Human-readable summary for the startup log line. */
const char *relay_dp_describe(const struct relay_dp *dp);

/*
 * The data-plane path a session with legs ssl[0] (client) and ssl[1]
 * (agent) can take, checked before the hand-over replaces any BIO:
 * PATH_KTLS when kernel TLS has both directions of both legs and OpenSSL
 * holds no received byte; PATH_USERSPACE when no leg has a kernel TLS
 * direction; -1 otherwise (partial offload, or bytes buffered above a
 * kernel TLS socket): such a session stays in the control loop, whose
 * pump works through OpenSSL's socket BIO.  desc gets what the legs have,
 * for the log ("kernel TLS: client tx+rx, agent tx+rx").
 */
int relay_dp_path_for(SSL *const ssl[2], char *desc, size_t desclen);

/*
 * Moves a session's two legs (index 0 client, 1 agent) to a worker, on
 * path (from relay_dp_path_for); the SSLs and fds belong to the data
 * plane from now on, whatever happens.  cookie comes back with the result.
 * Returns a handle for relay_dp_cancel(), or 0 with errno set (ENOMEM,
 * EMFILE for the kernel path's pipes...): the legs are then closed.
 */
uint64_t relay_dp_submit(struct relay_dp *dp, void *cookie, SSL *ssl[2],
			 int fd[2], enum relay_path path);
/* Asks the worker to end the session; its result still comes back. */
void relay_dp_cancel(struct relay_dp *dp, uint64_t handle, const char *why);
/*
 * Takes the finished sessions off the completion channel: calls done()
 * with each cookie and result.  Call when the eventfd is readable.
 */
void relay_dp_reap(struct relay_dp *dp,
		   void (*done)(void *arg, void *cookie,
				const struct relay_dp_result *res),
		   void *arg);
/* Stream bytes moved by the workers so far, by path and direction. */
uint64_t relay_dp_bytes(const struct relay_dp *dp, enum relay_path path,
			int dir);

#endif
