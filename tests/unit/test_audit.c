// SPDX-License-Identifier: MIT
/*
 * Unit tests of the audit log (userspace/lib/audit*.c): the exact record
 * format and genesis, JSON escaping, the chain across reopen and across
 * two writers, detection of edited, deleted, inserted and reordered
 * lines, truncation and appended garbage (each at the right line), the
 * recovery record after a damaged last line, daily boundary records, the
 * audit-verify CLI's exit status, the line parser, and syslog forwarding
 * over a local socket, UDP and TCP (and that a failing copy never fails
 * the local write).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"

#define MAX_LINES 64

struct fixture {
	char dir[64];
	char path[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/sluice-test-audit-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/audit.log", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

static struct sl_audit *open_log(const char *path)
{
	struct sl_audit_conf c = { .path = path };
	struct sl_audit *a = sl_audit_open(&c);

	assert_non_null(a);
	return a;
}

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = {
		.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
		.tm_hour = h, .tm_min = mi, .tm_sec = s,
	};

	return timegm(&tm);
}

static void write_rec(struct sl_audit *a, const char *event, const char *actor,
		      time_t when)
{
	struct sl_audit_field fields[] = {
		{ .key = "port", .num = 502 },
		{ .key = "rule", .str = "grant" },
	};
	struct sl_audit_record r = {
		.event = event,
		.actor = actor,
		.object = "plant1/plc1:502",
		.domain = "ROOT.acme",
		.source = "203.0.113.5",
		.outcome = "ok",
		.fields = fields,
		.nfields = 2,
		.when = { .tv_sec = when },
	};

	assert_int_equal(sl_audit_write(a, &r), 0);
}

/* A log of n records by alice0..alice(n-1), on 2030-01-01. */
static void make_log(const char *path, int n)
{
	struct sl_audit *a = open_log(path);
	char actor[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(actor, sizeof(actor), "alice%d", i);
		write_rec(a, "session_open", actor,
			  utc(2030, 1, 1, 10, 0, i));
	}
	sl_audit_close(a);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void write_file(const char *path, const char *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	fclose(fp);
}

/* Splits the file into lines (each with its '\n'); returns the count. */
static int read_lines(const char *path, char *lines[MAX_LINES])
{
	size_t len;
	char *buf = read_file(path, &len), *p = buf;
	int n = 0;

	while (*p) {
		char *nl = strchr(p, '\n');
		size_t k = nl ? (size_t)(nl - p) + 1 : strlen(p);

		assert_true(n < MAX_LINES);
		lines[n] = strndup(p, k);
		n++;
		p += k;
	}
	free(buf);
	return n;
}

static void write_lines(const char *path, char *lines[], int n)
{
	FILE *fp = fopen(path, "wb");
	int i;

	assert_non_null(fp);
	for (i = 0; i < n; i++)
		fputs(lines[i], fp);
	fclose(fp);
}

static void free_lines(char *lines[], int n)
{
	while (n--)
		free(lines[n]);
}

static void sha256_hex(const void *p, size_t n, char hex[65])
{
	uint8_t h[32];
	unsigned int len = 32;
	int i;

	EVP_Digest(p, n, h, &len, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", h[i]);
}

static void test_record_format_and_genesis(void **state)
{
	struct fixture *f = *state;
	struct sl_audit *a = open_log(f->path);
	struct sl_audit_record r = {
		.event = "login",
		.actor = "alice",
		.source = "203.0.113.5",
		.outcome = "failed",
		.details_text = "wrong password",
		.when = { .tv_sec = utc(2026, 11, 23, 12, 51, 23),
			  .tv_nsec = 123456789 },
	};
	char genesis[65], h1[65], want[512], head[SL_AUDIT_HASH_HEX];
	char *lines[MAX_LINES];
	int n;

	(void)state;
	assert_int_equal(sl_audit_write(a, &r), 0);
	r.details_text = NULL;
	r.outcome = "ok";
	r.when.tv_nsec = 0;
	assert_int_equal(sl_audit_write(a, &r), 0);
	sl_audit_head(a, head);
	sl_audit_close(a);

	sha256_hex(SL_AUDIT_GENESIS, strlen(SL_AUDIT_GENESIS), genesis);
	n = read_lines(f->path, lines);
	assert_int_equal(n, 2);
	snprintf(want, sizeof(want),
		 "{\"time\":\"2026-11-23T12:51:23.123Z\",\"event\":\"login\","
		 "\"actor\":\"alice\",\"object\":null,\"domain\":null,"
		 "\"source\":\"203.0.113.5\",\"outcome\":\"failed\","
		 "\"details\":\"wrong password\",\"prev\":\"%s\"}\n", genesis);
	assert_string_equal(lines[0], want);
	sha256_hex(lines[0], strlen(lines[0]) - 1, h1);
	snprintf(want, sizeof(want),
		 "{\"time\":\"2026-11-23T12:51:23.000Z\",\"event\":\"login\","
		 "\"actor\":\"alice\",\"object\":null,\"domain\":null,"
		 "\"source\":\"203.0.113.5\",\"outcome\":\"ok\","
		 "\"details\":{},\"prev\":\"%s\"}\n", h1);
	assert_string_equal(lines[1], want);
	sha256_hex(lines[1], strlen(lines[1]) - 1, h1);
	assert_string_equal(head, h1);
	free_lines(lines, n);
}

static void test_details_fields(void **state)
{
	struct fixture *f = *state;
	struct sl_audit *a = open_log(f->path);
	char *lines[MAX_LINES];
	int n;

	write_rec(a, "session_close", "bob", utc(2030, 1, 1, 0, 0, 0));
	sl_audit_close(a);
	n = read_lines(f->path, lines);
	assert_int_equal(n, 1);
	assert_non_null(strstr(lines[0],
			       ",\"details\":{\"port\":502,\"rule\":\"grant\"},"));
	free_lines(lines, n);
}

static void test_escaping(void **state)
{
	struct fixture *f = *state;
	struct sl_audit *a = open_log(f->path);
	struct sl_audit_record r = {
		.event = "login",
		.actor = "q\"b\\n\nt\tc\x01" "d\x7f" "e\xff" "f\xc3\xa4" "g\xc3",
		.object = "\xed\xa0\x80",	/* an encoded surrogate */
		.outcome = "ok",
	};
	char prev[SL_AUDIT_HASH_HEX], why[128];
	char *lines[MAX_LINES];
	int n;

	assert_int_equal(sl_audit_write(a, &r), 0);
	sl_audit_close(a);
	n = read_lines(f->path, lines);
	assert_int_equal(n, 1);
	assert_non_null(strstr(lines[0],
		"\"actor\":\"q\\\"b\\\\n\\nt\\tc\\u0001d\\u007fe\\ufffdf"
		"\xc3\xa4g\\ufffd\","));
	assert_non_null(strstr(lines[0],
		"\"object\":\"\\ufffd\\ufffd\\ufffd\","));
	assert_int_equal(sl_audit_parse_line(lines[0], strlen(lines[0]) - 1,
					     prev, NULL, why, sizeof(why)), 0);
	free_lines(lines, n);
}

static void test_write_refusals(void **state)
{
	struct fixture *f = *state;
	struct sl_audit *a = open_log(f->path);
	struct sl_audit_field bad_key = { .key = "Bad Key", .str = "x" };
	struct sl_audit_record r = { .event = "login" };
	static char big[SL_AUDIT_LINE_MAX];
	struct stat st;

	memset(big, 'x', sizeof(big) - 1);
	r.event = "Login";
	assert_int_equal(sl_audit_write(a, &r), -EINVAL);
	r.event = "";
	assert_int_equal(sl_audit_write(a, &r), -EINVAL);
	r.event = NULL;
	assert_int_equal(sl_audit_write(a, &r), -EINVAL);
	r.event = "login";
	r.fields = &bad_key;
	r.nfields = 1;
	assert_int_equal(sl_audit_write(a, &r), -EINVAL);
	r.fields = NULL;
	r.nfields = 0;
	r.details_text = big;
	assert_int_equal(sl_audit_write(a, &r), -E2BIG);
	/* Nothing of it reached the file. */
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, 0);
	/* And the next good record is line 1 of an intact chain. */
	r.details_text = NULL;
	assert_int_equal(sl_audit_write(a, &r), 0);
	sl_audit_close(a);
	{
		struct sl_audit_verify_result res;

		assert_int_equal(sl_audit_verify(f->path, &res, NULL, NULL), 0);
		assert_int_equal(res.lines, 1);
	}
}

static void test_chain_verifies(void **state)
{
	struct fixture *f = *state;
	struct sl_audit_verify_result res;
	char head[SL_AUDIT_HASH_HEX];
	struct sl_audit *a;

	make_log(f->path, 6);
	assert_int_equal(sl_audit_verify(f->path, &res, NULL, NULL), 0);
	assert_int_equal(res.lines, 6);
	assert_int_equal(res.breaks, 0);
	assert_int_equal(res.line, 0);
	a = open_log(f->path);
	sl_audit_head(a, head);
	sl_audit_close(a);
	assert_string_equal(res.head, head);
}

/* Group commit: records written with the sync deferred form the same
 * chain; sl_audit_take_sync() hands the one sync owed for all of them to
 * the caller, who syncs sl_audit_fd() (the relay does it on its ring). */
static void test_deferred_sync(void **state)
{
	struct fixture *f = *state;
	struct sl_audit_verify_result res;
	struct sl_audit *a = open_log(f->path);

	assert_false(sl_audit_unsynced(a));
	sl_audit_defer_sync(a, true);
	write_rec(a, "login", "alice", utc(2030, 1, 1, 0, 0, 0));
	write_rec(a, "login", "bob", utc(2030, 1, 1, 0, 0, 1));
	assert_true(sl_audit_unsynced(a));
	assert_true(sl_audit_take_sync(a));
	assert_false(sl_audit_unsynced(a));
	assert_false(sl_audit_take_sync(a));	/* taken once: nothing owed */
	sl_audit_defer_sync(a, false);
	write_rec(a, "login", "carol", utc(2030, 1, 1, 0, 0, 2));
	assert_false(sl_audit_unsynced(a));	/* synced by the write */
	assert_false(sl_audit_take_sync(a));
	sl_audit_defer_sync(a, true);
	write_rec(a, "login", "dave", utc(2030, 1, 1, 0, 0, 3));
	assert_true(sl_audit_take_sync(a));
	{
		struct stat fs, ps;

		assert_int_equal(fstat(sl_audit_fd(a), &fs), 0);
		assert_int_equal(stat(f->path, &ps), 0);
		assert_true(fs.st_ino == ps.st_ino && fs.st_dev == ps.st_dev);
		assert_int_equal(fdatasync(sl_audit_fd(a)), 0);
	}
	sl_audit_defer_sync(a, false);
	sl_audit_close(a);
	assert_int_equal(sl_audit_verify(f->path, &res, NULL, NULL), 0);
	assert_int_equal(res.lines, 4);
	assert_int_equal(res.breaks, 0);
}

static void test_empty_file_is_intact(void **state)
{
	struct fixture *f = *state;
	struct sl_audit_verify_result res;

	write_file(f->path, "", 0);
	assert_int_equal(sl_audit_verify(f->path, &res, NULL, NULL), 0);
	assert_int_equal(res.lines, 0);
}

/* Verifies, expecting the first break at line with why containing what. */
static void expect_break(const char *path, uint64_t line, uint64_t breaks,
			 const char *what)
{
	struct sl_audit_verify_result res;

	assert_int_equal(sl_audit_verify(path, &res, NULL, NULL), -EBADMSG);
	if (res.line != line || !strstr(res.why, what))
		fail_msg("want line %llu \"%s\", got line %llu \"%s\"",
			 (unsigned long long)line, what,
			 (unsigned long long)res.line, res.why);
	if (breaks)
		assert_int_equal(res.breaks, breaks);
}

static void test_edited_line(void **state)
{
	struct fixture *f = *state;
	char *lines[MAX_LINES], *p;
	int n;

	make_log(f->path, 6);
	n = read_lines(f->path, lines);
	p = strstr(lines[2], "alice2");
	assert_non_null(p);
	memcpy(p, "eve__2", 6);
	write_lines(f->path, lines, n);
	/* Line 3 still looks fine; line 4's prev no longer matches it. */
	expect_break(f->path, 4, 1, "prev does not match line 3");
	free_lines(lines, n);
}

static void test_edited_prev(void **state)
{
	struct fixture *f = *state;
	char *lines[MAX_LINES], *p;
	int n;

	make_log(f->path, 6);
	n = read_lines(f->path, lines);
	p = strstr(lines[2], "\"prev\":\"");
	assert_non_null(p);
	p[8] = p[8] == '0' ? '1' : '0';
	write_lines(f->path, lines, n);
	/* Its own prev is wrong, and line 4 no longer matches it. */
	expect_break(f->path, 3, 2, "prev does not match line 2");
	free_lines(lines, n);
}

static void test_deleted_line(void **state)
{
	struct fixture *f = *state;
	char *lines[MAX_LINES];
	int n;

	make_log(f->path, 6);
	n = read_lines(f->path, lines);
	free(lines[2]);
	memmove(&lines[2], &lines[3], sizeof(lines[0]) * (size_t)(n - 3));
	n--;
	write_lines(f->path, lines, n);
	expect_break(f->path, 3, 1, "prev does not match line 2");
	free_lines(lines, n);
}

static void test_deleted_first_line(void **state)
{
	struct fixture *f = *state;
	char *lines[MAX_LINES];
	int n;

	make_log(f->path, 6);
	n = read_lines(f->path, lines);
	write_lines(f->path, lines + 1, n - 1);
	expect_break(f->path, 1, 1, "genesis");
	free_lines(lines, n);
}

static void test_inserted_line(void **state)
{
	struct fixture *f = *state;
	char *lines[MAX_LINES];
	int n;

	make_log(f->path, 6);
	n = read_lines(f->path, lines);
	memmove(&lines[3], &lines[2], sizeof(lines[0]) * (size_t)(n - 2));
	lines[2] = strdup(lines[1]);	/* a replayed copy of line 2 */
	n++;
	write_lines(f->path, lines, n);
	/* Line 4 chains to the copy's bytes, which are line 2's. */
	expect_break(f->path, 3, 1, "prev does not match line 2");
	free_lines(lines, n);
}

static void test_reordered_lines(void **state)
{
	struct fixture *f = *state;
	char *lines[MAX_LINES], *t;
	int n;

	make_log(f->path, 6);
	n = read_lines(f->path, lines);
	t = lines[1];
	lines[1] = lines[2];
	lines[2] = t;
	write_lines(f->path, lines, n);
	expect_break(f->path, 2, 3, "prev does not match line 1");
	free_lines(lines, n);
}

static void test_truncated_file(void **state)
{
	struct fixture *f = *state;
	size_t len;
	char *buf;

	make_log(f->path, 6);
	buf = read_file(f->path, &len);
	write_file(f->path, buf, len - 10);
	expect_break(f->path, 6, 1, "truncated");
	/* Only the newline missing is a truncation too. */
	write_file(f->path, buf, len - 1);
	expect_break(f->path, 6, 1, "truncated");
	free(buf);
}

static void test_appended_garbage(void **state)
{
	struct fixture *f = *state;
	size_t len;
	char *buf, *more;

	make_log(f->path, 6);
	buf = read_file(f->path, &len);
	more = malloc(len + 32);
	assert_non_null(more);
	memcpy(more, buf, len);
	memcpy(more + len, "garbage\n", 8);
	write_file(f->path, more, len + 8);
	expect_break(f->path, 7, 1, "not a record");
	memcpy(more + len, "{}\n", 3);
	write_file(f->path, more, len + 3);
	expect_break(f->path, 7, 1, "missing key");
	memcpy(more + len, "\n", 1);
	write_file(f->path, more, len + 1);
	expect_break(f->path, 7, 1, "not a record");
	memcpy(more + len, "garbage", 7);
	write_file(f->path, more, len + 7);
	expect_break(f->path, 7, 1, "truncated");
	free(more);
	free(buf);
}

static void test_reopen_continues_chain(void **state)
{
	struct fixture *f = *state;
	struct sl_audit_verify_result res;
	struct sl_audit *a;

	make_log(f->path, 3);
	a = open_log(f->path);
	write_rec(a, "login", "carol", utc(2030, 1, 1, 11, 0, 0));
	write_rec(a, "logout", "carol", utc(2030, 1, 1, 11, 5, 0));
	sl_audit_close(a);
	assert_int_equal(sl_audit_verify(f->path, &res, NULL, NULL), 0);
	assert_int_equal(res.lines, 5);
}

/* The relay and an operator subcommand appending to one file. */
static void test_two_writers(void **state)
{
	struct fixture *f = *state;
	struct sl_audit_verify_result res;
	struct sl_audit *a = open_log(f->path), *b = open_log(f->path);

	write_rec(a, "login", "a1", utc(2030, 1, 1, 11, 0, 0));
	write_rec(b, "user_add", "b1", utc(2030, 1, 1, 11, 0, 1));
	write_rec(b, "user_add", "b2", utc(2030, 1, 1, 11, 0, 2));
	write_rec(a, "login", "a2", utc(2030, 1, 1, 11, 0, 3));
	sl_audit_close(b);
	sl_audit_close(a);
	assert_int_equal(sl_audit_verify(f->path, &res, NULL, NULL), 0);
	assert_int_equal(res.lines, 4);
}

static void *late_writer(void *arg)
{
	write_rec(arg, "user_add", "late", utc(2030, 1, 1, 12, 0, 9));
	return NULL;
}

/* A group keeps the file lock from its first record to its end: another
 * writer's record (an operator subcommand's) waits, then chains after the
 * whole group. */
static void test_group_keeps_the_lock(void **state)
{
	struct fixture *f = *state;
	struct sl_audit_verify_result res;
	struct sl_audit *a = open_log(f->path), *b = open_log(f->path);
	char text[4096];
	pthread_t t;
	FILE *fp;
	size_t n;

	sl_audit_defer_sync(a, true);
	write_rec(a, "login", "g1", utc(2030, 1, 1, 12, 0, 0));
	assert_int_equal(pthread_create(&t, NULL, late_writer, b), 0);
	usleep(200 * 1000);	/* b is waiting for the lock by now */
	write_rec(a, "login", "g2", utc(2030, 1, 1, 12, 0, 1));
	assert_true(sl_audit_take_sync(a));
	sl_audit_defer_sync(a, false);	/* the group ends: b goes on */
	pthread_join(t, NULL);
	sl_audit_close(b);
	sl_audit_close(a);
	assert_int_equal(sl_audit_verify(f->path, &res, NULL, NULL), 0);
	assert_int_equal(res.lines, 3);
	assert_int_equal(res.breaks, 0);
	fp = fopen(f->path, "r");
	assert_non_null(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	assert_non_null(strstr(text, "g1"));
	assert_true(strstr(text, "g2") < strstr(text, "late"));
}

#define RACE_RECORDS 40

static void *race_writer(void *arg)
{
	struct sl_audit *a = arg;
	int i;

	for (i = 0; i < RACE_RECORDS; i++)
		write_rec(a, "login", "thread", utc(2030, 1, 1, 11, 0, i));
	return NULL;
}

/* Threads sharing one handle, and processes with handles of their own. */
static void test_concurrent_writers(void **state)
{
	struct fixture *f = *state;
	struct sl_audit_verify_result res;
	struct sl_audit *a = open_log(f->path);
	pthread_t t[2];
	pid_t pid[2];
	int i, status;

	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race_writer, a),
				 0);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	sl_audit_close(a);

	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			struct sl_audit_conf c = { .path = f->path };
			struct sl_audit *b = sl_audit_open(&c);
			int k, bad = !b;

			for (k = 0; b && k < RACE_RECORDS; k++) {
				struct sl_audit_record r = {
					.event = "user_add",
					.actor = i ? "proc1" : "proc0",
				};

				bad |= sl_audit_write(b, &r) != 0;
			}
			sl_audit_close(b);
			_exit(bad);
		}
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(sl_audit_verify(f->path, &res, NULL, NULL), 0);
	assert_int_equal(res.lines, 4 * RACE_RECORDS);
}

