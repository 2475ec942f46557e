// SPDX-License-Identifier: MIT
/*
 * Output of sluice-bench.  stdout carries only machine-readable lines
 * (scripts/bench/run.sh turns them into CSV); everything meant for people
 * goes to stderr.
 */
#include <stdarg.h>
#include <stdio.h>

#include "bench.h"
#include "stats.h"

static void vsay(const char *level, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "sluice-bench: %s%s\n", level, buf);
}

void bench_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
}

void bench_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("error: ", fmt, ap);
	va_end(ap);
}

static void put_pct(double v)
{
	if (v >= 0)
		printf(",%.1f", v);
	else
		printf(",");
}

void bench_result(const char *metric, double value, const char *unit,
		  unsigned long count, const struct bench_usage *usage)
{
	printf("result,%s,%.3f,%s,%lu", metric, value, unit, count);
	put_pct(usage ? usage->proc_pct : -1);
	put_pct(usage ? usage->cpu_pct[0] : -1);
	put_pct(usage ? usage->cpu_pct[1] : -1);
	printf("\n");
	fflush(stdout);
}
