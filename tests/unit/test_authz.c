// SPDX-License-Identifier: MIT
/*
 * Unit tests of the authorization helpers (userspace/lib/authz.c): domain
 * paths (validity, inheritance on label boundaries, parents) and grant
 * time windows (grammar, round trip through the canonical form, windows
 * across midnight, and the 2026 DST transitions of Europe/Berlin:
 * 2026-03-29 01:00 UTC and 2026-10-25 01:00 UTC).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "authz.h"

static void test_domain_valid(void **state)
{
	static const char *const good[] = {
		"ROOT", "ROOT.acme", "ROOT.acme.plant1", "ROOT.a-b_C.9",
	};
	static const char *const bad[] = {
		"", "root", "ROOTS", "ROOTX.acme", "ROOT.", "ROOT..acme",
		".ROOT", "ROOT.acme.", "ROOT.a b", "ROOT.a/b", "ROOT.\xc3\xa4",
		"acme.ROOT", "ROOT.acme:1", "Root.acme",
	};
	char label[80], path[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!sl_domain_valid(good[i]))
			fail_msg("\"%s\" refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sl_domain_valid(bad[i]))
			fail_msg("\"%s\" accepted", bad[i]);
	assert_false(sl_domain_valid(NULL));

	/* Label of 63 bytes ok, 64 not. */
	memset(label, 'x', 63);
	label[63] = '\0';
	snprintf(path, sizeof(path), "ROOT.%s", label);
	assert_true(sl_domain_valid(path));
	snprintf(path, sizeof(path), "ROOT.%sy", label);
	assert_false(sl_domain_valid(path));

	/* Whole path: 255 bytes ok, 256 not. */
	strcpy(path, "ROOT");
	while (strlen(path) + 2 <= 255)
		strcat(path, ".a");
	if (strlen(path) < 255)
		strcat(path, "b");
	assert_int_equal(strlen(path), 255);
	assert_true(sl_domain_valid(path));
	strcat(path, "c");
	assert_false(sl_domain_valid(path));
}

static void test_domain_covers(void **state)
{
	(void)state;
	assert_true(sl_domain_covers("ROOT", "ROOT"));
	assert_true(sl_domain_covers("ROOT", "ROOT.acme.plant1"));
	assert_true(sl_domain_covers("ROOT.acme", "ROOT.acme"));
	assert_true(sl_domain_covers("ROOT.acme", "ROOT.acme.plant1"));
	assert_true(sl_domain_covers("ROOT.acme", "ROOT.acme.plant1.line2"));
	/* Label boundary. */
	assert_false(sl_domain_covers("ROOT.ac", "ROOT.acme"));
	assert_false(sl_domain_covers("ROOT.acme", "ROOT.acme2"));
	assert_false(sl_domain_covers("ROOT.acme.plant", "ROOT.acme.plant1"));
	/* Not upwards, not sideways, case-sensitive. */
	assert_false(sl_domain_covers("ROOT.acme.plant1", "ROOT.acme"));
	assert_false(sl_domain_covers("ROOT.acme", "ROOT"));
	assert_false(sl_domain_covers("ROOT.acme", "ROOT.other.acme"));
	assert_false(sl_domain_covers("ROOT.Acme", "ROOT.acme.plant1"));
	/* Invalid input never covers. */
	assert_false(sl_domain_covers("ROOT.acme.", "ROOT.acme..x"));
	assert_false(sl_domain_covers("", "ROOT.acme"));
	assert_false(sl_domain_covers("ROOT", "root.acme"));
	assert_false(sl_domain_covers(NULL, "ROOT"));
	assert_false(sl_domain_covers("ROOT", NULL));
}

static void test_domain_parent(void **state)
{
	char p[SL_DOMAIN_MAX + 1];

	(void)state;
	assert_int_equal(sl_domain_parent("ROOT.acme.plant1", p, sizeof(p)), 0);
	assert_string_equal(p, "ROOT.acme");
	assert_int_equal(sl_domain_parent("ROOT.acme", p, sizeof(p)), 0);
	assert_string_equal(p, "ROOT");
	assert_int_equal(sl_domain_parent("ROOT", p, sizeof(p)), -ENOENT);
	assert_int_equal(sl_domain_parent("ROOT..x", p, sizeof(p)), -EINVAL);
	assert_int_equal(sl_domain_parent("ROOT.acme.plant1", p, 9), -ENOSPC);
}

