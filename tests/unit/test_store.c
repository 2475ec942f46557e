// SPDX-License-Identifier: MIT
/*
 * Unit tests of the relay's state store (userspace/relay/store*.c): each
 * test gets a fresh state directory and a freshly migrated state.db.
 * Times are passed in, so expiry is tested without sleeping.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "authz.h"
#include "../../userspace/relay/store.h"
#include "../../userspace/relay/store_int.h"	/* white box: synchronous= */

#define NOW INT64_C(1800000000)
#define PHC "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
#define FP "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char dir[64];
static char why[1024];
static struct store *s;

static struct store *open_store(unsigned int busy_ms)
{
	struct store *st;
	int err;

	st = store_open(dir, busy_ms, &err, why, sizeof(why));
	if (!st)
		print_error("store_open: %d %s\n", err, why);
	return st;
}

static int setup(void **state)
{
	(void)state;
	umask(022);
	snprintf(dir, sizeof(dir), "/tmp/sluice-test-store.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	s = open_store(0);
	return s ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	store_close(s);
	s = NULL;
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The bytes of state.db and its WAL, to look for plain secrets. */
static bool file_contains(const char *name, const void *needle, size_t n)
{
	char path[128], buf[1 << 16];
	size_t have = 0, got;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return false;
	/* Overlap reads by n - 1 bytes so a match across a boundary counts. */
	while ((got = fread(buf + have, 1, sizeof(buf) - have, f)) > 0) {
		have += got;
		if (memmem(buf, have, needle, n)) {
			found = true;
			break;
		}
		if (have >= n) {
			memmove(buf, buf + have - (n - 1), n - 1);
			have = n - 1;
		}
	}
	fclose(f);
	return found;
}

static bool db_contains(const void *needle, size_t n)
{
	return file_contains("state.db", needle, n) ||
	       file_contains("state.db-wal", needle, n);
}

static void test_migrate_empty(void **state)
{
	struct store_domain *d;
	struct store *again;
	char path[128];
	struct stat st;
	size_t n;

	(void)state;
	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	assert_int_equal(store_domain_exists(s, "ROOT"), 1);
	/* Owner only, whatever the umask: it holds password hashes. */
	snprintf(path, sizeof(path), "%s/state.db", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/state.db-wal", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(store_domain_list(s, &d, &n), 0);
	assert_int_equal(n, 1);
	free(d);
	/* Opening a migrated database again changes nothing. */
	again = open_store(0);
	assert_non_null(again);
	assert_int_equal(store_schema_version(again), STORE_SCHEMA_VERSION);
	store_close(again);
}

static void test_refuse_newer_schema(void **state)
{
	char path[128];
	sqlite3 *db;
	int err;

	(void)state;
	snprintf(path, sizeof(path), "%s/state.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(store_open(dir, 0, &err, why, sizeof(why)));
	assert_int_equal(err, -EPROTO);
	assert_non_null(strstr(why, "schema version 99"));
	assert_non_null(strstr(why, "knows up to 1"));
	assert_non_null(strstr(why, "upgrade sluice-relay or restore a backup"));
}

static void test_refuse_corrupt_file(void **state)
{
	char path[128], junk[8192];
	int fd, err;

	(void)state;
	store_close(s);
	s = NULL;
	snprintf(path, sizeof(path), "%s/state.db", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state.db", dir);
	memset(junk, 'x', sizeof(junk));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
	close(fd);
	assert_null(store_open(dir, 0, &err, why, sizeof(why)));
	assert_int_equal(err, -EIO);
	assert_non_null(strstr(why, "state.db"));
}

static void test_domains(void **state)
{
	struct store_domain *d;
	size_t n;

	(void)state;
	assert_int_equal(store_domain_create(s, "ROOT.acme", NOW), 0);
	assert_int_equal(store_domain_create(s, "ROOT.acme.plant1", NOW), 0);
	assert_int_equal(store_domain_create(s, "ROOT.acme", NOW), -EEXIST);
	assert_int_equal(store_domain_create(s, "ROOT.x.y", NOW), -ENOENT);
	assert_int_equal(store_domain_create(s, "acme", NOW), -EINVAL);
	assert_int_equal(store_domain_create(s, "ROOT..a", NOW), -EINVAL);
	assert_int_equal(store_domain_create(s, "ROOTX.a", NOW), -EINVAL);
	assert_int_equal(store_domain_create(s, "ROOT.a b", NOW), -EINVAL);
	assert_int_equal(store_domain_list(s, &d, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(d[1].path, "ROOT.acme");
	free(d);
	assert_int_equal(store_domain_delete(s, "ROOT.acme"), -ENOTEMPTY);
	assert_int_equal(store_domain_delete(s, "ROOT"), -EINVAL);
	assert_int_equal(store_domain_delete(s, "ROOT.acme.plant1"), 0);
	assert_int_equal(store_domain_delete(s, "ROOT.acme"), 0);
	assert_int_equal(store_domain_delete(s, "ROOT.acme"), -ENOENT);
	assert_true(sl_domain_covers("ROOT.acme", "ROOT.acme.plant1"));
	assert_true(sl_domain_covers("ROOT.acme", "ROOT.acme"));
	assert_false(sl_domain_covers("ROOT.acme", "ROOT.acmex"));
	assert_false(sl_domain_covers("ROOT.acme", "ROOT"));
}

static void test_agents(void **state)
{
	struct store_agent a, *list;
	size_t n;

	(void)state;
	assert_int_equal(store_domain_create(s, "ROOT.acme", NOW), 0);
	assert_int_equal(store_domain_create(s, "ROOT.other", NOW), 0);
	assert_int_equal(store_agent_create(s, "plant1", "ROOT.acme",
					    STORE_AGENT_PENDING, "0abc", FP,
					    NOW), 0);
	assert_int_equal(store_agent_create(s, "plant2", "ROOT.other",
					    STORE_AGENT_ACTIVE, "0def", FP,
					    NOW), 0);
	assert_int_equal(store_agent_create(s, "plant1", "ROOT.acme",
					    STORE_AGENT_ACTIVE, "1", FP, NOW),
			 -EEXIST);
	assert_int_equal(store_agent_create(s, "plant3", "ROOT.nope",
					    STORE_AGENT_ACTIVE, "2", FP, NOW),
			 -ENOENT);
	assert_int_equal(store_agent_create(s, "bad name", "ROOT",
					    STORE_AGENT_ACTIVE, "3", FP, NOW),
			 -EINVAL);

	assert_int_equal(store_agent_get(s, "plant1", &a), 0);
	assert_string_equal(a.domain, "ROOT.acme");
	assert_int_equal(a.state, STORE_AGENT_PENDING);
	assert_string_equal(a.fingerprint, FP);
	assert_false(a.has_secondary);
	assert_int_equal(a.last_seen, 0);
	assert_int_equal(store_agent_get_by_serial(s, "0def", &a), 0);
	assert_string_equal(a.name, "plant2");
	assert_int_equal(store_agent_get(s, "nope", &a), -ENOENT);

	assert_int_equal(store_agent_list(s, NULL, &list, &n), 0);
	assert_int_equal(n, 2);
	free(list);
	assert_int_equal(store_agent_list(s, "ROOT.acme", &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].name, "plant1");
	free(list);
	assert_int_equal(store_agent_list(s, "ROOT", &list, &n), 0);
	assert_int_equal(n, 2);
	free(list);

	assert_int_equal(store_agent_set_state(s, "plant1", STORE_AGENT_DISABLED,
					       "retired"), 0);
	assert_int_equal(store_agent_set_domain(s, "plant1", "ROOT.other"), 0);
	assert_int_equal(store_agent_set_domain(s, "plant1", "ROOT.x"), -ENOENT);
	assert_int_equal(store_agent_seen(s, "plant1", "192.0.2.7:4000", NOW + 5),
			 0);
	assert_int_equal(store_agent_set_cert(s, "plant1", "0def", FP), -EEXIST);
	assert_int_equal(store_agent_set_cert(s, "plant1", "0fff", FP), 0);
	assert_int_equal(store_agent_get(s, "plant1", &a), 0);
	assert_int_equal(a.state, STORE_AGENT_DISABLED);
	assert_string_equal(a.reason, "retired");
	assert_string_equal(a.domain, "ROOT.other");
	assert_string_equal(a.last_addr, "192.0.2.7:4000");
	assert_int_equal(a.last_seen, NOW + 5);
	assert_string_equal(a.serial, "0fff");
	assert_int_equal(store_agent_set_state(s, "nope", STORE_AGENT_ACTIVE,
					       NULL), -ENOENT);
	assert_int_equal(store_agent_delete(s, "plant1"), 0);
	assert_int_equal(store_agent_delete(s, "plant1"), -ENOENT);
}

static void test_secondary_rotation(void **state)
{
	unsigned char first[STORE_SECONDARY_LEN], second[STORE_SECONDARY_LEN];
	struct store_agent a;

	(void)state;
	assert_int_equal(store_agent_create(s, "a1", "ROOT", STORE_AGENT_ACTIVE,
					    "01", FP, NOW), 0);
	/* No secret yet: the first connect is accepted, then rotates. */
	assert_int_equal(store_agent_secondary_check(s, "a1", first, 0), 1);
	assert_int_equal(store_agent_secondary_rotate(s, "a1", first), 0);
	assert_int_equal(store_agent_secondary_check(s, "a1", first,
						     sizeof(first)), 0);
	assert_false(db_contains(first, sizeof(first)));
	assert_int_equal(store_agent_secondary_rotate(s, "a1", second), 0);
	assert_memory_not_equal(first, second, sizeof(first));
	/* A clone still holding the previous secret is refused. */
	assert_int_equal(store_agent_secondary_check(s, "a1", first,
						     sizeof(first)),
			 -EKEYREJECTED);
	assert_non_null(strstr(store_why(s), "stale"));
	assert_int_equal(store_agent_secondary_check(s, "a1", second, 5),
			 -EKEYREJECTED);
	assert_int_equal(store_agent_secondary_check(s, "a1", second,
						     sizeof(second)), 0);
	assert_int_equal(store_agent_set_state(s, "a1", STORE_AGENT_LOCKED,
					       "stale secondary id"), 0);
	assert_int_equal(store_agent_reset(s, "a1"), 0);
	assert_int_equal(store_agent_get(s, "a1", &a), 0);
	assert_int_equal(a.state, STORE_AGENT_ACTIVE);
	assert_false(a.has_secondary);
	assert_string_equal(a.reason, "");
	assert_int_equal(store_agent_secondary_check(s, "a1", second,
						     sizeof(second)), 1);
	assert_int_equal(store_agent_secondary_check(s, "zz", second,
						     sizeof(second)), -ENOENT);
}

static void test_devices(void **state)
{
	struct store_device rep[2] = { 0 }, *d;
	size_t n;

	(void)state;
	assert_int_equal(store_agent_create(s, "a1", "ROOT", STORE_AGENT_ACTIVE,
					    "01", FP, NOW), 0);
	strcpy(rep[0].name, "plc1");
	strcpy(rep[0].reported_host, "192.168.10.20");
	strcpy(rep[0].reported_ports, "502, 80");
	strcpy(rep[1].name, "hmi");
	strcpy(rep[1].reported_host, "192.168.10.21");
	strcpy(rep[1].reported_ports, "5900,udp/161");
	assert_int_equal(store_device_report(s, "a1", rep, 2, NOW), 0);
	assert_int_equal(store_device_approve(s, "a1", "plc1", NULL, NULL,
					      "root", NOW), 0);
	assert_int_equal(store_device_approve(s, "a1", "extra", "10.0.0.1",
					      "22", "root", NOW), 0);
	assert_int_equal(store_device_approve(s, "a1", "ghost", NULL, NULL,
					      "root", NOW), -ENOENT);
	assert_int_equal(store_device_approve(s, "a1", "x", "10.0.0.1",
					      "99999", "root", NOW), -EINVAL);
	assert_int_equal(store_device_list(s, "a1", &d, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(d[0].name, "extra");
	assert_false(d[0].reported);
	assert_true(d[0].approved);
	assert_string_equal(d[2].name, "plc1");
	assert_string_equal(d[2].reported_ports, "502,80");
	assert_string_equal(d[2].approved_host, "192.168.10.20");
	assert_string_equal(d[2].approved_ports, "502,80");
	assert_string_equal(d[2].approved_by, "root");
	free(d);

	/* The agent stops reporting plc1 and hmi: plc1 keeps its approval. */
	assert_int_equal(store_device_report(s, "a1", NULL, 0, NOW + 1), 0);
	assert_int_equal(store_device_list(s, NULL, &d, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(d[1].name, "plc1");
	assert_false(d[1].reported);
	assert_true(d[1].approved);
	free(d);
	strcpy(rep[0].reported_ports, "not ports");
	assert_int_equal(store_device_report(s, "a1", rep, 1, NOW), -EINVAL);
	assert_int_equal(store_device_unapprove(s, "a1", "plc1"), 0);
	assert_int_equal(store_device_unapprove(s, "a1", "plc1"), -ENOENT);
	assert_int_equal(store_device_list(s, "a1", &d, &n), 0);
	assert_int_equal(n, 1);
	free(d);
	assert_int_equal(store_device_report(s, "nope", rep, 1, NOW), -ENOENT);
}

static void test_users(void **state)
{
	struct store_user u, *list;
	char phc[STORE_PHC_MAX + 1];
	size_t n;

	(void)state;
	assert_int_equal(store_user_create(s, "alice", "secret", 0, NOW),
			 -EINVAL);
	assert_int_equal(store_user_create(s, "alice", PHC, NOW + 100, NOW), 0);
	assert_int_equal(store_user_create(s, "alice", PHC, 0, NOW), -EEXIST);
	assert_int_equal(store_user_create(s, "bob", PHC, 0, NOW), 0);
	assert_int_equal(store_user_get(s, "alice", &u), 0);
	assert_false(u.disabled);
	assert_false(u.totp_enabled);
	assert_int_equal(u.expires_at, NOW + 100);
	assert_int_equal(u.failed, 0);
	assert_int_equal(store_user_set_disabled(s, "alice", true), 0);
	assert_int_equal(store_user_set_expiry(s, "alice", 0), 0);
	assert_int_equal(store_user_set_password(s, "alice", PHC "x"), 0);
	assert_int_equal(store_user_get_password(s, "alice", phc, sizeof(phc)),
			 0);
	assert_string_equal(phc, PHC "x");
	assert_int_equal(store_user_get_password(s, "alice", phc, 8), -ENOSPC);
	assert_int_equal(store_user_get(s, "alice", &u), 0);
	assert_true(u.disabled);
	assert_int_equal(u.expires_at, 0);
	assert_int_equal(store_user_list(s, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[1].name, "bob");
	free(list);

	/* Deleting a user takes certificates and grants with it. */
	assert_int_equal(store_cert_add(s, "bob", "aa", FP, NOW + 10, NOW), 0);
	assert_int_equal(store_grant_add(s, "bob", "ROOT", STORE_ROLE_USER, "",
					 "root", NOW, NULL), 0);
	assert_int_equal(store_user_delete(s, "bob"), 0);
	assert_int_equal(store_user_delete(s, "bob"), -ENOENT);
	assert_int_equal(store_cert_get(s, "aa", NULL), -ENOENT);
	assert_int_equal(store_grant_list_domain(s, NULL, (struct store_grant **)&list,
						 &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_user_get(s, "bob", &u), -ENOENT);
}

static void test_totp_encrypted(void **state)
{
	static const unsigned char seed[] = "12345678901234567890";
	unsigned char out[STORE_TOTP_SECRET_MAX];
	char path[128];
	struct store_user u;
	struct stat st;
	size_t len = 0;
	int fd;

	(void)state;
	assert_int_equal(store_user_create(s, "alice", PHC, 0, NOW), 0);
	assert_int_equal(store_user_totp_get(s, "alice", out, &len), -ENOENT);
	assert_int_equal(store_user_totp_set(s, "alice", seed, 20), 0);
	assert_int_equal(store_user_totp_get(s, "alice", out, &len), 0);
	assert_int_equal(len, 20);
	assert_memory_equal(out, seed, 20);
	assert_int_equal(store_user_get(s, "alice", &u), 0);
	assert_true(u.totp_enabled);

	/* The key file is private, and the seed is nowhere in the database. */
	snprintf(path, sizeof(path), "%s/secret.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	assert_false(db_contains(seed, 20));
	assert_false(db_contains(seed, 8));

	/* Replay guard. */
	assert_int_equal(store_user_totp_use(s, "alice", 100), 0);
	assert_int_equal(store_user_totp_use(s, "alice", 100), -EALREADY);
	assert_int_equal(store_user_totp_use(s, "alice", 99), -EALREADY);
	assert_int_equal(store_user_totp_use(s, "alice", 101), 0);
	assert_int_equal(store_user_totp_use(s, "nobody", 1), -ENOENT);

	/* Another key does not decrypt it, and says so. */
	store_close(s);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789abcdef0123456789abcdef", 32), 32);
	close(fd);
	s = open_store(0);
	assert_non_null(s);
	assert_int_equal(store_user_totp_get(s, "alice", out, &len), -EBADMSG);

	/* A key file others can read is refused. */
	store_close(s);
	assert_int_equal(chmod(path, 0644), 0);
	s = open_store(0);
	assert_int_equal(store_user_totp_get(s, "alice", out, &len), -EPERM);
	assert_non_null(strstr(store_why(s), "chmod 600"));
	assert_int_equal(store_user_totp_clear(s, "alice"), 0);
	assert_int_equal(store_user_get(s, "alice", &u), 0);
	assert_false(u.totp_enabled);
}

/* Two processes make secret.key at once: both end up with the same key. */
static void test_secret_key_race(void **state)
{
	unsigned char out[STORE_TOTP_SECRET_MAX];
	int round, i, status, go[2];
	char name[32];
	size_t len;
	pid_t pid[2];

	(void)state;
	for (round = 0; round < 5; round++) {
		char path[128];

		snprintf(path, sizeof(path), "%s/secret.key", dir);
		unlink(path);
		store_close(s);
		s = open_store(0);	/* forget the loaded key */
		for (i = 0; i < 2; i++) {
			snprintf(name, sizeof(name), "r%d-%d", round, i);
			assert_int_equal(store_user_create(s, name, PHC, 0, NOW),
					 0);
		}
		assert_int_equal(pipe(go), 0);
		for (i = 0; i < 2; i++) {
			pid[i] = fork();
			assert_true(pid[i] >= 0);
			if (pid[i] == 0) {
				struct store *mine;
				char c;
				int r;

				close(go[1]);
				mine = open_store(10000);
				if (!mine || read(go[0], &c, 1) != 0)
					_exit(3);
				snprintf(name, sizeof(name), "r%d-%d", round, i);
				r = store_user_totp_set(mine, name,
							(const unsigned char *)name,
							strlen(name));
				store_close(mine);
				_exit(r ? 1 : 0);
			}
		}
		close(go[0]);
		close(go[1]);
		for (i = 0; i < 2; i++) {
			assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		}
		for (i = 0; i < 2; i++) {
			snprintf(name, sizeof(name), "r%d-%d", round, i);
			assert_int_equal(store_user_totp_get(s, name, out, &len),
					 0);
			assert_memory_equal(out, name, strlen(name));
		}
	}
}

static void test_lockouts(void **state)
{
	struct store_lockout *l;
	struct store_user u;
	int64_t until = 0;
	bool locked;
	size_t n;

	(void)state;
	/* 3 failures within 60 s lock the source for 900 s. */
	assert_int_equal(store_lockout_fail(s, STORE_LOCK_SOURCE, "192.0.2.1", 3,
					    60, 900, "bad logins", NOW, &locked), 0);
	assert_false(locked);
	assert_int_equal(store_lockout_fail(s, STORE_LOCK_SOURCE, "192.0.2.1", 3,
					    60, 900, "bad logins", NOW + 1,
					    &locked), 0);
	assert_int_equal(store_lockout_check(s, STORE_LOCK_SOURCE, "192.0.2.1",
					     NOW + 1, NULL), 0);
	assert_int_equal(store_lockout_fail(s, STORE_LOCK_SOURCE, "192.0.2.1", 3,
					    60, 900, "bad logins", NOW + 2,
					    &locked), 0);
	assert_true(locked);
	assert_int_equal(store_lockout_check(s, STORE_LOCK_SOURCE, "192.0.2.1",
					     NOW + 3, &until), 1);
	assert_int_equal(until, NOW + 902);
	assert_int_equal(store_lockout_list(s, 0, NOW + 3, &l, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].reason, "bad logins");
	assert_int_equal(l[0].kind, STORE_LOCK_SOURCE);
	free(l);
	/* The lock ends by time. */
	assert_int_equal(store_lockout_check(s, STORE_LOCK_SOURCE, "192.0.2.1",
					     NOW + 902, NULL), 0);
	assert_int_equal(store_lockout_list(s, 0, NOW + 902, &l, &n), 0);
	assert_int_equal(n, 0);

	/* Failures spread wider than the window never lock. */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(store_lockout_fail(s, STORE_LOCK_SOURCE, "b", 3,
						    60, 900, NULL,
						    NOW + i * 61, &locked), 0);
		assert_false(locked);
	}
	assert_int_equal(store_lockout_expire(s, 60, NOW + 10000), 2);

	/* Accounts: counted on the user, reset by a good login. */
	assert_int_equal(store_user_create(s, "alice", PHC, 0, NOW), 0);
	assert_int_equal(store_user_login_failed(s, "alice", 3, 60, 900, NOW,
						 &locked), 0);
	assert_int_equal(store_user_login_failed(s, "alice", 3, 60, 900, NOW,
						 &locked), 0);
	assert_int_equal(store_user_get(s, "alice", &u), 0);
	assert_int_equal(u.failed, 2);
	assert_int_equal(store_user_login_ok(s, "alice"), 0);
	assert_int_equal(store_user_get(s, "alice", &u), 0);
	assert_int_equal(u.failed, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(store_user_login_failed(s, "alice", 3, 60, 900,
							 NOW, &locked), 0);
	assert_true(locked);
	assert_int_equal(store_user_get(s, "alice", &u), 0);
	assert_int_equal(u.locked_until, NOW + 900);
	assert_int_equal(store_lockout_check(s, STORE_LOCK_ACCOUNT, "alice", NOW,
					     NULL), 1);
	/* Operator lock of an agent, and unlock. */
	assert_int_equal(store_lockout_set(s, STORE_LOCK_AGENT, "a1", 0,
					   "operator"), 0);
	assert_int_equal(store_lockout_check(s, STORE_LOCK_AGENT, "a1",
					     NOW + 1000000, NULL), 1);
	assert_int_equal(store_lockout_clear(s, STORE_LOCK_AGENT, "a1"), 0);
	assert_int_equal(store_lockout_check(s, STORE_LOCK_AGENT, "a1", NOW,
					     NULL), 0);
	assert_int_equal(store_lockout_fail(s, 9, "x", 3, 60, 900, NULL, NOW,
					    NULL), -EINVAL);
}

static void test_certs(void **state)
{
	struct store_cert c, *list;
	size_t n;

	(void)state;
	assert_int_equal(store_user_create(s, "alice", PHC, 0, NOW), 0);
	assert_int_equal(store_user_create(s, "bob", PHC, 0, NOW), 0);
	assert_int_equal(store_cert_add(s, "alice", "a1", FP, NOW + 100, NOW), 0);
	assert_int_equal(store_cert_add(s, "alice", "a2", FP, NOW + 100, NOW), 0);
	assert_int_equal(store_cert_add(s, "bob", "a1", FP, NOW + 100, NOW),
			 -EEXIST);
	assert_int_equal(store_cert_add(s, "nobody", "b1", FP, NOW, NOW),
			 -ENOENT);
	assert_int_equal(store_cert_check(s, "a1", FP, "alice", NOW, &c), 0);
	assert_string_equal(c.user, "alice");
	assert_int_equal(store_cert_check(s, "a1", FP, NULL, NOW, NULL), 0);
	assert_int_equal(store_cert_check(s, "a1", FP, "bob", NOW, NULL),
			 -ENOENT);
	assert_int_equal(store_cert_check(s, "a1", "sha256:00", "alice", NOW,
					  NULL), -ENOENT);
	assert_int_equal(store_cert_check(s, "zz", FP, NULL, NOW, NULL), -ENOENT);
	assert_int_equal(store_cert_check(s, "a1", FP, "alice", NOW + 101, NULL),
			 -EKEYEXPIRED);
	assert_int_equal(store_cert_revoke(s, "a1", NOW + 1), 0);
	assert_int_equal(store_cert_revoke(s, "a1", NOW + 2), -EALREADY);
	assert_int_equal(store_cert_check(s, "a1", FP, "alice", NOW, NULL),
			 -EKEYREVOKED);
	assert_int_equal(store_cert_revoke_user(s, "alice", NOW + 3), 1);
	assert_int_equal(store_cert_revoke_user(s, "alice", NOW + 3), 0);
	assert_int_equal(store_cert_list(s, "alice", &list, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].revoked_at, NOW + 1);
	assert_int_equal(list[1].revoked_at, NOW + 3);
	free(list);
	assert_int_equal(store_cert_list(s, NULL, &list, &n), 0);
	assert_int_equal(n, 2);
	free(list);
}

static void test_grants(void **state)
{
	struct store_grant *g;
	enum store_role role;
	int64_t id = 0;
	size_t n;

	(void)state;
	assert_int_equal(store_domain_create(s, "ROOT.acme", NOW), 0);
	assert_int_equal(store_user_create(s, "alice", PHC, 0, NOW), 0);
	assert_int_equal(store_grant_add(s, "alice", "ROOT.acme", STORE_ROLE_USER,
					 "mon-fri 08:00-18:00", "root", NOW,
					 &id), 0);
	assert_true(id > 0);
	assert_int_equal(store_grant_add(s, "alice", "ROOT.acme", STORE_ROLE_ADMIN,
					 NULL, "root", NOW, NULL), -EEXIST);
	assert_int_equal(store_grant_add(s, "alice", "ROOT", STORE_ROLE_ADMIN,
					 NULL, "root", NOW, NULL), 0);
	assert_int_equal(store_grant_add(s, "alice", "ROOT.x", STORE_ROLE_ADMIN,
					 NULL, "root", NOW, NULL), -ENOENT);
	assert_int_equal(store_grant_add(s, "nobody", "ROOT", STORE_ROLE_ADMIN,
					 NULL, "root", NOW, NULL), -ENOENT);
	assert_int_equal(store_grant_add(s, "alice", "ROOT", 7, NULL, "root", NOW,
					 NULL), -EINVAL);
	assert_int_equal(store_grant_list_user(s, "alice", &g, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(g[0].domain, "ROOT");
	assert_int_equal(g[0].role, STORE_ROLE_ADMIN);
	assert_string_equal(g[1].window, "mon-fri 08:00-18:00");
	assert_string_equal(g[1].created_by, "root");
	free(g);
	assert_int_equal(store_grant_list_domain(s, "ROOT.acme", &g, &n), 0);
	assert_int_equal(n, 1);
	free(g);
	assert_int_equal(store_domain_delete(s, "ROOT.acme"), -ENOTEMPTY);
	assert_int_equal(store_grant_delete(s, id), 0);
	assert_int_equal(store_grant_delete(s, id), -ENOENT);
	assert_int_equal(store_domain_delete(s, "ROOT.acme"), 0);
	assert_string_equal(store_role_name(STORE_ROLE_ADMIN), "administrator");
	assert_int_equal(store_role_parse("user", &role), 0);
	assert_int_equal(role, STORE_ROLE_USER);
	assert_int_equal(store_role_parse("root", &role), -EINVAL);
}

static void test_tokens(void **state)
{
	char tok[STORE_TOKEN_STRLEN], tok2[STORE_TOKEN_STRLEN];
	char id[STORE_TOKEN_ID_STRLEN], domain[STORE_DOMAIN_MAX + 1];
	struct store_token *t;
	size_t n;

	(void)state;
	assert_int_equal(store_domain_create(s, "ROOT.acme", NOW), 0);
	assert_int_equal(store_token_create(s, "ROOT.acme", 3600, "root", NOW,
					    tok, id), 0);
	assert_int_equal(strlen(tok), STORE_TOKEN_STRLEN - 1);
	assert_int_equal(strncmp(tok, "sjt_", 4), 0);
	assert_false(db_contains(tok, strlen(tok)));
	assert_false(db_contains(tok + 4, 16));
	assert_int_equal(store_token_create(s, "ROOT.x", 3600, "root", NOW, tok2,
					    NULL), -ENOENT);
	assert_int_equal(store_token_create(s, "ROOT", 10, "root", NOW, tok2,
					    NULL), 0);

	assert_int_equal(store_token_consume(s, tok, "plant1", NOW + 5, domain),
			 0);
	assert_string_equal(domain, "ROOT.acme");
	assert_int_equal(store_token_consume(s, tok, "plant2", NOW + 6, domain),
			 -EALREADY);
	assert_int_equal(store_token_consume(s, tok2, "plant3", NOW + 10, NULL),
			 -EKEYEXPIRED);
	tok2[10] = tok2[10] == 'a' ? 'b' : 'a';
	assert_int_equal(store_token_consume(s, tok2, "p", NOW, NULL), -ENOENT);
	assert_int_equal(store_token_consume(s, "garbage", "p", NOW, NULL),
			 -ENOENT);
	assert_int_equal(store_token_consume(s, "", "p", NOW, NULL), -ENOENT);

	assert_int_equal(store_token_list(s, &t, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(t[0].id, id);
	assert_string_equal(t[0].used_by, "plant1");
	assert_int_equal(t[0].used_at, NOW + 5);
	assert_int_equal(t[0].expires_at, NOW + 3600);
	assert_int_equal(t[1].used_at, 0);
	/* An unused token keeps its domain; a used one does not. */
	assert_int_equal(store_domain_delete(s, "ROOT.acme"), 0);
	assert_int_equal(store_token_delete(s, t[1].id), 0);
	assert_int_equal(store_token_delete(s, t[1].id), -ENOENT);
	free(t);
}

/* Two processes, two connections, one token: exactly one wins. */
static void test_token_two_consumers(void **state)
{
	char tok[STORE_TOKEN_STRLEN];
	int round, wins, already, status, i;
	pid_t pid[2];
	int go[2];

	(void)state;
	for (round = 0; round < 10; round++) {
		assert_int_equal(store_token_create(s, "ROOT", 3600, "root", NOW,
						    tok, NULL), 0);
		assert_int_equal(pipe(go), 0);
		for (i = 0; i < 2; i++) {
			pid[i] = fork();
			assert_true(pid[i] >= 0);
			if (pid[i] == 0) {
				struct store *mine;
				char c, name[32];
				int r;

				close(go[1]);
				mine = open_store(10000);
				if (!mine)
					_exit(3);
				/* Both wait here, then race. */
				if (read(go[0], &c, 1) != 0)
					_exit(4);
				snprintf(name, sizeof(name), "agent%d", i);
				r = store_token_consume(mine, tok, name, NOW, NULL);
				store_close(mine);
				_exit(r == 0 ? 0 : r == -EALREADY ? 1 : 2);
			}
		}
		close(go[0]);
		close(go[1]);	/* EOF releases both at once */
		wins = already = 0;
		for (i = 0; i < 2; i++) {
			assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
			assert_true(WIFEXITED(status));
			wins += WEXITSTATUS(status) == 0;
			already += WEXITSTATUS(status) == 1;
		}
		assert_int_equal(wins, 1);
		assert_int_equal(already, 1);
	}
}

static void test_data_version(void **state)
{
	struct store *other;

	(void)state;
	other = open_store(0);
	assert_non_null(other);
	assert_int_equal(store_changed(s), 0);
	assert_int_equal(store_changed(s), 0);
	/* Another connection commits: seen once. */
	assert_int_equal(store_user_create(other, "alice", PHC, 0, NOW), 0);
	assert_int_equal(store_changed(s), 1);
	assert_int_equal(store_changed(s), 0);
	/* Our own commits do not count. */
	assert_int_equal(store_user_set_disabled(s, "alice", true), 0);
	assert_int_equal(store_changed(s), 0);
	assert_int_equal(store_cert_add(other, "alice", "ab", FP, NOW, NOW), 0);
	assert_int_equal(store_cert_revoke(other, "ab", NOW), 0);
	assert_int_equal(store_changed(s), 1);
	store_close(other);
}

/* Enrollment as one transaction: a failure half-way undoes the token use. */
static void test_transaction(void **state)
{
	char tok[STORE_TOKEN_STRLEN];
	struct store_agent a;

	(void)state;
	assert_int_equal(store_agent_create(s, "dup", "ROOT", STORE_AGENT_ACTIVE,
					    "01", FP, NOW), 0);
	assert_int_equal(store_token_create(s, "ROOT", 3600, "root", NOW, tok,
					    NULL), 0);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_token_consume(s, tok, "dup", NOW, NULL), 0);
	assert_int_equal(store_agent_create(s, "dup", "ROOT", STORE_AGENT_ACTIVE,
					    "02", FP, NOW), -EEXIST);
	store_rollback(s);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_token_consume(s, tok, "new", NOW, NULL), 0);
	assert_int_equal(store_agent_create(s, "new", "ROOT", STORE_AGENT_PENDING,
					    "02", FP, NOW), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_agent_get(s, "new", &a), 0);
	assert_int_equal(store_token_consume(s, tok, "x", NOW, NULL), -EALREADY);
	assert_int_equal(store_commit(s), -EINVAL);
	store_rollback(s);	/* without a transaction: nothing */
}

/*
 * Group commit: the writes of a group are one transaction, invisible to
 * another connection until store_batch_end(); a call that fails inside
 * the group undoes only itself; an explicit transaction nests in it.
 */
static void test_batch(void **state)
{
	struct store *other;
	struct store_agent a;

	(void)state;
	other = open_store(100);
	assert_non_null(other);
	store_batch_begin(s);
	assert_false(store_batch_dirty(s));
	assert_int_equal(store_agent_get(s, "nope", &a), -ENOENT);
	assert_false(store_batch_dirty(s));	/* reads open nothing */
	assert_int_equal(store_agent_create(s, "g1", "ROOT", STORE_AGENT_ACTIVE,
					    "01", FP, NOW), 0);
	assert_true(store_batch_dirty(s));
	assert_int_equal(store_agent_create(s, "g1", "ROOT", STORE_AGENT_ACTIVE,
					    "02", FP, NOW), -EEXIST);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_agent_create(s, "g2", "ROOT", STORE_AGENT_ACTIVE,
					    "03", FP, NOW), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_agent_create(s, "g3", "ROOT", STORE_AGENT_ACTIVE,
					    "04", FP, NOW), 0);
	store_rollback(s);
	assert_true(store_batch_dirty(s));
	/* Not committed yet: the other connection sees none of it. */
	assert_int_equal(store_agent_get(other, "g1", &a), -ENOENT);
	assert_int_equal(store_batch_end(s, NULL), 0);
	assert_false(store_batch_dirty(s));
	assert_int_equal(store_agent_get(other, "g1", &a), 0);
	assert_int_equal(store_agent_get(other, "g2", &a), 0);
	assert_int_equal(store_agent_get(other, "g3", &a), -ENOENT);
	/* After the group every call commits by itself again. */
	assert_int_equal(store_agent_create(s, "g4", "ROOT", STORE_AGENT_ACTIVE,
					    "05", FP, NOW), 0);
	assert_int_equal(store_agent_get(other, "g4", &a), 0);
	assert_int_equal(store_batch_end(s, NULL), 0);	/* nothing owed: no-op */
	store_close(other);
}

/* How synchronous= is set now: 1 NORMAL, 2 FULL. */
static int sync_level(struct store *st)
{
	sqlite3_stmt *q = store_stmt(st, "PRAGMA synchronous", "");
	int v = -1;

	if (q && store_step(st, q) == 1)
		v = sqlite3_column_int(q, 0);
	store_done(st, q);
	return v;
}

/*
 * The relay's group commit syncs the write-ahead log itself: the group's
 * commit leaves it unsynced (synced false, synchronous NORMAL for that
 * commit only) and store_sync_fd() is state.db-wal, which holds the
 * group's frames.
 */
static void test_batch_apart(void **state)
{
	struct store *other;
	struct store_agent a;
	struct stat fs, ps;
	char wal[128];
	bool synced = false;
	off_t before;

	(void)state;
	other = open_store(100);
	assert_non_null(other);
	snprintf(wal, sizeof(wal), "%s/state.db-wal", dir);
	assert_int_equal(sync_level(s), 2);
	store_batch_begin(s);
	assert_int_equal(store_batch_end(s, &synced), 0);
	assert_true(synced);			/* nothing written, nothing owed */
	assert_int_equal(fstat(store_sync_fd(s), &fs), 0);
	assert_int_equal(stat(wal, &ps), 0);
	assert_true(fs.st_ino == ps.st_ino && fs.st_dev == ps.st_dev);
	before = ps.st_size;
	store_batch_begin(s);
	assert_int_equal(store_agent_create(s, "w1", "ROOT", STORE_AGENT_ACTIVE,
					    "01", FP, NOW), 0);
	assert_int_equal(sync_level(s), 1);	/* the group commits with NORMAL */
	assert_int_equal(store_batch_end(s, &synced), 0);
	assert_false(synced);			/* the caller owes the sync */
	assert_int_equal(sync_level(s), 2);	/* and every other commit FULL */
	assert_int_equal(stat(wal, &ps), 0);
	assert_true(ps.st_size > before);	/* the group is in that log */
	assert_int_equal(fdatasync(store_sync_fd(s)), 0);
	assert_int_equal(store_agent_get(other, "w1", &a), 0);
	/* Without synced the group syncs the log itself. */
	store_batch_begin(s);
	assert_int_equal(store_agent_create(s, "w2", "ROOT", STORE_AGENT_ACTIVE,
					    "02", FP, NOW), 0);
	assert_int_equal(store_batch_end(s, NULL), 0);
	assert_int_equal(sync_level(s), 2);
	assert_int_equal(store_agent_get(other, "w2", &a), 0);
	store_close(other);
}

static void test_busy(void **state)
{
	struct store *other;

	(void)state;
	other = open_store(100);
	assert_non_null(other);
	assert_int_equal(store_begin(s), 0);	/* holds the write lock */
	assert_int_equal(store_user_create(other, "bob", PHC, 0, NOW), -EBUSY);
	assert_non_null(strstr(store_why(other), "locked"));
	store_rollback(s);
	assert_int_equal(store_user_create(other, "bob", PHC, 0, NOW), 0);
	store_close(other);
}

static void test_meta(void **state)
{
	char v[128];

	(void)state;
	assert_int_equal(store_meta_get(s, "agent_ca_fingerprint", v, sizeof(v)),
			 -ENOENT);
	assert_int_equal(store_meta_set(s, "agent_ca_fingerprint", FP), 0);
	assert_int_equal(store_meta_set(s, "agent_ca_fingerprint", "x"), 0);
	assert_int_equal(store_meta_get(s, "agent_ca_fingerprint", v, sizeof(v)),
			 0);
	assert_string_equal(v, "x");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_migrate_empty),
		T(test_refuse_newer_schema),
		T(test_refuse_corrupt_file),
		T(test_domains),
		T(test_agents),
		T(test_secondary_rotation),
		T(test_devices),
		T(test_users),
		T(test_totp_encrypted),
		T(test_secret_key_race),
		T(test_lockouts),
		T(test_certs),
		T(test_grants),
		T(test_tokens),
		T(test_token_two_consumers),
		T(test_data_version),
		T(test_transaction),
		T(test_batch),
		T(test_batch_apart),
		T(test_busy),
		T(test_meta),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
