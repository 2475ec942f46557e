// SPDX-License-Identifier: MIT
/*
 * Bulk throughput: --sessions streams (1 by default) opened one after the
 * other, then started together; each uploads --bytes to the device and
 * waits for the device's count of what it received.  The result is the
 * aggregate MiB/s from the start of the first upload to the last count;
 * setting the streams up is not timed.  One thread per stream: a handful
 * of blocking streams need nothing cleverer.
 */
#include <errno.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "link.h"
#include "stats.h"

#define CHUNK (256u << 10)

struct bulk_job {
	pthread_t th;
	SSL *s;
	uint64_t bytes;
	const char *data;
	pthread_barrier_t *start;
	uint64_t t0, t1;
	int err;
};

static void *bulk_thread(void *arg)
{
	struct bulk_job *j = arg;
	uint64_t left = j->bytes, got = 0;

	pthread_barrier_wait(j->start);
	j->t0 = bench_now_ns();
	j->err = bench_send_cmd(j->s, BENCH_OP_UPLOAD, j->bytes);
	while (!j->err && left) {
		size_t n = left < CHUNK ? (size_t)left : CHUNK;

		j->err = bench_write_all(j->s, j->data, n);
		left -= n;
	}
	if (!j->err)
		j->err = bench_read_all(j->s, &got, sizeof(got));
	if (!j->err && got != j->bytes)
		j->err = -EPROTO;
	j->t1 = bench_now_ns();
	return NULL;
}

int bulk_main(const struct bench_opts *o)
{
	unsigned int k = o->sessions, i, started = 0;
	struct bench_sample a, b;
	struct bench_usage u;
	struct bulk_job *jobs;
	pthread_barrier_t start;
	struct bench_link l;
	uint64_t t0 = UINT64_MAX, t1 = 0;
	char metric[32], *data;
	int ret = 1;

	jobs = calloc(k, sizeof(*jobs));
	data = malloc(CHUNK);
	if (!jobs || !data || RAND_bytes((unsigned char *)data, CHUNK) != 1) {
		free(jobs);
		free(data);
		return 1;
	}
	if (bench_link_open(&l, o))
		goto out_free;
	for (i = 0; i < k; i++) {
		jobs[i].s = bench_stream_open(&l);
		if (!jobs[i].s)
			goto out_streams;
		jobs[i].bytes = o->bytes;
		jobs[i].data = data;
		jobs[i].start = &start;
	}
	pthread_barrier_init(&start, NULL, k + 1);
	for (i = 0; i < k; i++) {
		if (pthread_create(&jobs[i].th, NULL, bulk_thread, &jobs[i])) {
			bench_err("cannot start a thread");
			/* The barrier would never open: the process must end. */
			exit(1);
		}
		started++;
	}
	bench_sample_take(&a, o->pid);
	pthread_barrier_wait(&start);
	for (i = 0; i < started; i++)
		pthread_join(jobs[i].th, NULL);
	bench_sample_take(&b, o->pid);
	pthread_barrier_destroy(&start);
	bench_usage_between(&a, &b, &u);
	ret = 0;
	for (i = 0; i < k; i++) {
		if (jobs[i].err) {
			bench_err("stream %u: upload failed: %s", i,
				  jobs[i].err == -EPROTO ? "the device counted another size" :
							   strerror(-jobs[i].err));
			ret = 1;
		}
		if (jobs[i].t0 < t0)
			t0 = jobs[i].t0;
		if (jobs[i].t1 > t1)
			t1 = jobs[i].t1;
	}
	if (!ret) {
		double secs = (double)(t1 - t0) / 1e9;
		double mib = (double)o->bytes * k / (1024.0 * 1024.0);

		snprintf(metric, sizeof(metric), "bulk_%u", k);
		bench_info("%u session%s, %.0f MiB in %.3f s", k, k == 1 ? "" : "s",
			   mib, secs);
		bench_result(metric, mib / secs, "MiB/s", k, &u);
	}
out_streams:
	for (i = 0; i < k; i++)
		bench_stream_close(jobs[i].s);
	bench_link_close(&l);
out_free:
	free(jobs);
	free(data);
	return ret;
}
