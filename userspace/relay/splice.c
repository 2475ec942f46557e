// SPDX-License-Identifier: MIT
/*
 * The kernel TLS path of the data plane (path 1 of DESIGN.md "Data path").
 *
 * When both legs of a session have kernel TLS in both directions (TLS 1.2
 * AES-GCM data legs, OpenSSL's SSL_OP_ENABLE_KTLS), the sockets read and
 * write plaintext and the relay only moves it: per direction, two linked
 * IORING_OP_SPLICEs, source socket -> pipe -> destination socket, so no
 * byte passes through userspace.  The SSL objects keep their socket BIOs
 * and are only freed at the end: the record sequence numbers live in the
 * kernel.
 *
 * One pair in flight per direction, headed by a poll for a readable
 * record, the splice out by a poll for room (prep_out).  The first splice
 * asks for one record's worth (SPLICE_LEN): kernel TLS splices at most one
 * record per call, and io_uring breaks a link when a splice moves less
 * than asked, so a full record runs both splices in one submission, and
 * after a short one the second is cancelled and posted again for what the
 * pipe holds.  The pipe is empty whenever a first splice is posted, so it
 * never fills, and the sender is held back by TCP when the receiver is
 * slow, as on the userspace path.
 *
 * The sockets are made blocking at hand-over: io_uring runs splice in its
 * worker threads, where a non-blocking socket would return EAGAIN instead
 * of waiting for the rest of a record.  The poll at the head of the link
 * (it completes when a record, EOF or an error is there) keeps an idle
 * direction off the io-wq threads, and the poll for room one whose reader
 * stalls: only a splice that has something to move, and room for it,
 * holds one.  The polls' own completions are ignored: the splice after
 * each always completes later, and says everything.  (Not
 * IOSQE_CQE_SKIP_SUCCESS: when a skip-success head fails, the requests
 * linked to it complete without any CQE.)
 *
 * Non-data records.  Splice refuses a record that is not application
 * data with EINVAL and leaves it queued (EIO, what recv without a control
 * buffer gets, is taken the same way); the worker reads it with recvmsg
 * and its TLS_GET_RECORD_TYPE control message.  An alert close_notify is
 * half-close: the same alert goes to the other leg (sendmsg with
 * TLS_SET_RECORD_TYPE) after the bytes before it, and the leg is watched
 * for its reset or TCP EOF (poll) as the userspace path keeps reading it.
 * Any other record (a fatal alert, a handshake message: TLS 1.2 has none
 * once renegotiation is off) ends the session with the record named in
 * the reason.  Resets, EOF without close_notify and cancels end the
 * session as on the userspace path; sockets are shut down so that
 * splices waiting in the kernel return.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/tls.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dataplane_int.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

#define SPLICE_LEN (16u << 10)	/* the most plaintext one TLS record holds */

/* TLS record content types (RFC 5246 6.2.1). */
enum {
	REC_CHANGE_CIPHER_SPEC = 20,
	REC_ALERT = 21,
	REC_HANDSHAKE = 22,
	REC_DATA = 23,
};

static const char *record_name(unsigned int type)
{
	switch (type) {
	case REC_CHANGE_CIPHER_SPEC:
		return "change_cipher_spec";
	case REC_ALERT:
		return "alert";
	case REC_HANDSHAKE:
		return "handshake";
	case REC_DATA:
		return "application_data";
	default:
		return "unknown";
	}
}

static const char *dir_name(int i)
{
	return i ? "agent" : "client";
}

int relay_dp_path_for(SSL *const ssl[2], char *desc, size_t desclen)
{
	bool tx[2], rx[2], pending = false;
	int i;

	for (i = 0; i < 2; i++) {
		tx[i] = BIO_get_ktls_send(SSL_get_wbio(ssl[i]));
		rx[i] = BIO_get_ktls_recv(SSL_get_rbio(ssl[i]));
		pending |= SSL_has_pending(ssl[i]) != 0;
	}
	snprintf(desc, desclen, "kernel TLS: %s %s, %s %s%s", dir_name(0),
		 tx[0] && rx[0] ? "tx+rx" : tx[0] ? "tx" : rx[0] ? "rx" : "none",
		 dir_name(1), tx[1] && rx[1] ? "tx+rx" : tx[1] ? "tx" : rx[1] ? "rx" : "none",
		 pending ? ", bytes buffered in OpenSSL" : "");
	if (tx[0] && rx[0] && tx[1] && rx[1] && !pending)
		return PATH_KTLS;
	if (!tx[0] && !rx[0] && !tx[1] && !rx[1])
		return PATH_USERSPACE;
	return -1;
}