static void parse_ok(const char *spec, struct sl_timewin *w)
{
	char why[128] = "";

	if (sl_timewin_parse(spec, w, why, sizeof(why)))
		fail_msg("\"%s\" refused: %s", spec, why);
}

static void test_timewin_parse_format(void **state)
{
	static const struct {
		const char *spec, *canon;
	} v[] = {
		{ "always", "always" },
		{ "  ALWAYS ", "always" },
		{ "mon-fri 07:00-18:00", "mon-fri 07:00-18:00" },
		{ "SAT,Sun 22:00-02:00", "sat,sun 22:00-02:00" },
		{ "fri-mon 08:00-09:00", "mon,fri-sun 08:00-09:00" },
		{ "sun-sat 00:00-24:00", "mon-sun 00:00-24:00" },
		{ " mon-fri  07:00-12:00 ;mon-fri 13:00-17:00 ",
		  "mon-fri 07:00-12:00; mon-fri 13:00-17:00" },
		{ "wed,mon 09:30-10:15", "mon,wed 09:30-10:15" },
	};
	struct sl_timewin w, w2;
	char buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		parse_ok(v[i].spec, &w);
		sl_timewin_format(&w, buf, sizeof(buf));
		assert_string_equal(buf, v[i].canon);
		parse_ok(buf, &w2);
		assert_memory_equal(&w, &w2, sizeof(w));
	}
	parse_ok("mon-fri 07:00-18:00", &w);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.r[0].days, 0x3e);
	assert_int_equal(w.r[0].start, 7 * 60);
	assert_int_equal(w.r[0].end, 18 * 60);
	/* A short buffer is cut, still terminated. */
	sl_timewin_format(&w, buf, 6);
	assert_string_equal(buf, "mon-f");
}

static void test_timewin_invalid(void **state)
{
	static const char *const bad[] = {
		"", "   ", "never", "mon", "07:00-18:00", "mon 7:00-18:00",
		"mon 07:00-18:60", "mon 25:00-26:00", "mon 24:00-01:00",
		"mon 08:00-08:00", "mon-fry 07:00-18:00", "mon,,tue 07:00-08:00",
		",mon 07:00-08:00", "mon, 07:00-08:00", "mon 07:00-18:00;",
		"mon 07:00-18:00 extra", "always; mon 07:00-08:00",
		"always always", "mon 07:00 - 18:00", "mon 07:00-18:00-19:00",
		"monday 07:00-18:00", "mon 0700-1800",
	};
	struct sl_timewin w;
	char why[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (sl_timewin_parse(bad[i], &w, why, sizeof(why)) != -EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_true(why[0] != '\0');
	}
	assert_int_equal(sl_timewin_parse(NULL, &w, why, sizeof(why)), -EINVAL);
	assert_int_equal(sl_timewin_parse("mon-fri 7:00-18:00", &w, why,
					  sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "\"7:00-18:00\""));
	assert_int_equal(sl_timewin_parse("mon-fry 07:00-18:00", &w, why,
					  sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "\"mon-fry\""));
	assert_int_equal(sl_timewin_parse(
		"mon 01:00-02:00; mon 01:00-02:00; mon 01:00-02:00; "
		"mon 01:00-02:00; mon 01:00-02:00; mon 01:00-02:00; "
		"mon 01:00-02:00; mon 01:00-02:00; mon 01:00-02:00",
		&w, why, sizeof(why)), -E2BIG);
}

/* Seconds since the epoch of a UTC date and time. */
static time_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {
		.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
		.tm_hour = h, .tm_min = mi,
	};

	return timegm(&tm);
}

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static int tz_utc(void **state)
{
	(void)state;
	set_tz("UTC");
	return 0;
}

static int tz_berlin(void **state)
{
	(void)state;
	set_tz("Europe/Berlin");
	return 0;
}

static int tz_restore(void **state)
{
	(void)state;
	unsetenv("TZ");
	tzset();
	return 0;
}

