// SPDX-License-Identifier: MIT
/*
 * Full TLS handshakes per second against the target's port: --concurrency
 * connections in flight for --seconds, each a new TCP connection, a full
 * TLS 1.3 handshake (no tickets, no resumption: sluice offers none), the
 * pin check, and the first exchange: CLIENT_HELLO -> HELLO_OK for sluice,
 * the device's greeting through HAProxy or from the device.  A finished
 * connection is closed with close_notify and replaced at once.  When none
 * has finished by the end of the window (a very slow or loaded host), the
 * run waits, up to --timeout, for the connections in flight.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bench.h"
#include "conn.h"
#include "stats.h"

struct hs_run {
	const struct bench_opts *o;
	SSL_CTX *ctx;
	int epfd;
	struct sockaddr_in dst;
	unsigned int next_src;
	unsigned long done, failed;
};

static void failure(struct hs_run *h, const char *why)
{
	if (h->failed++ < 5)
		bench_err("handshake connection failed: %s", why);
}

/* Starts connection c; failures count and are retried by the caller. */
static int start(struct hs_run *h, struct bconn *c)
{
	const struct bench_opts *o = h->o;
	struct sockaddr_in src = { .sin_family = AF_INET,
				   .sin_addr = bench_source(o, h->next_src++) };
	struct nl_msg *msg = NULL;

	if (o->kind == TARGET_SLUICE && !(msg = bench_client_hello(o)))
		return -ENOMEM;
	if (bconn_start(c, h->ctx, h->epfd, &src, &h->dst,
			o->kind == TARGET_SLUICE ? BCONN_HELLO_OK : BCONN_GREETING,
			o->fingerprint, msg)) {
		failure(h, c->why);
		bconn_close(c, h->epfd, false);
		return -EIO;
	}
	return 0;
}

int handshake_main(const struct bench_opts *o)
{
	struct hs_run h = { .o = o, .epfd = -1 };
	struct epoll_event evs[256];
	struct bench_sample a, b;
	struct bench_usage u;
	struct bconn *conns;
	uint64_t t0, end, last;
	unsigned int i;
	int ret = 1, n;

	h.dst.sin_family = AF_INET;
	h.dst.sin_port = htons(o->port);
	if (inet_pton(AF_INET, o->host, &h.dst.sin_addr) != 1) {
		bench_err("handshake: the target must be an IPv4 address, not '%s'",
			  o->host);
		return 2;
	}
	conns = calloc(o->concurrency, sizeof(*conns));
	h.ctx = bench_client_ctx();
	h.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!conns || !h.ctx || h.epfd == -1)
		goto out;
	for (i = 0; i < o->concurrency; i++)
		conns[i].fd = -1;
	bench_sample_take(&a, o->pid);
	t0 = a.wall_ns;
	end = t0 + (uint64_t)(o->seconds * 1e9);
	last = end + (uint64_t)o->timeout_ms * 1000000ull;
	for (i = 0; i < o->concurrency; i++)
		if (start(&h, &conns[i]) == -ENOMEM)
			goto out;
	for (;;) {
		uint64_t now = bench_now_ns();
		uint64_t until = h.done ? end : last;

		if (now >= until)
			break;
		n = epoll_wait(h.epfd, evs, 256, (int)((until - now) / 1000000) + 1);
		if (n == -1 && errno != EINTR)
			goto out;
		for (i = 0; i < (unsigned int)(n > 0 ? n : 0); i++) {
			struct bconn *c = evs[i].data.ptr;
			int r = bconn_step(c, h.epfd);

			if (r == 0)
				continue;
			if (r == 1)
				h.done++;
			else
				failure(&h, c->why);
			bconn_close(c, h.epfd, r == 1);
			if (bench_now_ns() < end && start(&h, c) == -ENOMEM)
				goto out;
		}
		if (h.failed > 1000 && h.failed > h.done) {
			bench_err("handshake: %lu failures, giving up", h.failed);
			goto out;
		}
	}
	bench_sample_take(&b, o->pid);
	bench_usage_between(&a, &b, &u);
	if (h.failed)
		bench_info("handshake: %lu of %lu connections failed", h.failed,
			   h.failed + h.done);
	bench_info("%lu handshakes in %.2f s, %u in flight", h.done,
		   (double)(b.wall_ns - t0) / 1e9, o->concurrency);
	if (h.done && h.failed * 100 <= h.done) {
		bench_result("handshake", (double)h.done * 1e9 / (double)(b.wall_ns - t0),
			     "conn/s", h.done, &u);
		ret = 0;
	} else {
		bench_err("handshake: too many failures (%lu failed, %lu done)",
			  h.failed, h.done);
	}
out:
	for (i = 0; conns && i < o->concurrency; i++)
		bconn_close(&conns[i], h.epfd, false);
	free(conns);
	if (h.epfd >= 0)
		close(h.epfd);
	SSL_CTX_free(h.ctx);
	return ret;
}
