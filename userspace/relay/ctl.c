// SPDX-License-Identifier: MIT
/*
 * sluicectl's side of the relay: a NETLINK_USERSOCK socket bound at
 * control_port_id, served by the relay's loop.
 *
 * Who may ask.  Every datagram carries SCM_CREDENTIALS (SO_PASSCRED),
 * filled in by the kernel: a process can only claim its own pid and uids
 * unless it holds CAP_SYS_ADMIN / CAP_SETUID.  A request is served when the
 * uid is 0, when the real gid is control_admin_group, or when the sender's
 * /proc/PID/status lists that group among its supplementary groups and
 * shows the same real uid.  /proc rather than getgrouplist(3): it is the
 * groups the process really holds (a process that dropped the group is not
 * an admin), and reading it never blocks the loop on NSS (LDAP, sssd).  The
 * uid check narrows the pid-reuse race to a process of the same user that
 * holds the group, which that user could have run sluicectl from anyway.
 * With /proc mounted hidepid=2 non-root senders are refused (fail closed).
 *
 * Replies.  One message per datagram, sent with MSG_DONTWAIT to the
 * sender's port id; the kernel attaches the relay's own credentials, which
 * sluicectl checks.  A request never blocks the loop: a reply the receiver
 * has no room for (EAGAIN) stays queued on its request.
 *
 * Dumps work the way the kernel's netlink dumps do: start() takes a
 * snapshot of the keys (agent names, session ids), then each dump() call
 * fills one message of up to SLUICE_MSG_MAX from a cursor and returns
 * whether more remain.  The loop runs at most CTL_BURST messages per
 * request and round, so 50,000 agents never stall the relay; when the
 * receiver's buffer is full the request waits CTL_RETRY_MS and tries again,
 * and gives up after CTL_STALL_MS without progress.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "ctl.h"
#include "log.h"
#include "relay.h"

#define CTL_REQS_MAX 16		/* requests with replies still queued */
#define CTL_BURST 16		/* messages per request and loop round */
#define CTL_RETRY_MS 5
#define CTL_STALL_MS 30000
#define CTL_RX_PER_EVENT 64

