// SPDX-License-Identifier: MIT
/*
 * The control loop's io_uring: readiness of its sockets, multishot accept
 * on the listeners, and the group commit's fdatasyncs (commit.c).
 *
 * Readiness is level-triggered, as the rest of the control thread
 * expects (OpenSSL's socket BIO reads what it needs, a handler may leave
 * bytes for the next turn): each watched descriptor has at most one
 * one-shot IORING_OP_POLL_ADD posted, for the events it wants now.  The
 * kernel checks readiness when it arms the poll, so a descriptor that is
 * still readable completes again at once.  After a completion the watch
 * is re-armed before the loop next waits, with whatever its handler asked
 * for meanwhile; a change of events on an armed poll becomes one
 * IORING_OP_POLL_REMOVE with IORING_POLL_UPDATE_EVENTS.  Every change is
 * queued and submitted together with the wait (one io_uring_enter per
 * turn), which replaces epoll_ctl and epoll_wait.
 *
 * A poll's user_data is its descriptor and a generation.  Removing a
 * watch bumps the generation (and cancels the poll, which otherwise keeps
 * the socket alive in the kernel), so a completion that was already on
 * its way for a closed socket, or for a descriptor number since reused,
 * no longer matches and is dropped.
 */
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "relay.h"
#include "uring.h"

#define RING_ENTRIES 1024

/* user_data: the kind in the top two bits. */
#define UD_POLL (0ull << 62)	/* generation << 32 | fd */
#define UD_ACCEPT (1ull << 62)	/* listener index */
#define UD_SYNC (2ull << 62)	/* the caller's tag */
#define UD_IGNORE (3ull << 62)	/* cancels and updates */
#define UD_KIND(ud) ((ud) & (3ull << 62))
#define UD_VALUE(ud) ((ud) & ~(3ull << 62))

struct watch {
	uint64_t data;
	uint32_t gen;		/* 30 bits used */
	uint16_t want;		/* POLLIN | POLLOUT, as asked for */
	uint16_t armed;		/* what the posted poll waits for; 0: none */
	bool used;
	bool dirty;		/* on the queue of watches to (re)arm */
};

struct relay_watch {
	struct io_uring ring;
	unsigned int flags;	/* setup flags the kernel took */
	struct watch *w;	/* by descriptor */
	size_t nw;
	int *dirty;		/* descriptors whose poll needs a change */
	size_t ndirty, cap_dirty;
	bool accept_single;	/* the kernel has no multishot accept */
	bool accepting[RELAY_LISTEN_MAX];
	int listen_fd[RELAY_LISTEN_MAX];
};

static struct io_uring_sqe *get_sqe(struct relay_watch *x)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&x->ring);

	if (!sqe) {
		/* Full: hand what is queued to the kernel and take a slot. */
		io_uring_submit(&x->ring);
		sqe = io_uring_get_sqe(&x->ring);
	}
	return sqe;
}

static uint64_t poll_ud(int fd, const struct watch *w)
{
	return UD_POLL | ((uint64_t)(w->gen & 0x3fffffff) << 32) | (uint32_t)fd;
}

int relay_watch_init(struct relay *r, char *why, size_t whylen)
{
	struct relay_watch *x = calloc(1, sizeof(*x));
	int ret;

	if (!x) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	ret = sl_uring_init(RING_ENTRIES, &x->ring, &x->flags);
	if (ret) {
		snprintf(why, whylen, "io_uring: %s (the relay's loop needs io_uring, "
			 "Linux 5.19 or later; is kernel.io_uring_disabled set?)",
			 strerror(-ret));
		free(x);
		return ret;
	}
	if (!(x->ring.features & IORING_FEAT_EXT_ARG)) {
		snprintf(why, whylen, "io_uring: the kernel cannot wait with a "
			 "timeout (IORING_FEAT_EXT_ARG, Linux 5.11); the relay "
			 "needs Linux 5.19 or later");
		io_uring_queue_exit(&x->ring);
		free(x);
		return -EOPNOTSUPP;
	}
	r->watch = x;
	return 0;
}

const char *relay_watch_describe(const struct relay *r)
{
	return sl_uring_flags_name(r->watch->flags);
}

