// SPDX-License-Identifier: MIT
/*
 * Agents: identity (certificate serial and SPKI fingerprint), domain,
 * state, and the secondary id of clone detection, stored as its SHA-256
 * only: a copy of the database does not let anyone impersonate the agent's
 * next connect.
 */
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ports.h"

static const char *const state_names[] = {
	[STORE_AGENT_PENDING] = "pending",
	[STORE_AGENT_ACTIVE] = "active",
	[STORE_AGENT_LOCKED] = "locked",
	[STORE_AGENT_DISABLED] = "disabled",
};

const char *store_agent_state_name(enum store_agent_state st)
{
	if (st < STORE_AGENT_PENDING || st > STORE_AGENT_DISABLED)
		return "unknown";
	return state_names[st];
}

int store_agent_state_parse(const char *s, enum store_agent_state *st)
{
	int i;

	for (i = STORE_AGENT_PENDING; i <= STORE_AGENT_DISABLED; i++) {
		if (!strcmp(s, state_names[i])) {
			*st = (enum store_agent_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

static bool state_valid(enum store_agent_state st)
{
	return st >= STORE_AGENT_PENDING && st <= STORE_AGENT_DISABLED;
}

#define AGENT_COLS "a.name, d.path, a.state, a.serial, a.fingerprint, " \
	"a.secondary_hash IS NOT NULL, a.created, a.last_seen, a.last_addr, " \
	"a.reason FROM agents a JOIN domains d ON d.id = a.domain_id "

/* el: a struct store_agent (store_rows() zeroes it; single rows do too). */
static void agent_row(sqlite3_stmt *st, void *el)
{
	struct store_agent *a = el;

	memset(a, 0, sizeof(*a));
	store_col(st, 0, a->name, sizeof(a->name));
	store_col(st, 1, a->domain, sizeof(a->domain));
	a->state = (enum store_agent_state)sqlite3_column_int(st, 2);
	store_col(st, 3, a->serial, sizeof(a->serial));
	store_col(st, 4, a->fingerprint, sizeof(a->fingerprint));
	a->has_secondary = sqlite3_column_int(st, 5);
	a->created = sqlite3_column_int64(st, 6);
	a->last_seen = sqlite3_column_int64(st, 7);
	store_col(st, 8, a->last_addr, sizeof(a->last_addr));
	store_col(st, 9, a->reason, sizeof(a->reason));
}

int64_t store_agent_id(struct store *s, const char *name)
{
	sqlite3_stmt *st;
	int64_t id;
	int ret;

	st = store_stmt(s, "SELECT id FROM agents WHERE name = ?", "t", name);
	if (!st)
		return -EIO;
	ret = store_step(s, st);
	if (ret == 1)
		id = sqlite3_column_int64(st, 0);
	else
		id = ret ? ret : store_err(s, -ENOENT, "no agent %s", name);
	store_done(s, st);
	return id;
}

int store_agent_create(struct store *s, const char *name, const char *domain,
		       enum store_agent_state state, const char *serial,
		       const char *fingerprint, int64_t now)
{
	int64_t did;
	int ret;

	if (!name || !sl_name_valid(name) || !*name)
		return store_err(s, -EINVAL, "bad agent name \"%s\"",
				 name ? name : "");
	if (!state_valid(state))
		return store_err(s, -EINVAL, "bad agent state %d", (int)state);
	ret = store_tx(s);
	if (ret)
		return ret;
	did = store_domain_id(s, domain);
	if (did < 0) {
		ret = (int)did;
		goto out;
	}
	ret = store_run(s, "INSERT INTO agents (name, domain_id, state, serial, "
			"fingerprint, created) VALUES (?, ?, ?, ?, ?, ?)",
			"tiitti", name, did, (int64_t)state,
			serial && *serial ? serial : NULL,
			fingerprint ? fingerprint : "", now);
	if (ret == -EEXIST)
		store_err(s, ret, "agent %s (or its certificate serial) exists",
			  name);
out:
	return store_tx_end(s, ret < 0 ? ret : 0);
}

static int get_one(struct store *s, const char *where, const char *key,
		   struct store_agent *out)
{
	char sql[512];
	sqlite3_stmt *st;
	int ret;

	snprintf(sql, sizeof(sql), "SELECT " AGENT_COLS "WHERE %s = ?", where);
	st = store_stmt(s, sql, "t", key);
	if (!st)
		return -EIO;
	ret = store_step(s, st);
	if (ret == 1) {
		agent_row(st, out);
		ret = 0;
	} else if (!ret) {
		ret = store_err(s, -ENOENT, "no agent %s", key);
	}
	store_done(s, st);
	return ret;
}

int store_agent_get(struct store *s, const char *name, struct store_agent *out)
{
	return get_one(s, "a.name", name, out);
}

int store_agent_get_by_serial(struct store *s, const char *serial,
			      struct store_agent *out)
{
	return get_one(s, "a.serial", serial, out);
}

int store_agent_list(struct store *s, const char *domain,
		     struct store_agent **out, size_t *n)
{
	sqlite3_stmt *st;

	if (domain)
		st = store_stmt(s, "SELECT " AGENT_COLS "WHERE d.path = ?1 OR "
				"substr(d.path, 1, length(?1) + 1) = ?1 || '.' "
				"ORDER BY a.name", "t", domain);
	else
		st = store_stmt(s, "SELECT " AGENT_COLS "ORDER BY a.name", NULL);
	return store_rows(s, st, sizeof(**out), agent_row, (void **)out, n);
}

static void agent_count_row(sqlite3_stmt *st, void *el)
{
	struct store_agent_count *v = el;

	snprintf(v->domain, sizeof(v->domain), "%s",
		 (const char *)sqlite3_column_text(st, 0));
	v->state = (enum store_agent_state)sqlite3_column_int(st, 1);
	v->count = (uint64_t)sqlite3_column_int64(st, 2);
}

int store_agent_counts(struct store *s, struct store_agent_count **out, size_t *n)
{
	sqlite3_stmt *st;

	st = store_stmt(s, "SELECT d.path, a.state, count(*) FROM agents a JOIN domains d "
			"ON d.id = a.domain_id GROUP BY d.path, a.state ORDER BY d.path, a.state",
			NULL);
	return store_rows(s, st, sizeof(**out), agent_count_row, (void **)out, n);
}

/* An UPDATE of one agent by name: -ENOENT when no row changed. */
static int update(struct store *s, const char *name, int ret)
{
	if (ret == 0)
		return store_err(s, -ENOENT, "no agent %s", name);
	return ret < 0 ? ret : 0;
}

int store_agent_set_state(struct store *s, const char *name,
			  enum store_agent_state state, const char *reason)
{
	if (!state_valid(state))
		return store_err(s, -EINVAL, "bad agent state %d", (int)state);
	if (state != STORE_AGENT_LOCKED && state != STORE_AGENT_DISABLED)
		reason = "";
	return update(s, name, store_run(s, "UPDATE agents SET state = ?, "
					 "reason = ? WHERE name = ?", "itt",
					 (int64_t)state, reason ? reason : "",
					 name));
}

int store_agent_set_domain(struct store *s, const char *name,
			   const char *domain)
{
	int64_t did;
	int ret;

	ret = store_tx(s);
	if (ret)
		return ret;
	did = store_domain_id(s, domain);
	ret = did < 0 ? (int)did :
	      update(s, name, store_run(s, "UPDATE agents SET domain_id = ? "
					"WHERE name = ?", "it", did, name));
	return store_tx_end(s, ret);
}

int store_agent_set_cert(struct store *s, const char *name, const char *serial,
			 const char *fingerprint)
{
	int ret = store_run(s, "UPDATE agents SET serial = ?, fingerprint = ?, "
			    "secondary_hash = NULL WHERE name = ?", "ttt",
			    serial && *serial ? serial : NULL,
			    fingerprint ? fingerprint : "", name);

	if (ret == -EEXIST)
		return store_err(s, ret, "serial %s belongs to another agent",
				 serial);
	return update(s, name, ret);
}

int store_agent_seen(struct store *s, const char *name, const char *addr,
		     int64_t now)
{
	return update(s, name, store_run(s, "UPDATE agents SET last_seen = ?, "
					 "last_addr = ? WHERE name = ?", "itt",
					 now, addr ? addr : "", name));
}

int store_agent_delete(struct store *s, const char *name)
{
	return update(s, name, store_run(s, "DELETE FROM agents WHERE name = ?",
					 "t", name));
}

int store_agent_secondary_rotate(struct store *s, const char *name,
				 unsigned char out[STORE_SECONDARY_LEN])
{
	unsigned char h[32];

	if (RAND_bytes(out, STORE_SECONDARY_LEN) != 1)
		return store_err(s, -EIO, "no random bytes for a secondary id");
	store_sha256(out, STORE_SECONDARY_LEN, h);
	return update(s, name, store_run(s, "UPDATE agents SET secondary_hash "
					 "= ? WHERE name = ?", "bt", h,
					 (int)sizeof(h), name));
}

int store_agent_secondary_check(struct store *s, const char *name,
				const unsigned char *presented, size_t len)
{
	unsigned char h[32];
	sqlite3_stmt *st;
	int ret;

	st = store_stmt(s, "SELECT secondary_hash FROM agents WHERE name = ?",
			"t", name);
	if (!st)
		return -EIO;
	ret = store_step(s, st);
	if (ret == 0) {
		ret = store_err(s, -ENOENT, "no agent %s", name);
	} else if (ret == 1) {
		const void *stored = sqlite3_column_blob(st, 0);
		int slen = sqlite3_column_bytes(st, 0);

		if (!stored) {
			ret = 1;
		} else {
			store_sha256(presented, len, h);
			ret = slen == (int)sizeof(h) && presented &&
			      !CRYPTO_memcmp(h, stored, sizeof(h)) ? 0 :
			      store_err(s, -EKEYREJECTED, "agent %s presented "
					"a stale secondary id", name);
		}
	}
	store_done(s, st);
	return ret;
}

int store_agent_reset(struct store *s, const char *name)
{
	return update(s, name, store_run(s, "UPDATE agents SET secondary_hash "
					 "= NULL, state = ?, reason = '' "
					 "WHERE name = ?", "it",
					 (int64_t)STORE_AGENT_ACTIVE, name));
}
