// SPDX-License-Identifier: MIT
/*
 * Unit tests of the configuration parser and the value parsers
 * (userspace/lib/conf.c).
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
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"

#define MAX_CALLS 8

/* What the handler saw, one entry per call. */
struct seen {
	int n;
	struct {
		char section[32];
		char key[64];
		char value[SL_CONF_LINE_MAX + 1];
		bool has_section;
		bool has_key;
	} call[MAX_CALLS];
	const char *fail_key; /* the handler refuses this key */
};

static int record(struct sl_conf *c, const char *section, const char *key,
		  const char *value, void *ctx)
{
	struct seen *s = ctx;

	if (s->fail_key && key && !strcmp(key, s->fail_key))
		return sl_conf_error(c, "unknown key '%s'", key);
	assert_true(s->n < MAX_CALLS);
	s->call[s->n].has_section = section != NULL;
	s->call[s->n].has_key = key != NULL;
	snprintf(s->call[s->n].section, sizeof(s->call[0].section), "%s",
		 section ? section : "");
	snprintf(s->call[s->n].key, sizeof(s->call[0].key), "%s", key ? key : "");
	snprintf(s->call[s->n].value, sizeof(s->call[0].value), "%s", value);
	s->n++;
	return 0;
}

static struct sl_conf conf;
static struct seen seen;

static int setup(void **state)
{
	(void)state;
	memset(&seen, 0, sizeof(seen));
	sl_conf_init(&conf, "test.conf", record, &seen);
	return 0;
}

/* Feeds one line (copied: sl_conf_line modifies it). */
static int feed(const char *text)
{
	char line[SL_CONF_LINE_MAX * 2];

	snprintf(line, sizeof(line), "%s", text);
	return sl_conf_line(&conf, line);
}

static void assert_err_has(const char *needle)
{
	if (!strstr(conf.err, needle))
		fail_msg("error '%s' does not contain '%s'", conf.err, needle);
}

/* ---- sl_conf_line ---- */

static void test_key_value(void **state)
{
	(void)state;
	assert_int_equal(feed("name = plc"), 0);
	assert_int_equal(seen.n, 1);
	assert_false(seen.call[0].has_section);
	assert_string_equal(seen.call[0].key, "name");
	assert_string_equal(seen.call[0].value, "plc");
}

static void test_key_value_without_spaces(void **state)
{
	(void)state;
	assert_int_equal(feed("max_sessions=10"), 0);
	assert_string_equal(seen.call[0].key, "max_sessions");
	assert_string_equal(seen.call[0].value, "10");
}

static void test_whitespace_trimmed(void **state)
{
	(void)state;
	assert_int_equal(feed(" \t token\t =  a secret value \t\r"), 0);
	assert_string_equal(seen.call[0].key, "token");
	assert_string_equal(seen.call[0].value, "a secret value");
}

static void test_value_may_contain_equals(void **state)
{
	(void)state;
	assert_int_equal(feed("token = abc==def="), 0);
	assert_string_equal(seen.call[0].key, "token");
	assert_string_equal(seen.call[0].value, "abc==def=");
}

