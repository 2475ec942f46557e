// SPDX-License-Identifier: MIT
/*
 * Group commit.  An agent login writes the state store twice (the next
 * secondary id, the last-seen time) and the audit log once, and the
 * answer may go out only when all of it is on disk.  One fsync each,
 * one login after the other, would bound logins by the disk and block
 * the loop for every one of them.  So every write of one loop turn joins
 * one group: one SQLite transaction, audit records written without their
 * fdatasync, and every answer queued after the group's first write held
 * back.  At the end of the turn (relay_commit_end) the transaction is
 * committed without a sync, and the two fdatasyncs that make the group
 * durable (the store's write-ahead log, the audit log) are handed to the
 * ring: the loop goes on with the next turn's handshakes meanwhile.
 * When both complete (relay_commit_synced) the held answers go out.
 *
 * One round of syncs is in flight at a time.  Groups that commit while
 * it runs owe a sync and wait for the next round, which then covers all
 * of them: under load one round of fdatasyncs serves many turns, and the
 * disk sets the pace of answers, not of the loop.  Writes no answer waits
 * for (a disconnect's audit record) start no round of their own: they go
 * with the next round an answer needs, or after COMMIT_LAZY_MS, so that
 * an agent's login and its logout do not cost two rounds.  The order of each
 * connection's messages is kept: once held, a connection sends nothing
 * until its round completes, and an answer that depends on a later group
 * moves the connection to that group's round.
 *
 * A failed commit or store sync closes the connections whose answers
 * depended on it rather than tell peers something that is not stored; a
 * failed audit sync is counted and logged like a lost record (journal.c).
 * Operator commands (ctl.c) are served outside a group: their replies go
 * out over netlink, not through relay_conn_send(), so the loop ends the
 * group before it serves them (loop.c), and their writes sync as they
 * commit.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "log.h"
#include "relay.h"
#include "store.h"

enum { SYNC_STORE = 1, SYNC_AUDIT = 2 };

/* How long a write no answer waits for may stay unsynced. */
#define COMMIT_LAZY_MS 250

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
	if (c->held && !c->syncing)
		return;
	if (c->held)	/* its new answer needs this group's round too */
		LIST_REMOVE(c, held_link);
	c->held = true;
	c->syncing = false;
	LIST_INSERT_HEAD(&r->held, c, held_link);
}

static void release(struct relay *r, struct relay_conn *c, const char *why)
{
	LIST_REMOVE(c, held_link);
	c->held = false;
	c->syncing = false;
	/* The peer's time starts now: for a last answer, and for heartbeats,
	 * which an agent starts once its HELLO_OK tells it the interval. */
	if (c->close_after_flush)
		c->deadline_ms = r->now_ms + RELAY_LAST_ANSWER_MS;
	c->released_ms = r->now_ms;
	if (why)
		relay_conn_close(r, c, why);
	else if (!relay_conn_flush(r, c))
		relay_conn_update_events(r, c);
}

/* A sync's outcome: a failed store sync fails the round (sync_why). */
static void note_sync(struct relay *r, uint64_t tag, int res)
{
	if (res < 0 && tag == SYNC_STORE) {
		snprintf(r->sync_why, sizeof(r->sync_why),
			 "state store sync failed: %s", strerror(-res));
		sl_log_err("%s; closing the connections whose answers depended on it",
			   r->sync_why);
	} else if (res < 0) {
		sl_log_errno(-res, "audit: cannot sync records");
		r->stats.audit_failures++;
	}
}

/* Posts one sync; with no room on the ring, does it here. */
static void sync_fd(struct relay *r, int fd, uint64_t tag)
{
	r->stats.commit_syncs[tag == SYNC_AUDIT]++;
	if (!relay_watch_fsync(r->watch, fd, tag))
		r->syncs_in_flight++;
	else
		note_sync(r, tag, fdatasync(fd) ? -errno : 0);
}

/* Starts the next round of syncs, or sends what waits for none.  now:
 * also what no answer waits for yet. */
static void kick(struct relay *r, bool now)
{
	struct relay_conn *c;
	int fd;

	if (r->syncs_in_flight)
		return;
	if (!r->owe_store_sync && !r->owe_audit_sync) {
		while ((c = LIST_FIRST(&r->held)))
			release(r, c, NULL);
		return;
	}
	if (!now && LIST_EMPTY(&r->held) &&
	    r->now_ms - r->owed_since_ms < COMMIT_LAZY_MS)
		return;
	while ((c = LIST_FIRST(&r->held))) {
		LIST_REMOVE(c, held_link);
		c->syncing = true;
		LIST_INSERT_HEAD(&r->syncing, c, held_link);
	}
	r->sync_why[0] = '\0';
	if (r->owe_store_sync && (fd = store_sync_fd(r->store)) >= 0)
		sync_fd(r, fd, SYNC_STORE);
	if (r->owe_audit_sync && (fd = sl_audit_fd(r->audit)) >= 0)
		sync_fd(r, fd, SYNC_AUDIT);
	r->owe_store_sync = r->owe_audit_sync = false;
	if (!r->syncs_in_flight) {	/* done already, or nothing to sync */
		while ((c = LIST_FIRST(&r->syncing)))
			release(r, c, r->sync_why[0] ? r->sync_why : NULL);
	}
}

void relay_commit_end(struct relay *r)
{
	struct relay_conn *c;
	char why[600] = "";
	bool synced = true, owed = r->owe_store_sync || r->owe_audit_sync;

	if (!r->grouping)
		return;
	r->grouping = false;
	if (r->store && store_batch_end(r->store, &synced)) {
		snprintf(why, sizeof(why), "state store commit failed: %s",
			 store_why(r->store));
		sl_log_err("%s; closing the connections whose answers depended on it",
			   why);
		while ((c = LIST_FIRST(&r->held)))
			release(r, c, why);
	} else if (!synced) {
		r->owe_store_sync = true;
	}
	if (sl_audit_take_sync(r->audit))
		r->owe_audit_sync = true;
	sl_audit_defer_sync(r->audit, false);
	if (!owed)
		r->owed_since_ms = r->now_ms;
	kick(r, false);
}

int relay_commit_timeout_ms(const struct relay *r)
{
	uint64_t due = r->owed_since_ms + COMMIT_LAZY_MS;

	if (r->syncs_in_flight || (!r->owe_store_sync && !r->owe_audit_sync))
		return -1;
	return due > r->now_ms ? (int)(due - r->now_ms) : 0;
}

void relay_commit_synced(struct relay *r, const struct relay_event *ev)
{
	struct relay_conn *c;

	if (!r->syncs_in_flight)
		return;
	r->syncs_in_flight--;
	note_sync(r, ev->data, ev->res);
	if (r->syncs_in_flight)
		return;
	while ((c = LIST_FIRST(&r->syncing)))
		release(r, c, r->sync_why[0] ? r->sync_why : NULL);
	kick(r, false);
}

void relay_commit_drain(struct relay *r)
{
	struct relay_event ev[16];
	int n, i, tries = 0;

	for (;;) {
		kick(r, true);
		if (!r->syncs_in_flight || tries++ >= 100)
			break;
		n = relay_watch_wait(r->watch, 100, ev, 16);
		for (i = 0; i < n; i++) {
			if (ev[i].type == RELAY_EV_SYNC)
				relay_commit_synced(r, &ev[i]);
			else if (ev[i].type == RELAY_EV_ACCEPT && ev[i].res >= 0)
				close(ev[i].res);	/* too late to serve */
		}
	}
}
