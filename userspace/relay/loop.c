// SPDX-License-Identifier: MIT
/*
 * The relay's event loop: one epoll set for listeners, connections and a
 * signalfd; a periodic tick for heartbeats and deadlines; and the
 * graveyards, emptied after each batch of events (see relay.h).
 *
 * epoll data: values below TAG_MAX tag listeners and the signalfd; anything
 * else is a struct relay_conn pointer.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "clock.h"
#include "admission.h"
#include "ctl.h"
#include "log.h"
#include "relay.h"


static int signal_fd = -1;

/* Starts the io_uring workers; without them sessions are pumped here. */
static void dataplane_init(struct relay *r)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_DATAPLANE };
	char why[256] = "";
	int ret;

	r->dp_efd = -1;
	ret = relay_dp_init(&r->dp, (unsigned int)r->cfg.data_threads, &r->dp_efd,
			    why, sizeof(why));
	if (!ret && r->dp && epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->dp_efd, &ev) == -1) {
		snprintf(why, sizeof(why), "epoll_ctl: %s", strerror(errno));
		relay_dp_uninit(r->dp, relay_session_dp_done, r);
		r->dp = NULL;
		ret = -1;
	}
	if (ret)
		sl_log_warn("data plane unavailable (%s): sessions are relayed by "
			    "the control loop", why);
	else
		sl_log_info("data plane: %s", relay_dp_describe(r->dp));
	/* What sluicectl status reports as the path new sessions take; each
	 * session still checks its own legs (splice.c). */
	r->ktls = sl_ktls_available(why, sizeof(why));
	if (r->ktls && r->dp)
		sl_log_info("kernel TLS: available; sessions whose legs both get it "
			    "both ways are spliced");
	else if (r->ktls)
		sl_log_info("kernel TLS: available, but splicing needs the data plane");
	else
		sl_log_info("kernel TLS: unavailable (%s); sessions use userspace TLS",
			    why);
}

int relay_loop_init(struct relay *r, char *why, size_t whylen)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;
	unsigned int i;
	int ret;

	LIST_INIT(&r->conns);
	LIST_INIT(&r->dead_conns);
	LIST_INIT(&r->dead_sessions);
	LIST_INIT(&r->again);
	LIST_INIT(&r->held);
	r->now_ms = sl_now_ms();
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd == -1) {
		snprintf(why, whylen, "epoll_create1: %s", strerror(errno));
		return -errno;
	}
	for (i = 0; i < r->cfg.nlisten; i++) {
		const struct relay_listen *l = &r->cfg.listen[i];
		int fd = sl_tcp_listen(l->host, l->port, why, whylen);

		if (fd < 0)
			return fd;
		r->listen_fd[r->nlisten++] = fd;
		ev.data.u64 = i;
		if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
			snprintf(why, whylen, "epoll_ctl: %s", strerror(errno));
			return -errno;
		}
		sl_log_info("listening on %s%s%s:%u", strchr(l->host, ':') ? "[" : "",
			    l->host, strchr(l->host, ':') ? "]" : "", l->port);
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (signal_fd == -1) {
		snprintf(why, whylen, "signalfd: %s", strerror(errno));
		return -errno;
	}
	ev.data.u64 = TAG_SIGNAL;
	epoll_ctl(r->epfd, EPOLL_CTL_ADD, signal_fd, &ev);
	ret = relay_http_init(r, why, whylen);
	if (ret)
		return ret;
	/* After the metrics listener: tests (and operators) take "listening
	 * on" to mean the relay's ports are up. */
	dataplane_init(r);
	return relay_ctl_init(r, why, whylen);
}

static void set_listeners(struct relay *r, bool on)
{
	unsigned int i;

	for (i = 0; i < r->nlisten; i++) {
		struct epoll_event ev = { .events = on ? EPOLLIN : 0,
					  .data.u64 = i };

		epoll_ctl(r->epfd, EPOLL_CTL_MOD, r->listen_fd[i], &ev);
	}
	r->listen_paused = !on;
}

static void accept_all(struct relay *r, int lfd)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1;

	for (;;) {
		sl = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* Level-triggered: stop asking until the tick. */
				sl_log_warn("accept: %s; pausing new connections",
					    strerror(errno));
				set_listeners(r, false);
			}
			return;
		}
		/* Small messages and records (ATTACH_OK, then the stream's
		 * first bytes) must not wait for the peer's delayed ACK. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		/* Blocklisted or locked-out sources that the kernel did not
		 * drop (no eBPF, or a lockout newer than the SYN) end here. */
		if (relay_admission_refuse(r, (struct sockaddr *)&ss) ||
		    !relay_conn_accept(r, fd, (struct sockaddr *)&ss))
			close(fd);
	}
}

