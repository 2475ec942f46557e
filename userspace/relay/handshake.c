// SPDX-License-Identifier: MIT
/*
 * Handshake threads: the TLS handshakes of new connections, spread over
 * the cores.  A handshake is most of the CPU a login costs (ECDHE, the
 * relay's signature, the client's certificate and signature), while what a
 * login then does (the state store, the audit log, agents and sessions)
 * belongs to the one control thread.  So each handshake thread has its own
 * io_uring (watch.c) and its own listening socket per listen address, all
 * bound with SO_REUSEPORT: the kernel spreads new connections over the
 * threads by their addresses.  A thread accepts (multishot), refuses
 * blocklisted and locked-out sources, runs the handshake with the relay's
 * SSL_CTX, which OpenSSL lets threads share, and hands the connection to
 * the control loop, which reads its first message and owns it from then.
 *
 * Handover: a list under a mutex and an eventfd that the control loop
 * watches (TAG_HANDSHAKE), written when nothing was waiting.  The control
 * loop reads the eventfd before it takes the list, so nothing handed over
 * meanwhile waits for a later wake-up.  The threads' failure counts go
 * the same way.  A connection belongs to one thread at a time; the mutex
 * orders the handover, so its SSL moves with all its state.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "relay.h"

#define TAG_WAKE 1	/* a thread's stop eventfd; conns are pointers */

struct hs_thread {
	struct relay_hs *hs;
	pthread_t tid;
	bool started;
	struct relay_watch *watch;	/* made by the thread (SINGLE_ISSUER) */
	int listen_fd[RELAY_LISTEN_MAX];
	int wake_fd;
	bool paused;			/* accept failed: again at the tick */
	uint64_t now_ms;
	atomic_uint_fast64_t accepted;	/* connections since start */
	LIST_HEAD(, relay_conn) conns;	/* handshakes in progress */
	/* Start-up, under hs->lock: */
	bool init_done;
	int init_err;
	char init_why[160];
};

struct relay_hs {
	struct relay *r;
	struct hs_thread *t;
	unsigned int n;
	int efd;			/* the control loop's wake-up */
	atomic_bool stop;
	atomic_uint_fast64_t timeout_ms;	/* handshake_timeout, live */
	atomic_uint pending;		/* handshakes in the threads */
	pthread_mutex_t lock;
	pthread_cond_t init_cond;
	/* Under lock: what the control loop has yet to take. */
	LIST_HEAD(, relay_conn) done;
	uint64_t failures[__HS_FAIL_MAX];
	bool signalled;			/* efd written since the last take */
	char describe[64];
};

/* Under nothing: wakes the control loop unless it is woken already. */
static void hand_over(struct relay_hs *hs, struct relay_conn *c,
		      enum relay_hs_fail fail)
{
	bool wake;

	pthread_mutex_lock(&hs->lock);
	if (c)
		LIST_INSERT_HEAD(&hs->done, c, link);
	else
		hs->failures[fail]++;
	wake = !hs->signalled;
	hs->signalled = true;
	pthread_mutex_unlock(&hs->lock);
	if (wake && eventfd_write(hs->efd, 1) == -1)
		sl_log_errno(errno, "handshake eventfd");
}

/* The thread is done with c: handed over, or dropped. */
static void detach(struct hs_thread *t, struct relay_conn *c)
{
	LIST_REMOVE(c, link);
	relay_watch_del(t->watch, c->fd);
	atomic_fetch_sub(&t->hs->pending, 1);
}

static void drop(struct hs_thread *t, struct relay_conn *c)
{
	detach(t, c);
	relay_conn_discard(c);
}

static void step(struct hs_thread *t, struct relay_conn *c)
{
	const char *why;
	int ret = relay_conn_handshake(c, &why);

	if (!ret) {
		relay_watch_set(t->watch, c->fd, (uint32_t)(POLLIN | c->rd_wait));
		return;
	}
	if (ret < 0) {
		sl_log_info("TLS handshake with %s failed: %s", c->addr, why);
		/* Counted before the peer sees the close, so a scrape
		 * that follows it sees the count. */
		hand_over(t->hs, NULL, HS_FAIL_TLS);
		drop(t, c);
		return;
	}
	detach(t, c);
	/* Until the control loop adopts it, last_rx_ms carries the end of
	 * the handshake; deadline_ms stays, for the first message. */
	c->last_rx_ms = t->now_ms;
	hand_over(t->hs, c, 0);
}

