// SPDX-License-Identifier: MIT
/*
 * Memory per idle connection of the server process --pid: VmRSS before,
 * then --agents connections made --concurrency at a time from --sources
 * source addresses (so that no source runs out of ephemeral ports), each
 * held open once it is complete, then VmRSS again once the server's CPU
 * has gone quiet.  The result is (after - before) / agents, in bytes.
 *
 * Through sluice each connection is a simulated agent, protocol-faithful:
 * enrolled beforehand (once: the identities are cached, auth.c), then a
 * TLS handshake with its certificate, pin check, AGENT_HELLO with a unique
 * name, its secondary id and one device (what a small sluice-agent sends),
 * HELLO_OK, whose new secondary id is kept.  Every login writes to the
 * relay's state store, so the time bound is 60 s plus 50 ms per agent.
 * The relay should run with a heartbeat_interval longer than the test, so
 * the agents owe it nothing.  With --hold S the agents then stay S seconds
 * more and heartbeat as sluice-agent does (HEARTBEAT at the interval their
 * HELLO_OK gave, what the relay sends read and dropped): the run fails if
 * the relay drops any of them, and reports how many it kept.
 * Through a TLS target (HAProxy) each is a TLS connection whose device
 * greeting arrived, so HAProxy holds both its client and its server side.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "conn.h"
#include "stats.h"

#define SETTLE_MAX_MS 5000
#define QUIET_NS 2000000ull	/* CPU per 200 ms below which the server is idle */

/* The agents that completed their login, kept alive with --hold. */
struct held {
	const struct bench_opts *o;
	struct bconn *conns;
	int epfd;
	uint64_t every_ns, next_ns;	/* heartbeats: 0 until the first HELLO_OK */
	unsigned int beats, lost;
};

static void lose(struct held *h, struct bconn *c)
{
	bench_err("idle: agent %ld: %s", (long)(c - h->conns), c->why);
	bconn_close(c, h->epfd, false);
	h->lost++;
}

/* With --hold, a HEARTBEAT from every logged-in agent once an interval. */
static void beat_if_due(struct held *h)
{
	uint64_t now = bench_now_ns();
	unsigned int i;

	if (!h->o->hold_s || !h->every_ns || now < h->next_ns)
		return;
	for (i = 0; i < h->o->agents; i++)
		if (h->conns[i].fd >= 0 && h->conns[i].state == BCONN_DONE &&
		    bconn_heartbeat(&h->conns[i], h->epfd))
			lose(h, &h->conns[i]);
	h->beats++;
	h->next_ns = now + h->every_ns;
}

/* A logged-in agent: its interval sets the heartbeats' (the shortest). */
static void logged_in(struct held *h, const struct bconn *c)
{
	uint64_t every = (uint64_t)c->heartbeat_ms * 1000000ull;

	if (h->o->hold_s && every && (!h->every_ns || every < h->every_ns)) {
		h->every_ns = every;
		h->next_ns = bench_now_ns();
	}
}

/* Milliseconds epoll may wait: at most max_ms, less if a beat is due. */
static int wait_ms(const struct held *h, int max_ms)
{
	uint64_t now = bench_now_ns();

	if (!h->o->hold_s || !h->every_ns)
		return max_ms;
	if (h->next_ns <= now)
		return 0;
	return (h->next_ns - now) / 1000000 < (uint64_t)max_ms ?
		       (int)((h->next_ns - now) / 1000000) + 1 : max_ms;
}

/* Input on a logged-in agent: read and dropped. */
static void held_input(struct held *h, struct bconn *c)
{
	if (bconn_drain(c))
		lose(h, c);
}

