// SPDX-License-Identifier: MIT
/*
 * The data plane: io_uring workers that relay active sessions.
 *
 * Threading.  The control thread (loop.c, io_uring) owns every session
 * until both legs are attached and have been sent their ATTACH_OK.  Then it
 * takes both legs out of its ring's polls and hands their SSL objects and sockets to
 * one worker (round robin; both legs on the same worker), through the
 * worker's inbox: a mutex-protected queue plus an eventfd that the worker
 * keeps a read posted on.  From then on only that worker touches the SSLs
 * and the sockets.  When the session ends the worker frees the SSLs,
 * closes the sockets and queues a result (bytes each way, outcome, reason,
 * path) on the completion list, then writes the completion eventfd, which
 * the control thread polls.  The control thread then logs
 * the session's end and counts it: every counter except the live byte
 * counters (relaxed atomics per worker) stays single-threaded.  To end a
 * session early (a control connection went away, shutdown) the control
 * thread sends a cancel by handle; a cancel that crosses the session's
 * natural end finds nothing and is dropped, and the result still comes
 * back exactly once.  struct dp_sess is freed by the control thread after
 * it took the result, and the worker never looks at it again after
 * queueing it.
 *
 * One worker.  One io_uring, created in the worker thread itself (so that
 * IORING_SETUP_SINGLE_ISSUER names it), with DEFER_TASKRUN where the
 * kernel has it.  Each leg has one multishot receive posted into a
 * provided-buffer ring shared by the worker's sessions, and at most one
 * send in flight.  TLS stays in OpenSSL: the SSL objects get a BIO whose
 * read side serves the received bytes (straight from the ring buffer of
 * the completion, or from the leg's backlog when OpenSSL was not asked to
 * read everything) and whose write side appends records to the leg's
 * output buffer.  Decrypted bytes go through one 16 KiB scratch buffer per
 * worker straight into SSL_write on the other leg, so a session holds no
 * plaintext buffer at all, and its output buffers are freed whenever they
 * drain: an idle session costs its two SSL objects (with
 * SSL_MODE_RELEASE_BUFFERS) and this structure.
 *
 * Backpressure.  Direction i is read from leg i only while leg !i has less
 * than DP_OUT_HIGH bytes queued or in flight.  When it has more, the
 * multishot receive on leg i is cancelled; bytes that arrived meanwhile
 * wait in leg i's backlog.  When the send drains, reading resumes.  So a
 * session holds at most about DP_OUT_HIGH plus one record per direction
 * plus what arrived before the cancel took effect, and the sender is
 * slowed down by TCP.
 *
 * Half-close and errors follow lib/pump.c: close_notify read from one leg
 * becomes SSL_shutdown (close_notify) on the other after the bytes before
 * it; the session ends "finished" when both directions passed their EOF
 * and all output is sent.  A reset, a TCP EOF without close_notify or a
 * TLS error on either leg ends the session: both sockets are closed, so
 * the peer leg is closed too.
 *
 * Sessions whose legs both have kernel TLS both ways take the kernel path
 * instead (splice.c): same worker, same inbox, cancel and result, but the
 * bytes are spliced socket -> pipe -> socket and OpenSSL is not involved.
 */
#include "dataplane.h"

#include <errno.h>
#include <liburing.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uthash.h>

#include "dataplane_int.h"
#include "log.h"
#include "uring.h"

const char *const relay_path_names[__PATH_MAX] = {
	[PATH_USERSPACE] = "userspace",
	[PATH_KTLS] = "ktls",
};

static BIO_METHOD *dp_bio_method;

/* ------------------------------------------------------------------ BIO */

static size_t pending_out(const struct dp_leg *l)
{
	return l->out_len + (l->snd_len - l->snd_off);
}

static int bio_write(BIO *b, const char *data, int len)
{
	struct dp_leg *l = BIO_get_data(b);
	size_t need;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	need = l->out_len + (size_t)len;
	if (need > l->out_cap) {
		size_t cap = l->out_cap ? l->out_cap : 32u << 10;
		char *p;

		while (cap < need)
			cap *= 2;
		p = realloc(l->out, cap);
		if (!p)
			return -1;
		l->out = p;
		l->out_cap = cap;
	}
	memcpy(l->out + l->out_len, data, (size_t)len);
	l->out_len = need;
	return len;
}