static void set_accepting(struct hs_thread *t, bool on)
{
	unsigned int i;

	for (i = 0; i < t->hs->r->cfg.nlisten; i++)
		relay_watch_accept(t->watch, i, t->listen_fd[i], on);
	t->paused = !on;
}

static void accepted(struct hs_thread *t, int fd)
{
	struct relay *r = t->hs->r;
	struct sockaddr_storage ss;
	struct relay_conn *c;

	if (fd < 0) {
		/* Out of descriptors or memory, or worse: the accept ended;
		 * ask again at the tick. */
		if (!t->paused)
			sl_log_warn("accept: %s; pausing new connections on this "
				    "handshake thread until the next tick", strerror(-fd));
		set_accepting(t, false);
		return;
	}
	if (!relay_conn_vet(r, fd, &ss, t->now_ms))
		return;
	c = relay_conn_new(r->tls, fd, (struct sockaddr *)&ss, t->now_ms,
			   atomic_load(&t->hs->timeout_ms));
	if (!c) {
		close(fd);
		return;
	}
	if (relay_watch_add(t->watch, fd, (uintptr_t)c, POLLIN)) {
		relay_conn_discard(c);
		return;
	}
	LIST_INSERT_HEAD(&t->conns, c, link);
	atomic_fetch_add(&t->hs->pending, 1);
	atomic_fetch_add_explicit(&t->accepted, 1, memory_order_relaxed);
	sl_log_debug("connection from %s", c->addr);
}

static void tick(struct hs_thread *t)
{
	struct relay_conn *c, *next;

	for (c = LIST_FIRST(&t->conns); c; c = next) {
		next = LIST_NEXT(c, link);
		if (t->now_ms < c->deadline_ms)
			continue;
		sl_log_debug("connection from %s closed (handshake timeout)", c->addr);
		hand_over(t->hs, NULL, HS_FAIL_TIMEOUT);
		drop(t, c);
	}
	if (t->paused)
		set_accepting(t, true);
}

/* A quarter of the handshake timeout, between 25 ms and 1 s. */
static int tick_period(const struct relay_hs *hs)
{
	uint64_t ms = atomic_load(&hs->timeout_ms) / 4;

	return ms > 1000 ? 1000 : ms < 25 ? 25 : (int)ms;
}

static void run(struct hs_thread *t)
{
	struct relay_event ev[64];
	uint64_t next_tick = t->now_ms + (uint64_t)tick_period(t->hs);
	int n, i;

	while (!atomic_load(&t->hs->stop)) {
		n = relay_watch_wait(t->watch, (int)(next_tick > t->now_ms ?
						     next_tick - t->now_ms : 0), ev, 64);
		if (n < 0) {
			/* Its listeners would take connections that nobody
			 * accepts: close them, the others take over. */
			sl_log_errno(-n, "handshake thread: io_uring_enter; it stops");
			for (i = 0; i < RELAY_LISTEN_MAX; i++) {
				if (t->listen_fd[i] >= 0)
					close(t->listen_fd[i]);
				t->listen_fd[i] = -1;
			}
			return;
		}
		t->now_ms = sl_now_ms();
		for (i = 0; i < n; i++) {
			if (ev[i].type == RELAY_EV_ACCEPT) {
				accepted(t, ev[i].res);
			} else if (ev[i].data == TAG_WAKE) {
				eventfd_t v;

				eventfd_read(t->wake_fd, &v);
			} else if (ev[i].type == RELAY_EV_READY) {
				step(t, (struct relay_conn *)(uintptr_t)ev[i].data);
			}
		}
		if (t->now_ms >= next_tick) {
			tick(t);
			next_tick = t->now_ms + (uint64_t)tick_period(t->hs);
		}
	}
}