static void test_recovery_after_truncation(void **state)
{
	struct fixture *f = *state;
	struct sl_audit_verify_result res;
	struct sl_audit *a;
	char *lines[MAX_LINES];
	size_t len;
	char *buf;
	int n;

	make_log(f->path, 3);
	buf = read_file(f->path, &len);
	write_file(f->path, buf, len - 20);	/* a crash mid-write */
	free(buf);

	a = open_log(f->path);
	write_rec(a, "login", "dave", utc(2030, 1, 1, 12, 0, 0));
	sl_audit_close(a);

	/* The damaged line is still reported, and only it. */
	assert_int_equal(sl_audit_verify(f->path, &res, NULL, NULL), -EBADMSG);
	assert_int_equal(res.lines, 5);
	assert_int_equal(res.line, 3);
	assert_int_equal(res.breaks, 1);
	n = read_lines(f->path, lines);
	assert_int_equal(n, 5);
	assert_non_null(strstr(lines[3], "\"event\":\"audit_recovery\""));
	assert_non_null(strstr(lines[3], "\"outcome\":\"chain_break\""));
	assert_non_null(strstr(lines[3], "truncated"));
	assert_non_null(strstr(lines[4], "\"actor\":\"dave\""));
	free_lines(lines, n);
}

static void test_recovery_after_garbage(void **state)
{
	struct fixture *f = *state;
	struct sl_audit_verify_result res;
	struct sl_audit *a;
	size_t len;
	char *buf, *more;

	make_log(f->path, 3);
	buf = read_file(f->path, &len);
	more = malloc(len + 16);
	assert_non_null(more);
	memcpy(more, buf, len);
	memcpy(more + len, "not json\n", 9);
	write_file(f->path, more, len + 9);

	a = open_log(f->path);
	write_rec(a, "login", "erin", utc(2030, 1, 1, 12, 0, 0));
	sl_audit_close(a);
	assert_int_equal(sl_audit_verify(f->path, &res, NULL, NULL), -EBADMSG);
	assert_int_equal(res.lines, 6);
	assert_int_equal(res.line, 4);
	assert_int_equal(res.breaks, 1);
	free(more);
	free(buf);
}

