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
 * the agents owe it nothing.
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

/* Waits, up to SETTLE_MAX_MS, until pid uses almost no CPU. */
static void settle(pid_t pid)
{
	struct timespec ts = { .tv_nsec = 200 * 1000000L };
	uint64_t prev = bench_proc_cpu_ns(pid), now;
	int waited;

	for (waited = 0; waited < SETTLE_MAX_MS; waited += 200) {
		nanosleep(&ts, NULL);
		now = bench_proc_cpu_ns(pid);
		if (now - prev < QUIET_NS)
			return;
		prev = now;
	}
	bench_info("idle: the server is still busy after %d ms", SETTLE_MAX_MS);
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
	int epfd = -1, ret = 1, n;

	if (o->pid <= 0) {
		bench_err("idle: --pid of the server is required");
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
		n = epoll_wait(epfd, evs, 256, 1000);
		if (n == -1 && errno != EINTR)
			goto out;
		for (i = 0; i < (unsigned int)(n > 0 ? n : 0); i++) {
			struct bconn *c = evs[i].data.ptr;
			int r = bconn_step(c, epfd);

			if (r < 0) {
				bench_err("idle: connection %ld: %s", (long)(c - conns),
					  c->why);
				goto out;
			}
			if (r == 1) {
				done++;
				inflight--;
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
	settle(o->pid);
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
	ret = 0;
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