static void *thread_main(void *arg)
{
	struct hs_thread *t = arg;
	struct relay_hs *hs = t->hs;
	char name[16];
	unsigned int i;
	int err;

	snprintf(name, sizeof(name), "sluice-hs/%u", (unsigned int)(t - hs->t));
	pthread_setname_np(pthread_self(), name);
	t->now_ms = sl_now_ms();
	err = relay_watch_init(&t->watch, t->init_why, sizeof(t->init_why));
	if (!err) {
		err = relay_watch_add(t->watch, t->wake_fd, TAG_WAKE, POLLIN);
		if (err)
			snprintf(t->init_why, sizeof(t->init_why), "io_uring: %s",
				 strerror(-err));
	}
	if (!err)
		for (i = 0; i < hs->r->cfg.nlisten; i++)
			relay_watch_accept(t->watch, i, t->listen_fd[i], true);
	pthread_mutex_lock(&hs->lock);
	t->init_done = true;
	t->init_err = err;
	pthread_cond_broadcast(&hs->init_cond);
	pthread_mutex_unlock(&hs->lock);
	if (!err)
		run(t);
	return NULL;
}

/* Listeners for every thread: one SO_REUSEPORT group per listen address
 * (the configuration gives every address a port of its own, never 0). */
static int listen_all(struct relay_hs *hs, char *why, size_t whylen)
{
	struct relay *r = hs->r;
	char addr[300];
	unsigned int i, k;

	for (i = 0; i < r->cfg.nlisten; i++) {
		const struct relay_listen *l = &r->cfg.listen[i];

		for (k = 0; k < hs->n; k++) {
			int fd = sl_tcp_listen_opt(l->host, l->port, true, why, whylen);

			if (fd < 0)
				return fd;
			hs->t[k].listen_fd[i] = fd;
		}
		relay_listen_str(l, addr, sizeof(addr));
		sl_log_info("listening on %s (%u handshake thread%s, SO_REUSEPORT)", addr,
			    hs->n, hs->n == 1 ? "" : "s");
	}
	return 0;
}

static int start_threads(struct relay_hs *hs, char *why, size_t whylen)
{
	unsigned int k;
	int err;

	for (k = 0; k < hs->n; k++) {
		struct hs_thread *t = &hs->t[k];

		err = pthread_create(&t->tid, NULL, thread_main, t);
		if (err) {
			snprintf(why, whylen, "cannot start a handshake thread: %s",
				 strerror(err));
			return -err;
		}
		t->started = true;
		pthread_mutex_lock(&hs->lock);
		while (!t->init_done)
			pthread_cond_wait(&hs->init_cond, &hs->lock);
		err = t->init_err;
		pthread_mutex_unlock(&hs->lock);
		if (err) {
			snprintf(why, whylen, "handshake thread: %s", t->init_why);
			return err;
		}
	}
	return 0;
}