static bool allows(const char *spec, time_t t)
{
	struct sl_timewin w;

	parse_ok(spec, &w);
	return sl_timewin_allows(&w, t);
}

/* 2026-11-23 is a Monday, 2026-11-28 a Saturday. */
static void test_timewin_day_hours(void **state)
{
	(void)state;
	assert_false(allows("mon-fri 07:00-18:00", utc(2026, 11, 23, 6, 59)));
	assert_true(allows("mon-fri 07:00-18:00", utc(2026, 11, 23, 7, 0)));
	assert_true(allows("mon-fri 07:00-18:00", utc(2026, 11, 23, 17, 59)));
	assert_false(allows("mon-fri 07:00-18:00", utc(2026, 11, 23, 18, 0)));
	assert_true(allows("mon-fri 07:00-18:00", utc(2026, 11, 27, 12, 0)));
	assert_false(allows("mon-fri 07:00-18:00", utc(2026, 11, 28, 12, 0)));
	assert_false(allows("mon-fri 07:00-18:00", utc(2026, 11, 29, 12, 0)));
	assert_true(allows("sun 00:00-24:00", utc(2026, 11, 29, 23, 59)));
	assert_false(allows("sun 00:00-24:00", utc(2026, 11, 30, 0, 0)));
	assert_true(allows("always", utc(2026, 11, 28, 3, 0)));
	/* Second window of a list. */
	assert_false(allows("mon-fri 07:00-12:00; mon-fri 13:00-17:00",
			    utc(2026, 11, 23, 12, 30)));
	assert_true(allows("mon-fri 07:00-12:00; mon-fri 13:00-17:00",
			   utc(2026, 11, 23, 13, 30)));
}

/* The morning part belongs to the day before: Sat 22:00 - Sun 02:00. */
static void test_timewin_across_midnight(void **state)
{
	const char *spec = "sat,sun 22:00-02:00";

	(void)state;
	assert_false(allows(spec, utc(2026, 11, 27, 23, 0)));	/* Fri */
	assert_false(allows(spec, utc(2026, 11, 28, 1, 0)));	/* Sat am */
	assert_false(allows(spec, utc(2026, 11, 28, 21, 59)));
	assert_true(allows(spec, utc(2026, 11, 28, 22, 0)));
	assert_true(allows(spec, utc(2026, 11, 29, 1, 59)));	/* from Sat */
	assert_false(allows(spec, utc(2026, 11, 29, 2, 0)));
	assert_false(allows(spec, utc(2026, 11, 29, 12, 0)));
	assert_true(allows(spec, utc(2026, 11, 29, 22, 30)));
	assert_true(allows(spec, utc(2026, 11, 30, 1, 0)));	/* from Sun */
	assert_false(allows(spec, utc(2026, 11, 30, 2, 0)));
	assert_false(allows(spec, utc(2026, 11, 30, 22, 30)));	/* Mon */
	assert_false(allows(spec, utc(2026, 12, 1, 1, 0)));	/* Tue am */
	/* Wrapping from Saturday into Sunday, the week's own wrap. */
	assert_true(allows("sat 23:00-01:00", utc(2026, 11, 29, 0, 30)));
	assert_false(allows("sun 23:00-01:00", utc(2026, 11, 28, 0, 30)));
	assert_true(allows("sun 23:00-01:00", utc(2026, 11, 30, 0, 30)));
}

/* Minutes of [from, to) in which spec is open. */
static int open_minutes(const char *spec, time_t from, time_t to)
{
	struct sl_timewin w;
	int n = 0;
	time_t t;

	parse_ok(spec, &w);
	for (t = from; t < to; t += 60)
		n += sl_timewin_allows(&w, t);
	return n;
}

/* Europe/Berlin, 2026-03-29 (Sunday): 02:00 CET becomes 03:00 CEST at
 * 01:00 UTC. */
