// SPDX-License-Identifier: MIT
/*
 * The relay's event loop: one io_uring (watch.c) for the listeners'
 * multishot accepts, the readiness of connections, a signalfd and the
 * workers' eventfds, and the group commit's syncs; a periodic tick for
 * heartbeats and deadlines; and the graveyards, emptied after each batch
 * of completions (see relay.h).
 *
 * Watch data: values below TAG_MAX tag the signalfd and the other
 * descriptors of the relay; anything else is a struct relay_conn pointer.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "clock.h"
#include "ctl.h"
#include "log.h"
#include "relay.h"


static int signal_fd = -1;

/* Starts the io_uring workers; without them sessions are pumped here. */
static void dataplane_init(struct relay *r)
{
	char why[256] = "";
	int ret;

	r->dp_efd = -1;
	ret = relay_dp_init(&r->dp, (unsigned int)r->cfg.data_threads, &r->dp_efd,
			    why, sizeof(why));
	if (!ret && r->dp && (ret = relay_watch_add(r->watch, r->dp_efd, TAG_DATAPLANE,
						    POLLIN))) {
		snprintf(why, sizeof(why), "io_uring: %s", strerror(-ret));
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
	char addr[300];
	sigset_t mask;
	unsigned int i;
	int ret;

	LIST_INIT(&r->conns);
	LIST_INIT(&r->dead_conns);
	LIST_INIT(&r->dead_sessions);
	LIST_INIT(&r->again);
	LIST_INIT(&r->held);
	LIST_INIT(&r->syncing);
	r->now_ms = sl_now_ms();
	ret = relay_watch_init(&r->watch, why, whylen);
	if (ret)
		return ret;
	/* With handshake threads, they listen (relay_hs_start). */
	for (i = 0; i < r->cfg.nlisten && !r->cfg.handshake_threads; i++) {
		const struct relay_listen *l = &r->cfg.listen[i];
		int fd = sl_tcp_listen(l->host, l->port, why, whylen);

		if (fd < 0)
			return fd;
		r->listen_fd[r->nlisten++] = fd;
		relay_watch_accept(r->watch, i, fd, true);
		relay_listen_str(l, addr, sizeof(addr));
		sl_log_info("listening on %s", addr);
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
	ret = relay_watch_add(r->watch, signal_fd, TAG_SIGNAL, POLLIN);
	if (ret) {
		snprintf(why, whylen, "io_uring: %s", strerror(-ret));
		return ret;
	}
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

	for (i = 0; i < r->nlisten; i++)
		relay_watch_accept(r->watch, i, r->listen_fd[i], on);
	r->listen_paused = !on;
}

/* A connection from a listener's multishot accept (res: fd or -errno). */
static void accepted(struct relay *r, int res)
{
	struct sockaddr_storage ss;
	int fd = res;

	if (fd < 0) {
		if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS ||
		    fd == -ENOMEM) {
			/* The accept ended: ask again at the tick. */
			sl_log_warn("accept: %s; pausing new connections",
				    strerror(-fd));
			set_listeners(r, false);
		} else if (!r->listen_paused) {
			sl_log_warn("accept: %s; accepting again at the next tick",
				    strerror(-fd));
			set_listeners(r, false);
		}
		return;
	}
	if (!relay_conn_vet(r, fd, &ss, r->now_ms))
		return;
	if (!relay_conn_accept(r, fd, (struct sockaddr *)&ss))
		close(fd);
}

void relay_conn_update_events(struct relay *r, struct relay_conn *c)
{
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
	relay_watch_set(r->watch, c->fd, (uint32_t)want);
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

static void dispatch(struct relay *r, const struct relay_event *ev)
{
	uint64_t tag = ev->data;

	if (ev->type == RELAY_EV_ACCEPT) {
		accepted(r, ev->res);
	} else if (ev->type == RELAY_EV_SYNC) {
		relay_commit_synced(r, ev);
	} else if (tag == TAG_METRICS) {
		relay_http_accept(r);
	} else if (tag == TAG_PASSWORK) {
		relay_passwork_event(r);
	} else if (tag == TAG_HANDSHAKE) {
		relay_hs_event(r);
	} else if (tag == TAG_DATAPLANE) {
		relay_dp_reap(r->dp, relay_session_dp_done, r);
	} else if (tag == TAG_CTL) {
		/* Operators are answered over netlink, which no group holds
		 * back: serve them outside. */
		relay_commit_end(r);
		relay_ctl_event(r);
		relay_commit_begin(r);
	} else if (tag == TAG_SIGNAL) {
		struct signalfd_siginfo si;

		if (read(signal_fd, &si, sizeof(si)) == sizeof(si)) {
			sl_log_info("signal %u: shutting down", si.ssi_signo);
			r->stop = 1;
		}
	} else if (tag >= TAG_MAX) {
		relay_conn_event(r, (struct relay_conn *)(uintptr_t)tag,
				 (uint32_t)ev->res);
	}
}

int relay_loop_run(struct relay *r)
{
	struct relay_event ev[256];
	uint64_t tick_ms = tick_period(r->cfg.heartbeat_ms), next_tick;
	int n, i;

	sl_log_info("control loop: io_uring (%s), %s", relay_watch_describe(r->watch),
		    relay_hs_describe(r));
	next_tick = sl_now_ms() + tick_ms;
	while (!r->stop) {
		int timeout = LIST_EMPTY(&r->again) ?
				      (int)(next_tick > r->now_ms ? next_tick - r->now_ms : 0) :
				      0;
		int ctl_ms = relay_ctl_timeout_ms(r);
		int sync_ms = relay_commit_timeout_ms(r);

		if (ctl_ms >= 0 && ctl_ms < timeout)
			timeout = ctl_ms;
		if (sync_ms >= 0 && sync_ms < timeout)
			timeout = sync_ms;

		n = relay_watch_wait(r->watch, timeout, ev, 256);
		if (n < 0) {
			sl_log_errno(-n, "io_uring_enter");
			return -1;
		}
		r->now_ms = sl_now_ms();
		/* One group commit per turn (commit.c). */
		relay_commit_begin(r);
		for (i = 0; i < n; i++)
			dispatch(r, &ev[i]);
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
	if (r->watch)
		relay_commit_drain(r);
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
	relay_watch_uninit(r->watch);
}