int relay_hs_start(struct relay *r, char *why, size_t whylen)
{
	struct relay_hs *hs;
	unsigned int k;
	int err;

	if (!r->cfg.handshake_threads)
		return 0;
	hs = calloc(1, sizeof(*hs));
	if (!hs || !(hs->t = calloc(r->cfg.handshake_threads, sizeof(*hs->t)))) {
		free(hs);
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	r->hs = hs;
	hs->r = r;
	hs->n = (unsigned int)r->cfg.handshake_threads;
	hs->efd = -1;
	atomic_init(&hs->stop, false);
	atomic_init(&hs->timeout_ms, r->cfg.handshake_timeout_ms);
	atomic_init(&hs->pending, 0);
	pthread_mutex_init(&hs->lock, NULL);
	pthread_cond_init(&hs->init_cond, NULL);
	LIST_INIT(&hs->done);
	for (k = 0; k < hs->n; k++) {
		struct hs_thread *t = &hs->t[k];

		t->hs = hs;
		LIST_INIT(&t->conns);
		memset(t->listen_fd, -1, sizeof(t->listen_fd));
		t->wake_fd = -1;
	}
	for (k = 0; k < hs->n; k++) {
		struct hs_thread *t = &hs->t[k];

		t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (t->wake_fd == -1) {
			snprintf(why, whylen, "eventfd: %s", strerror(errno));
			return -errno;
		}
	}
	hs->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (hs->efd == -1) {
		snprintf(why, whylen, "eventfd: %s", strerror(errno));
		return -errno;
	}
	err = relay_watch_add(r->watch, hs->efd, TAG_HANDSHAKE, POLLIN);
	if (err) {
		snprintf(why, whylen, "io_uring: %s", strerror(-err));
		return err;
	}
	err = listen_all(hs, why, whylen);
	if (err)
		return err;
	snprintf(hs->describe, sizeof(hs->describe), "%u handshake thread%s", hs->n,
		 hs->n == 1 ? "" : "s");
	return start_threads(hs, why, whylen);
}

void relay_hs_stop(struct relay *r)
{
	struct relay_hs *hs = r->hs;
	struct relay_conn *c;
	unsigned int k, i;

	if (!hs)
		return;
	atomic_store(&hs->stop, true);
	for (k = 0; k < hs->n; k++) {
		struct hs_thread *t = &hs->t[k];

		if (!t->started)
			continue;
		eventfd_write(t->wake_fd, 1);
		pthread_join(t->tid, NULL);
	}
	for (k = 0; k < hs->n; k++) {
		struct hs_thread *t = &hs->t[k];

		while ((c = LIST_FIRST(&t->conns)))
			drop(t, c);
		relay_watch_uninit(t->watch);
		for (i = 0; i < RELAY_LISTEN_MAX; i++)
			if (t->listen_fd[i] >= 0)
				close(t->listen_fd[i]);
		if (t->wake_fd >= 0)
			close(t->wake_fd);
	}
	while ((c = LIST_FIRST(&hs->done))) {
		LIST_REMOVE(c, link);
		relay_conn_discard(c);
	}
	if (hs->efd >= 0) {
		relay_watch_del(r->watch, hs->efd);
		close(hs->efd);
	}
	pthread_cond_destroy(&hs->init_cond);
	pthread_mutex_destroy(&hs->lock);
	free(hs->t);
	free(hs);
	r->hs = NULL;
}

/* Under hs->lock: the threads' failure counts into the relay's. */
static void take_failures(struct relay *r)
{
	unsigned int i;

	for (i = 0; i < __HS_FAIL_MAX; i++) {
		r->stats.handshake_failures[i] += r->hs->failures[i];
		r->hs->failures[i] = 0;
	}
}

void relay_hs_stats(struct relay *r)
{
	if (!r->hs)
		return;
	pthread_mutex_lock(&r->hs->lock);
	take_failures(r);
	pthread_mutex_unlock(&r->hs->lock);
}

void relay_hs_event(struct relay *r)
{
	LIST_HEAD(, relay_conn) batch = LIST_HEAD_INITIALIZER(batch);
	struct relay_hs *hs = r->hs;
	struct relay_conn *c;
	eventfd_t v;

	if (!hs)
		return;
	eventfd_read(hs->efd, &v);	/* first: see above */
	pthread_mutex_lock(&hs->lock);
	while ((c = LIST_FIRST(&hs->done))) {
		LIST_REMOVE(c, link);
		LIST_INSERT_HEAD(&batch, c, link);	/* back in arrival order */
	}
	take_failures(r);
	hs->signalled = false;
	pthread_mutex_unlock(&hs->lock);
	while ((c = LIST_FIRST(&batch))) {
		uint64_t done_ms = c->last_rx_ms;

		LIST_REMOVE(c, link);
		if (relay_conn_adopt(r, c)) {
			relay_conn_discard(c);
			continue;
		}
		relay_conn_handshaken(r, c, done_ms);
		/* The first message may have come with the handshake's
		 * last flight, read into OpenSSL's buffer already. */
		relay_conn_event(r, c, POLLIN);
	}
}

void relay_hs_configure(struct relay *r)
{
	if (r->hs)
		atomic_store(&r->hs->timeout_ms, r->cfg.handshake_timeout_ms);
}

unsigned int relay_hs_pending(struct relay *r)
{
	return r->hs ? atomic_load(&r->hs->pending) : 0;
}

unsigned int relay_hs_threads(const struct relay *r)
{
	return r->hs ? r->hs->n : 0;
}

uint64_t relay_hs_accepted(const struct relay *r, unsigned int k)
{
	return r->hs && k < r->hs->n ? atomic_load(&r->hs->t[k].accepted) : 0;
}

const char *relay_hs_describe(const struct relay *r)
{
	return r->hs ? r->hs->describe : "handshakes in the control loop";
}
