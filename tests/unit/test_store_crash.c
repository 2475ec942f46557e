// SPDX-License-Identifier: MIT
/*
 * Crash consistency of the state store: a child process writes in a loop
 * (enrollments: token consumed + agent + devices in one transaction; users
 * with their certificate; lockout counts) and is killed with SIGKILL at a
 * random moment, 30 times.  After each kill the database must open, pass
 * PRAGMA integrity_check and foreign_key_check, and every multi-row
 * invariant must hold: each transaction happened entirely or not at all.
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../userspace/relay/store.h"

#define ROUNDS 30
#define NOW INT64_C(1800000000)
#define PHC "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
#define FP "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char dir[64];

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* One enrollment, all or nothing, the way the relay will do it. */
static int enroll(struct store *s, int round, int i)
{
	struct store_device devs[2] = { 0 };
	char tok[STORE_TOKEN_STRLEN], name[64];
	int ret;

	snprintf(name, sizeof(name), "a%d-%d", round, i);
	ret = store_token_create(s, "ROOT.site", 3600, "root", NOW, tok, NULL);
	if (ret)
		return ret;
	strcpy(devs[0].name, "plc");
	strcpy(devs[0].reported_host, "10.0.0.1");
	strcpy(devs[0].reported_ports, "502");
	strcpy(devs[1].name, "hmi");
	strcpy(devs[1].reported_host, "10.0.0.2");
	strcpy(devs[1].reported_ports, "5900");
	ret = store_begin(s);
	if (ret)
		return ret;
	ret = store_token_consume(s, tok, name, NOW, NULL);
	if (!ret)
		ret = store_agent_create(s, name, "ROOT.site", STORE_AGENT_ACTIVE,
					 name, FP, NOW);
	if (!ret)
		ret = store_device_report(s, name, devs, 2, NOW);
	if (ret) {
		store_rollback(s);
		return ret;
	}
	return store_commit(s);
}

static int add_user(struct store *s, int round, int i)
{
	char name[64];
	int ret;

	snprintf(name, sizeof(name), "u%d-%d", round, i);
	ret = store_begin(s);
	if (ret)
		return ret;
	ret = store_user_create(s, name, PHC, 0, NOW);
	if (!ret)
		ret = store_cert_add(s, name, name, FP, NOW + 86400, NOW);
	if (ret) {
		store_rollback(s);
		return ret;
	}
	return store_commit(s);
}

/* Writes until killed; tells the parent through ready after one round. */
static __attribute__((noreturn)) void writer(int round, int ready)
{
	char why[512];
	struct store *s;
	int err, i;

	s = store_open(dir, 10000, &err, why, sizeof(why));
	if (!s)
		_exit(2);
	for (i = 0;; i++) {
		if (enroll(s, round, i) || add_user(s, round, i) ||
		    store_lockout_fail(s, STORE_LOCK_SOURCE, "192.0.2.1", 0, 60,
				       60, NULL, NOW, NULL))
			_exit(3);
		if (i == 0 && (write(ready, "x", 1) != 1 || close(ready)))
			_exit(4);
	}
}

static int64_t query(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void check_db(int round, int64_t *agents)
{
	const unsigned char *txt;
	char path[128], why[512];
	sqlite3_stmt *st;
	struct store *s;
	sqlite3 *db;
	int err;

	/* The store opens (recovering the WAL) and knows its schema. */
	s = store_open(dir, 10000, &err, why, sizeof(why));
	if (!s)
		fail_msg("round %d: store_open: %s", round, why);
	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	store_close(s);

	snprintf(path, sizeof(path), "%s/state.db", dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1,
					    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	txt = sqlite3_column_text(st, 0);
	if (strcmp((const char *)txt, "ok"))
		fail_msg("round %d: integrity_check: %s", round, txt);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1,
					    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);

	/* A used token always has its agent, an agent its used token. */
	assert_int_equal(query(db, "SELECT count(*) FROM join_tokens t WHERE "
			       "t.used_at != 0 AND NOT EXISTS (SELECT 1 FROM "
			       "agents a WHERE a.name = t.used_by)"), 0);
	assert_int_equal(query(db, "SELECT count(*) FROM agents a WHERE NOT "
			       "EXISTS (SELECT 1 FROM join_tokens t WHERE "
			       "t.used_by = a.name AND t.used_at != 0)"), 0);
	/* Each enrolled agent has both its devices. */
	assert_int_equal(query(db, "SELECT count(*) FROM agents a WHERE (SELECT "
			       "count(*) FROM devices d WHERE d.agent_id = a.id "
			       "AND d.reported = 1) != 2"), 0);
	/* Each user has exactly its certificate. */
	assert_int_equal(query(db, "SELECT count(*) FROM users u WHERE (SELECT "
			       "count(*) FROM user_certs c WHERE c.user_id = "
			       "u.id) != 1"), 0);
	*agents = query(db, "SELECT count(*) FROM agents");
	sqlite3_close(db);
}

static void test_kill_during_writes(void **state)
{
	int64_t agents = 0, before = 0;
	unsigned int progressed = 0;
	char why[512];
	struct store *s;
	int round, err, status;
	pid_t pid;

	(void)state;
	s = store_open(dir, 0, &err, why, sizeof(why));
	assert_non_null(s);
	assert_int_equal(store_domain_create(s, "ROOT.site", NOW), 0);
	store_close(s);
	srand((unsigned int)time(NULL) ^ (unsigned int)getpid());

	for (round = 0; round < ROUNDS; round++) {
		int ready[2];
		char c;

		assert_int_equal(pipe(ready), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(ready[0]);
			writer(round, ready[1]);
		}
		close(ready[1]);
		/* Once it is in its write loop, kill it 0..100 ms later. */
		assert_int_equal(read(ready[0], &c, 1), 1);
		close(ready[0]);
		usleep((unsigned int)(rand() % 100000));
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		/* Killed, not exited: it was writing when it died. */
		if (!WIFSIGNALED(status))
			fail_msg("round %d: writer exited with %d", round,
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		check_db(round, &agents);
		progressed += agents > before;
		before = agents;
	}
	print_message("%d kills, %lld enrollments survived, %u rounds "
		      "committed something\n", ROUNDS, (long long)agents,
		      progressed);
	/* Every writer committed before it was killed. */
	assert_int_equal(progressed, ROUNDS);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sluice-test-crash.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kill_during_writes, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