static void test_timewin_dst_spring(void **state)
{
	const time_t jump = utc(2026, 3, 29, 1, 0);

	(void)state;
	assert_int_equal(jump, 1774746000);
	/* 02:00-03:00 does not exist that day: the window never opens. */
	assert_int_equal(open_minutes("sun 02:00-03:00", utc(2026, 3, 28, 23, 0),
				      utc(2026, 3, 29, 22, 0)), 0);
	/* 02:30-05:00 opens at 03:00, the first wall-clock time inside. */
	assert_false(allows("sun 02:30-05:00", jump - 1));	/* 01:59:59 */
	assert_true(allows("sun 02:30-05:00", jump));		/* 03:00 */
	assert_true(allows("sun 02:30-05:00", utc(2026, 3, 29, 2, 59)));
	assert_false(allows("sun 02:30-05:00", utc(2026, 3, 29, 3, 0)));
	assert_int_equal(open_minutes("sun 02:30-05:00", utc(2026, 3, 28, 23, 0),
				      utc(2026, 3, 29, 22, 0)), 120);
	/* Same UTC time, other answer across the change: 07:30 CET, 08:30
	 * CEST. */
	assert_false(allows("mon-sun 08:00-17:00", utc(2026, 3, 28, 6, 30)));
	assert_true(allows("mon-sun 08:00-17:00", utc(2026, 3, 29, 6, 30)));
	/* A night window across the change is one hour shorter. */
	assert_int_equal(open_minutes("sat 22:00-06:00", utc(2026, 3, 28, 12, 0),
				      utc(2026, 3, 29, 12, 0)), 7 * 60);
}

/* Europe/Berlin, 2026-10-25 (Sunday): 03:00 CEST becomes 02:00 CET at
 * 01:00 UTC; 02:00-02:59 happens twice. */
static void test_timewin_dst_fall(void **state)
{
	const time_t back = utc(2026, 10, 25, 1, 0);

	(void)state;
	assert_int_equal(back, 1792890000);
	assert_false(allows("sun 02:00-03:00", utc(2026, 10, 24, 23, 59)));
	assert_true(allows("sun 02:00-03:00", utc(2026, 10, 25, 0, 0)));
	assert_true(allows("sun 02:00-03:00", back - 1));	/* 02:59:59 CEST */
	assert_true(allows("sun 02:00-03:00", back));		/* 02:00 CET */
	assert_true(allows("sun 02:00-03:00", utc(2026, 10, 25, 1, 59)));
	assert_false(allows("sun 02:00-03:00", utc(2026, 10, 25, 2, 0)));
	assert_int_equal(open_minutes("sun 02:00-03:00",
				      utc(2026, 10, 24, 12, 0),
				      utc(2026, 10, 25, 12, 0)), 120);
	/* Crossing midnight into the change: open until 02:30 twice. */
	assert_true(allows("sat 22:00-02:30", utc(2026, 10, 24, 20, 0)));
	assert_false(allows("sat 22:00-02:30", utc(2026, 10, 24, 19, 59)));
	assert_true(allows("sat 22:00-02:30", utc(2026, 10, 25, 0, 29)));
	assert_false(allows("sat 22:00-02:30", utc(2026, 10, 25, 0, 30)));
	assert_true(allows("sat 22:00-02:30", utc(2026, 10, 25, 1, 29)));
	assert_false(allows("sat 22:00-02:30", utc(2026, 10, 25, 1, 30)));
	/* Same UTC time, other answer: 08:30 CEST, 07:30 CET. */
	assert_true(allows("mon-sun 08:00-17:00", utc(2026, 10, 24, 6, 30)));
	assert_false(allows("mon-sun 08:00-17:00", utc(2026, 10, 25, 6, 30)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domain_valid),
		cmocka_unit_test(test_domain_covers),
		cmocka_unit_test(test_domain_parent),
		cmocka_unit_test(test_timewin_parse_format),
		cmocka_unit_test(test_timewin_invalid),
		cmocka_unit_test_setup_teardown(test_timewin_day_hours,
						tz_utc, tz_restore),
		cmocka_unit_test_setup_teardown(test_timewin_across_midnight,
						tz_utc, tz_restore),
		cmocka_unit_test_setup_teardown(test_timewin_dst_spring,
						tz_berlin, tz_restore),
		cmocka_unit_test_setup_teardown(test_timewin_dst_fall,
						tz_berlin, tz_restore),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