static int bio_read(BIO *b, char *buf, int len)
{
	struct dp_leg *l = BIO_get_data(b);
	size_t n;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	if (l->inq_len) {
		n = l->inq_len < (size_t)len ? l->inq_len : (size_t)len;
		memcpy(buf, l->inq + l->inq_off, n);
		l->inq_off += n;
		l->inq_len -= n;
		if (!l->inq_len) {
			free(l->inq);
			l->inq = NULL;
			l->inq_off = l->inq_cap = 0;
		}
		return (int)n;
	}
	if (l->cur_len) {
		n = l->cur_len < (size_t)len ? l->cur_len : (size_t)len;
		memcpy(buf, l->cur, n);
		l->cur += n;
		l->cur_len -= n;
		return (int)n;
	}
	if (l->tcp_eof)
		return 0;
	BIO_set_retry_read(b);
	return -1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/* Keeps what OpenSSL did not read of the current completion's buffer. */
static int save_leftover(struct dp_leg *l)
{
	size_t need;

	if (!l->cur_len)
		return 0;
	if (l->inq_off && l->inq_len)
		memmove(l->inq, l->inq + l->inq_off, l->inq_len);
	l->inq_off = 0;
	need = l->inq_len + l->cur_len;
	if (need > l->inq_cap) {
		size_t cap = l->inq_cap ? l->inq_cap : DP_BUF_SIZE;
		char *p;

		while (cap < need)
			cap *= 2;
		p = realloc(l->inq, cap);
		if (!p)
			return -ENOMEM;
		l->inq = p;
		l->inq_cap = cap;
	}
	memcpy(l->inq + l->inq_len, l->cur, l->cur_len);
	l->inq_len = need;
	l->cur_len = 0;
	return 0;
}

/* ------------------------------------------------------------- sessions */

struct io_uring_sqe *dp_get_sqe(struct dp_worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (!sqe) {
		io_uring_submit(&w->ring);
		sqe = io_uring_get_sqe(&w->ring);
	}
	return sqe;
}

uint64_t dp_ud(struct dp_leg *l, enum dp_op op)
{
	return (uint64_t)(uintptr_t)l | op;
}

static void post_done(struct dp_sess *s)
{
	struct relay_dp *dp = s->w->dp;

	pthread_mutex_lock(&dp->lock);
	STAILQ_INSERT_TAIL(&dp->done, s, done_link);
	pthread_mutex_unlock(&dp->lock);
	eventfd_write(dp->done_efd, 1);
}

/* Frees a closing session once no operation of it is in flight. */
void dp_maybe_release(struct dp_sess *s)
{
	struct dp_worker *w = s->w;
	int i;

	if (!s->closing)
		return;
	for (i = 0; i < 2; i++)
		if (s->leg[i].recv_armed || s->leg[i].send_armed ||
		    dp_splice_busy(&s->leg[i]))
			return;
	for (i = 0; i < 2; i++) {
		struct dp_leg *l = &s->leg[i];

		SSL_free(l->ssl);	/* frees our BIO, or the socket BIO */
		l->ssl = NULL;
		close(l->fd);
		l->fd = -1;
		dp_splice_release(l);
		free(l->inq);
		free(l->out);
		free(l->snd);
		l->inq = l->out = l->snd = NULL;
		s->res.bytes[i] = l->rx_bytes;
	}
	HASH_DEL(w->sessions, s);
	w->nsess--;
	post_done(s);
}

void dp_cancel_op(struct dp_worker *w, struct dp_leg *l, enum dp_op op)
{
	struct io_uring_sqe *sqe = dp_get_sqe(w);

	if (!sqe)
		return;
	io_uring_prep_cancel64(sqe, dp_ud(l, op), 0);
	io_uring_sqe_set_data64(sqe, UD_IGNORE);
	io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
}

/* Ends the session (once): cancels what is in flight, then releases. */
void dp_sess_end(struct dp_sess *s, bool ok, const char *why)
{
	int i;

	if (s->closing)
		return;
	s->closing = true;
	s->res.ok = ok;
	snprintf(s->res.why, sizeof(s->res.why), "%s", why);
	for (i = 0; i < 2; i++) {
		struct dp_leg *l = &s->leg[i];

		if (l->recv_armed && !l->recv_cancelled) {
			dp_cancel_op(s->w, l, OP_RECV);
			l->recv_cancelled = true;
		}
		if (l->send_armed)
			dp_cancel_op(s->w, l, OP_SEND);
	}
	if (s->res.path == PATH_KTLS)
		dp_splice_end(s, ok);
	/* The completion handler that got here calls dp_maybe_release() last. */
}

static void tls_fail(struct dp_sess *s, int i, const char *op)
{
	unsigned long e = ERR_peek_last_error();
	char reason[96] = "connection closed without close_notify";
	char why[160];

	if (e)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	snprintf(why, sizeof(why), "%s on end %d: %s", op, i, reason);
	dp_sess_end(s, false, why);
}

/* Moves direction i: reads leg i, writes leg !i.  false when it ended. */
static bool move(struct dp_sess *s, int i)
{
	struct dp_worker *w = s->w;
	struct dp_leg *src = &s->leg[i], *dst = &s->leg[!i];
	size_t n, wr;

	while (!src->rd_eof && pending_out(dst) < DP_OUT_HIGH) {
		if (SSL_read_ex(src->ssl, w->scratch, sizeof(w->scratch), &n) == 1) {
			src->rx_bytes += n;
			atomic_fetch_add_explicit(&w->bytes[PATH_USERSPACE][i], n,
						  memory_order_relaxed);
			if (SSL_write_ex(dst->ssl, w->scratch, n, &wr) != 1 || wr != n) {
				tls_fail(s, !i, "write");
				return false;
			}
			continue;
		}
		switch (SSL_get_error(src->ssl, 0)) {
		case SSL_ERROR_WANT_READ:
			goto out;
		case SSL_ERROR_ZERO_RETURN:
			src->rd_eof = true;
			break;
		default:
			tls_fail(s, i, "read");
			return false;
		}
	}
out:
	if (src->rd_eof && !dst->wr_done) {
		if (SSL_shutdown(dst->ssl) < 0) {
			tls_fail(s, !i, "close_notify");
			return false;
		}
		dst->wr_done = true;
	}
	return true;
}

static void arm_send(struct dp_worker *w, struct dp_leg *l)
{
	struct io_uring_sqe *sqe;

	if (l->send_armed)
		return;
	if (l->snd_off == l->snd_len) {
		char *p = l->snd;
		size_t cap = l->snd_cap;

		if (!l->out_len)
			return;
		/* Swap: the drained buffer is filled next. */
		l->snd = l->out;
		l->snd_cap = l->out_cap;
		l->snd_len = l->out_len;
		l->snd_off = 0;
		l->out = p;
		l->out_cap = cap;
		l->out_len = 0;
	}
	sqe = dp_get_sqe(w);
	if (!sqe)
		return;		/* retried on the next step */
	io_uring_prep_send(sqe, l->fd, l->snd + l->snd_off, l->snd_len - l->snd_off,
			   MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, dp_ud(l, OP_SEND));
	l->send_armed = true;
}

static void arm_recv(struct dp_worker *w, struct dp_leg *l, bool want)
{
	struct io_uring_sqe *sqe;

	if (want && !l->recv_armed) {
		sqe = dp_get_sqe(w);
		if (!sqe)
			return;
		io_uring_prep_recv_multishot(sqe, l->fd, NULL, 0, 0);
		io_uring_sqe_set_flags(sqe, IOSQE_BUFFER_SELECT);
		sqe->buf_group = DP_BGID;
		io_uring_sqe_set_data64(sqe, dp_ud(l, OP_RECV));
		l->recv_armed = true;
		l->recv_cancelled = false;
	} else if (!want && l->recv_armed && !l->recv_cancelled) {
		dp_cancel_op(w, l, OP_RECV);
		l->recv_cancelled = true;
	}
}

/* Moves what can move, then posts sends and receives or ends. */
static void step(struct dp_sess *s)
{
	struct dp_worker *w = s->w;
	int i;

	if (s->closing)
		return;
	for (i = 0; i < 2; i++)
		if (!move(s, i))
			return;
	for (i = 0; i < 2; i++)
		arm_send(w, &s->leg[i]);
	for (i = 0; i < 2; i++) {
		struct dp_leg *l = &s->leg[i];

		if (!l->rd_eof || !s->leg[!i].wr_done || pending_out(l))
			goto busy;
	}
	dp_sess_end(s, true, "finished");
	return;
busy:
	if (!pending_out(&s->leg[0]) && !pending_out(&s->leg[1])) {
		/* Nothing to send either way: an idle session keeps no buffer. */
		for (i = 0; i < 2; i++) {
			struct dp_leg *l = &s->leg[i];

			free(l->out);
			free(l->snd);
			l->out = l->snd = NULL;
			l->out_cap = l->snd_cap = 0;
		}
	}
	for (i = 0; i < 2; i++) {
		struct dp_leg *l = &s->leg[i];
		/* Keep reading a leg after its close_notify: that is how a
		 * reset of it shows while only the other way flows. */
		bool blocked = !l->rd_eof &&
			       (pending_out(&s->leg[!i]) >= DP_OUT_HIGH || l->inq_len);

		arm_recv(w, l, !l->tcp_eof && !blocked);
	}
}

static void recycle(struct dp_worker *w, unsigned int bid)
{
	io_uring_buf_ring_add(w->br, w->bufs + (size_t)bid * DP_BUF_SIZE, DP_BUF_SIZE,
			      (unsigned short)bid, io_uring_buf_ring_mask(DP_NBUF), 0);
	io_uring_buf_ring_advance(w->br, 1);
}

static void on_recv(struct dp_worker *w, struct dp_leg *l,
		    const struct io_uring_cqe *cqe)
{
	struct dp_sess *s = l->s;
	char why[160];

	if (!(cqe->flags & IORING_CQE_F_MORE))
		l->recv_armed = false;
	if (cqe->res > 0) {
		unsigned int bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;

		if (!s->closing && !l->rd_eof) {
			l->cur = w->bufs + (size_t)bid * DP_BUF_SIZE;
			l->cur_len = (size_t)cqe->res;
			step(s);
			if (!s->closing && save_leftover(l))
				dp_sess_end(s, false, "out of memory");
			l->cur_len = 0;
		}
		recycle(w, bid);
	} else if (cqe->res == 0) {
		l->tcp_eof = true;
		step(s);
	} else if (cqe->res == -ENOBUFS || cqe->res == -ECANCELED) {
		step(s);	/* re-posted unless the leg is held back */
	} else if (!s->closing) {
		snprintf(why, sizeof(why), "read on end %d: %s", l->idx,
			 strerror(-cqe->res));
		dp_sess_end(s, false, why);
	}
	if (cqe->flags & IORING_CQE_F_BUFFER && cqe->res <= 0)
		recycle(w, cqe->flags >> IORING_CQE_BUFFER_SHIFT);
	dp_maybe_release(s);
}

static void on_send(struct dp_leg *l, const struct io_uring_cqe *cqe)
{
	struct dp_sess *s = l->s;
	char why[160];

	l->send_armed = false;
	if (cqe->res >= 0) {
		l->snd_off += (size_t)cqe->res;
		if (l->snd_off == l->snd_len)
			l->snd_off = l->snd_len = 0;
		step(s);
	} else if (!s->closing) {
		snprintf(why, sizeof(why), "write on end %d: %s", l->idx,
			 strerror(-cqe->res));
		dp_sess_end(s, false, why);
	}
	dp_maybe_release(s);
}

/* ---------------------------------------------------------------- worker */

static void arm_wake(struct dp_worker *w)
{
	struct io_uring_sqe *sqe = dp_get_sqe(w);

	if (!sqe)
		return;
	io_uring_prep_read(sqe, w->efd, &w->efd_val, sizeof(w->efd_val), 0);
	io_uring_sqe_set_data64(sqe, UD_WAKE);
}

static void on_wake(struct dp_worker *w)
{
	STAILQ_HEAD(, dp_msg) msgs = STAILQ_HEAD_INITIALIZER(msgs);
	struct dp_sess *s, *tmp;
	struct dp_msg *m;

	pthread_mutex_lock(&w->lock);
	STAILQ_CONCAT(&msgs, &w->inbox);
	pthread_mutex_unlock(&w->lock);
	while ((m = STAILQ_FIRST(&msgs))) {
		STAILQ_REMOVE_HEAD(&msgs, link);
		switch (m->type) {
		case MSG_ADD:
			s = m->s;
			HASH_ADD(hh, w->sessions, handle, sizeof(s->handle), s);
			w->nsess++;
			if (s->res.path == PATH_KTLS)
				dp_splice_start(s);
			else
				step(s);	/* OpenSSL may hold bytes read with the ATTACH. */
			dp_maybe_release(s);
			break;
		case MSG_CANCEL:
			HASH_FIND(hh, w->sessions, &m->handle, sizeof(m->handle), s);
			if (s) {
				dp_sess_end(s, false, m->why);
				dp_maybe_release(s);	/* last use of s */
			}
			break;
		case MSG_STOP:
			w->stopping = true;
			HASH_ITER(hh, w->sessions, s, tmp) {
				dp_sess_end(s, false, "relay shutting down");
				dp_maybe_release(s);
			}
			break;
		}
		free(m);
	}
	if (!w->stopping)
		arm_wake(w);
}

static int ring_setup(struct dp_worker *w)
{
	struct io_uring_buf_reg reg = { 0 };
	unsigned int i;
	int ret;

	ret = sl_uring_init(DP_RING_ENTRIES, &w->ring, &w->ring_flags);
	if (ret)
		return ret;
	w->ring_ok = true;
	if (posix_memalign((void **)&w->br, 4096, DP_NBUF * sizeof(struct io_uring_buf)))
		return -ENOMEM;
	w->bufs = malloc((size_t)DP_NBUF * DP_BUF_SIZE);
	if (!w->bufs)
		return -ENOMEM;
	io_uring_buf_ring_init(w->br);
	reg.ring_addr = (unsigned long)(uintptr_t)w->br;
	reg.ring_entries = DP_NBUF;
	reg.bgid = DP_BGID;
	ret = io_uring_register_buf_ring(&w->ring, &reg, 0);
	if (ret)
		return ret;
	for (i = 0; i < DP_NBUF; i++)
		io_uring_buf_ring_add(w->br, w->bufs + (size_t)i * DP_BUF_SIZE, DP_BUF_SIZE,
				      (unsigned short)i, io_uring_buf_ring_mask(DP_NBUF),
				      (int)i);
	io_uring_buf_ring_advance(w->br, DP_NBUF);
	return 0;
}

static void *worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct relay_dp *dp = w->dp;
	struct io_uring_cqe *cqe;
	unsigned int head, seen;
	struct dp_leg *leg;
	char name[16];
	int ret;

	snprintf(name, sizeof(name), "sluice-dp/%u", w->id);
	pthread_setname_np(pthread_self(), name);
	ret = ring_setup(w);
	pthread_mutex_lock(&dp->init_lock);
	w->init_err = ret;
	dp->ninit++;
	pthread_cond_signal(&dp->init_cond);
	pthread_mutex_unlock(&dp->init_lock);
	if (ret)
		return NULL;
	arm_wake(w);
	while (!w->stopping || w->nsess) {
		ret = io_uring_submit_and_wait(&w->ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -ETIME && ret != -EBUSY &&
		    ret != -EAGAIN) {
			sl_log_errno(-ret, "data plane %u: io_uring_submit_and_wait", w->id);
			break;
		}
		seen = 0;
		io_uring_for_each_cqe(&w->ring, head, cqe) {
			uint64_t u = cqe->user_data;

			seen++;
			if (u == UD_IGNORE)
				continue;
			if (u == UD_WAKE) {
				on_wake(w);
				continue;
			}
			if ((u & OP_MASK) == OP_WAIT || (u & OP_MASK) == OP_WAIT_OUT)
				continue;
			leg = (struct dp_leg *)(uintptr_t)(u & ~(uint64_t)OP_MASK);
			switch (u & OP_MASK) {
			case OP_RECV:
				on_recv(w, leg, cqe);
				break;
			case OP_SEND:
				on_send(leg, cqe);
				break;
			default:
				dp_splice_complete(leg, (enum dp_op)(u & OP_MASK), cqe);
				break;
			}
		}
		io_uring_cq_advance(&w->ring, seen);
	}
	return NULL;
}