/* The operator commands; a change names its audit event. */
static const struct relay_ctl_cmd ctl_cmds[] = {
	{ .cmd = SLUICE_CMD_CTL_STATUS, .doit = relay_ctl_status },
	{ .cmd = SLUICE_CMD_CTL_AGENT_LIST, .start = relay_ctl_agent_start,
	  .dump = relay_ctl_agent_dump },
	{ .cmd = SLUICE_CMD_CTL_AGENT_SHOW, .doit = relay_ctl_agent_show },
	{ .cmd = SLUICE_CMD_CTL_AGENT_DETACH, .change = "agent.detach",
	  .doit = relay_ctl_agent_detach },
	{ .cmd = SLUICE_CMD_CTL_DEVICE_LIST, .start = relay_ctl_agent_start,
	  .dump = relay_ctl_device_dump },
	{ .cmd = SLUICE_CMD_CTL_SESSION_LIST, .start = relay_ctl_session_start,
	  .dump = relay_ctl_session_dump },
	{ .cmd = SLUICE_CMD_CTL_SESSION_SHOW, .doit = relay_ctl_session_show },
	{ .cmd = SLUICE_CMD_CTL_SESSION_KILL, .change = "session.kill",
	  .doit = relay_ctl_session_kill },
	{ .cmd = SLUICE_CMD_CTL_RELOAD, .change = "config.reload", .doit = relay_ctl_reload },
	{ .cmd = SLUICE_CMD_CTL_CERT_SHOW, .doit = relay_ctl_cert_show },
	{ .cmd = SLUICE_CMD_CTL_DOMAIN_ADD, .change = "domain.add", .doit = relay_ctl_domain_add },
	{ .cmd = SLUICE_CMD_CTL_DOMAIN_REMOVE, .change = "domain.remove",
	  .doit = relay_ctl_domain_remove },
	{ .cmd = SLUICE_CMD_CTL_DOMAIN_LIST, .start = relay_ctl_domain_start,
	  .dump = relay_ctl_domain_dump },
	{ .cmd = SLUICE_CMD_CTL_TOKEN_CREATE, .change = "token.create",
	  .doit = relay_ctl_token_create },
	{ .cmd = SLUICE_CMD_CTL_TOKEN_LIST, .start = relay_ctl_token_start,
	  .dump = relay_ctl_token_dump },
	{ .cmd = SLUICE_CMD_CTL_TOKEN_REVOKE, .change = "token.revoke",
	  .doit = relay_ctl_token_revoke },
	{ .cmd = SLUICE_CMD_CTL_AGENT_ENROLLED, .start = relay_ctl_enrolled_start,
	  .dump = relay_ctl_enrolled_dump },
	{ .cmd = SLUICE_CMD_CTL_AGENT_ATTACH, .change = "agent.attach",
	  .doit = relay_ctl_agent_attach },
	{ .cmd = SLUICE_CMD_CTL_AGENT_RESET, .change = "agent.reset",
	  .doit = relay_ctl_agent_reset },
	{ .cmd = SLUICE_CMD_CTL_AGENT_DISABLE, .change = "agent.disable",
	  .doit = relay_ctl_agent_disable },
	{ .cmd = SLUICE_CMD_CTL_AGENT_REMOVE, .change = "agent.remove",
	  .doit = relay_ctl_agent_remove },
	{ .cmd = SLUICE_CMD_CTL_USER_ADD, .change = "user.add", .doit = relay_ctl_user_add },
	{ .cmd = SLUICE_CMD_CTL_USER_LIST, .start = relay_ctl_user_start,
	  .dump = relay_ctl_user_dump },
	{ .cmd = SLUICE_CMD_CTL_USER_SHOW, .doit = relay_ctl_user_show },
	{ .cmd = SLUICE_CMD_CTL_USER_DISABLE, .change = "user.disable",
	  .doit = relay_ctl_user_set },
	{ .cmd = SLUICE_CMD_CTL_USER_ENABLE, .change = "user.enable", .doit = relay_ctl_user_set },
	{ .cmd = SLUICE_CMD_CTL_USER_UNLOCK, .change = "user.unlock", .doit = relay_ctl_user_set },
	{ .cmd = SLUICE_CMD_CTL_USER_PASSWD, .change = "user.passwd",
	  .doit = relay_ctl_user_passwd },
	{ .cmd = SLUICE_CMD_CTL_USER_CERT_ISSUE, .change = "user.cert_issue",
	  .doit = relay_ctl_user_cert_issue },
	{ .cmd = SLUICE_CMD_CTL_USER_CERT_REVOKE, .change = "user.cert_revoke",
	  .doit = relay_ctl_user_cert_revoke },
	{ .cmd = SLUICE_CMD_CTL_USER_TOTP_ENABLE, .change = "user.totp_enable",
	  .doit = relay_ctl_user_totp_enable },
	{ .cmd = SLUICE_CMD_CTL_GRANT_ADD, .change = "grant.add", .doit = relay_ctl_grant_add },
	{ .cmd = SLUICE_CMD_CTL_GRANT_LIST, .start = relay_ctl_grant_start,
	  .dump = relay_ctl_grant_dump },
	{ .cmd = SLUICE_CMD_CTL_GRANT_REMOVE, .change = "grant.remove",
	  .doit = relay_ctl_grant_remove },
	{ .cmd = SLUICE_CMD_CTL_AUDIT_TAIL, .start = relay_ctl_audit_start,
	  .dump = relay_ctl_audit_dump },
};

/* A request whose replies are not all sent yet. */
struct ctl_job {
	struct relay_ctl_req q;
	const struct relay_ctl_cmd *c;
	struct nl_msg *pending;	/* built, not yet taken by the receiver */
	bool parts_done;	/* dump() returned 0 (or failed) */
	bool last;		/* pending is the final message */
	uint64_t stalled_since;	/* 0: not waiting for the receiver */
	LIST_ENTRY(ctl_job) link;
};