static void test_comments_and_blank_lines_skipped(void **state)
{
	(void)state;
	assert_int_equal(feed("# a comment = with equals"), 0);
	assert_int_equal(feed("   # indented comment"), 0);
	assert_int_equal(feed(""), 0);
	assert_int_equal(feed(" \t \r"), 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(conf.line, 4);
}

static void test_section_with_argument(void **state)
{
	(void)state;
	assert_int_equal(feed("[device plc1]"), 0);
	assert_int_equal(seen.n, 1);
	assert_true(seen.call[0].has_section);
	assert_false(seen.call[0].has_key);
	assert_string_equal(seen.call[0].section, "device");
	assert_string_equal(seen.call[0].value, "plc1");
}

static void test_section_whitespace(void **state)
{
	(void)state;
	assert_int_equal(feed("  [ device \t plc-2 ]  "), 0);
	assert_string_equal(seen.call[0].section, "device");
	assert_string_equal(seen.call[0].value, "plc-2");
}

static void test_section_without_argument(void **state)
{
	(void)state;
	assert_int_equal(feed("[global]"), 0);
	assert_string_equal(seen.call[0].section, "global");
	assert_string_equal(seen.call[0].value, "");
}

static void test_keys_after_section_carry_it(void **state)
{
	(void)state;
	assert_int_equal(feed("name = a1"), 0);
	assert_int_equal(feed("[device plc1]"), 0);
	assert_int_equal(feed("host = 10.0.0.5"), 0);
	assert_int_equal(feed("[device plc2]"), 0);
	assert_int_equal(feed("ports = 502"), 0);
	assert_int_equal(seen.n, 5);
	assert_false(seen.call[0].has_section);
	assert_string_equal(seen.call[2].section, "device");
	assert_string_equal(seen.call[2].key, "host");
	assert_string_equal(seen.call[3].value, "plc2");
	assert_string_equal(seen.call[4].section, "device");
	assert_string_equal(seen.call[4].value, "502");
}

static void test_error_carries_file_and_line(void **state)
{
	(void)state;
	assert_int_equal(feed("# one"), 0);
	assert_int_equal(feed("name = x"), 0);
	assert_int_equal(feed("garbage-line"), -EINVAL);
	assert_true(!strncmp(conf.err, "test.conf:3: ", 13));
}

static void test_error_quotes_line_without_equals(void **state)
{
	(void)state;
	assert_int_equal(feed("listen 0.0.0.0:1"), -EINVAL);
	assert_err_has("'listen 0.0.0.0:1'");
}

static void test_error_quotes_bad_key(void **state)
{
	(void)state;
	assert_int_equal(feed("Bad-Key = 1"), -EINVAL);
	assert_err_has("test.conf:1:");
	assert_err_has("'Bad-Key'");
}

static void test_error_key_without_value(void **state)
{
	(void)state;
	assert_int_equal(feed("state_dir =   "), -EINVAL);
	assert_err_has("'state_dir'");
	assert_int_equal(seen.n, 0);
}

static void test_error_value_without_key(void **state)
{
	(void)state;
	assert_int_equal(feed(" = value"), -EINVAL);
	assert_err_has("test.conf:1:");
	assert_int_equal(seen.n, 0);
}

static void test_error_unclosed_section(void **state)
{
	(void)state;
	assert_int_equal(feed("[device plc1"), -EINVAL);
	assert_err_has("'[device plc1'");
	assert_int_equal(seen.n, 0);
}

static void test_error_text_after_section(void **state)
{
	(void)state;
	assert_int_equal(feed("[device plc1] extra"), -EINVAL);
	assert_err_has("test.conf:1:");
	assert_int_equal(seen.n, 0);
}

static void test_error_bad_section_name(void **state)
{
	(void)state;
	assert_int_equal(feed("[Dev!ce plc1]"), -EINVAL);
	assert_err_has("'Dev!ce'");
	assert_int_equal(feed("[ ]"), -EINVAL);
	assert_int_equal(seen.n, 0);
}

static void test_handler_error_propagates(void **state)
{
	(void)state;
	seen.fail_key = "bogus";
	assert_int_equal(feed("name = a"), 0);
	assert_int_equal(feed("bogus = 1"), -EINVAL);
	assert_string_equal(conf.err, "test.conf:2: unknown key 'bogus'");
}

static void test_conf_error_format(void **state)
{
	(void)state;
	conf.line = 42;
	assert_int_equal(sl_conf_error(&conf, "bad %s %d", "thing", 7), -EINVAL);
	assert_string_equal(conf.err, "test.conf:42: bad thing 7");
}

/* ---- sl_conf_load ---- */

static char tmp_path[64];

static int teardown_file(void **state)
{
	(void)state;
	if (tmp_path[0])
		unlink(tmp_path);
	tmp_path[0] = '\0';
	return 0;
}

static void write_file(const void *data, size_t len)
{
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/sluice-test-conf.XXXXXX");
	fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	sl_conf_init(&conf, tmp_path, record, &seen);
}

static void write_text(const char *text)
{
	write_file(text, strlen(text));
}

static void test_load_file(void **state)
{
	(void)state;
	write_text("# agent\nname = a1\n\n[device plc1]\r\nhost = 10.0.0.5\n"
		   "ports = 502, 80\n");
	assert_int_equal(sl_conf_load(&conf), 0);
	assert_int_equal(seen.n, 4);
	assert_string_equal(seen.call[0].value, "a1");
	assert_string_equal(seen.call[1].value, "plc1");
	assert_string_equal(seen.call[2].section, "device");
	assert_string_equal(seen.call[3].value, "502, 80");
}

static void test_load_last_line_without_newline(void **state)
{
	(void)state;
	write_text("a = 1\nb = 2");
	assert_int_equal(sl_conf_load(&conf), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.call[1].key, "b");
	assert_string_equal(seen.call[1].value, "2");
}

static void test_load_error_names_file_and_line(void **state)
{
	char expect[96];

	(void)state;
	write_text("a = 1\n\n# c\nnot a pair\nb = 2\n");
	assert_int_equal(sl_conf_load(&conf), -EINVAL);
	snprintf(expect, sizeof(expect), "%s:4: ", tmp_path);
	assert_true(!strncmp(conf.err, expect, strlen(expect)));
	assert_int_equal(seen.n, 1); /* stops at the first error */
}

static void test_load_missing_file(void **state)
{
	const char *path = "/nonexistent-sluice-dir/relay.conf";

	(void)state;
	sl_conf_init(&conf, path, record, &seen);
	assert_int_equal(sl_conf_load(&conf), -ENOENT);
	assert_non_null(strstr(conf.err, path));
	assert_int_equal(seen.n, 0);
}

static void test_load_longest_line_accepted(void **state)
{
	char text[SL_CONF_LINE_MAX + 2];

	(void)state;
	memset(text, 'v', sizeof(text));
	memcpy(text, "k = ", 4);
	text[SL_CONF_LINE_MAX] = '\n';
	text[SL_CONF_LINE_MAX + 1] = '\0';
	write_text(text);
	assert_int_equal(sl_conf_load(&conf), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(strlen(seen.call[0].value), SL_CONF_LINE_MAX - 4);
}

static void test_load_overlong_line(void **state)
{
	char text[SL_CONF_LINE_MAX + 16];
	char expect[96];

	(void)state;
	memcpy(text, "a = 1\n", 6);
	memset(text + 6, 'v', SL_CONF_LINE_MAX + 1);
	memcpy(text + 6, "k = ", 4);
	text[6 + SL_CONF_LINE_MAX + 1] = '\n';
	text[6 + SL_CONF_LINE_MAX + 2] = '\0';
	write_text(text);
	assert_int_equal(sl_conf_load(&conf), -EINVAL);
	snprintf(expect, sizeof(expect), "%s:2: ", tmp_path);
	assert_true(!strncmp(conf.err, expect, strlen(expect)));
	assert_int_equal(seen.n, 1);
}

static void test_load_nul_byte(void **state)
{
	static const char text[] = "a = 1\nb = x\0y\n";
	char expect[96];

	(void)state;
	write_file(text, sizeof(text) - 1);
	assert_int_equal(sl_conf_load(&conf), -EINVAL);
	snprintf(expect, sizeof(expect), "%s:2: ", tmp_path);
	assert_true(!strncmp(conf.err, expect, strlen(expect)));
	assert_non_null(strstr(conf.err, "NUL"));
	assert_int_equal(seen.n, 1);
}

/* ---- sl_parse_duration_ms ---- */

static uint64_t duration(const char *s)
{
	uint64_t ms = 0xdead;

	if (sl_parse_duration_ms(s, &ms))
		fail_msg("'%s' refused", s);
	return ms;
}

static void test_duration_units(void **state)
{
	(void)state;
	assert_int_equal(duration("250ms"), 250);
	assert_int_equal(duration("10s"), 10000);
	assert_int_equal(duration("2m"), 120000);
	assert_int_equal(duration("1h"), 3600000);
	assert_int_equal(duration("0s"), 0);
}

static void test_duration_bare_number_is_seconds(void **state)
{
	(void)state;
	assert_int_equal(duration("5"), 5000);
	assert_int_equal(duration("60"), 60000);
}

static void test_duration_largest(void **state)
{
	(void)state;
	assert_true(duration("4294967295ms") == UINT32_MAX);
	assert_true(duration("4294967295h") == (uint64_t)UINT32_MAX * 3600000);
}

static void test_duration_rejects(void **state)
{
	static const char *const bad[] = {
		"", "10x", "-1", "ms", "s", "10 s", " 10s", "10s ", "1.5s",
		"10S", "10sec", "0x10", "+5", "10ms5",
		"4294967296ms",			/* more than 32 bits */
		"99999999999999999999",		/* overflows 64 bits */
		"99999999999999999999999999999s",
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t ms = 7;

		if (sl_parse_duration_ms(bad[i], &ms) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(ms, 7);
	}
}

/* ---- sl_parse_uint ---- */

static void test_uint_in_bounds(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(sl_parse_uint("10", 10, 20, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(sl_parse_uint("20", 10, 20, &v), 0);
	assert_int_equal(v, 20);
	assert_int_equal(sl_parse_uint("0", 0, 0, &v), 0);
	assert_int_equal(v, 0);
}

static void test_uint_out_of_bounds(void **state)
{
	uint64_t v = 3;

	(void)state;
	assert_int_equal(sl_parse_uint("9", 10, 20, &v), -EINVAL);
	assert_int_equal(sl_parse_uint("21", 10, 20, &v), -EINVAL);
	assert_int_equal(sl_parse_uint("0", 1, 65535, &v), -EINVAL);
	assert_int_equal(sl_parse_uint("65536", 1, 65535, &v), -EINVAL);
	assert_int_equal(v, 3);
}

static void test_uint_full_range(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(sl_parse_uint("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(sl_parse_uint("18446744073709551614", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX - 1);
	assert_int_equal(sl_parse_uint("18446744073709551616", 0, UINT64_MAX, &v),
			 -EINVAL);
	assert_int_equal(sl_parse_uint("100000000000000000000", 0, UINT64_MAX, &v),
			 -EINVAL);
}

static void test_uint_strict_syntax(void **state)
{
	static const char *const bad[] = { "", "-1", "+1", " 1", "1 ", "1x",
					   "0x10", "1e3", "1.0" };
	unsigned int i;
	uint64_t v;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sl_parse_uint(bad[i], 0, UINT64_MAX, &v) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
}

/* ---- sl_parse_bool ---- */

static void test_bool_true(void **state)
{
	static const char *const t[] = { "yes", "true", "on", "1" };
	unsigned int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		bool b = false;

		assert_int_equal(sl_parse_bool(t[i], &b), 0);
		assert_true(b);
	}
}

static void test_bool_false(void **state)
{
	static const char *const f[] = { "no", "false", "off", "0" };
	unsigned int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		bool b = true;

		assert_int_equal(sl_parse_bool(f[i], &b), 0);
		assert_false(b);
	}
}

static void test_bool_rejects(void **state)
{
	static const char *const bad[] = { "", "2", "yess", "y", "enable",
					   " yes", "no " };
	unsigned int i;
	bool b;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sl_parse_bool(bad[i], &b) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
}

/* ---- sl_parse_hostport ---- */

static char host[64];
static uint16_t port;

static int hostport(const char *s, uint16_t def)
{
	memset(host, 'X', sizeof(host));
	port = 0xffff;
	return sl_parse_hostport(s, def, host, sizeof(host), &port);
}

static void test_hostport_name_and_port(void **state)
{
	(void)state;
	assert_int_equal(hostport("h:1", 0), 0);
	assert_string_equal(host, "h");
	assert_int_equal(port, 1);
	assert_int_equal(hostport("relay.example.com:65535", 11444), 0);
	assert_string_equal(host, "relay.example.com");
	assert_int_equal(port, 65535);
}

static void test_hostport_ipv4(void **state)
{
	(void)state;
	assert_int_equal(hostport("0.0.0.0:11444", 0), 0);
	assert_string_equal(host, "0.0.0.0");
	assert_int_equal(port, 11444);
}

static void test_hostport_bracketed_ipv6(void **state)
{
	(void)state;
	assert_int_equal(hostport("[::1]:443", 0), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 443);
	assert_int_equal(hostport("[fe80::1%eth0]:80", 0), 0);
	assert_string_equal(host, "fe80::1%eth0");
}

static void test_hostport_default_port(void **state)
{
	(void)state;
	assert_int_equal(hostport("h", 11444), 0);
	assert_string_equal(host, "h");
	assert_int_equal(port, 11444);
	assert_int_equal(hostport("[::1]", 11444), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 11444);
}

static void test_hostport_port_required(void **state)
{
	(void)state;
	assert_int_equal(hostport("h", 0), -EINVAL);
	assert_int_equal(hostport("[::1]", 0), -EINVAL);
}

static void test_hostport_rejects(void **state)
{
	static const char *const bad[] = {
		"::1:80", ":80", "h:0", "h:70000", "h:", "h:65536", "h:-1",
		"h:80x", "h: 80", "h :80", "[::1", "[]:80", "[::1]x", "[::1]:",
		"a/b:80", "", "h:+80",
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (hostport(bad[i], 11444) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
}

static void test_hostport_host_too_long(void **state)
{
	char small[4];
	uint16_t p;

	(void)state;
	assert_int_equal(sl_parse_hostport("abc:1", 0, small, sizeof(small), &p), 0);
	assert_string_equal(small, "abc");
	assert_int_equal(sl_parse_hostport("abcd:1", 0, small, sizeof(small), &p),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_key_value, setup),
		cmocka_unit_test_setup(test_key_value_without_spaces, setup),
		cmocka_unit_test_setup(test_whitespace_trimmed, setup),
		cmocka_unit_test_setup(test_value_may_contain_equals, setup),
		cmocka_unit_test_setup(test_comments_and_blank_lines_skipped, setup),
		cmocka_unit_test_setup(test_section_with_argument, setup),
		cmocka_unit_test_setup(test_section_whitespace, setup),
		cmocka_unit_test_setup(test_section_without_argument, setup),
		cmocka_unit_test_setup(test_keys_after_section_carry_it, setup),
		cmocka_unit_test_setup(test_error_carries_file_and_line, setup),
		cmocka_unit_test_setup(test_error_quotes_line_without_equals, setup),
		cmocka_unit_test_setup(test_error_quotes_bad_key, setup),
		cmocka_unit_test_setup(test_error_key_without_value, setup),
		cmocka_unit_test_setup(test_error_value_without_key, setup),
		cmocka_unit_test_setup(test_error_unclosed_section, setup),
		cmocka_unit_test_setup(test_error_text_after_section, setup),
		cmocka_unit_test_setup(test_error_bad_section_name, setup),
		cmocka_unit_test_setup(test_handler_error_propagates, setup),
		cmocka_unit_test_setup(test_conf_error_format, setup),
		cmocka_unit_test_setup_teardown(test_load_file, setup, teardown_file),
		cmocka_unit_test_setup_teardown(test_load_last_line_without_newline,
						setup, teardown_file),
		cmocka_unit_test_setup_teardown(test_load_error_names_file_and_line,
						setup, teardown_file),
		cmocka_unit_test_setup(test_load_missing_file, setup),
		cmocka_unit_test_setup_teardown(test_load_longest_line_accepted,
						setup, teardown_file),
		cmocka_unit_test_setup_teardown(test_load_overlong_line, setup,
						teardown_file),
		cmocka_unit_test_setup_teardown(test_load_nul_byte, setup,
						teardown_file),
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_duration_bare_number_is_seconds),
		cmocka_unit_test(test_duration_largest),
		cmocka_unit_test(test_duration_rejects),
		cmocka_unit_test(test_uint_in_bounds),
		cmocka_unit_test(test_uint_out_of_bounds),
		cmocka_unit_test(test_uint_full_range),
		cmocka_unit_test(test_uint_strict_syntax),
		cmocka_unit_test(test_bool_true),
		cmocka_unit_test(test_bool_false),
		cmocka_unit_test(test_bool_rejects),
		cmocka_unit_test(test_hostport_name_and_port),
		cmocka_unit_test(test_hostport_ipv4),
		cmocka_unit_test(test_hostport_bracketed_ipv6),
		cmocka_unit_test(test_hostport_default_port),
		cmocka_unit_test(test_hostport_port_required),
		cmocka_unit_test(test_hostport_rejects),
		cmocka_unit_test(test_hostport_host_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