static int count_lines(const char *path)
{
	char *lines[MAX_LINES];
	int n = read_lines(path, lines);

	free_lines(lines, n);
	return n;
}

static void test_boundary(void **state)
{
	struct fixture *f = *state;
	struct sl_audit_verify_result res;
	const time_t d = utc(2030, 1, 1, 10, 0, 0);
	char *lines[MAX_LINES];
	struct sl_audit *a;
	int n;

	/* A fresh, empty log writes nothing on the day it was opened. */
	a = open_log(f->path);
	assert_int_equal(sl_audit_tick(a, time(NULL)), 0);
	assert_int_equal(count_lines(f->path), 0);

	write_rec(a, "login", "alice", d);
	assert_int_equal(sl_audit_tick(a, d + 3600), 0);
	assert_int_equal(sl_audit_tick(a, utc(2030, 1, 1, 23, 59, 59)), 0);
	assert_int_equal(count_lines(f->path), 1);
	/* Next UTC day, nothing written yet: a boundary. */
	assert_int_equal(sl_audit_tick(a, utc(2030, 1, 2, 0, 0, 5)), 0);
	assert_int_equal(count_lines(f->path), 2);
	/* Once a day only. */
	assert_int_equal(sl_audit_tick(a, utc(2030, 1, 2, 12, 0, 0)), 0);
	assert_int_equal(count_lines(f->path), 2);
	/* A day with a record of its own gets no boundary. */
	write_rec(a, "login", "alice", utc(2030, 1, 3, 8, 0, 0));
	assert_int_equal(sl_audit_tick(a, utc(2030, 1, 3, 9, 0, 0)), 0);
	assert_int_equal(count_lines(f->path), 3);
	/* Two quiet days later: one boundary, now. */
	assert_int_equal(sl_audit_tick(a, utc(2030, 1, 5, 6, 0, 0)), 0);
	assert_int_equal(count_lines(f->path), 4);
	sl_audit_close(a);

	/* The day of the last record is read back from the file. */
	a = open_log(f->path);
	assert_int_equal(sl_audit_tick(a, utc(2030, 1, 5, 23, 0, 0)), 0);
	assert_int_equal(count_lines(f->path), 4);
	sl_audit_close(a);

	n = read_lines(f->path, lines);
	assert_non_null(strstr(lines[1], "{\"time\":\"2030-01-02T00:00:05.000Z\""
				",\"event\":\"boundary\""));
	assert_non_null(strstr(lines[1],
			"\"details\":{\"last\":\"2030-01-01T10:00:00.000Z\"}"));
	assert_non_null(strstr(lines[3], "{\"time\":\"2030-01-05T06:00:00.000Z\""
				",\"event\":\"boundary\""));
	free_lines(lines, n);
	assert_int_equal(sl_audit_verify(f->path, &res, NULL, NULL), 0);
}