struct relay_ctl {
	int fd;
	unsigned int njobs;
	LIST_HEAD(, ctl_job) jobs;
};

void relay_ctl_audit(struct relay *r, const struct relay_ctl_req *q,
		     const char *event, const char *outcome, const char *object,
		     const char *domain, const char *fmt, ...)
{
	char actor[32], text[768] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(text, sizeof(text), fmt, ap);
		va_end(ap);
	}
	snprintf(actor, sizeof(actor), "uid %u", (unsigned int)q->op.uid);
	sl_log_info("operator uid %u (pid %d): %s %s%s%s%s%s", (unsigned int)q->op.uid,
		    (int)q->op.pid, event, outcome, object ? " " : "", object ? object : "",
		    text[0] ? ": " : "", text);
	relay_audit(r, event, actor, object, domain, "local", outcome, "%s%spid %d",
		    text, text[0] ? "; " : "", (int)q->op.pid);
}

int relay_ctl_init(struct relay *r, char *why, size_t whylen)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct relay_ctl *ctl;
	int one = 1, err;

	if (!r->cfg.ctl_on) {
		sl_log_info("control socket off (control_port_id = off)");
		return 0;
	}
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	LIST_INIT(&ctl->jobs);
	ctl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			 NETLINK_USERSOCK);
	if (ctl->fd == -1) {
		err = -errno;
		snprintf(why, whylen, "control socket: %s", strerror(errno));
		goto err_free;
	}
	if (setsockopt(ctl->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == -1) {
		err = -errno;
		snprintf(why, whylen, "control socket: SO_PASSCRED: %s", strerror(errno));
		goto err_close;
	}
	sa.nl_pid = r->cfg.ctl_port_id;
	if (bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		err = -errno;
		if (errno == EADDRINUSE)
			snprintf(why, whylen,
				 "control_port_id %u (0x%x) is already taken by another "
				 "process, another relay perhaps (ss -f netlink -a | grep "
				 "usersock:%u); stop it or set another control_port_id",
				 r->cfg.ctl_port_id, r->cfg.ctl_port_id, r->cfg.ctl_port_id);
		else
			snprintf(why, whylen, "control socket: bind port id %u: %s",
				 r->cfg.ctl_port_id, strerror(errno));
		goto err_close;
	}
	err = relay_watch_add(r->watch, ctl->fd, TAG_CTL, POLLIN);
	if (err) {
		snprintf(why, whylen, "io_uring: %s", strerror(-err));
		goto err_close;
	}
	r->ctl = ctl;
	sl_log_info("control socket on netlink port id %u (0x%x), admins: root%s%s",
		    r->cfg.ctl_port_id, r->cfg.ctl_port_id,
		    r->cfg.ctl_admin_set ? " and group " : "",
		    r->cfg.ctl_admin_set ? r->cfg.ctl_admin_group : "");
	return 0;
err_close:
	close(ctl->fd);
err_free:
	free(ctl);
	return err;
}

static void job_free(struct relay_ctl *ctl, struct ctl_job *j)
{
	LIST_REMOVE(j, link);
	ctl->njobs--;
	nlmsg_free(j->pending);
	free(j->q.keys);
	free(j);
}

void relay_ctl_uninit(struct relay *r)
{
	struct relay_ctl *ctl = r->ctl;
	struct ctl_job *j;

	if (!ctl)
		return;
	while ((j = LIST_FIRST(&ctl->jobs)))
		job_free(ctl, j);
	close(ctl->fd);
	free(ctl);
	r->ctl = NULL;
}

/* 0, -EAGAIN when the receiver is full, or another -errno (it is gone). */
static int send_to(struct relay_ctl *ctl, uint32_t port, struct nl_msg *msg)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_pid = port };
	const void *p;
	size_t len;

	p = sl_wire_bytes(msg, &len);
	if (sendto(ctl->fd, p, len, MSG_DONTWAIT, (struct sockaddr *)&sa,
		   sizeof(sa)) == -1)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return 0;
}

