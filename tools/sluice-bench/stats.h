/* SPDX-License-Identifier: MIT */
/*
 * What the bench measures besides its own clocks: percentiles of latency
 * samples (stats.c), and from /proc the CPU time of the server process,
 * how busy each of the first two CPUs was, and a process's resident set
 * size (proc.c).
 */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* Sorts v ascending in place. */
void bench_sort(double *v, size_t n);
/* Nearest-rank percentile (p in 0..100) of n >= 1 sorted values. */
double bench_percentile(const double *sorted, size_t n, double p);

/* A snapshot for bench_usage_between(). */
struct bench_sample {
	uint64_t wall_ns;
	uint64_t proc_ns;	/* CPU time of every thread of the process */
	bool have_proc;
	uint64_t busy[2];	/* /proc/stat jiffies of cpu0 and cpu1 */
	uint64_t total[2];
	bool have_cpu[2];
};

/* CPU use between two samples, in percent of one CPU; -1 when unknown. */
struct bench_usage {
	double proc_pct;	/* the server process (--pid) */
	double cpu_pct[2];	/* cpu0, cpu1: all processes, irq included */
};

/* Takes a sample; pid 0 leaves the process part out. */
void bench_sample_take(struct bench_sample *s, pid_t pid);
void bench_usage_between(const struct bench_sample *a,
			 const struct bench_sample *b, struct bench_usage *u);

/* VmRSS of pid in KiB, or -errno. */
long bench_rss_kib(pid_t pid);
/* CPU time of every thread of pid in ns, or 0 when unknown. */
uint64_t bench_proc_cpu_ns(pid_t pid);
/* What a server's thread does, from its name (sluice-relay's threads). */
enum bench_role {
	ROLE_CONTROL = 0,	/* the main thread: sluice-relay's control loop */
	ROLE_HANDSHAKE,		/* sluice-hs/N */
	ROLE_DATA,		/* sluice-dp/N */
	ROLE_IOWQ,		/* iou-wrk-*: io_uring's workers (fsyncs, splices) */
	ROLE_OTHER,
	__ROLE_MAX
};
/* The same by role, ns; false when unknown. */
bool bench_proc_cpu_roles(pid_t pid, uint64_t out[__ROLE_MAX]);

#endif