static int run_cli(const char *a1, const char *a2)
{
	char *argv[4] = { "audit-verify", (char *)a1, (char *)a2, NULL };
	int argc = 1 + (a1 != NULL) + (a2 != NULL);

	return sl_audit_verify_main(argc, argv);
}

static void test_cli(void **state)
{
	struct fixture *f = *state;
	char missing[128];
	char *lines[MAX_LINES];
	int n;

	make_log(f->path, 4);
	assert_int_equal(run_cli(f->path, NULL), 0);
	assert_int_equal(run_cli("-q", f->path), 0);
	n = read_lines(f->path, lines);
	write_lines(f->path, lines + 1, n - 1);
	free_lines(lines, n);
	assert_int_equal(run_cli(f->path, NULL), 1);
	assert_int_equal(run_cli("-q", f->path), 1);
	snprintf(missing, sizeof(missing), "%s/missing.log", f->dir);
	assert_int_equal(run_cli(missing, NULL), 2);
	assert_int_equal(run_cli(NULL, NULL), 2);
	assert_int_equal(run_cli(f->path, f->path), 2);
	assert_int_equal(run_cli("-x", f->path), 2);
}

#define PREV0 "0000000000000000000000000000000000000000000000000000000000000000"

static int parse(const char *line, char *why, size_t whylen)
{
	char prev[SL_AUDIT_HASH_HEX];

	return sl_audit_parse_line(line, strlen(line), prev, NULL, why, whylen);
}