static struct ctl_job *job_new(struct relay *r, const struct relay_ctl_req *q)
{
	struct ctl_job *j;

	if (r->ctl->njobs >= CTL_REQS_MAX)
		return NULL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->q = *q;
	LIST_INSERT_HEAD(&r->ctl->jobs, j, link);
	r->ctl->njobs++;
	return j;
}

/* Sends msg now or queues it; takes ownership. */
static void reply(struct relay *r, const struct relay_ctl_req *q, struct nl_msg *msg)
{
	struct ctl_job *j;
	int ret;

	if (!msg) {
		msg = sl_wire_error(q->seq, SLUICE_E_INTERNAL, 0, "out of memory");
		if (!msg)
			return;
	}
	ret = send_to(r->ctl, q->port, msg);
	if (ret != -EAGAIN) {
		if (ret)
			sl_log_debug("reply to port %u: %s", q->port, strerror(-ret));
		nlmsg_free(msg);
		return;
	}
	j = job_new(r, q);
	if (!j) {
		sl_log_warn("control: reply to port %u dropped: its socket is full",
			    q->port);
		nlmsg_free(msg);
		return;
	}
	j->pending = msg;
	j->parts_done = j->last = true;
	j->stalled_since = r->now_ms;
}

static void reply_error(struct relay *r, const struct relay_ctl_req *q,
			enum sluice_err code, const char *text)
{
	reply(r, q, sl_wire_error(q->seq, code, 0, "%s", text));
}

static bool has_attrs(struct nl_msg *msg)
{
	return nlmsg_datalen(nlmsg_hdr(msg)) > (int)GENL_HDRLEN;
}

/* Builds the next message of a dump into j->pending. */
static void job_build(struct relay *r, struct ctl_job *j)
{
	struct nl_msg *msg;
	int ret;

	while (!j->pending && !j->parts_done) {
		msg = sl_wire_new(j->q.cmd, j->q.seq, NLM_F_MULTI);
		if (!msg) {
			ret = -ENOMEM;
		} else {
			ret = j->c->dump(r, &j->q, msg);
			/* An element that does not fit an empty message. */
			if (ret == 1 && !has_attrs(msg))
				ret = -EMSGSIZE;
		}
		if (ret < 0) {
			nlmsg_free(msg);
			j->pending = sl_wire_error(j->q.seq, SLUICE_E_INTERNAL, 0,
						   "dump failed: %s", strerror(-ret));
			j->parts_done = j->last = true;
			return;
		}
		if (ret == 0)
			j->parts_done = true;
		if (has_attrs(msg))
			j->pending = msg;
		else
			nlmsg_free(msg);
	}
	if (!j->pending && !j->last) {
		j->pending = sl_wire_new(SLUICE_CMD_DONE, j->q.seq, 0);
		j->last = true;
	}
}

/* Sends up to CTL_BURST messages of one request; false when it is over. */
static bool job_step(struct relay *r, struct ctl_job *j)
{
	int i, ret;

	for (i = 0; i < CTL_BURST; i++) {
		job_build(r, j);
		if (!j->pending)
			return false;	/* out of memory for the DONE */
		ret = send_to(r->ctl, j->q.port, j->pending);
		if (ret == -EAGAIN) {
			if (!j->stalled_since) {
				sl_log_debug("%s to port %u: its buffer is full, waiting",
					     sl_cmd_name(j->q.cmd), j->q.port);
				j->stalled_since = r->now_ms;
			}
			if (r->now_ms - j->stalled_since > CTL_STALL_MS) {
				sl_log_warn("control: port %u stopped reading its %s reply; "
					    "dropped", j->q.port, sl_cmd_name(j->q.cmd));
				return false;
			}
			return true;
		}
		if (ret) {
			sl_log_debug("reply to port %u: %s", j->q.port, strerror(-ret));
			return false;
		}
		j->stalled_since = 0;
		nlmsg_free(j->pending);
		j->pending = NULL;
		if (j->last)
			return false;
	}
	return true;
}

