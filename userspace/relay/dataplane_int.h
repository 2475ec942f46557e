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
	OP_RECV = 0,
	OP_SEND = 1,
	OP_MASK = 3,
};
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
};

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
	_Atomic uint64_t bytes[2];	/* [dir], path userspace */
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

#endif
