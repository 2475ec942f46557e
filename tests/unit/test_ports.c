// SPDX-License-Identifier: MIT
/* Unit tests of port rules and names (userspace/lib/ports.c). */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ports.h"

static struct sl_ports p;
static char why[256];

static int setup(void **state)
{
	(void)state;
	memset(&p, 0, sizeof(p));
	why[0] = '\0';
	return 0;
}

static int parse(const char *s)
{
	return sl_ports_parse(s, &p, why, sizeof(why));
}

static void assert_range(unsigned int i, uint8_t proto, unsigned int first,
			 unsigned int last)
{
	assert_true(i < p.n);
	assert_int_equal(p.r[i].proto, proto);
	assert_int_equal(p.r[i].first, first);
	assert_int_equal(p.r[i].last, last);
}

/* Refused, with a reason that quotes needle when given. */
static void assert_refused(const char *s, const char *needle)
{
	why[0] = '\0';
	if (parse(s) == 0)
		fail_msg("'%s' accepted", s);
	assert_true(why[0] != '\0');
	if (needle && !strstr(why, needle))
		fail_msg("reason '%s' for '%s' lacks '%s'", why, s, needle);
}

/* ---- sl_ports_parse ---- */

static void test_parse_list(void **state)
{
	(void)state;
	assert_int_equal(parse("502, 80, 8000-8010"), 0);
	assert_int_equal(p.n, 3);
	assert_range(0, IPPROTO_TCP, 502, 502);
	assert_range(1, IPPROTO_TCP, 80, 80);
	assert_range(2, IPPROTO_TCP, 8000, 8010);
}

static void test_parse_udp(void **state)
{
	(void)state;
	assert_int_equal(parse("udp/161"), 0);
	assert_int_equal(p.n, 1);
	assert_range(0, IPPROTO_UDP, 161, 161);
}

static void test_parse_protocol_prefixes(void **state)
{
	(void)state;
	assert_int_equal(parse("tcp/22,udp/5000-5010, 443"), 0);
	assert_int_equal(p.n, 3);
	assert_range(0, IPPROTO_TCP, 22, 22);
	assert_range(1, IPPROTO_UDP, 5000, 5010);
	assert_range(2, IPPROTO_TCP, 443, 443);
}

static void test_parse_bounds(void **state)
{
	(void)state;
	assert_int_equal(parse("1,65535,1-65535"), 0);
	assert_range(0, IPPROTO_TCP, 1, 1);
	assert_range(1, IPPROTO_TCP, 65535, 65535);
	assert_range(2, IPPROTO_TCP, 1, 65535);
}

static void test_parse_appends(void **state)
{
	(void)state;
	assert_int_equal(parse("80"), 0);
	assert_int_equal(parse("udp/53"), 0);
	assert_int_equal(p.n, 2);
	assert_range(0, IPPROTO_TCP, 80, 80);
	assert_range(1, IPPROTO_UDP, 53, 53);
}

static void test_parse_tabs_and_spaces(void **state)
{
	(void)state;
	assert_int_equal(parse(" \t80\t ,  81 "), 0);
	assert_int_equal(p.n, 2);
	assert_range(1, IPPROTO_TCP, 81, 81);
}

static void test_refuses_port_zero(void **state)
{
	(void)state;
	assert_refused("0", "'0'");
	assert_refused("0-10", "'0-10'");
}

static void test_refuses_port_above_65535(void **state)
{
	(void)state;
	assert_refused("70000", "'70000'");
	assert_refused("65536", "'65536'");
	assert_refused("80-65536", "'80-65536'");
}

static void test_refuses_backwards_range(void **state)
{
	(void)state;
	assert_refused("10-5", "'10-5'");
}

static void test_refuses_empty(void **state)
{
	(void)state;
	assert_refused("", NULL);
	assert_refused("  ", NULL);
}

static void test_refuses_empty_entry(void **state)
{
	(void)state;
	assert_refused("80,,81", NULL);
	assert_refused("80,", NULL);
	assert_refused(",80", NULL);
}

