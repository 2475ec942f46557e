/* SPDX-License-Identifier: MIT */
/*
 * The relay's operator interface: sluicectl's requests on a NETLINK_USERSOCK
 * socket (include/uapi/sluice.h, "Operator commands").
 *
 * ctl.c        the socket, credentials, the command table, replies and dumps
 * ctl_parse.c  request checks that need no relay state (fuzzed)
 * ctl_show.c   read-only commands: status, agents, devices, sessions, cert
 * ctl_change.c commands that change something: detach, kill, reload
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
	/* Changes state: the handler calls relay_ctl_audit() when it acts,
	 * the dispatcher records its refusals (ERROR replies). */
	bool change;
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
/* epoll_wait timeout the dumps need: -1 none, 0 runnable, >0 stalled. */
int relay_ctl_timeout_ms(const struct relay *r);

/*
 * The one place that records an operator's change ("operator uid 0 (pid
 * 123): detached agent plant1").  The audit log replaces its body later.
 */
void relay_ctl_audit(const struct relay_ctl_op *op, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

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

#endif