void relay_ctl_run(struct relay *r)
{
	struct ctl_job *j, *next;

	if (!r->ctl)
		return;
	for (j = LIST_FIRST(&r->ctl->jobs); j; j = next) {
		next = LIST_NEXT(j, link);
		if (!job_step(r, j))
			job_free(r->ctl, j);
	}
}

int relay_ctl_timeout_ms(const struct relay *r)
{
	const struct ctl_job *j;
	int t = -1;

	if (!r->ctl)
		return -1;
	LIST_FOREACH(j, &r->ctl->jobs, link) {
		if (!j->stalled_since)
			return 0;
		t = CTL_RETRY_MS;
	}
	return t;
}

static bool op_allowed(const struct relay *r, const struct relay_ctl_op *op)
{
	char path[64], status[4096];
	ssize_t n;
	int fd;

	if (op->uid == 0)
		return true;
	if (!r->cfg.ctl_admin_set)
		return false;
	if (op->gid == r->cfg.ctl_admin_gid)
		return true;
	if (op->pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)op->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return false;
	n = read(fd, status, sizeof(status) - 1);
	close(fd);
	if (n <= 0)
		return false;
	status[n] = '\0';
	return relay_ctl_status_has_group(status, (size_t)n, op->uid,
					  r->cfg.ctl_admin_gid);
}

/* Change commands audit their success themselves; their refusals here. */
static void audit_failure(struct relay *r, const struct relay_ctl_req *q,
			  const struct relay_ctl_cmd *c, struct nl_msg *msg)
{
	struct nlmsghdr *nlh;
	struct nlattr *text;

	if (!msg) {
		relay_ctl_audit(r, q, c->change, "failed", NULL, NULL, "out of memory");
		return;
	}
	nlh = nlmsg_hdr(msg);
	if (((struct genlmsghdr *)nlmsg_data(nlh))->cmd != SLUICE_CMD_ERROR)
		return;
	text = nlmsg_find_attr(nlh, GENL_HDRLEN, SLUICE_A_ERR_MSG);
	relay_ctl_audit(r, q, c->change, "refused", NULL, NULL, "%s",
			text ? (const char *)nla_data(text) : "error");
}

/*
 * Refusals and malformed requests can come from any local user: at most
 * one warning per second, with a count of those left out.
 */
static bool warn_ok(struct relay *r)
{
	static uint64_t last_ms;
	static unsigned int left_out;

	if (last_ms && r->now_ms - last_ms < 1000) {
		left_out++;
		return false;
	}
	if (left_out)
		sl_log_warn("control: %u more refused or malformed requests", left_out);
	left_out = 0;
	last_ms = r->now_ms;
	return true;
}

static const struct relay_ctl_cmd *find_cmd(uint8_t cmd)
{
	size_t i;

	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (ctl_cmds[i].cmd == cmd)
			return &ctl_cmds[i];
	return NULL;
}

