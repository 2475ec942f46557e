// SPDX-License-Identifier: MIT
/*
 * Loader of bpf/agent_connect.bpf.c and the connector process.
 *
 * Rules: for every device the agent resolves its host when a session
 * needs it and keeps the addresses it got; the rules map holds, for each
 * (address, protocol), the port ranges of every device at that address.
 * A device whose address changes moves its rules with it, so the map
 * follows re-resolution.  All map updates happen under e->lock.
 *
 * Connector: a child forked at start that moves itself into the cgroup
 * and then, for each request, connects (one thread per request) and sends
 * the socket back.  Each request carries its own reply socket, so
 * concurrent sessions need no demultiplexing.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "agent_connect.h"
#include "agent_connect.skel.h"
#include "enforce.h"
#include "bpf_log.h"
#include "log.h"
#include "net.h"

#define ADDRS_MAX 16

struct device_addrs {
	unsigned int n;
	unsigned char addr[ADDRS_MAX][16];
};

/* The kernel's count for a key when last folded into the report. */
struct denial_base {
	struct ac_deny_key key;
	uint64_t count;
};

struct agent_enforce {
	struct agent_connect_bpf *skel;
	char cgroup[512];
	bool created;
	pid_t connector;
	int ctl;
	pthread_mutex_t lock;
	struct agent_device *devs;	/* its own copy of the device table */
	unsigned int ndevs;
	struct device_addrs *addrs;	/* [ndevs] */
	/* Kernel keys name devices by index, which a reload reassigns: the
	 * report counts by name, since the agent started. */
	struct denial_base base[AC_DENIALS_MAX];
	unsigned int nbase;
	struct sl_denial report[SLUICE_DENIALS_MAX];
	unsigned int nreport;
	bool report_full;
};

/* A connect request to the connector; a reply socket rides with it. */
struct conn_req {
	unsigned char addr[16];
	uint16_t port;
	int timeout_ms;
};

struct conn_rep {
	int err;	/* positive errno, 0 with a socket attached */
};

/* The first cgroup2 mount: /sys/fs/cgroup, or .../unified on hybrid hosts. */
static int cgroup2_mount(char *out, size_t len)
{
	char dev[256], dir[256], type[64];
	FILE *f = fopen("/proc/self/mounts", "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fscanf(f, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(out, len, "%s", dir);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * Removes cgroups left by earlier agents of this name that died without
 * cleaning up; rmdir succeeds only on an empty cgroup, so a live agent's
 * is never touched.
 */
static void sweep_stale(const char *mount, const char *name)
{
	char prefix[128], path[600];
	struct dirent *de;
	size_t n;
	DIR *d = opendir(mount);

	if (!d)
		return;
	n = (size_t)snprintf(prefix, sizeof(prefix), "sluice-agent.%s.", name);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, n)) {
			snprintf(path, sizeof(path), "%s/%s", mount, de->d_name);
			if (rmdir(path) == 0)
				sl_log_info("removed stale cgroup %s", path);
		}
	closedir(d);
}

/* --------------------------------------------------------------- rules */

static bool has_addr(const struct device_addrs *da, const unsigned char *addr)
{
	unsigned int i;

	for (i = 0; i < da->n; i++)
		if (!memcmp(da->addr[i], addr, 16))
			return true;
	return false;
}

/* Writes the rule of (addr, proto) from every device at addr, or deletes it. */
static int rebuild(struct agent *a, const unsigned char *addr, uint8_t proto)
{
	struct agent_enforce *e = a->enforce;
	int fd = bpf_map__fd(e->skel->maps.rules);
	struct ac_rule rule = { .device = AC_DEVICE_NONE };
	struct ac_key key = { .proto = proto };
	bool any = false;
	unsigned int d, i;

	memcpy(key.addr, addr, 16);
	for (d = 0; d < e->ndevs; d++) {
		const struct sl_ports *p = &e->devs[d].info.ports;

		if (!has_addr(&e->addrs[d], addr))
			continue;
		if (!any)
			rule.device = d;
		any = true;
		for (i = 0; i < p->n && rule.n < AC_RANGES_MAX; i++) {
			if (p->r[i].proto != proto)
				continue;
			rule.range[rule.n].first = p->r[i].first;
			rule.range[rule.n].last = p->r[i].last;
			rule.range[rule.n].device = d;
			rule.n++;
		}
	}
	if (!any)
		return bpf_map_delete_elem(fd, &key) && errno != ENOENT ? -errno : 0;
	return bpf_map_update_elem(fd, &key, &rule, BPF_ANY) ? -errno : 0;
}