/* ----------------------------------------------------------- control side */

static int bio_method_init(void)
{
	if (dp_bio_method)
		return 0;
	dp_bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
				     "sluice io_uring");
	if (!dp_bio_method || !BIO_meth_set_write(dp_bio_method, bio_write) ||
	    !BIO_meth_set_read(dp_bio_method, bio_read) ||
	    !BIO_meth_set_ctrl(dp_bio_method, bio_ctrl) ||
	    !BIO_meth_set_create(dp_bio_method, bio_create))
		return -ENOMEM;
	return 0;
}

static void workers_free(struct relay_dp *dp)
{
	unsigned int i;

	for (i = 0; i < dp->n; i++) {
		struct dp_worker *w = &dp->w[i];
		struct dp_msg *m;

		if (w->ring_ok)
			io_uring_queue_exit(&w->ring);
		free(w->br);
		free(w->bufs);
		if (w->efd >= 0)
			close(w->efd);
		while ((m = STAILQ_FIRST(&w->inbox))) {
			STAILQ_REMOVE_HEAD(&w->inbox, link);
			free(m);
		}
		pthread_mutex_destroy(&w->lock);
	}
	free(dp->w);
}

int relay_dp_init(struct relay_dp **dpp, unsigned int nthreads, int *efd,
		  char *why, size_t whylen)
{
	struct relay_dp *dp;
	unsigned int i, started = 0;
	int ret = 0;

	*dpp = NULL;
	*efd = -1;
	if (!nthreads)
		return 0;
	if (bio_method_init()) {
		snprintf(why, whylen, "BIO_meth_new failed");
		return -ENOMEM;
	}
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	dp->w = calloc(nthreads, sizeof(*dp->w));
	if (!dp->w) {
		free(dp);
		return -ENOMEM;
	}
	dp->n = nthreads;
	STAILQ_INIT(&dp->done);
	pthread_mutex_init(&dp->lock, NULL);
	pthread_mutex_init(&dp->init_lock, NULL);
	pthread_cond_init(&dp->init_cond, NULL);
	dp->done_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	for (i = 0; i < nthreads; i++) {
		struct dp_worker *w = &dp->w[i];

		w->dp = dp;
		w->id = i;
		w->efd = eventfd(0, EFD_CLOEXEC);
		pthread_mutex_init(&w->lock, NULL);
		STAILQ_INIT(&w->inbox);
	}
	if (dp->done_efd == -1) {
		ret = -errno;
		snprintf(why, whylen, "eventfd: %s", strerror(errno));
		goto err;
	}
	for (i = 0; i < nthreads; i++) {
		struct dp_worker *w = &dp->w[i];

		if (w->efd == -1) {
			ret = -EMFILE;
			snprintf(why, whylen, "eventfd: %s", strerror(EMFILE));
			break;
		}
		ret = -pthread_create(&w->tid, NULL, worker_main, w);
		if (ret) {
			snprintf(why, whylen, "pthread_create: %s", strerror(-ret));
			break;
		}
		w->started = true;
		started++;
	}
	pthread_mutex_lock(&dp->init_lock);
	while (dp->ninit < started)
		pthread_cond_wait(&dp->init_cond, &dp->init_lock);
	pthread_mutex_unlock(&dp->init_lock);
	for (i = 0; i < started && !ret; i++)
		if (dp->w[i].init_err) {
			ret = dp->w[i].init_err;
			snprintf(why, whylen, "io_uring: %s", strerror(-ret));
		}
	if (ret) {
		/* Workers whose ring works wait for a STOP. */
		for (i = 0; i < started; i++) {
			if (!dp->w[i].init_err) {
				struct dp_msg *m = calloc(1, sizeof(*m));

				if (m) {
					m->type = MSG_STOP;
					STAILQ_INSERT_TAIL(&dp->w[i].inbox, m, link);
				}
				eventfd_write(dp->w[i].efd, 1);
			}
			pthread_join(dp->w[i].tid, NULL);
		}
		goto err;
	}
	snprintf(dp->desc, sizeof(dp->desc),
		 "%u io_uring data-plane threads (%s, %u provided buffers of %u KiB each)",
		 nthreads, sl_uring_flags_name(dp->w[0].ring_flags), DP_NBUF, DP_BUF_SIZE >> 10);
	*efd = dp->done_efd;
	*dpp = dp;
	return 0;
err:
	workers_free(dp);
	if (dp->done_efd >= 0)
		close(dp->done_efd);
	pthread_mutex_destroy(&dp->lock);
	free(dp);
	return ret;
}

