// SPDX-License-Identifier: MIT
/*
 * sluicectl's side of the netlink conversation with the relay: find the
 * relay (its control_port_id and uid from relay.conf), send one request,
 * read the replies.
 *
 * Trust: any process can bind a free port id, so a reply counts only when
 * it comes from the relay's port id and its SCM_CREDENTIALS (filled in by
 * the kernel, unforgeable without CAP_SETUID) carry the relay's uid: the
 * owner of its state_dir, which the relay must run as, or root.  Anything
 * else is reported as a squatter and its reply is not used.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "conf.h"
#include "sluicectl.h"

struct target_conf {
	uint32_t port;
	bool off;
	char state_dir[1024];
};

/* Only the two keys sluicectl needs; everything else is the relay's. */
static int target_key(struct sl_conf *c, const char *section, const char *key,
		      const char *value, void *ctx)
{
	struct target_conf *t = ctx;
	unsigned long long v;
	char *end;

	if (section || !key)
		return 0;
	if (!strcmp(key, "state_dir")) {
		snprintf(t->state_dir, sizeof(t->state_dir), "%s", value);
	} else if (!strcmp(key, "control_port_id")) {
		if (!strcmp(value, "off")) {
			t->off = true;
			return 0;
		}
		errno = 0;
		v = strtoull(value, &end, 0);
		if (errno || *end || v <= 4194304 || v > 2147483647)
			return sl_conf_error(c, "control_port_id: bad value '%s'", value);
		t->port = (uint32_t)v;
	}
	return 0;
}

int ctl_target(struct ctl *c, const char *conf, bool explicit_conf)
{
	struct target_conf t = { .port = SLUICE_CTL_PORT_ID,
				 .state_dir = "/var/lib/sluice-relay" };
	struct sl_conf sc;
	struct stat st;
	int ret;

	sl_conf_init(&sc, conf, target_key, &t);
	ret = sl_conf_load(&sc);
	if (ret && (explicit_conf || (ret != -ENOENT && ret != -EACCES))) {
		fprintf(stderr, "sluicectl: %s\n", sc.err);
		return EXIT_UNREACHABLE;
	}
	if (t.off) {
		fprintf(stderr, "sluicectl: %s: control_port_id = off: the relay has no "
			"control socket\n", conf);
		return EXIT_UNREACHABLE;
	}
	c->conf = conf;
	c->port = t.port;
	/* The relay runs as the owner of its state_dir (it refuses to start
	 * otherwise unless it is root); root passes anyway. */
	c->relay_uid = stat(t.state_dir, &st) == 0 ? st.st_uid : 0;
	return EXIT_OK;
}

int ctl_open(struct ctl *c)
{
	int one = 1, size = 4 << 20;
	struct timespec ts;

	c->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_USERSOCK);
	if (c->fd == -1) {
		fprintf(stderr, "sluicectl: netlink socket: %s\n", strerror(errno));
		return EXIT_UNREACHABLE;
	}
	if (setsockopt(c->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == -1) {
		fprintf(stderr, "sluicectl: SO_PASSCRED: %s\n", strerror(errno));
		return EXIT_UNREACHABLE;
	}
	/* Room for dump parts; without CAP_NET_ADMIN net.core.rmem_max caps
	 * it, and the relay waits for us to read. */
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) == -1)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	c->seq = (uint32_t)(ts.tv_nsec ^ getpid()) | 1;
	return EXIT_OK;
}

void ctl_close(struct ctl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

struct nl_msg *ctl_request(struct ctl *c, uint8_t cmd, bool dump)
{
	return sl_wire_new(cmd, ++c->seq, NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0));
}

int ctl_error_exit(struct ctl *c, const struct sl_msg_in *m)
{
	const char *text = sl_wire_str(m, SLUICE_A_ERR_MSG);

	c->err_code = nla_get_u32(m->tb[SLUICE_A_ERR_CODE]);
	fprintf(stderr, "sluicectl: relay: %s\n", text ? text : sl_err_name(c->err_code));
	return c->err_code == SLUICE_E_PERM ? EXIT_DENIED : EXIT_FAILED;
}

