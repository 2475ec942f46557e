// SPDX-License-Identifier: MIT
/* Clocks and percentiles of latency samples. */
#include <stdlib.h>
#include <time.h>

#include "stats.h"

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void bench_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
}

/*
 * Nearest rank: the smallest value such that at least p percent of the
 * samples are at or below it.  No interpolation, so p99 of 10,000 samples
 * is the 9,900th value, an observed latency.
 */
double bench_percentile(const double *sorted, size_t n, double p)
{
	size_t rank;

	if (p <= 0)
		return sorted[0];
	rank = (size_t)((p / 100.0) * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}