const char *relay_dp_describe(const struct relay_dp *dp)
{
	return dp ? dp->desc :
		    "no data-plane threads (data_threads = 0): sessions are relayed by the control loop";
}

static void post(struct dp_worker *w, struct dp_msg *m)
{
	pthread_mutex_lock(&w->lock);
	STAILQ_INSERT_TAIL(&w->inbox, m, link);
	pthread_mutex_unlock(&w->lock);
	eventfd_write(w->efd, 1);
}

uint64_t relay_dp_submit(struct relay_dp *dp, void *cookie, SSL *ssl[2],
			 int fd[2], enum relay_path path)
{
	struct dp_sess *s = calloc(1, sizeof(*s));
	struct dp_msg *m = calloc(1, sizeof(*m));
	BIO *bio[2] = { NULL, NULL };
	int i, err = ENOMEM;

	if (s && m) {
		for (i = 0; i < 2; i++) {
			s->leg[i].s = s;
			s->leg[i].idx = i;
			s->leg[i].fd = fd[i];
			s->leg[i].ssl = ssl[i];
			s->leg[i].pipe[0] = s->leg[i].pipe[1] = -1;
		}
		if (path == PATH_KTLS) {
			err = -dp_splice_prepare(s);
		} else {
			bio[0] = BIO_new(dp_bio_method);
			bio[1] = BIO_new(dp_bio_method);
			err = bio[0] && bio[1] ? 0 : ENOMEM;
		}
	}
	if (!s || !m || err) {
		BIO_free(bio[0]);
		BIO_free(bio[1]);
		if (s)
			for (i = 0; i < 2; i++)
				dp_splice_release(&s->leg[i]);
		free(s);
		free(m);
		for (i = 0; i < 2; i++) {
			SSL_free(ssl[i]);
			close(fd[i]);
		}
		errno = err ? err : ENOMEM;
		return 0;
	}
	s->handle = ++dp->next_handle;
	s->cookie = cookie;
	s->w = &dp->w[dp->next++ % dp->n];
	s->res.path = path;
	/* The kernel path keeps OpenSSL's socket BIO: the kernel has the
	 * record state, and the SSL is only freed at the end. */
	for (i = 0; i < 2 && path != PATH_KTLS; i++) {
		BIO_set_data(bio[i], &s->leg[i]);
		/* Replaces (and frees) the socket BIO; the fd stays open. */
		SSL_set_bio(ssl[i], bio[i], bio[i]);
	}
	m->type = MSG_ADD;
	m->s = s;
	post(s->w, m);
	return s->handle;
}