/* Keeps the agents alive for up to ms: beats, and reads what comes. */
static void pump(struct held *h, int ms)
{
	uint64_t end = bench_now_ns() + (uint64_t)ms * 1000000ull;
	struct epoll_event evs[256];
	int n, i;

	while (bench_now_ns() < end) {
		beat_if_due(h);
		n = epoll_wait(h->epfd, evs, 256,
			       wait_ms(h, (int)((end - bench_now_ns()) / 1000000) + 1));
		for (i = 0; i < n; i++)
			held_input(h, evs[i].data.ptr);
	}
}

/* Waits, up to SETTLE_MAX_MS, until pid uses almost no CPU. */
static void settle(struct held *h, pid_t pid)
{
	uint64_t prev = bench_proc_cpu_ns(pid), now;
	int waited;

	for (waited = 0; waited < SETTLE_MAX_MS; waited += 200) {
		pump(h, 200);
		now = bench_proc_cpu_ns(pid);
		if (now - prev < QUIET_NS)
			return;
		prev = now;
	}
	bench_info("idle: the server is still busy after %d ms%s", SETTLE_MAX_MS,
		   h->o->hold_s ? " (the agents' heartbeats)" : "");
}

/* --hold: 0 when the relay kept every agent for o->hold_s seconds. */
static int hold(struct held *h)
{
	const struct bench_opts *o = h->o;

	if (!h->every_ns) {
		bench_err("idle: the relay's HELLO_OK gave no heartbeat interval");
		return 1;
	}
	bench_info("idle: holding %u agents for %u s, a heartbeat each every %llu ms",
		   o->agents, o->hold_s, (unsigned long long)(h->every_ns / 1000000));
	h->beats = 0;
	pump(h, (int)o->hold_s * 1000);
	bench_info("idle: the relay kept %u of %u agents for %u s (%u heartbeats each "
		   "in that time; they heartbeat from their login on)",
		   o->agents - h->lost, o->agents, o->hold_s, h->beats);
	bench_result("idle_held", o->agents - h->lost, "conn", o->agents, NULL);
	return h->lost ? 1 : 0;
}

