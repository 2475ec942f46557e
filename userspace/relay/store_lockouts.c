// SPDX-License-Identifier: MIT
/*
 * Failure counting and lockouts of accounts, source addresses and agents.
 * One row per (kind, key): the failures in the current window and, once
 * locked, the time the lock ends.  Each failure is one read-modify-write
 * under BEGIN IMMEDIATE, so the relay and a concurrent operator command
 * never lose a count.
 */
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FOREVER INT64_C(253402300799)	/* 9999-12-31T23:59:59Z */

static const char *const kind_names[] = {
	[STORE_LOCK_ACCOUNT] = "account",
	[STORE_LOCK_SOURCE] = "source",
	[STORE_LOCK_AGENT] = "agent",
};

static bool kind_valid(enum store_lock_kind k)
{
	return k >= STORE_LOCK_ACCOUNT && k <= STORE_LOCK_AGENT;
}

const char *store_lock_kind_name(enum store_lock_kind kind)
{
	return kind_valid(kind) ? kind_names[kind] : "unknown";
}

static int check_args(struct store *s, enum store_lock_kind kind,
		      const char *key)
{
	if (!kind_valid(kind))
		return store_err(s, -EINVAL, "bad lockout kind %d", (int)kind);
	if (!key || !*key || strlen(key) > SLUICE_ADDR_MAX)
		return store_err(s, -EINVAL, "bad lockout key \"%s\"",
				 key ? key : "");
	return 0;
}

int store_lockout_fail(struct store *s, enum store_lock_kind kind,
		       const char *key, unsigned int limit, int64_t window_s,
		       int64_t lock_s, const char *reason, int64_t now,
		       bool *locked_now)
{
	int64_t failures = 0, start = now, until = 0;
	sqlite3_stmt *st;
	int ret;

	if (locked_now)
		*locked_now = false;
	ret = check_args(s, kind, key);
	if (ret)
		return ret;
	ret = store_tx(s);
	if (ret)
		return ret;
	st = store_stmt(s, "SELECT failures, window_start, until FROM lockouts "
			"WHERE kind = ? AND key = ?", "it", (int64_t)kind, key);
	if (!st) {
		ret = -EIO;
		goto out;
	}
	ret = store_step(s, st);
	if (ret == 1) {
		failures = sqlite3_column_int64(st, 0);
		start = sqlite3_column_int64(st, 1);
		until = sqlite3_column_int64(st, 2);
		ret = 0;
	}
	store_done(s, st);
	if (ret < 0)
		goto out;
	if (until > now)	/* locked already: nothing more to count */
		goto out;
	if (now - start >= window_s) {
		failures = 0;
		start = now;
	}
	failures++;
	if (limit && failures >= limit) {
		until = now + lock_s;
		failures = 0;
		start = now;
		if (locked_now)
			*locked_now = true;
	}
	/* The reason is that of the lock: written when this call locks. */
	ret = store_run(s, "INSERT INTO lockouts (kind, key, failures, "
			"window_start, until, reason) VALUES (?1, ?2, ?3, ?4, "
			"?5, coalesce(?6, '')) ON CONFLICT (kind, key) DO UPDATE "
			"SET failures = ?3, window_start = ?4, until = ?5, "
			"reason = coalesce(?6, reason)", "itiiit", (int64_t)kind,
			key, failures, start, until,
			until > now ? (reason ? reason : "") : NULL);
out:
	return store_tx_end(s, ret < 0 ? ret : 0);
}

int store_lockout_check(struct store *s, enum store_lock_kind kind,
			const char *key, int64_t now, int64_t *until)
{
	sqlite3_stmt *st;
	int ret;

	ret = check_args(s, kind, key);
	if (ret)
		return ret;
	st = store_stmt(s, "SELECT until FROM lockouts WHERE kind = ? AND "
			"key = ? AND until > ?", "iti", (int64_t)kind, key, now);
	if (!st)
		return -EIO;
	ret = store_step(s, st);
	if (ret == 1 && until)
		*until = sqlite3_column_int64(st, 0);
	store_done(s, st);
	return ret;
}

int store_lockout_set(struct store *s, enum store_lock_kind kind,
		      const char *key, int64_t until, const char *reason)
{
	int ret = check_args(s, kind, key);

	if (ret)
		return ret;
	ret = store_run(s, "INSERT INTO lockouts (kind, key, until, reason) "
			"VALUES (?1, ?2, ?3, ?4) ON CONFLICT (kind, key) DO "
			"UPDATE SET failures = 0, until = ?3, reason = ?4",
			"itit", (int64_t)kind, key, until ? until : FOREVER,
			reason ? reason : "");
	return ret < 0 ? ret : 0;
}

int store_lockout_clear(struct store *s, enum store_lock_kind kind,
			const char *key)
{
	int ret = check_args(s, kind, key);

	if (ret)
		return ret;
	ret = store_run(s, "DELETE FROM lockouts WHERE kind = ? AND key = ?",
			"it", (int64_t)kind, key);
	return ret < 0 ? ret : 0;
}

static void lockout_row(sqlite3_stmt *st, void *el)
{
	struct store_lockout *l = el;

	l->kind = (enum store_lock_kind)sqlite3_column_int(st, 0);
	store_col(st, 1, l->key, sizeof(l->key));
	l->failures = (unsigned int)sqlite3_column_int64(st, 2);
	l->window_start = sqlite3_column_int64(st, 3);
	l->until = sqlite3_column_int64(st, 4);
	store_col(st, 5, l->reason, sizeof(l->reason));
}

int store_lockout_list(struct store *s, enum store_lock_kind kind, int64_t now,
		       struct store_lockout **out, size_t *n)
{
	sqlite3_stmt *st;

	st = store_stmt(s, "SELECT kind, key, failures, window_start, until, "
			"reason FROM lockouts WHERE until > ?1 AND (?2 = 0 OR "
			"kind = ?2) ORDER BY kind, key", "ii", now,
			(int64_t)kind);
	return store_rows(s, st, sizeof(**out), lockout_row, (void **)out, n);
}

int store_lockout_expire(struct store *s, int64_t window_s, int64_t now)
{
	return store_run(s, "DELETE FROM lockouts WHERE until <= ? AND "
			 "(failures = 0 OR window_start + ? <= ?)", "iii", now,
			 window_s, now);
}

int store_user_login_failed(struct store *s, const char *name,
			    unsigned int limit, int64_t window_s,
			    int64_t lock_s, int64_t now, bool *locked_now)
{
	return store_lockout_fail(s, STORE_LOCK_ACCOUNT, name, limit, window_s,
				  lock_s, "too many failed logins", now,
				  locked_now);
}

int store_user_login_ok(struct store *s, const char *name)
{
	int ret = store_run(s, "UPDATE lockouts SET failures = 0 WHERE kind = ? "
			    "AND key = ?", "it", (int64_t)STORE_LOCK_ACCOUNT,
			    name);

	return ret < 0 ? ret : 0;
}
