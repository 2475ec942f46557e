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
 * As with epoll, errors and hang-ups are reported whatever a watch asks
 * for, even nothing: every watch has a poll posted.  The kernel also
 * completes an io_uring poll when the peer shut its sending side down
 * (EPOLLRDHUP), asked for or not, and a half-closed socket stays so:
 * a poll for POLLOUT on it would complete at once, again and again, while
 * the socket is full.  So a socket whose poll completes with nothing the
 * watch asked for is parked: it moves to a small epoll set of its own
 * (level-triggered, RDHUP not asked for, errors and hang-ups reported as
 * ever), and the ring polls that epoll set's descriptor instead.
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
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "relay.h"
#include "uring.h"

#define RING_ENTRIES 1024

/* user_data: the kind in the top two bits. */
#define UD_POLL (0ull << 62)	/* generation << 32 | fd */
#define UD_ACCEPT (1ull << 62)	/* listener index */
#define UD_SYNC (2ull << 62)	/* the caller's tag */
#define UD_IGNORE (3ull << 62)	/* cancels and updates */
#define UD_PARKED (UD_IGNORE | 1)	/* the epoll set of parked watches */
#define UD_KIND(ud) ((ud) & (3ull << 62))
#define UD_VALUE(ud) ((ud) & ~(3ull << 62))

struct watch {
	uint64_t data;
	uint32_t gen;		/* 30 bits used */
	uint16_t want;		/* POLLIN | POLLOUT, as asked for */
	uint16_t armed;		/* what the posted poll waits for */
	bool posted;		/* a poll is in the kernel */
	bool parked;		/* in the epoll set of parked watches */
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
	int parked_fd;		/* epoll set of the parked watches */
	unsigned int nparked;
	bool parked_posted;	/* a poll on parked_fd is in the kernel */
	bool parked_ready;	/* ... and it completed */
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

int relay_watch_init(struct relay_watch **out, char *why, size_t whylen)
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
	x->parked_fd = epoll_create1(EPOLL_CLOEXEC);
	if (x->parked_fd == -1) {
		ret = -errno;
		snprintf(why, whylen, "epoll_create1: %s", strerror(errno));
		io_uring_queue_exit(&x->ring);
		free(x);
		return ret;
	}
	*out = x;
	return 0;
}

const char *relay_watch_describe(const struct relay_watch *x)
{
	return sl_uring_flags_name(x->flags);
}

void relay_watch_uninit(struct relay_watch *x)
{
	if (!x)
		return;
	io_uring_queue_exit(&x->ring);
	close(x->parked_fd);
	free(x->w);
	free(x->dirty);
	free(x);
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

			if (sqe && !w->posted) {
				io_uring_prep_poll_add(sqe, fd, w->want);
				io_uring_sqe_set_data64(sqe, poll_ud(fd, w));
				w->armed = w->want;
				w->posted = true;
			}
			return;
		}
		x->dirty = d;
		x->cap_dirty = cap;
	}
	w->dirty = true;
	x->dirty[x->ndirty++] = fd;
}

int relay_watch_add(struct relay_watch *x, int fd, uint64_t data, uint32_t events)
{
	struct watch *w;

	if (fd < 0)
		return -EBADF;
	if ((size_t)fd < x->nw && x->w[fd].used)
		relay_watch_del(x, fd);		/* a stale one: drop it */
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
	w->posted = w->parked = false;
	mark_dirty(x, fd, w);
	return 0;
}

void relay_watch_set(struct relay_watch *x, int fd, uint32_t events)
{
	struct watch *w;

	if (fd < 0 || (size_t)fd >= x->nw || !x->w[fd].used)
		return;
	w = &x->w[fd];
	events &= POLLIN | POLLOUT;
	if (w->parked) {
		if (events != w->want)
			epoll_ctl(x->parked_fd, EPOLL_CTL_MOD, fd,
				  &(struct epoll_event){ .events = events,
							 .data.fd = fd });
		w->want = (uint16_t)events;
		return;
	}
	w->want = (uint16_t)events;
	if (!w->posted || w->want != w->armed)
		mark_dirty(x, fd, w);
}

