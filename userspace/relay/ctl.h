/* SPDX-License-Identifier: MIT */
/*
 * The relay's operator interface: sluicectl's requests on a NETLINK_USERSOCK
 * socket (include/uapi/sluice.h, "Operator commands").
 *
 * ctl.c        the socket, credentials, the command table, replies and dumps
 * ctl_parse.c  request checks that need no relay state (fuzzed)
 * ctl_show.c   read-only commands: status, agents, devices, sessions, cert
 * ctl_change.c commands that change something: detach, kill, reload
 * ctl_records.c identity records: store errors, row dumps, the audit call
 * ctl_access.c domains, join tokens, grants, audit tail
 * ctl_agents.c enrolled agents: list, attach, reset, disable, remove
 * ctl_users.c  users and their certificates, passwords and TOTP
 *
 * Adding a command: a number in enum sluice_cmd with its Documentation
 * block, its attributes in the codec (userspace/lib/wire.c cmd_table), one
 * handler here and one entry in ctl_cmds[] (ctl.c).
 */
#ifndef RELAY_CTL_H
#define RELAY_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wire.h"

struct relay;

/* Who sent a request: SCM_CREDENTIALS of its datagram. */
struct relay_ctl_op {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/*
 * One request being answered.  Dumps keep it between loop rounds: start()
 * takes a snapshot of keys, each dump() call fills one message from the
 * cursor (pos, sub) the way a kernel netlink dump callback resumes from
 * cb->args.
 */
struct relay_ctl_req {
	uint32_t port;			/* sender's netlink port id */
	uint32_t seq;
	uint8_t cmd;
	struct relay_ctl_op op;
	void *keys;			/* snapshot, freed with the request */
	size_t nkeys;
	size_t pos;			/* next key */
	size_t sub;			/* inside a key (devices of an agent) */
	char filter[SLUICE_NAME_MAX + 1];
};

struct relay_ctl_cmd {
	uint8_t cmd;
	/* Changes state: the audit event ("user.add").  The handler calls
	 * relay_ctl_audit() when it acts, the dispatcher audits its refusals
	 * (ERROR replies) under the same event. */
	const char *change;
	/* Plain command: the reply (or an ERROR); NULL is an internal error. */
	struct nl_msg *(*doit)(struct relay *r, struct relay_ctl_req *q,
			       const struct sl_msg_in *m);
	/* Dump command: start() 0 or -errno; dump() fills msg and returns 1
	 * while keys remain, 0 when it added the last, -errno on failure. */
	int (*start)(struct relay *r, struct relay_ctl_req *q,
		     const struct sl_msg_in *m);
	int (*dump)(struct relay *r, struct relay_ctl_req *q, struct nl_msg *msg);
};

/* ctl.c: called from loop.c and main.c. */
int relay_ctl_init(struct relay *r, char *why, size_t whylen);
void relay_ctl_uninit(struct relay *r);
void relay_ctl_event(struct relay *r);
/* Moves dumps on; the loop calls it after every batch of events. */
void relay_ctl_run(struct relay *r);
/* Loop wait timeout the dumps need: -1 none, 0 runnable, >0 stalled. */
int relay_ctl_timeout_ms(const struct relay *r);

/*
 * The one place that records an operator's change: an audit record with
 * actor "uid N" and source "local", written (fsync'd) before the reply,
 * and a log line.  outcome "ok" or "refused"; fmt may be NULL.
 */
void relay_ctl_audit(struct relay *r, const struct relay_ctl_req *q,
		     const char *event, const char *outcome, const char *object,
		     const char *domain, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* ctl_records.c */
/* ERROR reply for a store failure (-ENOENT, -EEXIST...) with its reason. */
struct nl_msg *relay_ctl_store_error(struct relay *r, const struct relay_ctl_req *q,
				     int err, const char *what);
/* One reply message with cmd and, when name is not NULL, attr = name. */
struct nl_msg *relay_ctl_echo(const struct relay_ctl_req *q, int attr, const char *name);
/*
 * Dump helper: fills msg with SLUICE_A_RECORDS elements from the snapshot
 * q->keys (q->nkeys rows of size bytes) starting at q->pos; put() adds one
 * row's fields.  Returns what a dump() returns.
 */
int relay_ctl_rows_dump(struct relay_ctl_req *q, struct nl_msg *msg, size_t size,
			int (*put)(struct relay *r, struct nl_msg *msg, const void *row),
			struct relay *r);
/* Field helpers: nothing added for "" or 0. */
int relay_rec_str(struct nl_msg *msg, int attr, const char *v);
int relay_rec_time(struct nl_msg *msg, int attr, int64_t t);
/* The store rows as records (shared by lists and change replies). */
struct store_agent;
struct store_user;
struct store_grant;
int relay_rec_agent(struct relay *r, struct nl_msg *msg, const void *row);
int relay_rec_user(struct relay *r, struct nl_msg *msg, const void *row);
int relay_rec_grant(struct relay *r, struct nl_msg *msg, const void *row);
/* A reply holding SLUICE_A_RECORDS with one record made by put(). */
struct nl_msg *relay_ctl_one_record(struct relay *r, const struct relay_ctl_req *q,
				    int (*put)(struct relay *r, struct nl_msg *msg,
					       const void *row),
				    const void *row);

/* ctl_parse.c */
/*
 * Checks one datagram: a single whole message (no trailing bytes) that the
 * codec accepts, with NLM_F_REQUEST and without NLM_F_MULTI.  0, or
 * -EBADMSG with a reason in why; *seq is the request's seq once its header
 * could be read (0 before).
 */
int relay_ctl_parse(void *buf, size_t len, struct sl_msg_in *m, uint32_t *seq,
		    char *why, size_t whylen);
/*
 * Whether a /proc/PID/status text shows real uid uid and gid as a
 * supplementary group (or as the real group).
 */
bool relay_ctl_status_has_group(const char *status, size_t len, uid_t uid,
				gid_t gid);

/* Handlers: ctl_show.c */
struct nl_msg *relay_ctl_status(struct relay *r, struct relay_ctl_req *q,
				const struct sl_msg_in *m);
int relay_ctl_agent_start(struct relay *r, struct relay_ctl_req *q,
			  const struct sl_msg_in *m);
int relay_ctl_agent_dump(struct relay *r, struct relay_ctl_req *q,
			 struct nl_msg *msg);
struct nl_msg *relay_ctl_agent_show(struct relay *r, struct relay_ctl_req *q,
				    const struct sl_msg_in *m);
int relay_ctl_device_dump(struct relay *r, struct relay_ctl_req *q,
			  struct nl_msg *msg);
int relay_ctl_session_start(struct relay *r, struct relay_ctl_req *q,
			    const struct sl_msg_in *m);
int relay_ctl_session_dump(struct relay *r, struct relay_ctl_req *q,
			   struct nl_msg *msg);
struct nl_msg *relay_ctl_session_show(struct relay *r, struct relay_ctl_req *q,
				      const struct sl_msg_in *m);
struct nl_msg *relay_ctl_cert_show(struct relay *r, struct relay_ctl_req *q,
				   const struct sl_msg_in *m);

/* Handlers: ctl_change.c */
struct nl_msg *relay_ctl_agent_detach(struct relay *r, struct relay_ctl_req *q,
				      const struct sl_msg_in *m);
struct nl_msg *relay_ctl_session_kill(struct relay *r, struct relay_ctl_req *q,
				      const struct sl_msg_in *m);
struct nl_msg *relay_ctl_reload(struct relay *r, struct relay_ctl_req *q,
				const struct sl_msg_in *m);

/* Handlers: ctl_access.c */
struct nl_msg *relay_ctl_domain_add(struct relay *r, struct relay_ctl_req *q,
				    const struct sl_msg_in *m);
struct nl_msg *relay_ctl_domain_remove(struct relay *r, struct relay_ctl_req *q,
				       const struct sl_msg_in *m);
int relay_ctl_domain_start(struct relay *r, struct relay_ctl_req *q,
			   const struct sl_msg_in *m);
int relay_ctl_domain_dump(struct relay *r, struct relay_ctl_req *q, struct nl_msg *msg);
struct nl_msg *relay_ctl_token_create(struct relay *r, struct relay_ctl_req *q,
				      const struct sl_msg_in *m);
int relay_ctl_token_start(struct relay *r, struct relay_ctl_req *q,
			  const struct sl_msg_in *m);
int relay_ctl_token_dump(struct relay *r, struct relay_ctl_req *q, struct nl_msg *msg);
struct nl_msg *relay_ctl_token_revoke(struct relay *r, struct relay_ctl_req *q,
				      const struct sl_msg_in *m);
struct nl_msg *relay_ctl_grant_add(struct relay *r, struct relay_ctl_req *q,
				   const struct sl_msg_in *m);
int relay_ctl_grant_start(struct relay *r, struct relay_ctl_req *q,
			  const struct sl_msg_in *m);
int relay_ctl_grant_dump(struct relay *r, struct relay_ctl_req *q, struct nl_msg *msg);
struct nl_msg *relay_ctl_grant_remove(struct relay *r, struct relay_ctl_req *q,
				      const struct sl_msg_in *m);
int relay_ctl_audit_start(struct relay *r, struct relay_ctl_req *q,
			  const struct sl_msg_in *m);
int relay_ctl_audit_dump(struct relay *r, struct relay_ctl_req *q, struct nl_msg *msg);

/* Handlers: ctl_agents.c */
int relay_ctl_enrolled_start(struct relay *r, struct relay_ctl_req *q,
			     const struct sl_msg_in *m);
int relay_ctl_enrolled_dump(struct relay *r, struct relay_ctl_req *q, struct nl_msg *msg);
struct nl_msg *relay_ctl_agent_attach(struct relay *r, struct relay_ctl_req *q,
				      const struct sl_msg_in *m);
struct nl_msg *relay_ctl_agent_reset(struct relay *r, struct relay_ctl_req *q,
				     const struct sl_msg_in *m);
struct nl_msg *relay_ctl_agent_disable(struct relay *r, struct relay_ctl_req *q,
				       const struct sl_msg_in *m);
struct nl_msg *relay_ctl_agent_remove(struct relay *r, struct relay_ctl_req *q,
				      const struct sl_msg_in *m);

/* Handlers: ctl_users.c */
struct nl_msg *relay_ctl_user_add(struct relay *r, struct relay_ctl_req *q,
				  const struct sl_msg_in *m);
int relay_ctl_user_start(struct relay *r, struct relay_ctl_req *q,
			 const struct sl_msg_in *m);
int relay_ctl_user_dump(struct relay *r, struct relay_ctl_req *q, struct nl_msg *msg);
struct nl_msg *relay_ctl_user_show(struct relay *r, struct relay_ctl_req *q,
				   const struct sl_msg_in *m);
struct nl_msg *relay_ctl_user_set(struct relay *r, struct relay_ctl_req *q,
				  const struct sl_msg_in *m);
struct nl_msg *relay_ctl_user_passwd(struct relay *r, struct relay_ctl_req *q,
				     const struct sl_msg_in *m);
struct nl_msg *relay_ctl_user_cert_issue(struct relay *r, struct relay_ctl_req *q,
					 const struct sl_msg_in *m);
struct nl_msg *relay_ctl_user_cert_revoke(struct relay *r, struct relay_ctl_req *q,
					  const struct sl_msg_in *m);
struct nl_msg *relay_ctl_user_totp_enable(struct relay *r, struct relay_ctl_req *q,
					  const struct sl_msg_in *m);

#endif