static void test_refuses_garbage(void **state)
{
	static const char *const bad[] = {
		"abc", "80a", "8O", "-5", "5-", "1-2-3", "udp/", "sctp/80",
		"udp/abc", "80 81", "0x50", "+80", "000080",
	};
	unsigned int i;

	(void)state;
	assert_refused("abc", "'abc'");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setup(NULL);
		assert_refused(bad[i], NULL);
	}
}

static void test_refuses_too_many_ranges(void **state)
{
	char list[SLUICE_RANGES_MAX * 8 + 16];
	size_t off = 0;
	int i;

	(void)state;
	for (i = 1; i <= SLUICE_RANGES_MAX; i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%d",
					i > 1 ? "," : "", i);
	assert_int_equal(parse(list), 0);
	assert_int_equal(p.n, SLUICE_RANGES_MAX);
	setup(NULL);
	snprintf(list + off, sizeof(list) - off, ",%d", SLUICE_RANGES_MAX + 1);
	assert_refused(list, NULL);
	assert_int_equal(p.n, SLUICE_RANGES_MAX);
}

/* ---- sl_ports_add ---- */

static void test_add_checks(void **state)
{
	(void)state;
	assert_int_equal(sl_ports_add(&p, IPPROTO_TCP, 1, 65535), 0);
	assert_int_equal(sl_ports_add(&p, 99, 80, 80), -EINVAL);
	assert_int_equal(sl_ports_add(&p, IPPROTO_TCP, 0, 80), -EINVAL);
	assert_int_equal(sl_ports_add(&p, IPPROTO_TCP, 80, 65536), -EINVAL);
	assert_int_equal(sl_ports_add(&p, IPPROTO_UDP, 81, 80), -EINVAL);
	assert_int_equal(p.n, 1);
}

static void test_add_full(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < SLUICE_RANGES_MAX; i++)
		assert_int_equal(sl_ports_add(&p, IPPROTO_TCP, 80, 80), 0);
	assert_int_equal(sl_ports_add(&p, IPPROTO_TCP, 80, 80), -E2BIG);
	assert_int_equal(p.n, SLUICE_RANGES_MAX);
}

/* ---- sl_ports_allows ---- */

static void test_allows_tcp_single_and_range(void **state)
{
	(void)state;
	assert_int_equal(parse("502, 8000-8010, udp/161"), 0);
	assert_true(sl_ports_allows(&p, IPPROTO_TCP, 502));
	assert_true(sl_ports_allows(&p, IPPROTO_TCP, 8000));
	assert_true(sl_ports_allows(&p, IPPROTO_TCP, 8005));
	assert_true(sl_ports_allows(&p, IPPROTO_TCP, 8010));
}

static void test_refuses_tcp_outside(void **state)
{
	(void)state;
	assert_int_equal(parse("502, 8000-8010, udp/161"), 0);
	assert_false(sl_ports_allows(&p, IPPROTO_TCP, 501));
	assert_false(sl_ports_allows(&p, IPPROTO_TCP, 503));
	assert_false(sl_ports_allows(&p, IPPROTO_TCP, 7999));
	assert_false(sl_ports_allows(&p, IPPROTO_TCP, 8011));
	assert_false(sl_ports_allows(&p, IPPROTO_TCP, 0));
}

static void test_protocols_kept_apart(void **state)
{
	(void)state;
	assert_int_equal(parse("502, udp/161"), 0);
	assert_true(sl_ports_allows(&p, IPPROTO_UDP, 161));
	assert_false(sl_ports_allows(&p, IPPROTO_TCP, 161));
	assert_false(sl_ports_allows(&p, IPPROTO_UDP, 502));
}

static void test_empty_rules_allow_nothing(void **state)
{
	(void)state;
	assert_false(sl_ports_allows(&p, IPPROTO_TCP, 80));
	assert_false(sl_ports_allows(&p, IPPROTO_UDP, 80));
}

/* ---- sl_ports_format ---- */