static void test_parse_line(void **state)
{
	static const struct {
		const char *line, *why;
	} bad[] = {
		{ "[]", "not a JSON object" },
		{ "{\"time\":\"2030-01-01T00:00:00.000Z\"}", "missing key" },
		{ "{\"time\":\"2030-01-01T00:00:00Z\"}", "bad \"time\"" },
		{ "{\"event\":\"x\",\"event\":\"y\"}", "duplicate key" },
		{ "{\"who\":1}", "unknown key" },
		{ "{\"prev\":\"" PREV0 "0\"}", "bad \"prev\"" },
		{ "{\"prev\":\"ABCDEF0000000000000000000000000000000000000000000000000000000000\"}",
		  "bad \"prev\"" },
		{ "{\"actor\":\"a\xff\"}", "invalid UTF-8" },
		{ "{\"actor\":\"a\x01\"}", "control character" },
		{ "{\"actor\":\"\\ud800\"}", "surrogate" },
		{ "{\"actor\":\"\\u0000\"}", "NUL" },
		{ "{\"actor\":1}", "wrong type" },
		{ "{\"details\":[1]}", "wrong type" },
		{ "{\"event\":\"Login\"}", "bad \"event\"" },
		{ "{\"actor\":\"a\"} x", "data after the record" },
		{ "{\"actor\":\"a\"", "expected" },
		{ "{\"details\":{\"a\":01}}", "bad JSON" },
	};
	char why[160], line[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (parse(bad[i].line, why, sizeof(why)) != -EINVAL ||
		    !strstr(why, bad[i].why))
			fail_msg("%s: want \"%s\", got \"%s\"", bad[i].line,
				 bad[i].why, why);
	}
	snprintf(line, sizeof(line),
		 "{\"time\":\"2030-01-01T00:00:00.000Z\",\"event\":\"x.y-z_1\","
		 "\"actor\":null,\"object\":\"\\u00e4\\ud83d\\ude00\","
		 "\"domain\":null,\"source\":null,\"outcome\":\"ok\","
		 "\"details\":{\"a\":[1,-2.5e3,true,false,null,{\"b\":\"c\"}]},"
		 "\"prev\":\"%s\"}", PREV0);
	assert_int_equal(parse(line, why, sizeof(why)), 0);
}

