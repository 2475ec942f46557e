// SPDX-License-Identifier: MIT
/*
 * The identity records of sluicectl's replies (SLUICE_A_RECORDS, enum
 * sluice_rec_attr): one way to turn store rows into records, one dump loop
 * over a snapshot of rows, one mapping of store errors to replies.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "relay.h"
#include "store.h"

struct nl_msg *relay_ctl_store_error(struct relay *r, const struct relay_ctl_req *q,
				     int err, const char *what)
{
	enum sluice_err code;

	switch (err) {
	case -ENOENT:
		code = SLUICE_E_NOT_FOUND;
		break;
	case -EEXIST:
		code = SLUICE_E_EXISTS;
		break;
	case -EINVAL:
	case -ENOTEMPTY:
	case -EALREADY:
		code = SLUICE_E_INVALID;
		break;
	case -EBUSY:
		code = SLUICE_E_LIMIT;
		break;
	default:
		code = SLUICE_E_INTERNAL;
	}
	return sl_wire_error(q->seq, code, 0, "%s: %s", what, store_why(r->store));
}

struct nl_msg *relay_ctl_echo(const struct relay_ctl_req *q, int attr, const char *name)
{
	struct nl_msg *msg = sl_wire_new(q->cmd, q->seq, 0);

	if (msg && name && nla_put_string(msg, attr, name)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int relay_rec_str(struct nl_msg *msg, int attr, const char *v)
{
	return v && *v ? nla_put_string(msg, attr, v) : 0;
}

int relay_rec_time(struct nl_msg *msg, int attr, int64_t t)
{
	return t > 0 ? nla_put_u64(msg, attr, (uint64_t)t) : 0;
}

int relay_ctl_rows_dump(struct relay_ctl_req *q, struct nl_msg *msg, size_t size,
			int (*put)(struct relay *r, struct nl_msg *msg, const void *row),
			struct relay *r)
{
	struct nlattr *list, *el;

	if (q->pos >= q->nkeys)
		return 0;
	list = nla_nest_start(msg, SLUICE_A_RECORDS);
	if (!list)
		return 1;
	while (q->pos < q->nkeys) {
		el = nla_nest_start(msg, 0);
		if (!el)
			break;
		if (put(r, msg, (const char *)q->keys + q->pos * size)) {
			nla_nest_cancel(msg, el);
			break;
		}
		nla_nest_end(msg, el);
		q->pos++;
	}
	nla_nest_end(msg, list);
	return q->pos < q->nkeys;
}

struct nl_msg *relay_ctl_one_record(struct relay *r, const struct relay_ctl_req *q,
				    int (*put)(struct relay *r, struct nl_msg *msg,
					       const void *row),
				    const void *row)
{
	struct nl_msg *msg = sl_wire_new(q->cmd, q->seq, 0);
	struct nlattr *list, *el;

	list = msg ? nla_nest_start(msg, SLUICE_A_RECORDS) : NULL;
	el = list ? nla_nest_start(msg, 0) : NULL;
	if (!el || put(r, msg, row)) {
		nlmsg_free(msg);
		return NULL;
	}
	nla_nest_end(msg, el);
	nla_nest_end(msg, list);
	return msg;
}

int relay_rec_agent(struct relay *r, struct nl_msg *msg, const void *row)
{
	const struct store_agent *a = row;
	struct relay_agent *live;

	HASH_FIND_STR(r->agents, a->name, live);
	return nla_put_string(msg, SLUICE_REC_A_NAME, a->name) ||
	       relay_rec_str(msg, SLUICE_REC_A_DOMAIN, a->domain) ||
	       nla_put_string(msg, SLUICE_REC_A_STATE, store_agent_state_name(a->state)) ||
	       relay_rec_str(msg, SLUICE_REC_A_REASON, a->reason) ||
	       relay_rec_str(msg, SLUICE_REC_A_SERIAL, a->serial) ||
	       relay_rec_str(msg, SLUICE_REC_A_FINGERPRINT, a->fingerprint) ||
	       relay_rec_time(msg, SLUICE_REC_A_CREATED, a->created) ||
	       relay_rec_time(msg, SLUICE_REC_A_LAST_SEEN, a->last_seen) ||
	       relay_rec_str(msg, SLUICE_REC_A_ADDR, a->last_addr) ||
	       nla_put_u8(msg, SLUICE_REC_A_CONNECTED, live != NULL);
}

static const char *user_state(const struct store_user *u, int64_t now)
{
	if (u->disabled)
		return "disabled";
	if (u->expires_at && now >= u->expires_at)
		return "expired";
	if (u->locked_until > now)
		return "locked";
	return "enabled";
}

int relay_rec_user(struct relay *r, struct nl_msg *msg, const void *row)
{
	const struct store_user *u = row;

	(void)r;
	return nla_put_string(msg, SLUICE_REC_A_NAME, u->name) ||
	       nla_put_string(msg, SLUICE_REC_A_STATE, user_state(u, (int64_t)time(NULL))) ||
	       nla_put_u8(msg, SLUICE_REC_A_TOTP, u->totp_enabled) ||
	       nla_put_u32(msg, SLUICE_REC_A_FAILED, u->failed) ||
	       relay_rec_time(msg, SLUICE_REC_A_EXPIRES, u->expires_at) ||
	       relay_rec_time(msg, SLUICE_REC_A_LOCKED_UNTIL, u->locked_until) ||
	       relay_rec_time(msg, SLUICE_REC_A_CREATED, u->created);
}

int relay_rec_grant(struct relay *r, struct nl_msg *msg, const void *row)
{
	const struct store_grant *g = row;
	char id[24];

	(void)r;
	snprintf(id, sizeof(id), "%lld", (long long)g->id);
	return nla_put_string(msg, SLUICE_REC_A_ID, id) ||
	       nla_put_string(msg, SLUICE_REC_A_NAME, g->user) ||
	       nla_put_string(msg, SLUICE_REC_A_DOMAIN, g->domain) ||
	       nla_put_string(msg, SLUICE_REC_A_ROLE, store_role_name(g->role)) ||
	       relay_rec_str(msg, SLUICE_REC_A_WINDOW, g->window) ||
	       relay_rec_time(msg, SLUICE_REC_A_CREATED, g->created) ||
	       relay_rec_str(msg, SLUICE_REC_A_CREATED_BY, g->created_by);
}
