/* SPDX-License-Identifier: MIT */
/*
 * Session threads of the agent and the client.  Each registers itself and
 * the sockets it holds, so that a shutdown can end every session (by
 * shutting its sockets down) and wait for the threads to clean up before
 * the process exits, instead of leaving them mid-flight.
 */
#ifndef SL_WORKERS_H
#define SL_WORKERS_H

#include <stdbool.h>

struct sl_worker {
	int fd[2];			/* sockets to shut down; -1 when none */
	struct sl_worker *next;
	struct sl_worker **pprev;
};

/*
 * Starts fn(arg) in a detached thread with w registered until fn calls
 * sl_worker_done(w).  Returns 0, -EAGAIN past max live workers, -ESHUTDOWN
 * once sl_workers_stop() ran, or another -errno.
 */
int sl_worker_start(struct sl_worker *w, unsigned int max, void *(*fn)(void *),
		    void *arg);
/* Records socket i (0 or 1) of w; false when the process is shutting down. */
bool sl_worker_set_fd(struct sl_worker *w, int i, int fd);
/* The thread's last act: frees its OpenSSL thread state and unregisters w,
 * which it must not touch afterwards. */
void sl_worker_done(struct sl_worker *w);
/*
 * Shuts down the sockets of every worker for which pred(w, arg) holds,
 * which ends its session; returns how many.  pred runs under the registry
 * lock and must not block.
 */
unsigned int sl_workers_shutdown_if(bool (*pred)(struct sl_worker *w, void *arg),
				    void *arg);
/* Shuts down every registered socket and waits up to timeout_ms for all
 * workers to finish.  Returns the number still running. */
unsigned int sl_workers_stop(int timeout_ms);

#endif