static void serve(struct relay *r, struct relay_ctl_req *q, void *buf, size_t len)
{
	const struct relay_ctl_cmd *c;
	struct sl_msg_in m;
	struct ctl_job *j;
	char why[256];
	int ret;

	if (len >= NLMSG_HDRLEN)
		q->seq = ((const struct nlmsghdr *)buf)->nlmsg_seq;
	if (!op_allowed(r, &q->op)) {
		if (warn_ok(r))
			sl_log_warn("control: refused request from uid %u pid %d (port %u): "
				    "not root%s%s", (unsigned int)q->op.uid, (int)q->op.pid,
				    q->port, r->cfg.ctl_admin_set ? " nor in group " : "",
				    r->cfg.ctl_admin_set ? r->cfg.ctl_admin_group : "");
		reply_error(r, q, SLUICE_E_PERM,
			    "permission denied: sluicectl needs root or the relay's "
			    "control_admin_group");
		return;
	}
	if (relay_ctl_parse(buf, len, &m, &q->seq, why, sizeof(why))) {
		if (warn_ok(r))
			sl_log_warn("control: malformed request from uid %u pid %d: %s",
				    (unsigned int)q->op.uid, (int)q->op.pid, why);
		r->stats.malformed++;
		reply(r, q, sl_wire_error(q->seq, SLUICE_E_PROTO, 0,
					  "malformed request: %s", why));
		return;
	}
	q->cmd = m.cmd;
	c = find_cmd(m.cmd);
	if (!c) {
		if (warn_ok(r))
			sl_log_warn("control: unknown command %s from uid %u pid %d",
				    sl_cmd_name(m.cmd), (unsigned int)q->op.uid,
				    (int)q->op.pid);
		reply(r, q, sl_wire_error(q->seq, SLUICE_E_PROTO, 0,
					  "%s is not an operator command this relay knows",
					  sl_cmd_name(m.cmd)));
		return;
	}
	sl_log_debug("%s from uid %u pid %d seq %u", sl_cmd_name(m.cmd),
		     (unsigned int)q->op.uid, (int)q->op.pid, q->seq);
	if (c->doit) {
		struct nl_msg *msg = c->doit(r, q, &m);

		if (c->change)
			audit_failure(r, q, c, msg);
		reply(r, q, msg);
		return;
	}
	j = job_new(r, q);
	if (!j) {
		reply_error(r, q, SLUICE_E_LIMIT, "too many listings in progress; try again");
		return;
	}
	j->c = c;
	ret = c->start ? c->start(r, &j->q, &m) : 0;
	if (ret) {
		j->pending = ret == -ENOENT && j->q.filter[0] ?
			sl_wire_error(q->seq, SLUICE_E_NO_AGENT, 0, "agent '%s' is not connected",
				      j->q.filter) :
			sl_wire_error(q->seq, SLUICE_E_INTERNAL, 0, "%s failed: %s",
				      sl_cmd_name(m.cmd), strerror(-ret));
		j->parts_done = j->last = true;
	}
	if (!job_step(r, j))
		job_free(r->ctl, j);
}

/* Reads every waiting datagram (up to CTL_RX_PER_EVENT; the loop's poll is
 * level-triggered and comes back for the rest). */
void relay_ctl_event(struct relay *r)
{
	static char buf[SLUICE_MSG_MAX];
	char cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct relay_ctl *ctl = r->ctl;
	struct sockaddr_nl sa;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;
	int i;

	for (i = 0; ctl && i < CTL_RX_PER_EVENT; i++) {
		struct relay_ctl_req q = { 0 };
		bool creds = false;

		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &sa;
		mh.msg_namelen = sizeof(sa);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		n = recvmsg(ctl->fd, &mh, MSG_DONTWAIT);
		if (n == -1) {
			if (errno == ENOBUFS) {
				sl_log_warn("control socket overrun: requests were lost");
				continue;
			}
			if (errno != EAGAIN && errno != EINTR)
				sl_log_errno(errno, "control socket: recvmsg");
			return;
		}
		/* Port 0 is the kernel; groups: multicast, never a request. */
		if (mh.msg_namelen < sizeof(sa) || sa.nl_pid == 0 || sa.nl_groups)
			continue;
		q.port = sa.nl_pid;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS &&
			    cm->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
				struct ucred uc;

				memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
				q.op.pid = uc.pid;
				q.op.uid = uc.uid;
				q.op.gid = uc.gid;
				creds = true;
			}
		}
		if (!creds) {
			sl_log_warn("control: request from port %u without credentials", q.port);
			continue;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			sl_log_warn("control: request from uid %u pid %d longer than %d bytes",
				    (unsigned int)q.op.uid, (int)q.op.pid, SLUICE_MSG_MAX);
			r->stats.malformed++;
			if ((size_t)n >= NLMSG_HDRLEN)
				q.seq = ((struct nlmsghdr *)buf)->nlmsg_seq;
			reply_error(r, &q, SLUICE_E_PROTO, "request too long");
			continue;
		}
		serve(r, &q, buf, (size_t)n);
	}
}