int dp_splice_prepare(struct dp_sess *s)
{
	int i, fl;

	for (i = 0; i < 2; i++) {
		struct dp_leg *l = &s->leg[i];

		if (pipe2(l->pipe, O_CLOEXEC) == -1) {
			l->pipe[0] = l->pipe[1] = -1;
			return -errno;
		}
		fl = fcntl(l->fd, F_GETFL);
		if (fl == -1 || fcntl(l->fd, F_SETFL, fl & ~O_NONBLOCK) == -1)
			return -errno;
	}
	return 0;
}

void dp_splice_release(struct dp_leg *l)
{
	int i;

	for (i = 0; i < 2; i++)
		if (l->pipe[i] >= 0) {
			close(l->pipe[i]);
			l->pipe[i] = -1;
		}
}

bool dp_splice_busy(const struct dp_leg *l)
{
	return l->in_armed || l->out_armed || l->alert_armed || l->watch_armed;
}

static void fail(struct dp_sess *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(struct dp_sess *s, const char *fmt, ...)
{
	char why[sizeof(s->res.why)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	dp_sess_end(s, false, why);
}

/*
 * The splice pipe -> dst->fd, headed by a poll for room on dst: the splice
 * runs in an io-wq thread, where a blocking socket that is full would hold
 * the thread until its reader drains it, one thread per stalled reader.
 * Behind the poll, a reader that reads nothing holds nothing but the poll.
 * (A splice that finds less room than it moves still waits for the rest
 * in its thread; the poll completes when a third of the send buffer is
 * free, which is more than one record.)  len: what the splice asks for.
 */
static void prep_out(struct io_uring_sqe *room, struct io_uring_sqe *out,
		     struct dp_leg *src, unsigned int len)
{
	struct dp_leg *dst = &src->s->leg[!src->idx];

	io_uring_prep_poll_add(room, dst->fd, POLLOUT);
	io_uring_sqe_set_flags(room, IOSQE_IO_LINK);
	io_uring_sqe_set_data64(room, dp_ud(src, OP_WAIT_OUT));
	io_uring_prep_splice(out, src->pipe[0], -1, dst->fd, -1, len, SPLICE_F_MOVE);
	io_uring_sqe_set_data64(out, dp_ud(src, OP_SPLICE_OUT));
}

/* Room for n linked requests in one submission, or the link would be cut. */
static bool sq_room(struct dp_sess *s, unsigned int n)
{
	struct dp_worker *w = s->w;

	if (io_uring_sq_space_left(&w->ring) < n)
		io_uring_submit(&w->ring);
	if (io_uring_sq_space_left(&w->ring) < n) {
		fail(s, "io_uring submission queue full");
		return false;
	}
	return true;
}

/*
 * Direction src->idx: poll for a record, linked to socket -> pipe, linked
 * to the poll for room and pipe -> the other socket.  The splice in
 * completes after the poll, whatever happens (-ECANCELED when the poll
 * failed), so in_armed covers both; out_armed covers the rest the same
 * way.
 */
static void post_pair(struct dp_leg *src)
{
	struct dp_sess *s = src->s;
	struct dp_worker *w = s->w;
	struct io_uring_sqe *wait, *in, *room, *out;

	if (!sq_room(s, 4))
		return;
	wait = io_uring_get_sqe(&w->ring);
	in = io_uring_get_sqe(&w->ring);
	room = io_uring_get_sqe(&w->ring);
	out = io_uring_get_sqe(&w->ring);
	io_uring_prep_poll_add(wait, src->fd, POLLIN);
	io_uring_sqe_set_flags(wait, IOSQE_IO_LINK);
	io_uring_sqe_set_data64(wait, dp_ud(src, OP_WAIT));
	io_uring_prep_splice(in, src->fd, -1, src->pipe[1], -1, SPLICE_LEN, SPLICE_F_MOVE);
	io_uring_sqe_set_flags(in, IOSQE_IO_LINK);
	io_uring_sqe_set_data64(in, dp_ud(src, OP_SPLICE_IN));
	prep_out(room, out, src, SPLICE_LEN);
	src->in_armed = src->out_armed = true;
}

/* What the pipe of direction src->idx holds, to the other socket. */
static void post_out(struct dp_leg *src)
{
	struct dp_sess *s = src->s;

	if (!sq_room(s, 2))
		return;
	prep_out(io_uring_get_sqe(&s->w->ring), io_uring_get_sqe(&s->w->ring), src,
		 (unsigned int)src->in_pipe);
	src->out_armed = true;
}

/* close_notify on dst: a warning alert record of description 0. */
static void post_alert(struct dp_leg *dst)
{
	struct dp_sess *s = dst->s;
	struct io_uring_sqe *sqe = dp_get_sqe(s->w);
	struct cmsghdr *cm;

	if (!sqe) {
		fail(s, "io_uring submission queue full");
		return;
	}
	dst->alert_body[0] = 1;		/* warning */
	dst->alert_body[1] = 0;		/* close_notify */
	dst->alert_iov.iov_base = dst->alert_body;
	dst->alert_iov.iov_len = sizeof(dst->alert_body);
	memset(&dst->alert_msg, 0, sizeof(dst->alert_msg));
	memset(&dst->alert_cmsg, 0, sizeof(dst->alert_cmsg));
	dst->alert_msg.msg_iov = &dst->alert_iov;
	dst->alert_msg.msg_iovlen = 1;
	dst->alert_msg.msg_control = dst->alert_cmsg.buf;
	dst->alert_msg.msg_controllen = sizeof(dst->alert_cmsg.buf);
	cm = CMSG_FIRSTHDR(&dst->alert_msg);
	cm->cmsg_level = SOL_TLS;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(1);
	*CMSG_DATA(cm) = REC_ALERT;
	io_uring_prep_sendmsg(sqe, dst->fd, &dst->alert_msg, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, dp_ud(dst, OP_ALERT));
	dst->alert_armed = true;
}

/* After close_notify the leg is still watched: its reset ends the session. */
static void post_watch(struct dp_leg *l)
{
	struct io_uring_sqe *sqe = dp_get_sqe(l->s->w);

	if (!sqe) {
		fail(l->s, "io_uring submission queue full");
		return;
	}
	io_uring_prep_poll_add(sqe, l->fd, POLLRDHUP);
	io_uring_sqe_set_data64(sqe, dp_ud(l, OP_WATCH));
	l->watch_armed = true;
}

void dp_splice_start(struct dp_sess *s)
{
	post_pair(&s->leg[0]);
	if (!s->closing)
		post_pair(&s->leg[1]);
}

static void check_finished(struct dp_sess *s)
{
	int i;

	if (s->closing)
		return;
	for (i = 0; i < 2; i++) {
		const struct dp_leg *l = &s->leg[i];

		if (!l->rd_eof || l->in_armed || l->out_armed || l->in_pipe ||
		    !s->leg[!i].wr_done)
			return;
	}
	dp_sess_end(s, true, "finished");
}

/* Direction src->idx once neither splice of it is in flight. */
static void advance(struct dp_leg *src)
{
	if (src->s->closing || src->in_armed || src->out_armed)
		return;
	if (src->in_pipe)
		post_out(src);
	else if (!src->rd_eof)
		post_pair(src);
}

/*
 * Reads the record splice refused.  Returns its length with its content
 * type in *type, or -errno.
 */
static ssize_t read_record(struct dp_leg *l, unsigned char *type, char *buf, size_t len)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(1)];
	} cbuf;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *cm;
	ssize_t n;

	/* The record is queued: splice saw it.  Never wait here. */
	n = recvmsg(l->fd, &msg, MSG_DONTWAIT);
	if (n == -1)
		return -errno;
	*type = REC_DATA;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_TLS && cm->cmsg_type == TLS_GET_RECORD_TYPE)
			*type = *CMSG_DATA(cm);
	return n;
}