static int send_request(struct ctl *c, struct nl_msg *req)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_pid = c->port };
	const void *p;
	size_t len;

	p = sl_wire_bytes(req, &len);
	if (sendto(c->fd, p, len, 0, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		if (errno == ECONNREFUSED)
			fprintf(stderr, "sluicectl: no relay on netlink port id %u (from %s): "
				"is sluice-relay running?\n", c->port, c->conf);
		else
			fprintf(stderr, "sluicectl: send to port id %u: %s\n", c->port,
				strerror(errno));
		return EXIT_UNREACHABLE;
	}
	return EXIT_OK;
}

/*
 * Receives one datagram from the relay within the deadline into buf.
 * Returns its length, or -(exit code).
 */
static int recv_reply(struct ctl *c, char *buf, size_t size, uint64_t deadline_ms)
{
	char cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct sockaddr_nl sa;
	struct msghdr mh;
	struct cmsghdr *cm;
	struct timespec ts;
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

	for (;;) {
		struct ucred uc = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
		uint64_t now;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
		if (now >= deadline_ms || poll(&pfd, 1, (int)(deadline_ms - now)) == 0) {
			fprintf(stderr, "sluicectl: no answer from netlink port id %u within "
				"%d ms (a process that is not the relay may hold it)\n",
				c->port, c->timeout_ms);
			return -EXIT_UNREACHABLE;
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &sa;
		mh.msg_namelen = sizeof(sa);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		n = recvmsg(c->fd, &mh, MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			fprintf(stderr, "sluicectl: recvmsg: %s\n", strerror(errno));
			return -EXIT_UNREACHABLE;
		}
		if (sa.nl_pid != c->port)
			continue;	/* not from the relay's port id: not for us */
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS &&
			    cm->cmsg_len >= CMSG_LEN(sizeof(uc)))
				memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
		if (uc.uid != c->relay_uid && uc.uid != 0) {
			fprintf(stderr, "sluicectl: netlink port id %u is held by pid %d uid %u, "
				"not by the relay (uid %u, owner of its state_dir): a squatter; "
				"its reply is ignored\n", c->port, (int)uc.pid,
				(unsigned int)uc.uid, (unsigned int)c->relay_uid);
			return -EXIT_IMPOSTOR;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			fprintf(stderr, "sluicectl: reply longer than %zu bytes\n", size);
			return -EXIT_PROTO;
		}
		return (int)n;
	}
}

int ctl_call(struct ctl *c, struct nl_msg *req, ctl_reply_fn fn, void *arg)
{
	static char buf[SLUICE_MSG_MAX + 1];
	struct nlmsghdr *nlh;
	uint32_t seq;
	uint8_t cmd;
	bool dump;
	struct timespec ts;
	uint64_t deadline;
	char why[256];
	int ret, n;

	if (!req) {
		fprintf(stderr, "sluicectl: out of memory\n");
		return EXIT_FAILED;
	}
	nlh = nlmsg_hdr(req);
	seq = nlh->nlmsg_seq;
	cmd = ((struct genlmsghdr *)nlmsg_data(nlh))->cmd;
	dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	ret = send_request(c, req);
	nlmsg_free(req);
	if (ret)
		return ret;
	for (;;) {
		struct sl_msg_in m;

		/* The deadline is per message: a long dump is fine while the
		 * relay keeps sending. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		deadline = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 +
			   (uint64_t)c->timeout_ms;
		n = recv_reply(c, buf, sizeof(buf), deadline);
		if (n < 0)
			return -n;
		if (sl_wire_parse(buf, (size_t)n, &m, why, sizeof(why))) {
			fprintf(stderr, "sluicectl: malformed reply: %s\n", why);
			return EXIT_PROTO;
		}
		if (m.seq != seq || (m.flags & NLM_F_REQUEST))
			continue;	/* a late reply to an earlier request */
		if (m.cmd == SLUICE_CMD_ERROR)
			return ctl_error_exit(c, &m);
		if (dump && m.cmd == SLUICE_CMD_DONE)
			return EXIT_OK;
		if (m.cmd != cmd) {
			fprintf(stderr, "sluicectl: unexpected %s in answer to %s\n",
				sl_cmd_name(m.cmd), sl_cmd_name(cmd));
			return EXIT_PROTO;
		}
		ret = fn ? fn(&m, arg) : 0;
		if (ret || !dump)
			return ret;
	}
}
