// SPDX-License-Identifier: MIT
/*
 * Unit tests of reconnect delays (userspace/lib/backoff.c): exponential
 * steps from base to cap, "equal jitter" (each delay in [step/2, step]),
 * never zero, reproducible per seed and different across seeds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "backoff.h"

#define SEEDS 64

/* The step of attempt i (0-based) for base and cap: base * 2^i, capped. */
static uint32_t step_of(uint32_t base, uint32_t cap, unsigned int i)
{
	uint64_t s = base;

	while (i-- && s < cap)
		s *= 2;
	return s > cap ? cap : (uint32_t)s;
}

static void test_never_zero(void **state)
{
	uint64_t seed;
	int i;

	(void)state;
	for (seed = 1; seed <= SEEDS; seed++) {
		struct sl_backoff b;

		/* Smallest possible settings: base and cap below 2 ms. */
		sl_backoff_init(&b, 0, 0, seed);
		for (i = 0; i < 50; i++)
			assert_true(sl_backoff_next(&b) > 0);
		sl_backoff_init(&b, 1, 1, seed);
		for (i = 0; i < 50; i++)
			assert_true(sl_backoff_next(&b) > 0);
	}
}

static void test_first_delay_within_base(void **state)
{
	uint64_t seed;

	(void)state;
	for (seed = 1; seed <= SEEDS; seed++) {
		struct sl_backoff b;
		uint32_t d;

		sl_backoff_init(&b, 1000, 60000, seed);
		d = sl_backoff_next(&b);
		assert_in_range(d, 500, 1000);
	}
}

static void test_equal_jitter_bounds(void **state)
{
	uint64_t seed;
	unsigned int i;

	(void)state;
	for (seed = 1; seed <= SEEDS; seed++) {
		struct sl_backoff b;

		sl_backoff_init(&b, 1000, 60000, seed);
		for (i = 0; i < 12; i++) {
			uint32_t step = step_of(1000, 60000, i);
			uint32_t d = sl_backoff_next(&b);

			if (d < step / 2 || d > step)
				fail_msg("attempt %u: delay %u outside [%u, %u]",
					 i, d, step / 2, step);
		}
	}
}

static void test_grows_exponentially(void **state)
{
	struct sl_backoff b;
	uint32_t d[6];
	unsigned int i;

	(void)state;
	sl_backoff_init(&b, 100, 1000000, 42);
	for (i = 0; i < 6; i++)
		d[i] = sl_backoff_next(&b);
	/* Steps 100..3200: two steps later the smallest delay is larger. */
	for (i = 0; i + 2 < 6; i++)
		assert_true(d[i + 2] > d[i]);
	assert_true(d[5] >= 1600);
}

static void test_never_exceeds_cap(void **state)
{
	uint64_t seed;
	int i;

	(void)state;
	for (seed = 1; seed <= SEEDS; seed++) {
		struct sl_backoff b;

		/* A cap that is not base times a power of two. */
		sl_backoff_init(&b, 1000, 45000, seed);
		for (i = 0; i < 100; i++)
			assert_true(sl_backoff_next(&b) <= 45000);
	}
}

static void test_stays_at_cap(void **state)
{
	struct sl_backoff b;
	uint32_t lo = UINT32_MAX, hi = 0;
	int i;

	(void)state;
	sl_backoff_init(&b, 1000, 45000, 7);
	for (i = 0; i < 10; i++)
		sl_backoff_next(&b);
	for (i = 0; i < 200; i++) {
		uint32_t d = sl_backoff_next(&b);

		assert_in_range(d, 22500, 45000);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	/* The jitter spreads the delays over much of [cap/2, cap]. */
	assert_true(hi - lo > 11250);
}

static void test_huge_cap_does_not_overflow(void **state)
{
	struct sl_backoff b;
	uint32_t prev_floor = 0;
	int i;

	(void)state;
	sl_backoff_init(&b, 1000, UINT32_MAX, 3);
	for (i = 0; i < 64; i++) {
		uint32_t d = sl_backoff_next(&b);

		assert_true(d >= prev_floor);
		assert_true(d > 0);
		prev_floor = d / 4;
	}
	assert_true(sl_backoff_next(&b) >= UINT32_MAX / 2);
}

static void test_reset_returns_to_base(void **state)
{
	uint64_t seed;

	(void)state;
	for (seed = 1; seed <= SEEDS; seed++) {
		struct sl_backoff b;
		int i;

		sl_backoff_init(&b, 1000, 60000, seed);
		for (i = 0; i < 8; i++)
			sl_backoff_next(&b);
		sl_backoff_reset(&b);
		assert_in_range(sl_backoff_next(&b), 500, 1000);
		assert_in_range(sl_backoff_next(&b), 1000, 2000);
	}
}

static void test_same_seed_same_sequence(void **state)
{
	struct sl_backoff a, b;
	int i;

	(void)state;
	sl_backoff_init(&a, 1000, 60000, 12345);
	sl_backoff_init(&b, 1000, 60000, 12345);
	for (i = 0; i < 20; i++)
		assert_int_equal(sl_backoff_next(&a), sl_backoff_next(&b));
}

static bool sequences_differ(uint64_t s1, uint64_t s2)
{
	struct sl_backoff a, b;
	bool differ = false;
	int i;

	sl_backoff_init(&a, 1000, 60000, s1);
	sl_backoff_init(&b, 1000, 60000, s2);
	for (i = 0; i < 10; i++)
		if (sl_backoff_next(&a) != sl_backoff_next(&b))
			differ = true;
	return differ;
}

static void test_different_seeds_differ(void **state)
{
	(void)state;
	assert_true(sequences_differ(1, 2));
	assert_true(sequences_differ(0, 1));
	assert_true(sequences_differ(12345, 54321));
}

static void test_first_delays_spread_across_seeds(void **state)
{
	uint32_t first[SEEDS];
	unsigned int distinct = 0, i, j;

	(void)state;
	/* A fleet restarting together must not come back together. */
	for (i = 0; i < SEEDS; i++) {
		struct sl_backoff b;

		sl_backoff_init(&b, 10000, 60000, 1000 + i);
		first[i] = sl_backoff_next(&b);
	}
	for (i = 0; i < SEEDS; i++) {
		for (j = 0; j < i && first[j] != first[i]; j++)
			;
		distinct += j == i;
	}
	assert_true(distinct >= SEEDS / 2);
}

static void test_seed_zero_still_jitters(void **state)
{
	struct sl_backoff b;
	uint32_t first;
	bool varied = false;
	int i;

	(void)state;
	sl_backoff_init(&b, 1000, 1000, 0);
	first = sl_backoff_next(&b);
	for (i = 0; i < 50; i++)
		if (sl_backoff_next(&b) != first)
			varied = true;
	assert_true(varied);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_never_zero),
		cmocka_unit_test(test_first_delay_within_base),
		cmocka_unit_test(test_equal_jitter_bounds),
		cmocka_unit_test(test_grows_exponentially),
		cmocka_unit_test(test_never_exceeds_cap),
		cmocka_unit_test(test_stays_at_cap),
		cmocka_unit_test(test_huge_cap_does_not_overflow),
		cmocka_unit_test(test_reset_returns_to_base),
		cmocka_unit_test(test_same_seed_same_sequence),
		cmocka_unit_test(test_different_seeds_differ),
		cmocka_unit_test(test_first_delays_spread_across_seeds),
		cmocka_unit_test(test_seed_zero_still_jitters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