void relay_dp_cancel(struct relay_dp *dp, uint64_t handle, const char *why)
{
	struct dp_msg *m = calloc(1, sizeof(*m));

	if (!m)
		return;		/* the session ends on its own */
	m->type = MSG_CANCEL;
	m->handle = handle;
	snprintf(m->why, sizeof(m->why), "%s", why);
	/* Handles are given round robin from 1: that names the worker. */
	post(&dp->w[(handle - 1) % dp->n], m);
}

void relay_dp_reap(struct relay_dp *dp,
		   void (*done)(void *arg, void *cookie,
				const struct relay_dp_result *res),
		   void *arg)
{
	STAILQ_HEAD(, dp_sess) list = STAILQ_HEAD_INITIALIZER(list);
	struct dp_sess *s;
	eventfd_t v;

	eventfd_read(dp->done_efd, &v);
	pthread_mutex_lock(&dp->lock);
	STAILQ_CONCAT(&list, &dp->done);
	pthread_mutex_unlock(&dp->lock);
	while ((s = STAILQ_FIRST(&list))) {
		STAILQ_REMOVE_HEAD(&list, done_link);
		done(arg, s->cookie, &s->res);
		free(s);
	}
}

void relay_dp_uninit(struct relay_dp *dp,
		     void (*done)(void *arg, void *cookie,
				  const struct relay_dp_result *res),
		     void *arg)
{
	unsigned int i;

	if (!dp)
		return;
	for (i = 0; i < dp->n; i++) {
		struct dp_msg *m = calloc(1, sizeof(*m));

		if (m) {
			m->type = MSG_STOP;
			post(&dp->w[i], m);
		}
	}
	for (i = 0; i < dp->n; i++)
		if (dp->w[i].started)
			pthread_join(dp->w[i].tid, NULL);
	relay_dp_reap(dp, done, arg);
	workers_free(dp);
	close(dp->done_efd);
	pthread_mutex_destroy(&dp->lock);
	pthread_mutex_destroy(&dp->init_lock);
	pthread_cond_destroy(&dp->init_cond);
	free(dp);
	BIO_meth_free(dp_bio_method);
	dp_bio_method = NULL;
}

uint64_t relay_dp_bytes(const struct relay_dp *dp, enum relay_path path,
			int dir)
{
	uint64_t sum = 0;
	unsigned int i;

	if (!dp || path >= __PATH_MAX)
		return 0;
	for (i = 0; i < dp->n; i++)
		sum += atomic_load_explicit(&dp->w[i].bytes[path][dir], memory_order_relaxed);
	return sum;
}