int idle_main(const struct bench_opts *o)
{
	unsigned long limit = bench_raise_nofile();
	unsigned int started = 0, inflight = 0, done = 0, i;
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons(o->port) };
	struct epoll_event evs[256];
	struct bench_sample a, b;
	struct bench_usage u;
	struct bconn *conns = NULL;
	char (*names)[SLUICE_NAME_MAX + 1] = NULL;
	uint64_t deadline;
	long rss0, rss1;
	char metric[48];
	SSL_CTX *ctx = NULL;
	struct held h = { 0 };
	int epfd = -1, ret = 1, n;

	if (o->pid <= 0) {
		bench_err("idle: --pid of the server is required");
		return 2;
	}
	if (o->hold_s && o->kind != TARGET_SLUICE) {
		bench_err("idle: --hold needs --sluice: only agents heartbeat");
		return 2;
	}
	if (inet_pton(AF_INET, o->host, &dst.sin_addr) != 1) {
		bench_err("idle: the target must be an IPv4 address, not '%s'", o->host);
		return 2;
	}
	if (o->agents + 64ul > limit) {
		bench_err("idle: %u connections need %u file descriptors; "
			  "RLIMIT_NOFILE allows %lu", o->agents, o->agents + 64, limit);
		return 1;
	}
	conns = calloc(o->agents, sizeof(*conns));
	ctx = bench_client_ctx();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!conns || !ctx || epfd == -1)
		goto out;
	h.o = o;
	h.conns = conns;
	h.epfd = epfd;
	for (i = 0; i < o->agents; i++)
		conns[i].fd = -1;
	if (o->kind == TARGET_SLUICE) {
		names = calloc(o->agents, sizeof(*names));
		if (!names)
			goto out;
		for (i = 0; i < o->agents; i++)
			bench_agent_name(o->prefix, i, names[i]);
		if (bench_agents_ready(o, names, o->agents))
			goto out;
	}
	rss0 = bench_rss_kib(o->pid);
	if (rss0 < 0) {
		bench_err("idle: cannot read the RSS of pid %d: %s", (int)o->pid,
			  strerror((int)-rss0));
		goto out;
	}
	bench_sample_take(&a, o->pid);
	deadline = a.wall_ns + (60000ull + 50ull * o->agents) * 1000000ull;
	while (done < o->agents) {
		while (inflight < o->concurrency && started < o->agents) {
			struct sockaddr_in src = { .sin_family = AF_INET,
						   .sin_addr = bench_source(o, started) };
			struct nl_msg *msg = NULL;
			struct bench_ident id = { 0 };
			int r;

			if (o->kind == TARGET_SLUICE &&
			    (bench_ident_load(o, names[started], &id) ||
			     !(msg = bench_agent_hello(o, &id)))) {
				bench_ident_free(&id);
				goto out;
			}
			/* The SSL holds its own references to key and cert. */
			r = bconn_start(&conns[started], ctx, epfd, &src, &dst,
					o->kind == TARGET_SLUICE ? &id : NULL,
					o->kind == TARGET_SLUICE ? BCONN_HELLO_OK :
								   BCONN_GREETING,
					o->fingerprint, msg);
			bench_ident_free(&id);
			if (r) {
				bench_err("idle: connection %u: %s", started,
					  conns[started].why);
				goto out;
			}
			started++;
			inflight++;
		}
		if (bench_now_ns() > deadline) {
			bench_err("idle: only %u of %u connections complete in time",
				  done, o->agents);
			goto out;
		}
		beat_if_due(&h);
		n = epoll_wait(epfd, evs, 256, wait_ms(&h, 1000));
		if (n == -1 && errno != EINTR)
			goto out;
		for (i = 0; i < (unsigned int)(n > 0 ? n : 0); i++) {
			struct bconn *c = evs[i].data.ptr;
			int r;

			/* A batch of handshakes can outlast an interval. */
			if ((i & 15) == 15)
				beat_if_due(&h);
			if (c->state == BCONN_DONE) {
				held_input(&h, c);
				continue;
			}
			r = bconn_step(c, epfd);

			if (r < 0) {
				bench_err("idle: connection %ld: %s", (long)(c - conns),
					  c->why);
				goto out;
			}
			if (r == 1) {
				done++;
				inflight--;
				logged_in(&h, c);
			}
			if (r == 1 && c->has_secret) {
				struct bench_ident id = { 0 };

				memcpy(id.name, names[c - conns], sizeof(id.name));
				bench_ident_secret_save(o, &id, c->secret);
				bench_ident_free(&id);
			}
		}
	}
	bench_sample_take(&b, o->pid);
	bench_usage_between(&a, &b, &u);
	settle(&h, o->pid);
	rss1 = bench_rss_kib(o->pid);
	if (rss1 < 0)
		goto out;
	bench_info("idle: %u connections in %.2f s; server VmRSS %ld kB before, "
		   "%ld kB after", o->agents, (double)(b.wall_ns - a.wall_ns) / 1e9,
		   rss0, rss1);
	snprintf(metric, sizeof(metric), "idle_rss_%u", o->agents);
	bench_result(metric, (double)(rss1 - rss0) * 1024.0 / o->agents,
		     "B/conn", o->agents, NULL);
	snprintf(metric, sizeof(metric), "idle_connect_%u", o->agents);
	bench_result(metric, (double)o->agents * 1e9 / (double)(b.wall_ns - a.wall_ns),
		     "conn/s", o->agents, &u);
	ret = o->hold_s ? hold(&h) : 0;
out:
	for (i = 0; conns && i < o->agents; i++) {
		if (names && conns[i].fd >= 0 && conns[i].sent &&
		    conns[i].state != BCONN_DONE)
			bench_ident_unsure(o, names[i]);
		bconn_close(&conns[i], epfd, false);
	}
	free(conns);
	free(names);
	if (epfd >= 0)
		close(epfd);
	SSL_CTX_free(ctx);
	return ret;
}