void relay_watch_uninit(struct relay *r)
{
	struct relay_watch *x = r->watch;

	if (!x)
		return;
	io_uring_queue_exit(&x->ring);
	free(x->w);
	free(x->dirty);
	free(x);
	r->watch = NULL;
}

static void mark_dirty(struct relay_watch *x, int fd, struct watch *w)
{
	if (w->dirty)
		return;
	if (x->ndirty == x->cap_dirty) {
		size_t cap = x->cap_dirty ? 2 * x->cap_dirty : 256;
		int *d = realloc(x->dirty, cap * sizeof(*d));

		if (!d) {
			/* Arm it now rather than lose it. */
			struct io_uring_sqe *sqe = get_sqe(x);

			if (sqe && !w->armed && w->want) {
				io_uring_prep_poll_add(sqe, fd, w->want);
				io_uring_sqe_set_data64(sqe, poll_ud(fd, w));
				w->armed = w->want;
			}
			return;
		}
		x->dirty = d;
		x->cap_dirty = cap;
	}
	w->dirty = true;
	x->dirty[x->ndirty++] = fd;
}

int relay_watch_add(struct relay *r, int fd, uint64_t data, uint32_t events)
{
	struct relay_watch *x = r->watch;
	struct watch *w;

	if (fd < 0)
		return -EBADF;
	if ((size_t)fd >= x->nw) {
		size_t n = x->nw ? x->nw : 1024;
		struct watch *t;

		while (n <= (size_t)fd)
			n *= 2;
		t = realloc(x->w, n * sizeof(*t));
		if (!t)
			return -ENOMEM;
		memset(t + x->nw, 0, (n - x->nw) * sizeof(*t));
		x->w = t;
		x->nw = n;
	}
	w = &x->w[fd];
	w->used = true;
	w->data = data;
	w->want = (uint16_t)(events & (POLLIN | POLLOUT));
	w->armed = 0;
	mark_dirty(x, fd, w);
	return 0;
}

void relay_watch_set(struct relay *r, int fd, uint32_t events)
{
	struct relay_watch *x = r->watch;
	struct watch *w;

	if (fd < 0 || (size_t)fd >= x->nw || !x->w[fd].used)
		return;
	w = &x->w[fd];
	w->want = (uint16_t)(events & (POLLIN | POLLOUT));
	if (w->want != w->armed)
		mark_dirty(x, fd, w);
}

void relay_watch_del(struct relay *r, int fd)
{
	struct relay_watch *x = r->watch;
	struct io_uring_sqe *sqe;
	struct watch *w;

	if (!x || fd < 0 || (size_t)fd >= x->nw || !x->w[fd].used)
		return;
	w = &x->w[fd];
	if (w->armed && (sqe = get_sqe(x))) {
		io_uring_prep_poll_remove(sqe, poll_ud(fd, w));
		io_uring_sqe_set_data64(sqe, UD_IGNORE);
		io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
	}
	w->gen++;
	w->used = false;
	w->armed = 0;
	w->want = 0;
}

/* Posts the polls and updates that the turn's handlers asked for. */
static void rearm(struct relay_watch *x)
{
	size_t i;

	for (i = 0; i < x->ndirty; i++) {
		int fd = x->dirty[i];
		struct watch *w = &x->w[fd];
		struct io_uring_sqe *sqe;

		w->dirty = false;
		if (!w->used || w->want == w->armed || !(sqe = get_sqe(x)))
			continue;
		if (!w->armed) {
			io_uring_prep_poll_add(sqe, fd, w->want);
			io_uring_sqe_set_data64(sqe, poll_ud(fd, w));
		} else if (w->want) {
			/* If the poll completes first, its completion re-arms
			 * with want; this update then finds nothing. */
			io_uring_prep_poll_update(sqe, poll_ud(fd, w), 0, w->want,
						  IORING_POLL_UPDATE_EVENTS);
			io_uring_sqe_set_data64(sqe, UD_IGNORE);
			io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
		} else {
			io_uring_prep_poll_remove(sqe, poll_ud(fd, w));
			io_uring_sqe_set_data64(sqe, UD_IGNORE);
			io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
			w->gen++;	/* its -ECANCELED must not match */
		}
		w->armed = w->want;
	}
	x->ndirty = 0;
}

