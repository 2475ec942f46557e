// SPDX-License-Identifier: MIT
/*
 * Devices of an agent, as reported (the agent's configuration) and as
 * approved by an operator.  Ports are stored in sl_ports_format()'s
 * canonical text after parsing, so what is stored always parses again.
 */
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ports.h"

static int canon_ports(struct store *s, const char *in,
		       char out[STORE_PORTS_MAX + 1])
{
	struct sl_ports p = { 0 };
	char why[256];

	if (!in || sl_ports_parse(in, &p, why, sizeof(why)))
		return store_err(s, -EINVAL, "bad ports \"%s\": %s",
				 in ? in : "", in ? why : "missing");
	sl_ports_format(&p, out, STORE_PORTS_MAX + 1);
	return 0;
}

static int check_host(struct store *s, const char *host)
{
	if (!host || !*host || strlen(host) > STORE_HOST_MAX)
		return store_err(s, -EINVAL, "bad device host \"%s\"",
				 host ? host : "");
	return 0;
}

int store_device_report(struct store *s, const char *agent,
			const struct store_device *devs, size_t n, int64_t now)
{
	char ports[STORE_PORTS_MAX + 1];
	int64_t aid;
	size_t i;
	int ret;

	ret = store_tx(s);
	if (ret)
		return ret;
	aid = store_agent_id(s, agent);
	if (aid < 0) {
		ret = (int)aid;
		goto out;
	}
	ret = store_run(s, "UPDATE devices SET reported = 0 WHERE agent_id = ?",
			"i", aid);
	for (i = 0; i < n && ret >= 0; i++) {
		if (!sl_name_valid(devs[i].name) || !devs[i].name[0]) {
			ret = store_err(s, -EINVAL, "bad device name \"%s\"",
					devs[i].name);
			break;
		}
		ret = check_host(s, devs[i].reported_host);
		if (!ret)
			ret = canon_ports(s, devs[i].reported_ports, ports);
		if (ret)
			break;
		ret = store_run(s, "INSERT INTO devices (agent_id, name, reported, "
				"reported_host, reported_ports, reported_at) "
				"VALUES (?1, ?2, 1, ?3, ?4, ?5) ON CONFLICT "
				"(agent_id, name) DO UPDATE SET reported = 1, "
				"reported_host = ?3, reported_ports = ?4, "
				"reported_at = ?5", "ittti", aid, devs[i].name,
				devs[i].reported_host, ports, now);
	}
	if (ret >= 0)
		ret = store_run(s, "DELETE FROM devices WHERE agent_id = ? AND "
				"reported = 0 AND approved = 0", "i", aid);
out:
	return store_tx_end(s, ret < 0 ? ret : 0);
}

int store_device_approve(struct store *s, const char *agent, const char *name,
			 const char *host, const char *ports, const char *by,
			 int64_t now)
{
	char canon[STORE_PORTS_MAX + 1], rhost[STORE_HOST_MAX + 1];
	char rports[STORE_PORTS_MAX + 1];
	sqlite3_stmt *st;
	int64_t aid;
	int ret;

	if (!name || !*name || !sl_name_valid(name))
		return store_err(s, -EINVAL, "bad device name \"%s\"",
				 name ? name : "");
	ret = store_tx(s);
	if (ret)
		return ret;
	aid = store_agent_id(s, agent);
	if (aid < 0) {
		ret = (int)aid;
		goto out;
	}
	if (!host || !ports) {
		st = store_stmt(s, "SELECT reported_host, reported_ports FROM "
				"devices WHERE agent_id = ? AND name = ? AND "
				"reported = 1", "it", aid, name);
		if (!st) {
			ret = -EIO;
			goto out;
		}
		ret = store_step(s, st);
		if (ret == 1) {
			store_col(st, 0, rhost, sizeof(rhost));
			store_col(st, 1, rports, sizeof(rports));
			host = host ? host : rhost;
			ports = ports ? ports : rports;
			ret = 0;
		} else if (!ret) {
			ret = store_err(s, -ENOENT, "agent %s reports no device "
					"%s: give its host and ports", agent, name);
		}
		store_done(s, st);
		if (ret)
			goto out;
	}
	ret = check_host(s, host);
	if (!ret)
		ret = canon_ports(s, ports, canon);
	if (ret)
		goto out;
	ret = store_run(s, "INSERT INTO devices (agent_id, name, approved, "
			"approved_host, approved_ports, approved_by, approved_at) "
			"VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6) ON CONFLICT "
			"(agent_id, name) DO UPDATE SET approved = 1, "
			"approved_host = ?3, approved_ports = ?4, "
			"approved_by = ?5, approved_at = ?6", "itttti", aid,
			name, host, canon, by ? by : "", now);
out:
	return store_tx_end(s, ret < 0 ? ret : 0);
}

int store_device_unapprove(struct store *s, const char *agent,
			   const char *name)
{
	int64_t aid;
	int ret;

	ret = store_tx(s);
	if (ret)
		return ret;
	aid = store_agent_id(s, agent);
	if (aid < 0) {
		ret = (int)aid;
		goto out;
	}
	ret = store_run(s, "UPDATE devices SET approved = 0, approved_host = '', "
			"approved_ports = '', approved_by = '', approved_at = 0 "
			"WHERE agent_id = ? AND name = ? AND approved = 1",
			"it", aid, name);
	if (ret == 0)
		ret = store_err(s, -ENOENT, "agent %s has no approved device %s",
				agent, name);
	if (ret >= 0)
		ret = store_run(s, "DELETE FROM devices WHERE agent_id = ? AND "
				"name = ? AND reported = 0", "it", aid, name);
out:
	return store_tx_end(s, ret < 0 ? ret : 0);
}

static void device_row(sqlite3_stmt *st, void *el)
{
	struct store_device *d = el;

	store_col(st, 0, d->agent, sizeof(d->agent));
	store_col(st, 1, d->name, sizeof(d->name));
	d->reported = sqlite3_column_int(st, 2);
	store_col(st, 3, d->reported_host, sizeof(d->reported_host));
	store_col(st, 4, d->reported_ports, sizeof(d->reported_ports));
	d->reported_at = sqlite3_column_int64(st, 5);
	d->approved = sqlite3_column_int(st, 6);
	store_col(st, 7, d->approved_host, sizeof(d->approved_host));
	store_col(st, 8, d->approved_ports, sizeof(d->approved_ports));
	store_col(st, 9, d->approved_by, sizeof(d->approved_by));
	d->approved_at = sqlite3_column_int64(st, 10);
}

int store_device_list(struct store *s, const char *agent,
		      struct store_device **out, size_t *n)
{
	sqlite3_stmt *st;

	st = store_stmt(s, "SELECT a.name, v.name, v.reported, v.reported_host, "
			"v.reported_ports, v.reported_at, v.approved, "
			"v.approved_host, v.approved_ports, v.approved_by, "
			"v.approved_at FROM devices v JOIN agents a ON "
			"a.id = v.agent_id WHERE ?1 IS NULL OR a.name = ?1 "
			"ORDER BY a.name, v.name", "t", agent);
	return store_rows(s, st, sizeof(**out), device_row, (void **)out, n);
}
