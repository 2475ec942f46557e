// SPDX-License-Identifier: MIT
/*
 * Group commit.  An agent login writes the state store twice (the next
 * secondary id, the last-seen time) and the audit log once, and the
 * answer may go out only when all of it is on disk.  One fsync each,
 * one login after the other, would bound logins by the disk and block
 * the loop for every one of them.  So the loop makes every write of one
 * turn durable at once at the end of the turn (relay_commit_end: one
 * SQLite commit, one fdatasync of the audit log) and holds back every
 * answer queued after the first write of the turn until then.  The order
 * of each connection's messages is kept: once held, a connection sends
 * nothing until the commit.
 *
 * Operator commands (ctl.c) are served outside a group: their replies go
 * out over netlink, not through relay_conn_send(), so the loop ends the
 * group before it serves them (loop.c).
 */
#include "audit.h"
#include "log.h"
#include "relay.h"
#include "store.h"

void relay_commit_begin(struct relay *r)
{
	if (r->grouping)
		return;
	r->grouping = true;
	if (r->store)
		store_batch_begin(r->store);
	sl_audit_defer_sync(r->audit, true);
}

bool relay_commit_owed(struct relay *r)
{
	return r->grouping && ((r->store && store_batch_dirty(r->store)) ||
			       sl_audit_unsynced(r->audit));
}

void relay_commit_hold(struct relay *r, struct relay_conn *c)
{
	if (c->held)
		return;
	c->held = true;
	LIST_INSERT_HEAD(&r->held, c, held_link);
}

void relay_commit_end(struct relay *r)
{
	struct relay_conn *c;
	char why[600] = "";

	if (!r->grouping)
		return;
	r->grouping = false;
	if (r->store && store_batch_end(r->store)) {
		snprintf(why, sizeof(why), "state store commit failed: %s",
			 store_why(r->store));
		sl_log_err("%s; closing the connections whose answers depended on it",
			   why);
	}
	/* A failed sync is counted and logged like a lost record (journal.c):
	 * the relay keeps serving. */
	if (sl_audit_sync(r->audit))
		r->stats.audit_failures++;
	sl_audit_defer_sync(r->audit, false);
	while ((c = LIST_FIRST(&r->held))) {
		LIST_REMOVE(c, held_link);
		c->held = false;
		if (why[0])
			relay_conn_close(r, c, why);
		else if (!relay_conn_flush(r, c))
			relay_conn_update_events(r, c);
	}
}