static void control_record(struct dp_leg *src)
{
	struct dp_sess *s = src->s;
	struct dp_worker *w = s->w;
	unsigned char type = REC_DATA;
	ssize_t n;

	n = read_record(src, &type, w->scratch, sizeof(w->scratch));
	if (n < 0) {
		fail(s, "read on end %d: %s", src->idx, strerror((int)-n));
		return;
	}
	if (n == 0) {
		fail(s, "read on end %d: connection closed without close_notify", src->idx);
		return;
	}
	if (type == REC_DATA) {
		/* Splice refused a data record after all: move it by hand (the
		 * pipe is empty, so this write cannot block). */
		if (write(src->pipe[1], w->scratch, (size_t)n) != n) {
			fail(s, "read on end %d: pipe: %s", src->idx, strerror(errno));
			return;
		}
		src->in_pipe += (size_t)n;
		src->rx_bytes += (uint64_t)n;
		atomic_fetch_add_explicit(&w->bytes[PATH_KTLS][src->idx], (uint64_t)n,
					  memory_order_relaxed);
		return;
	}
	if (type == REC_ALERT && n >= 2 && (unsigned char)w->scratch[1] == SSL_AD_CLOSE_NOTIFY) {
		src->rd_eof = true;
		post_alert(&s->leg[!src->idx]);
		post_watch(src);
		return;
	}
	if (type == REC_ALERT && n >= 2)
		fail(s, "end %d sent TLS alert record (type %u): %s %s", src->idx, type,
		     w->scratch[0] == 2 ? "fatal" : "warning",
		     SSL_alert_desc_string_long((unsigned char)w->scratch[1]));
	else
		fail(s, "end %d sent a TLS %s record (type %u), which kernel TLS "
		     "sessions do not relay", src->idx, record_name(type), type);
}

