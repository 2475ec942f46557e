// SPDX-License-Identifier: MIT
/*
 * Grants: a role of a user on a domain (inherited below it; the authz code
 * decides that), with an optional time window kept as opaque text here.
 */
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[] = {
	[STORE_ROLE_ADMIN] = "administrator",
	[STORE_ROLE_USER] = "user",
};

const char *store_role_name(enum store_role role)
{
	if (role != STORE_ROLE_ADMIN && role != STORE_ROLE_USER)
		return "unknown";
	return role_names[role];
}

int store_role_parse(const char *s, enum store_role *role)
{
	if (!strcmp(s, "administrator") || !strcmp(s, "admin"))
		*role = STORE_ROLE_ADMIN;
	else if (!strcmp(s, "user"))
		*role = STORE_ROLE_USER;
	else
		return -EINVAL;
	return 0;
}

int store_grant_add(struct store *s, const char *user, const char *domain,
		    enum store_role role, const char *window,
		    const char *created_by, int64_t now, int64_t *id)
{
	int64_t uid, did;
	int ret;

	if (role != STORE_ROLE_ADMIN && role != STORE_ROLE_USER)
		return store_err(s, -EINVAL, "bad role %d", (int)role);
	if (window && strlen(window) > STORE_WINDOW_MAX)
		return store_err(s, -EINVAL, "time window longer than %d bytes",
				 STORE_WINDOW_MAX);
	ret = store_tx(s);
	if (ret)
		return ret;
	uid = store_user_id(s, user);
	did = uid < 0 ? uid : store_domain_id(s, domain);
	if (did < 0) {
		ret = (int)did;
		goto out;
	}
	ret = store_run(s, "INSERT INTO grants (user_id, domain_id, role, "
			"time_window, created_by, created) VALUES (?, ?, ?, ?, "
			"?, ?)", "iiitti", uid, did, (int64_t)role,
			window ? window : "", created_by ? created_by : "", now);
	if (ret == -EEXIST)
		store_err(s, ret, "user %s has a grant on %s already", user,
			  domain);
	if (ret >= 0 && id)
		*id = sqlite3_last_insert_rowid(s->db);
out:
	return store_tx_end(s, ret < 0 ? ret : 0);
}

int store_grant_delete(struct store *s, int64_t id)
{
	int ret = store_run(s, "DELETE FROM grants WHERE id = ?", "i", id);

	if (ret == 0)
		return store_err(s, -ENOENT, "no grant %lld", (long long)id);
	return ret < 0 ? ret : 0;
}

static void grant_row(sqlite3_stmt *st, void *el)
{
	struct store_grant *g = el;

	g->id = sqlite3_column_int64(st, 0);
	store_col(st, 1, g->user, sizeof(g->user));
	store_col(st, 2, g->domain, sizeof(g->domain));
	g->role = (enum store_role)sqlite3_column_int(st, 3);
	store_col(st, 4, g->window, sizeof(g->window));
	store_col(st, 5, g->created_by, sizeof(g->created_by));
	g->created = sqlite3_column_int64(st, 6);
}

static int list(struct store *s, const char *where, const char *key,
		struct store_grant **out, size_t *n)
{
	char sql[512];
	sqlite3_stmt *st;

	snprintf(sql, sizeof(sql), "SELECT g.id, u.name, d.path, g.role, "
		 "g.time_window, g.created_by, g.created FROM grants g JOIN "
		 "users u ON u.id = g.user_id JOIN domains d ON d.id = "
		 "g.domain_id WHERE ?1 IS NULL OR %s = ?1 ORDER BY u.name, "
		 "d.path", where);
	st = store_stmt(s, sql, "t", key);
	return store_rows(s, st, sizeof(**out), grant_row, (void **)out, n);
}

int store_grant_list_user(struct store *s, const char *user,
			  struct store_grant **out, size_t *n)
{
	if (!user)
		return store_err(s, -EINVAL, "no user");
	return list(s, "u.name", user, out, n);
}

int store_grant_list_domain(struct store *s, const char *domain,
			    struct store_grant **out, size_t *n)
{
	return list(s, "d.path", domain, out, n);
}