/* A bound AF_UNIX datagram socket to receive the local syslog copy. */
static void test_forward_local(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct sl_audit_conf c = {
		.path = f->path,
		.fwd = SL_AUDIT_FWD_LOCAL,
		.hostname = "testhost",
	};
	char sock[128], msg[4096], *lines[MAX_LINES];
	struct sl_audit *a;
	ssize_t n;
	int fd, k;

	snprintf(sock, sizeof(sock), "%s/log.sock", f->dir);
	strcpy(un.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	c.fwd_target = sock;
	a = sl_audit_open(&c);
	assert_non_null(a);
	write_rec(a, "session_open", "alice", utc(2030, 1, 1, 10, 0, 0));
	sl_audit_close(a);

	n = recv(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	msg[n] = '\0';
	k = read_lines(f->path, lines);
	assert_int_equal(k, 1);
	lines[0][strlen(lines[0]) - 1] = '\0';
	/* authpriv (10) * 8 + info (6) = 86. */
	snprintf(sock, sizeof(sock), "<86>1 2030-01-01T10:00:00.000Z testhost "
		 "sluice-relay %d session_open - ", (int)getpid());
	assert_true(strncmp(msg, sock, strlen(sock)) == 0);
	assert_string_equal(msg + strlen(sock), lines[0]);
	free_lines(lines, k);
	close(fd);
}

static void test_forward_udp(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	struct sl_audit_conf c = {
		.path = f->path,
		.fwd = SL_AUDIT_FWD_UDP,
		.facility = 13,
		.app_name = "relay-test",
		.hostname = "h",
	};
	struct sl_audit_record r = { .event = "login", .outcome = "failed" };
	char target[64], msg[4096];
	struct pollfd pfd;
	struct sl_audit *a;
	ssize_t n;
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(target, sizeof(target), "127.0.0.1:%u", ntohs(sin.sin_port));
	c.fwd_target = target;
	a = sl_audit_open(&c);
	assert_non_null(a);
	assert_int_equal(sl_audit_write(a, &r), 0);
	sl_audit_close(a);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	n = recv(fd, msg, sizeof(msg) - 1, 0);
	assert_true(n > 0);
	msg[n] = '\0';
	/* log audit (13) * 8 + warning (4) = 108: not "ok". */
	assert_true(strncmp(msg, "<108>1 ", 7) == 0);
	assert_non_null(strstr(msg, " h relay-test "));
	assert_non_null(strstr(msg, " login - {\"time\":"));
	close(fd);
}

static void test_forward_tcp(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	struct sl_audit_conf c = {
		.path = f->path,
		.fwd = SL_AUDIT_FWD_TCP,
		.hostname = "h",
	};
	char target[64], buf[8192], *lines[MAX_LINES], *p;
	size_t got = 0;
	struct sl_audit *a;
	int lfd, cfd, k, i, tries;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(target, sizeof(target), "127.0.0.1:%u", ntohs(sin.sin_port));
	c.fwd_target = target;
	a = sl_audit_open(&c);
	assert_non_null(a);
	write_rec(a, "login", "alice", utc(2030, 1, 1, 10, 0, 0));
	write_rec(a, "logout", "alice", utc(2030, 1, 1, 10, 0, 1));
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	/* The connect may finish after the writes: ticks flush the queue. */
	for (tries = 0; tries < 200; tries++) {
		struct pollfd pfd = { .fd = cfd, .events = POLLIN };
		ssize_t n;

		sl_audit_tick(a, utc(2030, 1, 1, 10, 0, 2));
		if (poll(&pfd, 1, 10) == 1) {
			n = recv(cfd, buf + got, sizeof(buf) - 1 - got, 0);
			assert_true(n > 0);
			got += (size_t)n;
		}
		buf[got] = '\0';
		p = strstr(buf, "logout - {");
		if (p && buf[got - 1] == '}')
			break;
	}
	sl_audit_close(a);
	k = read_lines(f->path, lines);
	assert_int_equal(k, 2);
	/* Two frames "LEN SP MSG", each MSG ending with its line. */
	p = buf;
	for (i = 0; i < 2; i++) {
		char *sp, *end;
		unsigned long len = strtoul(p, &end, 10);

		assert_true(end > p && *end == ' ');
		sp = end + 1;
		assert_true(len <= got - (size_t)(sp - buf));
		lines[i][strlen(lines[i]) - 1] = '\0';
		assert_true(len > strlen(lines[i]));
		assert_memory_equal(sp + len - strlen(lines[i]), lines[i],
				    strlen(lines[i]));
		assert_true(strncmp(sp, "<86>1 ", 6) == 0);
		p = sp + len;
	}
	assert_int_equal((size_t)(p - buf), got);
	free_lines(lines, k);
	close(cfd);
	close(lfd);
}

/* Nobody listens: the local write still succeeds, at once. */
static void test_forward_failure_keeps_write(void **state)
{
	struct fixture *f = *state;
	struct sl_audit_verify_result res;
	struct sl_audit_conf c = { .path = f->path };
	char sock[128];
	struct sl_audit *a;
	int i;

	snprintf(sock, sizeof(sock), "%s/nobody.sock", f->dir);
	c.fwd = SL_AUDIT_FWD_LOCAL;
	c.fwd_target = sock;
	a = sl_audit_open(&c);
	assert_non_null(a);
	for (i = 0; i < 3; i++)
		write_rec(a, "login", "alice", utc(2030, 1, 1, 10, 0, i));
	sl_audit_close(a);

	c.fwd = SL_AUDIT_FWD_TCP;
	c.fwd_target = "127.0.0.1:1";	/* refused */
	a = sl_audit_open(&c);
	assert_non_null(a);
	for (i = 0; i < 3; i++)
		write_rec(a, "login", "alice", utc(2030, 1, 1, 11, 0, i));
	sl_audit_tick(a, utc(2030, 1, 1, 11, 0, 5));
	sl_audit_close(a);
	assert_int_equal(sl_audit_verify(f->path, &res, NULL, NULL), 0);
	assert_int_equal(res.lines, 6);

	c.fwd_target = "no-port";
	assert_null(sl_audit_open(&c));
	assert_int_equal(errno, EINVAL);
}

/* Stderr into a file while fn runs; returns what was written. */
static char *capture_stderr(const char *dir, void (*fn)(const char *),
			    const char *arg)
{
	char path[128];
	size_t len;
	int fd, saved;
	char *out;

	snprintf(path, sizeof(path), "%s/stderr.txt", dir);
	fflush(stderr);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	fn(arg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	out = read_file(path, &len);
	return out;
}

static void five_unsent(const char *path)
{
	char sock[160];
	struct sl_audit_conf c = {
		.path = path,
		.fwd = SL_AUDIT_FWD_LOCAL,
		.fwd_target = sock,
	};
	struct sl_audit *a;
	int i;

	snprintf(sock, sizeof(sock), "%s.nobody", path);
	a = sl_audit_open(&c);
	assert_non_null(a);
	for (i = 0; i < 5; i++)
		write_rec(a, "login", "alice", utc(2030, 1, 1, 10, 0, i));
	sl_audit_close(a);
}

/* Five failed copies: one line at the first, a count at close. */
static void test_forward_failure_rate_limited(void **state)
{
	struct fixture *f = *state;
	char *err = capture_stderr(f->dir, five_unsent, f->path), *p;
	int n = 0;

	for (p = err; (p = strstr(p, "syslog forwarding to")); p++)
		n++;
	assert_int_equal(n, 1);
	assert_non_null(strstr(err, "1 records not forwarded"));
	assert_non_null(strstr(err, "4 lost"));
	free(err);
	assert_int_equal(count_lines(f->path), 5);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_record_format_and_genesis),
		T(test_details_fields),
		T(test_escaping),
		T(test_write_refusals),
		T(test_chain_verifies),
		T(test_deferred_sync),
		T(test_empty_file_is_intact),
		T(test_edited_line),
		T(test_edited_prev),
		T(test_deleted_line),
		T(test_deleted_first_line),
		T(test_inserted_line),
		T(test_reordered_lines),
		T(test_truncated_file),
		T(test_appended_garbage),
		T(test_reopen_continues_chain),
		T(test_group_keeps_the_lock),
		T(test_two_writers),
		T(test_concurrent_writers),
		T(test_recovery_after_truncation),
		T(test_recovery_after_garbage),
		T(test_boundary),
		T(test_cli),
		cmocka_unit_test(test_parse_line),
		T(test_forward_local),
		T(test_forward_udp),
		T(test_forward_tcp),
		T(test_forward_failure_keeps_write),
		T(test_forward_failure_rate_limited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