static void on_in(struct dp_leg *src, int res)
{
	struct dp_sess *s = src->s;

	if (s->closing)
		return;
	if (res > 0) {
		src->in_pipe += (size_t)res;
		src->rx_bytes += (uint64_t)res;
		atomic_fetch_add_explicit(&s->w->bytes[PATH_KTLS][src->idx], (uint64_t)res,
					  memory_order_relaxed);
	} else if (res == 0) {
		fail(s, "read on end %d: connection closed without close_notify", src->idx);
		return;
	} else if (res == -EINVAL || res == -EIO) {
		control_record(src);
	} else if (res == -EINTR || res == -EAGAIN) {
		/* Nothing read: the pipe stays empty and the pair is posted again. */
	} else {
		fail(s, "read on end %d: %s", src->idx, strerror(-res));
		return;
	}
	advance(src);
}

static void on_out(struct dp_leg *src, int res)
{
	struct dp_sess *s = src->s;

	if (s->closing)
		return;
	if (res > 0) {
		src->in_pipe -= (size_t)res < src->in_pipe ? (size_t)res : src->in_pipe;
	} else if (res != -ECANCELED && res != -EINTR && res != -EAGAIN) {
		/* -ECANCELED: the link was cut by a short or failed read. */
		fail(s, "write on end %d: %s", !src->idx,
		     res ? strerror(-res) : "splice moved nothing");
		return;
	}
	advance(src);
}

static void on_alert(struct dp_leg *dst, int res)
{
	struct dp_sess *s = dst->s;

	if (s->closing)
		return;
	if (res != (int)sizeof(dst->alert_body)) {
		fail(s, "close_notify on end %d: %s", dst->idx,
		     res < 0 ? strerror(-res) : "short write");
		return;
	}
	dst->wr_done = true;
}

static void on_watch(struct dp_leg *l, int res)
{
	struct dp_sess *s = l->s;
	socklen_t sl = sizeof(int);
	int err = 0;

	if (s->closing)
		return;
	if (res < 0) {
		fail(s, "read on end %d: %s", l->idx, strerror(-res));
		return;
	}
	if (res & POLLERR) {
		if (getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 || !err)
			err = ECONNRESET;
		fail(s, "read on end %d: %s", l->idx, strerror(err));
		return;
	}
	l->tcp_eof = true;	/* EOF after close_notify: nothing more to watch */
}

void dp_splice_complete(struct dp_leg *l, enum dp_op op, const struct io_uring_cqe *cqe)
{
	struct dp_sess *s = l->s;

	switch (op) {
	case OP_SPLICE_IN:
		l->in_armed = false;
		on_in(l, cqe->res);
		break;
	case OP_SPLICE_OUT:
		l->out_armed = false;
		on_out(l, cqe->res);
		break;
	case OP_ALERT:
		l->alert_armed = false;
		on_alert(l, cqe->res);
		break;
	case OP_WATCH:
		l->watch_armed = false;
		on_watch(l, cqe->res);
		break;
	default:
		break;
	}
	check_finished(s);
	dp_maybe_release(s);
}

void dp_splice_end(struct dp_sess *s, bool ok)
{
	static const enum dp_op ops[] = { OP_WAIT, OP_SPLICE_IN, OP_WAIT_OUT, OP_SPLICE_OUT,
					  OP_ALERT, OP_WATCH };
	unsigned int k;
	int i;

	for (i = 0; i < 2; i++) {
		struct dp_leg *l = &s->leg[i];
		const bool armed[] = { l->in_armed, l->in_armed, l->out_armed, l->out_armed,
				       l->alert_armed, l->watch_armed };

		for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
			if (armed[k])
				dp_cancel_op(s->w, l, ops[k]);
		/* A splice waiting in an io-wq thread returns at once. */
		if (!ok)
			shutdown(l->fd, SHUT_RDWR);
	}
}
