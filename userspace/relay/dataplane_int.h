/* SPDX-License-Identifier: MIT */
/*
 * Data-plane internals shared by dataplane.c (workers, the userspace TLS
 * path) and splice.c (the kernel TLS path).  Everything here belongs to
 * one worker thread once a session is handed over; see dataplane.c for
 * the threading model.
 */
#ifndef RELAY_DATAPLANE_INT_H
#define RELAY_DATAPLANE_INT_H

#include <liburing.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <uthash.h>

#include "dataplane.h"

#define DP_RING_ENTRIES 1024
#define DP_NBUF 256			/* provided buffers per worker */
#define DP_BUF_SIZE (16u << 10)
#define DP_BGID 1
#define DP_OUT_HIGH (128u << 10)	/* queued output that stops reading */
#define DP_PLAIN (16u << 10)		/* one TLS record of plaintext */


/* user_data: a leg pointer with the operation in the low bits, or a tag. */
enum dp_op {
	OP_RECV = 0,		/* userspace path: multishot receive */
	OP_SEND = 1,		/* userspace path: send of queued records */
	OP_SPLICE_IN = 2,	/* kernel path: socket -> pipe (on the source leg) */
	OP_SPLICE_OUT = 3,	/* kernel path: pipe -> socket (on the source leg) */
	OP_ALERT = 4,		/* kernel path: close_notify written to this leg */
	OP_WATCH = 5,		/* kernel path: reset or EOF after close_notify */
	OP_WAIT = 6,		/* kernel path: poll heading a splice pair; its
				 * completion is not looked at */
	OP_WAIT_OUT = 7,	/* kernel path: poll for room heading the
				 * splice out; not looked at either */
};
#define OP_MASK 7ull
#define UD_IGNORE 0ull	/* cancel requests: nothing to do on completion */
#define UD_WAKE 2ull	/* the inbox eventfd read (never a leg pointer) */

struct dp_sess;

struct dp_leg {
	struct dp_sess *s;
	int idx;			/* 0 client, 1 agent */
	int fd;
	SSL *ssl;
	/* Received bytes OpenSSL has not read yet: the buffer of the
	 * completion being handled (cur), then the backlog (inq). */
	const char *cur;
	size_t cur_len;
	char *inq;
	size_t inq_off, inq_len, inq_cap;
	/* Records OpenSSL wrote: out is being filled, snd is in flight. */
	char *out;
	size_t out_len, out_cap;
	char *snd;
	size_t snd_off, snd_len, snd_cap;
	bool recv_armed;		/* a multishot receive is posted */
	bool recv_cancelled;		/* and a cancel for it too */
	bool send_armed;
	bool tcp_eof;			/* recv() returned 0 */
	bool rd_eof;			/* close_notify read */
	bool wr_done;			/* close_notify written */
	uint64_t rx_bytes;		/* stream bytes read from this leg */
	/*
	 * Kernel TLS path (splice.c): direction idx moves this leg's
	 * plaintext through pipe; a close_notify for this leg is written
	 * from alert_*, which must live until its completion.
	 */
	int pipe[2];			/* [0] read end, [1] write end; -1: none */
	size_t in_pipe;			/* spliced in, not yet spliced out */
	bool in_armed, out_armed;	/* OP_SPLICE_IN, OP_SPLICE_OUT posted */
	bool alert_armed, watch_armed;
	unsigned char alert_body[2];
	struct iovec alert_iov;
	struct msghdr alert_msg;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(1)];
	} alert_cmsg;
};

/* Leg pointers carry the operation in their low three bits. */
_Static_assert(_Alignof(struct dp_leg) >= 8, "dp_leg alignment");

struct dp_worker;

struct dp_sess {
	uint64_t handle;
	void *cookie;
	struct dp_worker *w;
	struct dp_leg leg[2];
	bool closing;
	struct relay_dp_result res;
	UT_hash_handle hh;
	STAILQ_ENTRY(dp_sess) done_link;
};

enum dp_msg_type {
	MSG_ADD = 1,
	MSG_CANCEL = 2,
	MSG_STOP = 3,
};

struct dp_msg {
	enum dp_msg_type type;
	struct dp_sess *s;		/* MSG_ADD */
	uint64_t handle;		/* MSG_CANCEL */
	char why[120];
	STAILQ_ENTRY(dp_msg) link;
};

struct dp_worker {
	struct relay_dp *dp;
	unsigned int id;
	pthread_t tid;
	bool started;
	struct io_uring ring;
	bool ring_ok;
	struct io_uring_buf_ring *br;
	char *bufs;
	int efd;			/* inbox doorbell */
	uint64_t efd_val;
	pthread_mutex_t lock;
	STAILQ_HEAD(, dp_msg) inbox;
	struct dp_sess *sessions;	/* by handle */
	unsigned int nsess;
	bool stopping;
	int init_err;			/* ring setup result, for relay_dp_init */
	unsigned int ring_flags;
	_Atomic uint64_t bytes[__PATH_MAX][2];	/* [path][dir] */
	char scratch[DP_PLAIN];
};

struct relay_dp {
	unsigned int n, next;
	struct dp_worker *w;
	int done_efd;
	pthread_mutex_t lock;
	STAILQ_HEAD(, dp_sess) done;
	uint64_t next_handle;
	pthread_mutex_t init_lock;
	pthread_cond_t init_cond;
	unsigned int ninit;
	char desc[160];
};

/* dataplane.c: helpers of every path */
/* An SQE, submitting what is queued first when the SQ ring is full. */
struct io_uring_sqe *dp_get_sqe(struct dp_worker *w);
/* user_data of operation op on leg l. */
uint64_t dp_ud(struct dp_leg *l, enum dp_op op);
/* Posts a cancel of l's operation op; its completion is ignored. */
void dp_cancel_op(struct dp_worker *w, struct dp_leg *l, enum dp_op op);
/* Ends the session once (ok: both directions finished), with why. */
void dp_sess_end(struct dp_sess *s, bool ok, const char *why);
/* Frees a closing session once nothing of it is in flight. */
void dp_maybe_release(struct dp_sess *s);

/* splice.c: the kernel TLS path */
/* Control thread, at hand-over: pipes, blocking sockets.  0 or -errno. */
int dp_splice_prepare(struct dp_sess *s);
/* Worker: posts both directions' first splices. */
void dp_splice_start(struct dp_sess *s);
/* Worker: a completion of OP_SPLICE_IN/OUT, OP_ALERT or OP_WATCH on l. */
void dp_splice_complete(struct dp_leg *l, enum dp_op op, const struct io_uring_cqe *cqe);
/* Worker, from dp_sess_end: stops what is in flight. */
void dp_splice_end(struct dp_sess *s, bool ok);
/* True while an operation of the kernel path is in flight on l. */
bool dp_splice_busy(const struct dp_leg *l);
/* Closes l's pipe (NULL-safe on legs without one). */
void dp_splice_release(struct dp_leg *l);

#endif