static int rebuild_addr(struct agent *a, const unsigned char *addr)
{
	int ret = rebuild(a, addr, IPPROTO_TCP);

	return ret ? ret : rebuild(a, addr, IPPROTO_UDP);
}

/* Resolves a device host into IPv6 (v4-mapped) addresses. */
static int resolve(const char *host, struct device_addrs *out, char *why,
		   size_t whylen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	unsigned char addr[16];
	int ret;

	out->n = 0;
	ret = getaddrinfo(host, NULL, &hints, &res);
	if (ret) {
		snprintf(why, whylen, "cannot resolve '%s': %s", host, gai_strerror(ret));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai && out->n < ADDRS_MAX; ai = ai->ai_next) {
		memset(addr, 0, sizeof(addr));
		if (ai->ai_family == AF_INET) {
			addr[10] = addr[11] = 0xff;
			memcpy(addr + 12, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
		} else if (ai->ai_family == AF_INET6) {
			memcpy(addr, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		if (!has_addr(out, addr))
			memcpy(out->addr[out->n++], addr, 16);
	}
	freeaddrinfo(res);
	return 0;
}

/* Gives device d the addresses na, moving its rules along. */
static int set_addrs(struct agent *a, unsigned int d,
		     const struct device_addrs *na)
{
	struct agent_enforce *e = a->enforce;
	struct device_addrs old = e->addrs[d];
	unsigned int i;
	int ret = 0;

	e->addrs[d] = *na;
	for (i = 0; i < old.n && !ret; i++)
		if (!has_addr(na, old.addr[i]))
			ret = rebuild_addr(a, old.addr[i]);
	for (i = 0; i < na->n && !ret; i++)
		ret = rebuild_addr(a, na->addr[i]);
	return ret;
}

/* ----------------------------------------------------------- connector */

static int send_fd(int sock, const void *buf, size_t len, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd >= 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -errno;
}

/* Receives len bytes and at most one descriptor (-1 if none). */
static ssize_t recv_fd(int sock, void *buf, size_t len, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t n;

	*fd = -1;
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return n;
}

struct conn_job {
	struct conn_req req;
	int reply;
};

static void *connector_job(void *arg)
{
	struct conn_job *job = arg;
	struct conn_rep rep = { 0 };
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int fd;

	if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)job->req.addr)) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(job->req.port);
		memcpy(&in->sin_addr, job->req.addr + 12, 4);
		sl = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(job->req.port);
		memcpy(&in6->sin6_addr, job->req.addr, 16);
		sl = sizeof(*in6);
	}
	fd = sl_tcp_connect_addr((struct sockaddr *)&ss, sl, job->req.timeout_ms);
	rep.err = fd < 0 ? -fd : 0;
	send_fd(job->reply, &rep, sizeof(rep), fd);
	if (fd >= 0)
		close(fd);
	close(job->reply);
	free(job);
	return NULL;
}

/* The connector process: never returns. */
static void connector_main(int ctl, const char *cgroup)
{
	char path[600], pid[32];
	int fd, n, err = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, "sluice-connect");
	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1 || write(fd, pid, (size_t)n) != n)
		err = errno ? errno : EIO;
	if (fd >= 0)
		close(fd);
	/* Ready (0) or the reason it cannot be. */
	if (write(ctl, &err, sizeof(err)) != sizeof(err) || err)
		_exit(1);
	for (;;) {
		struct conn_job *job = malloc(sizeof(*job));
		pthread_attr_t attr;
		pthread_t t;
		ssize_t r;

		if (!job)
			_exit(1);
		r = recv_fd(ctl, &job->req, sizeof(job->req), &job->reply);
		if (r <= 0)
			_exit(0); /* the agent went away */
		if (r != sizeof(job->req) || job->reply < 0) {
			if (job->reply >= 0)
				close(job->reply);
			free(job);
			continue;
		}
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, connector_job, job)) {
			close(job->reply);
			free(job);
		}
		pthread_attr_destroy(&attr);
	}
}