static void post_accept(struct relay_watch *x, unsigned int i)
{
	struct io_uring_sqe *sqe = get_sqe(x);

	if (!sqe)
		return;
	if (x->accept_single)
		io_uring_prep_accept(sqe, x->listen_fd[i], NULL, NULL,
				     SOCK_NONBLOCK | SOCK_CLOEXEC);
	else
		io_uring_prep_multishot_accept(sqe, x->listen_fd[i], NULL, NULL,
					       SOCK_NONBLOCK | SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, UD_ACCEPT | i);
	x->accepting[i] = true;
}

void relay_watch_accept(struct relay *r, unsigned int i, int fd, bool on)
{
	struct relay_watch *x = r->watch;
	struct io_uring_sqe *sqe;

	x->listen_fd[i] = fd;
	if (on && !x->accepting[i]) {
		post_accept(x, i);
	} else if (!on && x->accepting[i] && (sqe = get_sqe(x))) {
		io_uring_prep_cancel64(sqe, UD_ACCEPT | i, 0);
		io_uring_sqe_set_data64(sqe, UD_IGNORE);
		io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
		/* Connections it accepted before the cancel still come. */
		x->accepting[i] = false;
	}
}

int relay_watch_fsync(struct relay *r, int fd, uint64_t tag)
{
	struct io_uring_sqe *sqe = get_sqe(r->watch);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data64(sqe, UD_SYNC | tag);
	return 0;
}

/* One completion as the loop sees it; false: nothing for the loop. */
static bool take(struct relay_watch *x, const struct io_uring_cqe *cqe,
		 struct relay_event *ev)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	uint64_t v = UD_VALUE(ud);

	switch (UD_KIND(ud)) {
	case UD_POLL: {
		int fd = (int)(uint32_t)v;
		struct watch *w;

		if ((size_t)fd >= x->nw)
			return false;
		w = &x->w[fd];
		if (!w->used || poll_ud(fd, w) != ud)
			return false;	/* closed, or an older poll */
		if (cqe->res == -ECANCELED)
			return false;	/* replaced by an update */
		w->armed = 0;
		mark_dirty(x, fd, w);	/* re-armed after the handlers */
		ev->type = RELAY_EV_READY;
		ev->data = w->data;
		ev->res = cqe->res < 0 ? POLLERR : cqe->res;
		return true;
	}
	case UD_ACCEPT:
		if (v >= RELAY_LISTEN_MAX)
			return false;
		if (!(cqe->flags & IORING_CQE_F_MORE) && x->accepting[v]) {
			x->accepting[v] = false;
			if (cqe->res == -EINVAL && !x->accept_single) {
				/* Before Linux 5.19: one accept at a time. */
				x->accept_single = true;
				post_accept(x, (unsigned int)v);
				return false;
			}
			if (cqe->res >= 0 || cqe->res == -EINTR ||
			    cqe->res == -ECONNABORTED || cqe->res == -EAGAIN)
				post_accept(x, (unsigned int)v);
		}
		if (cqe->res == -ECANCELED)
			return false;
		ev->type = RELAY_EV_ACCEPT;
		ev->data = v;
		ev->res = cqe->res;
		return true;
	case UD_SYNC:
		ev->type = RELAY_EV_SYNC;
		ev->data = v;
		ev->res = cqe->res;
		return true;
	default:
		return false;
	}
}

int relay_watch_wait(struct relay *r, int timeout_ms, struct relay_event *ev,
		     int max)
{
	struct relay_watch *x = r->watch;
	struct __kernel_timespec ts = {
		.tv_sec = timeout_ms / 1000,
		.tv_nsec = (long long)(timeout_ms % 1000) * 1000000,
	};
	struct io_uring_cqe *cqe;
	unsigned int head, seen = 0;
	int ret, n = 0;

	rearm(x);
	if (!io_uring_cq_ready(&x->ring)) {
		ret = io_uring_submit_and_wait_timeout(&x->ring, &cqe, 1,
						       timeout_ms < 0 ? NULL : &ts, NULL);
		if (ret < 0 && ret != -ETIME && ret != -EINTR)
			return ret;
	} else {
		io_uring_submit(&x->ring);
	}
	io_uring_for_each_cqe(&x->ring, head, cqe) {
		if (n == max)
			break;
		seen++;
		if (take(x, cqe, &ev[n]))
			n++;
	}
	io_uring_cq_advance(&x->ring, seen);
	return n;
}
