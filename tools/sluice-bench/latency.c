// SPDX-License-Identifier: MIT
/*
 * Latencies, one stream at a time so that nothing queues behind anything:
 *
 * setup     --count streams opened one after the other.  Through sluice
 *           the clock runs from just before OPEN is sent on the (already
 *           logged-in) control connection until the device's greeting byte
 *           arrives on the attached data leg: relay, agent, device connect,
 *           the agent's data leg and the client's, with their TLS
 *           handshakes.  Through a TLS target it runs from the TCP connect
 *           to the greeting.  Each stream is then closed cleanly.
 *
 * pingpong  one stream in echo mode; --count round trips of --size bytes,
 *           each timed from the write of the request to the last byte of
 *           the response, after WARMUP untimed ones.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "link.h"
#include "stats.h"

#define SETUP_WARMUP 5
#define PINGPONG_WARMUP 100

static void report(const char *name, double *v, size_t n, const char *unit,
		   const struct bench_usage *u)
{
	char metric[48];

	bench_sort(v, n);
	bench_info("%s: min %.3f, p50 %.3f, p99 %.3f, max %.3f %s over %zu", name,
		   v[0], bench_percentile(v, n, 50), bench_percentile(v, n, 99),
		   v[n - 1], unit, n);
	snprintf(metric, sizeof(metric), "%s_p50", name);
	bench_result(metric, bench_percentile(v, n, 50), unit, n, u);
	snprintf(metric, sizeof(metric), "%s_p99", name);
	bench_result(metric, bench_percentile(v, n, 99), unit, n, u);
}

int setup_main(const struct bench_opts *o)
{
	struct bench_sample a, b;
	struct bench_usage u;
	struct bench_link l;
	unsigned int i;
	double *v;
	int ret = 1;
	SSL *s;

	v = calloc(o->count, sizeof(*v));
	if (!v || bench_link_open(&l, o)) {
		free(v);
		return 1;
	}
	for (i = 0; i < SETUP_WARMUP; i++) {
		s = bench_stream_open(&l);
		if (!s)
			goto out;
		bench_stream_close(s);
	}
	bench_sample_take(&a, o->pid);
	for (i = 0; i < o->count; i++) {
		uint64_t t0 = bench_now_ns();

		s = bench_stream_open(&l);
		if (!s) {
			bench_err("setup: stream %u of %u failed", i + 1, o->count);
			goto out;
		}
		v[i] = (double)(bench_now_ns() - t0) / 1e6;
		bench_stream_close(s);
	}
	bench_sample_take(&b, o->pid);
	bench_usage_between(&a, &b, &u);
	report("setup", v, o->count, "ms", &u);
	ret = 0;
out:
	bench_link_close(&l);
	free(v);
	return ret;
}

int pingpong_main(const struct bench_opts *o)
{
	unsigned char *req = malloc(o->size), *resp = malloc(o->size);
	double *v = calloc(o->count, sizeof(*v));
	struct bench_sample a, b;
	struct bench_usage u;
	struct bench_link l;
	unsigned int i;
	SSL *s = NULL;
	int ret = 1, err = 0;

	if (!req || !resp || !v)
		goto out_free;
	if (bench_link_open(&l, o))
		goto out_free;
	s = bench_stream_open(&l);
	if (!s || bench_send_cmd(s, BENCH_OP_ECHO, 0))
		goto out;
	for (i = 0; i < o->size; i++)
		req[i] = (unsigned char)(i * 7 + 1);
	for (i = 0; i < PINGPONG_WARMUP + o->count && !err; i++) {
		uint64_t t0;

		req[0] = (unsigned char)i;
		if (i == PINGPONG_WARMUP)
			bench_sample_take(&a, o->pid);
		t0 = bench_now_ns();
		err = bench_write_all(s, req, o->size);
		if (!err)
			err = bench_read_all(s, resp, o->size);
		if (!err && memcmp(req, resp, o->size))
			err = -EPROTO;
		if (i >= PINGPONG_WARMUP)
			v[i - PINGPONG_WARMUP] = (double)(bench_now_ns() - t0) / 1e3;
	}
	if (err) {
		bench_err("pingpong: round trip %u: %s", i,
			  err == -EPROTO ? "the response differs from the request" :
					   strerror(-err));
		goto out;
	}
	bench_sample_take(&b, o->pid);
	bench_usage_between(&a, &b, &u);
	report("pingpong", v, o->count, "us", &u);
	ret = 0;
out:
	bench_stream_close(s);
	bench_link_close(&l);
out_free:
	free(req);
	free(resp);
	free(v);
	return ret;
}