void relay_watch_del(struct relay_watch *x, int fd)
{
	struct io_uring_sqe *sqe;
	struct watch *w;

	if (!x || fd < 0 || (size_t)fd >= x->nw || !x->w[fd].used)
		return;
	w = &x->w[fd];
	if (w->posted && (sqe = get_sqe(x))) {
		io_uring_prep_poll_remove(sqe, poll_ud(fd, w));
		io_uring_sqe_set_data64(sqe, UD_IGNORE);
		io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
	}
	if (w->parked) {
		epoll_ctl(x->parked_fd, EPOLL_CTL_DEL, fd, NULL);
		x->nparked--;
	}
	w->gen++;
	w->used = false;
	w->posted = w->parked = false;
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
		if (!w->used || w->parked || (w->posted && w->want == w->armed) ||
		    !(sqe = get_sqe(x)))
			continue;
		if (!w->posted) {
			io_uring_prep_poll_add(sqe, fd, w->want);
			io_uring_sqe_set_data64(sqe, poll_ud(fd, w));
			w->posted = true;
		} else {
			/* If the poll completes first, its completion re-arms
			 * with want; this update then finds nothing. */
			io_uring_prep_poll_update(sqe, poll_ud(fd, w), 0, w->want,
						  IORING_POLL_UPDATE_EVENTS);
			io_uring_sqe_set_data64(sqe, UD_IGNORE);
			io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
		}
		w->armed = w->want;
	}
	x->ndirty = 0;
	if (x->nparked && !x->parked_posted) {
		struct io_uring_sqe *sqe = get_sqe(x);

		if (sqe) {
			io_uring_prep_poll_add(sqe, x->parked_fd, POLLIN);
			io_uring_sqe_set_data64(sqe, UD_PARKED);
			x->parked_posted = true;
		}
	}
}

/* A socket whose poll cannot wait for what it wants: to the epoll set. */
static void park(struct relay_watch *x, int fd, struct watch *w)
{
	struct epoll_event ev = { .events = w->want, .data.fd = fd };

	if (epoll_ctl(x->parked_fd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		/* Out of memory: report it as an error rather than spin. */
		w->armed = 0;
		return;
	}
	w->parked = true;
	x->nparked++;
}

/* The parked watches that are ready, from their epoll set. */
static int take_parked(struct relay_watch *x, struct relay_event *ev, int max)
{
	struct epoll_event e[64];
	int n, i, k = 0;

	n = epoll_wait(x->parked_fd, e, max < 64 ? max : 64, 0);
	for (i = 0; i < n; i++) {
		int fd = e[i].data.fd;
		struct watch *w;

		if (fd < 0 || (size_t)fd >= x->nw)
			continue;
		w = &x->w[fd];
		if (!w->used || !w->parked)
			continue;
		ev[k].type = RELAY_EV_READY;
		ev[k].data = w->data;
		ev[k].res = (int32_t)e[i].events;
		k++;
	}
	return k;
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

void relay_watch_accept(struct relay_watch *x, unsigned int i, int fd, bool on)
{
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

int relay_watch_fsync(struct relay_watch *x, int fd, uint64_t tag)
{
	struct io_uring_sqe *sqe = get_sqe(x);

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
		w->posted = false;
		w->armed = 0;
		if (cqe->res == -ECANCELED) {	/* a failed update: post anew */
			mark_dirty(x, fd, w);
			return false;
		}
		if (cqe->res >= 0 &&
		    !(cqe->res & (w->want | POLLERR | POLLHUP | POLLNVAL))) {
			park(x, fd, w);		/* EPOLLRDHUP alone: see above */
			if (w->parked)
				return false;
			ev->type = RELAY_EV_READY;
			ev->data = w->data;
			ev->res = POLLERR;
			return true;
		}
		mark_dirty(x, fd, w);	/* re-armed after the handlers */
		ev->type = RELAY_EV_READY;
		ev->data = w->data;
		ev->res = cqe->res < 0 ? POLLERR : cqe->res;
		return true;
	}
	case UD_ACCEPT: {
		/* A connection reset before it was accepted, an interrupted
		 * accept, or the kernel ending a multishot accept we still
		 * want: accept on, say nothing. */
		bool transient = cqe->res == -EINTR || cqe->res == -ECONNABORTED ||
				 cqe->res == -EAGAIN || cqe->res == -ECANCELED;

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
			if (cqe->res >= 0 || transient)
				post_accept(x, (unsigned int)v);
		}
		if (transient)
			return false;	/* or ours, cancelled: nothing */
		ev->type = RELAY_EV_ACCEPT;
		ev->data = v;
		ev->res = cqe->res;
		return true;
	}
	case UD_SYNC:
		ev->type = RELAY_EV_SYNC;
		ev->data = v;
		ev->res = cqe->res;
		return true;
	default:
		if (ud == UD_PARKED) {
			x->parked_posted = false;
			x->parked_ready = true;
		}
		return false;
	}
}

int relay_watch_wait(struct relay_watch *x, int timeout_ms, struct relay_event *ev,
		     int max)
{
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
	if (x->parked_ready && n < max) {
		x->parked_ready = false;
		n += take_parked(x, ev + n, max - n);
	}
	return n;
}
