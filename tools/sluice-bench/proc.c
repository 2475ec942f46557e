// SPDX-License-Identifier: MIT
/*
 * Readings from /proc: a process's CPU time (the sum over its threads of
 * the first field of /proc/PID/task/TID/schedstat, nanoseconds of run
 * time), also by the threads' roles (threads that exited between two
 * readings are missing from the second: io_uring's idle workers go after
 * a few seconds), the busy share of cpu0 and cpu1 from /proc/stat, and
 * VmRSS from /proc/PID/status.  And the file descriptor limit.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench.h"
#include "stats.h"

/* The role of a thread of pid, by its name (sluice-relay names its own). */
static enum bench_role thread_role(pid_t pid, const char *tid)
{
	char p[320], comm[32] = "";
	FILE *f;

	if ((pid_t)atol(tid) == pid)
		return ROLE_CONTROL;
	snprintf(p, sizeof(p), "/proc/%d/task/%s/comm", (int)pid, tid);
	f = fopen(p, "re");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	if (!strncmp(comm, "sluice-hs/", 10))
		return ROLE_HANDSHAKE;
	if (!strncmp(comm, "sluice-dp/", 10))
		return ROLE_DATA;
	if (!strncmp(comm, "iou-wrk-", 8))
		return ROLE_IOWQ;
	return ROLE_OTHER;
}

bool bench_proc_cpu_roles(pid_t pid, uint64_t out[__ROLE_MAX])
{
	char path[64];
	struct dirent *de;
	bool any = false;
	DIR *d;

	memset(out, 0, sizeof(uint64_t) * __ROLE_MAX);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return false;
	while ((de = readdir(d))) {
		char p[320];
		unsigned long long ns;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/%d/task/%s/schedstat", (int)pid,
			 de->d_name);
		f = fopen(p, "re");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &ns) == 1) {
			out[thread_role(pid, de->d_name)] += ns;
			any = true;
		}
		fclose(f);
	}
	closedir(d);
	return any;
}

uint64_t bench_proc_cpu_ns(pid_t pid)
{
	uint64_t roles[__ROLE_MAX], sum = 0;
	int i;

	if (!bench_proc_cpu_roles(pid, roles))
		return 0;
	for (i = 0; i < __ROLE_MAX; i++)
		sum += roles[i];
	return sum;
}

static void read_cpus(struct bench_sample *s)
{
	char line[512];
	FILE *f = fopen("/proc/stat", "re");

	s->have_cpu[0] = s->have_cpu[1] = false;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[8] = { 0 };
		unsigned int cpu;
		int i;

		if (strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9')
			continue;
		if (sscanf(line, "cpu%u %llu %llu %llu %llu %llu %llu %llu %llu", &cpu,
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 9 ||
		    cpu > 1)
			continue;
		/* user nice system idle iowait irq softirq steal */
		s->total[cpu] = 0;
		for (i = 0; i < 8; i++)
			s->total[cpu] += v[i];
		s->busy[cpu] = s->total[cpu] - v[3] - v[4];
		s->have_cpu[cpu] = true;
	}
	fclose(f);
}

void bench_sample_take(struct bench_sample *s, pid_t pid)
{
	memset(s, 0, sizeof(*s));
	s->wall_ns = bench_now_ns();
	if (pid > 0) {
		s->proc_ns = bench_proc_cpu_ns(pid);
		s->have_proc = s->proc_ns > 0;
	}
	read_cpus(s);
}

void bench_usage_between(const struct bench_sample *a,
			 const struct bench_sample *b, struct bench_usage *u)
{
	uint64_t wall = b->wall_ns - a->wall_ns;
	int i;

	u->proc_pct = -1;
	if (a->have_proc && b->have_proc && wall > 0)
		u->proc_pct = 100.0 * (double)(b->proc_ns - a->proc_ns) / (double)wall;
	for (i = 0; i < 2; i++) {
		u->cpu_pct[i] = -1;
		if (a->have_cpu[i] && b->have_cpu[i] && b->total[i] > a->total[i])
			u->cpu_pct[i] = 100.0 * (double)(b->busy[i] - a->busy[i]) /
					(double)(b->total[i] - a->total[i]);
	}
}

long bench_rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

unsigned long bench_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return (unsigned long)rl.rlim_cur;
}