static void test_format(void **state)
{
	char buf[128];

	(void)state;
	assert_int_equal(parse("80, 502, 8000-8010, udp/161, udp/5000-5001"), 0);
	sl_ports_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "80,502,8000-8010,udp/161,udp/5000-5001");
}

static void test_format_roundtrip(void **state)
{
	struct sl_ports again;
	char buf[256];

	(void)state;
	assert_int_equal(parse("1, 65535, 10-20, tcp/30, udp/7-7, udp/1-65535"), 0);
	sl_ports_format(&p, buf, sizeof(buf));
	memset(&again, 0, sizeof(again));
	assert_int_equal(sl_ports_parse(buf, &again, why, sizeof(why)), 0);
	assert_int_equal(again.n, p.n);
	assert_memory_equal(again.r, p.r, p.n * sizeof(p.r[0]));
}

static void test_format_empty(void **state)
{
	char buf[8] = "junk";

	(void)state;
	sl_ports_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

static void test_format_truncates_safely(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(parse("10000-20000, 30000-40000, 50000-60000"), 0);
	memset(buf, 'Z', sizeof(buf));
	sl_ports_format(&p, buf, 8);
	assert_int_equal(buf[7], '\0');
	assert_string_equal(buf, "10000-2");
	assert_int_equal(buf[8], 'Z'); /* nothing written past len */
}

/* ---- sl_name_valid ---- */

static void test_name_valid(void **state)
{
	char longest[SLUICE_NAME_MAX + 1];

	(void)state;
	memset(longest, 'a', SLUICE_NAME_MAX);
	longest[SLUICE_NAME_MAX] = '\0';
	assert_true(sl_name_valid("plc1"));
	assert_true(sl_name_valid("A-Z.a_z-0.9"));
	assert_true(sl_name_valid("x"));
	assert_true(sl_name_valid(longest));
}

static void test_name_invalid(void **state)
{
	static const char *const bad[] = { "", "a b", "a/b", "a:b", "a@b",
					   "caf\xc3\xa9", "a\tb", "a\nb", "a,b" };
	char toolong[SLUICE_NAME_MAX + 2];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sl_name_valid(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
	memset(toolong, 'a', SLUICE_NAME_MAX + 1);
	toolong[SLUICE_NAME_MAX + 1] = '\0';
	assert_false(sl_name_valid(toolong));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_parse_list, setup),
		cmocka_unit_test_setup(test_parse_udp, setup),
		cmocka_unit_test_setup(test_parse_protocol_prefixes, setup),
		cmocka_unit_test_setup(test_parse_bounds, setup),
		cmocka_unit_test_setup(test_parse_appends, setup),
		cmocka_unit_test_setup(test_parse_tabs_and_spaces, setup),
		cmocka_unit_test_setup(test_refuses_port_zero, setup),
		cmocka_unit_test_setup(test_refuses_port_above_65535, setup),
		cmocka_unit_test_setup(test_refuses_backwards_range, setup),
		cmocka_unit_test_setup(test_refuses_empty, setup),
		cmocka_unit_test_setup(test_refuses_empty_entry, setup),
		cmocka_unit_test_setup(test_refuses_garbage, setup),
		cmocka_unit_test_setup(test_refuses_too_many_ranges, setup),
		cmocka_unit_test_setup(test_add_checks, setup),
		cmocka_unit_test_setup(test_add_full, setup),
		cmocka_unit_test_setup(test_allows_tcp_single_and_range, setup),
		cmocka_unit_test_setup(test_refuses_tcp_outside, setup),
		cmocka_unit_test_setup(test_protocols_kept_apart, setup),
		cmocka_unit_test_setup(test_empty_rules_allow_nothing, setup),
		cmocka_unit_test_setup(test_format, setup),
		cmocka_unit_test_setup(test_format_roundtrip, setup),
		cmocka_unit_test_setup(test_format_empty, setup),
		cmocka_unit_test_setup(test_format_truncates_safely, setup),
		cmocka_unit_test_setup(test_name_valid, setup),
		cmocka_unit_test_setup(test_name_invalid, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