static int connector_start(struct agent_enforce *e, char *why, size_t whylen)
{
	int sp[2], err = 0;
	struct pollfd pfd;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1)
		return -errno;
	e->connector = fork();
	if (e->connector == -1) {
		err = -errno;
		close(sp[0]);
		close(sp[1]);
		return err;
	}
	if (e->connector == 0) {
		close(sp[0]);
		connector_main(sp[1], e->cgroup);
	}
	close(sp[1]);
	e->ctl = sp[0];
	pfd.fd = e->ctl;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) != 1 || read(e->ctl, &err, sizeof(err)) != sizeof(err)) {
		snprintf(why, whylen, "the connector process did not start");
		return -EIO;
	}
	if (err) {
		snprintf(why, whylen, "cannot move the connector into %s: %s", e->cgroup,
			 strerror(err));
		return -err;
	}
	return 0;
}

static int connector_connect(struct agent_enforce *e, const unsigned char *addr,
			     uint16_t port, int timeout_ms)
{
	struct conn_req req = { .port = port, .timeout_ms = timeout_ms };
	struct conn_rep rep;
	struct pollfd pfd;
	int sp[2], fd, ret;

	memcpy(req.addr, addr, 16);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1)
		return -errno;
	ret = send_fd(e->ctl, &req, sizeof(req), sp[1]);
	close(sp[1]);
	if (ret) {
		close(sp[0]);
		return ret;
	}
	pfd.fd = sp[0];
	pfd.events = POLLIN;
	ret = poll(&pfd, 1, timeout_ms + 2000);
	if (ret != 1 || recv_fd(sp[0], &rep, sizeof(rep), &fd) != sizeof(rep)) {
		close(sp[0]);
		return -ETIMEDOUT;
	}
	close(sp[0]);
	if (rep.err) {
		if (fd >= 0)
			close(fd);
		return -rep.err;
	}
	return fd >= 0 ? fd : -EIO;
}

/* -------------------------------------------------------------- public */

int agent_enforce_start(struct agent *a, char *why, size_t whylen)
{
	struct agent_enforce *e = calloc(1, sizeof(*e));
	char mount[256];
	int cg = -1, ret;

	if (!e)
		return -ENOMEM;
	e->ctl = -1;
	pthread_mutex_init(&e->lock, NULL);
	a->enforce = e;
	sl_bpf_log_init();
	if (a->cfg.cgroup[0]) {
		snprintf(e->cgroup, sizeof(e->cgroup), "%s", a->cfg.cgroup);
	} else {
		ret = cgroup2_mount(mount, sizeof(mount));
		if (ret) {
			snprintf(why, whylen, "no cgroup2 hierarchy is mounted");
			goto err;
		}
		sweep_stale(mount, a->cfg.name);
		snprintf(e->cgroup, sizeof(e->cgroup), "%s/sluice-agent.%s.%d", mount,
			 a->cfg.name, (int)getpid());
	}
	if (mkdir(e->cgroup, 0755) == 0)
		e->created = true;
	else if (errno != EEXIST) {
		ret = -errno;
		snprintf(why, whylen, "cannot create cgroup %s: %s", e->cgroup,
			 strerror(errno));
		goto err;
	}
	e->skel = agent_connect_bpf__open_and_load();
	if (!e->skel) {
		ret = -errno ? -errno : -ENOMEM;
		snprintf(why, whylen, "cannot load the eBPF programs: %s%s", strerror(-ret),
			 ret == -EPERM ? " (needs root, or CAP_BPF and CAP_NET_ADMIN)" : "");
		goto err;
	}
	cg = open(e->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg == -1) {
		ret = -errno;
		snprintf(why, whylen, "cannot open cgroup %s: %s", e->cgroup, strerror(errno));
		goto err;
	}
	e->skel->links.ac_connect4 = bpf_program__attach_cgroup(e->skel->progs.ac_connect4, cg);
	e->skel->links.ac_connect6 = bpf_program__attach_cgroup(e->skel->progs.ac_connect6, cg);
	e->skel->links.ac_sendmsg4 = bpf_program__attach_cgroup(e->skel->progs.ac_sendmsg4, cg);
	e->skel->links.ac_sendmsg6 = bpf_program__attach_cgroup(e->skel->progs.ac_sendmsg6, cg);
	close(cg);
	if (!e->skel->links.ac_connect4 || !e->skel->links.ac_connect6 ||
	    !e->skel->links.ac_sendmsg4 || !e->skel->links.ac_sendmsg6) {
		ret = -errno ? -errno : -EINVAL;
		snprintf(why, whylen, "cannot attach to cgroup %s: %s", e->cgroup,
			 strerror(-ret));
		goto err;
	}
	/* Rules for what resolves now; sessions keep them current. */
	ret = agent_enforce_reload(a, a->cfg.devices, a->cfg.ndevices);
	if (ret) {
		snprintf(why, whylen, "cannot write the rules map: %s", strerror(-ret));
		goto err;
	}
	ret = connector_start(e, why, whylen);
	if (ret)
		goto err;
	sl_log_info("kernel enforcement on: cgroup %s, connect4/6 and sendmsg4/6 programs "
		    "attached, connector pid %d", e->cgroup, (int)e->connector);
	return 0;
err:
	agent_enforce_stop(a);
	return ret ? ret : -EIO;
}

