// SPDX-License-Identifier: MIT
/* The domain tree: ROOT.acme.plant1, each domain a row with its parent. */
#include "authz.h"
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>


int64_t store_domain_id(struct store *s, const char *path)
{
	sqlite3_stmt *st;
	int64_t id;
	int ret;

	st = store_stmt(s, "SELECT id FROM domains WHERE path = ?", "t", path);
	if (!st)
		return -EIO;
	ret = store_step(s, st);
	if (ret == 1)
		id = sqlite3_column_int64(st, 0);
	else
		id = ret ? ret : store_err(s, -ENOENT, "no domain %s", path);
	store_done(s, st);
	return id;
}

int store_domain_create(struct store *s, const char *path, int64_t now)
{
	char parent[STORE_DOMAIN_MAX + 1];
	int64_t pid;
	int ret;

	if (!path || !sl_domain_valid(path))
		return store_err(s, -EINVAL, "bad domain \"%s\": expected "
				 STORE_ROOT ".name.name...", path ? path : "");
	if (!strcmp(path, STORE_ROOT))
		return store_err(s, -EEXIST, "domain " STORE_ROOT " exists");
	snprintf(parent, sizeof(parent), "%s", path);
	*strrchr(parent, '.') = '\0';
	ret = store_tx(s);
	if (ret)
		return ret;
	pid = store_domain_id(s, parent);
	if (pid < 0) {
		ret = (int)pid;
		if (ret == -ENOENT)
			store_err(s, ret, "parent domain %s of %s does not exist",
				  parent, path);
		goto out;
	}
	ret = store_run(s, "INSERT INTO domains (path, parent_id, created) "
			"VALUES (?, ?, ?)", "tii", path, pid, now);
	if (ret == -EEXIST)
		store_err(s, ret, "domain %s exists", path);
out:
	return store_tx_end(s, ret < 0 ? ret : 0);
}

int store_domain_delete(struct store *s, const char *path)
{
	int64_t id;
	int ret;

	if (path && !strcmp(path, STORE_ROOT))
		return store_err(s, -EINVAL, "domain " STORE_ROOT
				 " cannot be deleted");
	ret = store_tx(s);
	if (ret)
		return ret;
	id = store_domain_id(s, path);
	if (id < 0) {
		ret = (int)id;
		goto out;
	}
	/* Used tokens are history only; unused ones keep the domain. */
	ret = store_run(s, "DELETE FROM join_tokens WHERE domain_id = ? AND "
			"used_at != 0", "i", id);
	if (ret < 0)
		goto out;
	ret = store_run(s, "DELETE FROM domains WHERE id = ?", "i", id);
	if (ret == -EEXIST)	/* a RESTRICT foreign key */
		ret = store_err(s, -ENOTEMPTY, "domain %s still has sub-domains, "
				"agents, grants or unused join tokens", path);
out:
	return store_tx_end(s, ret < 0 ? ret : 0);
}

int store_domain_exists(struct store *s, const char *path)
{
	int64_t id = store_domain_id(s, path);

	if (id == -ENOENT)
		return 0;
	return id < 0 ? (int)id : 1;
}

static void domain_row(sqlite3_stmt *st, void *el)
{
	struct store_domain *v = el;

	store_col(st, 0, v->path, sizeof(v->path));
	v->created = sqlite3_column_int64(st, 1);
}

int store_domain_list(struct store *s, struct store_domain **out, size_t *n)
{
	sqlite3_stmt *st;

	st = store_stmt(s, "SELECT path, created FROM domains ORDER BY path", NULL);
	return store_rows(s, st, sizeof(**out), domain_row, (void **)out, n);
}