void relay_conn_update_events(struct relay *r, struct relay_conn *c)
{
	struct epoll_event ev = { 0 };
	short want;

	if (c->kind == CONN_CLOSED)
		return;
	if (c->kind == CONN_LEG) {
		want = (short)(c->rd_wait | c->wr_wait);
		if (c->session && c->session->pumping)
			want |= sl_pump_events(&c->session->pump, c->leg);
	} else {
		want = (short)(POLLIN | c->rd_wait | c->wr_wait);
	}
	ev.events = ((want & POLLIN) ? EPOLLIN : 0) |
		    ((want & POLLOUT) ? EPOLLOUT : 0);
	if (ev.events == c->epoll_events)
		return;
	ev.data.ptr = c;
	if (epoll_ctl(r->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->epoll_events = ev.events;
}

static void tick(struct relay *r)
{
	struct relay_conn *c, *next;

	/* Closing a control connection closes only data legs, never another
	 * entry of this list, so the saved next pointer stays valid. */
	for (c = LIST_FIRST(&r->conns); c; c = next) {
		next = LIST_NEXT(c, link);
		relay_conn_tick(r, c);
	}
	relay_sessions_tick(r);
	relay_identity_tick(r);
	if (r->listen_paused)
		set_listeners(r, true);
}

static void reap(struct relay *r)
{
	struct relay_conn *c;
	struct relay_session *s;

	while ((c = LIST_FIRST(&r->dead_conns))) {
		LIST_REMOVE(c, link);
		relay_conn_free(c);
	}
	while ((s = LIST_FIRST(&r->dead_sessions))) {
		LIST_REMOVE(s, link);
		relay_session_free(s);
	}
}

static void run_again(struct relay *r)
{
	LIST_HEAD(, relay_session) batch = LIST_HEAD_INITIALIZER(batch);
	struct relay_session *s;

	/* Move the list aside: a pump may put itself back for the next round. */
	batch.lh_first = r->again.lh_first;
	if (batch.lh_first)
		batch.lh_first->again_link.le_prev = &batch.lh_first;
	LIST_INIT(&r->again);
	while ((s = LIST_FIRST(&batch))) {
		LIST_REMOVE(s, again_link);
		s->on_again = false;
		if (s->state != SESSION_CLOSED)
			relay_session_pump(r, s);
	}
}

/* A quarter of the heartbeat interval, between 25 ms and 1 s. */
static uint64_t tick_period(uint64_t heartbeat_ms)
{
	uint64_t t = heartbeat_ms / 4;

	return t > 1000 ? 1000 : t < 25 ? 25 : t;
}

int relay_loop_run(struct relay *r)
{
	struct epoll_event ev[128];
	uint64_t tick_ms = tick_period(r->cfg.heartbeat_ms), next_tick;
	int n, i;

	next_tick = sl_now_ms() + tick_ms;
	while (!r->stop) {
		int timeout = LIST_EMPTY(&r->again) ?
				      (int)(next_tick > r->now_ms ? next_tick - r->now_ms : 0) :
				      0;
		int ctl_ms = relay_ctl_timeout_ms(r);

		if (ctl_ms >= 0 && ctl_ms < timeout)
			timeout = ctl_ms;

		n = epoll_wait(r->epfd, ev, 128, timeout);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			sl_log_errno(errno, "epoll_wait");
			return -1;
		}
		r->now_ms = sl_now_ms();
		/* One group commit per turn (commit.c). */
		relay_commit_begin(r);
		for (i = 0; i < n; i++) {
			uint64_t tag = ev[i].data.u64;

			if (tag < r->nlisten) {
				accept_all(r, r->listen_fd[tag]);
			} else if (tag == TAG_METRICS) {
				relay_http_accept(r);
			} else if (tag == TAG_PASSWORK) {
				relay_passwork_event(r);
			} else if (tag == TAG_DATAPLANE) {
				relay_dp_reap(r->dp, relay_session_dp_done, r);
			} else if (tag == TAG_CTL) {
				/* Operators are answered over netlink, which
				 * no group holds back: serve them outside. */
				relay_commit_end(r);
				relay_ctl_event(r);
				relay_commit_begin(r);
			} else if (tag == TAG_SIGNAL) {
				struct signalfd_siginfo si;

				if (read(signal_fd, &si, sizeof(si)) == sizeof(si)) {
					sl_log_info("signal %u: shutting down", si.ssi_signo);
					r->stop = 1;
				}
			} else {
				relay_conn_event(r, ev[i].data.ptr, ev[i].events);
			}
		}
		run_again(r);
		if (r->now_ms >= next_tick) {
			tick(r);
			/* A reload may lower heartbeat_interval; connections
			 * made before keep theirs: follow the smallest. */
			if (tick_period(r->cfg.heartbeat_ms) < tick_ms)
				tick_ms = tick_period(r->cfg.heartbeat_ms);
			next_tick = r->now_ms + tick_ms;
		}
		relay_commit_end(r);
		relay_ctl_run(r);
		reap(r);
	}
	return 0;
}

void relay_loop_uninit(struct relay *r)
{
	struct relay_conn *c;
	unsigned int i;

	while ((c = LIST_FIRST(&r->conns)))
		relay_conn_close(r, c, "relay shutting down");
	/* Sessions in the data plane end there, and come back to be freed. */
	r->now_ms = sl_now_ms();
	relay_dp_uninit(r->dp, relay_session_dp_done, r);
	r->dp = NULL;
	reap(r);
	relay_ctl_uninit(r);
	for (i = 0; i < r->nlisten; i++)
		close(r->listen_fd[i]);
	if (r->metrics_fd >= 0)
		close(r->metrics_fd);
	if (signal_fd >= 0)
		close(signal_fd);
	if (r->epfd >= 0)
		close(r->epfd);
}