void agent_enforce_stop(struct agent *a)
{
	struct agent_enforce *e = a->enforce;
	int i, status;

	if (!e)
		return;
	a->enforce = NULL;
	if (e->ctl >= 0)
		close(e->ctl); /* the connector exits on EOF */
	if (e->connector > 0) {
		for (i = 0; i < 50 && waitpid(e->connector, &status, WNOHANG) == 0; i++)
			usleep(20000);
		if (i == 50) {
			kill(e->connector, SIGKILL);
			waitpid(e->connector, &status, 0);
		}
	}
	agent_connect_bpf__destroy(e->skel);
	if (e->created && rmdir(e->cgroup) == -1)
		sl_log_warn("cannot remove cgroup %s: %s", e->cgroup, strerror(errno));
	pthread_mutex_destroy(&e->lock);
	free(e->addrs);
	free(e->devs);
	free(e);
}

static int find_dev(const struct agent_enforce *e, const char *name)
{
	unsigned int d;

	for (d = 0; d < e->ndevs; d++)
		if (!strcmp(e->devs[d].info.name, name))
			return (int)d;
	return -1;
}

int agent_device_connect(struct agent *a, const struct agent_device *dev,
			 uint16_t port, char *why, size_t whylen)
{
	struct agent_enforce *e = a->enforce;
	int timeout = (int)a->cfg.connect_timeout_ms;
	struct device_addrs na;
	int fd = -ENOENT, ret, d;
	unsigned int i;

	if (!e)
		return sl_tcp_connect(dev->host, port, timeout, why, whylen);
	ret = resolve(dev->host, &na, why, whylen);
	if (ret)
		return ret;
	pthread_mutex_lock(&e->lock);
	d = find_dev(e, dev->info.name);
	ret = d < 0 ? -ENOENT : set_addrs(a, (unsigned int)d, &na);
	pthread_mutex_unlock(&e->lock);
	if (ret) {
		snprintf(why, whylen, d < 0 ? "device %s was removed by a reload" :
				      "cannot update the rules map: %s",
			 d < 0 ? dev->info.name : strerror(-ret));
		return ret;
	}
	for (i = 0; i < na.n; i++) {
		fd = connector_connect(e, na.addr[i], port, timeout);
		if (fd >= 0)
			return fd;
	}
	snprintf(why, whylen, "cannot connect to %s:%u: %s%s", dev->host, port,
		 strerror(-fd), fd == -EPERM ? " (refused by the kernel rules)" : "");
	return fd;
}

/* Called with e->lock held. */
static const char *device_name(const struct agent_enforce *e, uint32_t d)
{
	return d < e->ndevs ? e->devs[d].info.name : "";
}

static struct sl_denial *report_slot(struct agent_enforce *e, const char *dev,
				     const struct ac_deny_key *k)
{
	struct sl_denial *d;
	unsigned int i;

	for (i = 0; i < e->nreport; i++) {
		d = &e->report[i];
		if (d->port == k->port && d->proto == k->proto && !strcmp(d->device, dev))
			return d;
	}
	if (e->nreport == SLUICE_DENIALS_MAX) {
		if (!e->report_full)
			sl_log_warn("more than %d (device, port) denial counters: the "
				    "heartbeat reports the first %d", SLUICE_DENIALS_MAX,
				    SLUICE_DENIALS_MAX);
		e->report_full = true;
		return NULL;
	}
	d = &e->report[e->nreport++];
	snprintf(d->device, sizeof(d->device), "%s", dev);
	d->port = k->port;
	d->proto = k->proto;
	d->count = 0;
	return d;
}

static struct denial_base *base_of(struct agent_enforce *e,
				   const struct ac_deny_key *k)
{
	unsigned int i;

	for (i = 0; i < e->nbase; i++)
		if (!memcmp(&e->base[i].key, k, sizeof(*k)))
			return &e->base[i];
	if (e->nbase == AC_DENIALS_MAX)
		return NULL;
	e->base[e->nbase].key = *k;
	e->base[e->nbase].count = 0;
	return &e->base[e->nbase++];
}

/* Folds what the kernel counted since the last call into the report and
 * logs it.  Called with e->lock held. */
static void fold_denials(struct agent_enforce *e)
{
	int fd = bpf_map__fd(e->skel->maps.denials);
	struct ac_deny_key key, next;
	struct denial_base *b;
	struct sl_denial *d;
	void *prev = NULL;
	uint64_t v;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v) || !(b = base_of(e, &key)) ||
		    v <= b->count)
			continue;
		d = report_slot(e, device_name(e, key.device), &key);
		if (d)
			d->count += v - b->count;
		sl_log_warn("kernel refused %llu connection(s) to device %s port %u/%s (total %llu)",
			    (unsigned long long)(v - b->count),
			    key.device < e->ndevs ? device_name(e, key.device) : "(no device)",
			    key.port, key.proto == IPPROTO_UDP ? "udp" : "tcp",
			    (unsigned long long)(d ? d->count : v));
		b->count = v;
	}
}

/* Before a reload renumbers the devices: fold, then start the kernel's
 * counts afresh.  Called with e->lock held. */
static void reset_denials(struct agent_enforce *e)
{
	int fd = bpf_map__fd(e->skel->maps.denials);
	struct ac_deny_key key;
	unsigned int i;

	fold_denials(e);
	for (i = 0; i < 2 * AC_DENIALS_MAX &&
		    bpf_map_get_next_key(fd, NULL, &key) == 0; i++)
		bpf_map_delete_elem(fd, &key);
	e->nbase = 0;
}

int agent_enforce_reload(struct agent *a, const struct agent_device *devs,
			 unsigned int n)
{
	struct agent_enforce *e = a->enforce;
	struct device_addrs *na, *old_addrs;
	struct agent_device *copy, *old_devs;
	unsigned int d, i, old_n;
	char why[300];
	int ret = 0;

	if (!e)
		return 0;
	copy = calloc(n ? n : 1, sizeof(*copy));
	na = calloc(n ? n : 1, sizeof(*na));
	if (!copy || !na) {
		free(copy);
		free(na);
		return -ENOMEM;
	}
	if (n)	/* devs is NULL for an agent without devices */
		memcpy(copy, devs, n * sizeof(*copy));
	/* Resolve outside the lock; a failure leaves that device no address
	 * until a session resolves it again. */
	for (d = 0; d < n; d++)
		if (resolve(copy[d].host, &na[d], why, sizeof(why)))
			sl_log_warn("device %s: %s (retried at each session)",
				    copy[d].info.name, why);
	pthread_mutex_lock(&e->lock);
	reset_denials(e);
	old_devs = e->devs;
	old_addrs = e->addrs;
	old_n = e->ndevs;
	e->devs = copy;
	e->addrs = na;
	e->ndevs = n;
	/* Every address of the old or the new table gets its rule rewritten
	 * from the new table (or deleted): in place, no window without rules
	 * for addresses that stay. */
	for (d = 0; d < old_n && !ret; d++)
		for (i = 0; i < old_addrs[d].n && !ret; i++)
			ret = rebuild_addr(a, old_addrs[d].addr[i]);
	for (d = 0; d < n && !ret; d++)
		for (i = 0; i < na[d].n && !ret; i++)
			ret = rebuild_addr(a, na[d].addr[i]);
	pthread_mutex_unlock(&e->lock);
	free(old_devs);
	free(old_addrs);
	return ret;
}

void agent_enforce_poll(struct agent *a)
{
	struct agent_enforce *e = a->enforce;

	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	fold_denials(e);
	pthread_mutex_unlock(&e->lock);
}

unsigned int agent_enforce_denials(struct agent *a, struct sl_denial *out)
{
	struct agent_enforce *e = a->enforce;
	unsigned int n;

	if (!e)
		return 0;
	pthread_mutex_lock(&e->lock);
	n = e->nreport;
	memcpy(out, e->report, n * sizeof(*out));
	pthread_mutex_unlock(&e->lock);
	return n;
}
