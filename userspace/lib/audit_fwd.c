// SPDX-License-Identifier: MIT
/*
 * Syslog copy of the audit log: each record as one RFC 5424 message
 *
 *   <PRI>1 2026-11-23T12:51:23.123Z HOST sluice-relay PID EVENT - {json}
 *
 * over the local socket (/dev/log, datagram), UDP (RFC 5426) or TCP with
 * octet-counting framing ("LEN SP MSG", RFC 6587).
 *
 * The local file is the record of truth; this copy is best effort and
 * must never hold up the relay.  Every socket is non-blocking.  TCP
 * messages wait in a bounded queue while the connection is down or full;
 * when the queue is full new messages are dropped and counted.  The name
 * is resolved once, at open.  Failures are logged at most once a minute,
 * with the number of messages lost since the last such line.
 */
#include "audit_int.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define FWD_MSG_MAX (SL_AUDIT_LINE_MAX + 512)
#define FWD_QUEUE_MAX (256 * 1024)
#define FWD_LOG_EVERY 60	/* seconds between failure lines */
#define FWD_RETRY_MIN 1		/* seconds before a TCP reconnect, doubling */
#define FWD_RETRY_MAX 60

struct audit_fwd {
	enum sl_audit_fwd kind;
	int fd;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char target[256];
	int facility;
	char app[49];
	char host[256];
	int pid;
	/* TCP: framed messages not yet sent; the first may be partly sent. */
	char *queue;
	size_t qlen;
	size_t qsent;		/* bytes from the front already sent */
	bool connecting;
	time_t retry_at;
	unsigned int retry_s;
	/* Rate-limited failure log. */
	time_t logged_at;
	unsigned long lost;
};

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void fwd_fail(struct audit_fwd *f, int err, const char *what,
		     bool lost)
{
	time_t now = now_s();

	if (lost)
		f->lost++;
	if (f->logged_at && now - f->logged_at < FWD_LOG_EVERY)
		return;
	f->logged_at = now;
	if (f->lost)
		sl_log_warn("audit: syslog forwarding to %s: %s: %s (%lu "
			    "records not forwarded since the last report)",
			    f->target, what, strerror(err > 0 ? err : -err),
			    f->lost);
	else
		sl_log_warn("audit: syslog forwarding to %s: %s: %s",
			    f->target, what, strerror(err > 0 ? err : -err));
	f->lost = 0;
}

/* RFC 5424 PRINTUSASCII without spaces, at most max bytes; "-" if empty. */
static void header_field(char *out, size_t cap, const char *s, size_t max)
{
	size_t n = 0;

	for (; s && *s && n < max && n + 1 < cap; s++)
		if (*s > 32 && *s < 127)
			out[n++] = *s;
	if (!n)
		out[n++] = '-';
	out[n] = '\0';
}

static int resolve(struct audit_fwd *f, const char *target, int socktype)
{
	struct addrinfo hints = { .ai_socktype = socktype }, *res;
	char host[256];
	const char *port;
	int rc;

	if (!target || strlen(target) >= sizeof(host))
		return -EINVAL;
	if (target[0] == '[') {
		const char *end = strchr(target, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(end - target - 1),
			 target + 1);
		port = end + 2;
	} else {
		const char *colon = strrchr(target, ':');

		if (!colon || strchr(target, ':') != colon)
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - target),
			 target);
		port = colon + 1;
	}
	if (!*host || !*port)
		return -EINVAL;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		sl_log_err("audit: cannot resolve syslog target %s: %s",
			   target, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	memcpy(&f->addr, res->ai_addr, res->ai_addrlen);
	f->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

struct audit_fwd *audit_fwd_open(const struct sl_audit_conf *c)
{
	struct audit_fwd *f;
	char host[256] = "";
	int err;

	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->fd = -1;
	f->kind = c->fwd;
	f->facility = c->facility > 0 && c->facility < 24 ? c->facility : 10;
	f->pid = (int)getpid();
	f->retry_s = FWD_RETRY_MIN;
	header_field(f->app, sizeof(f->app),
		     c->app_name ? c->app_name : "sluice-relay", 48);
	if (c->hostname)
		snprintf(host, sizeof(host), "%s", c->hostname);
	else
		gethostname(host, sizeof(host) - 1);
	header_field(f->host, sizeof(f->host), host, 255);

	switch (c->fwd) {
	case SL_AUDIT_FWD_LOCAL: {
		struct sockaddr_un *un = (struct sockaddr_un *)&f->addr;
		const char *path = c->fwd_target ? c->fwd_target : "/dev/log";

		if (strlen(path) >= sizeof(un->sun_path)) {
			err = -ENAMETOOLONG;
			goto err_free;
		}
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, path);
		f->addrlen = sizeof(*un);
		snprintf(f->target, sizeof(f->target), "%s", path);
		f->fd = socket(AF_UNIX,
			       SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		break;
	}
	case SL_AUDIT_FWD_UDP:
	case SL_AUDIT_FWD_TCP:
		err = resolve(f, c->fwd_target,
			      c->fwd == SL_AUDIT_FWD_UDP ? SOCK_DGRAM :
							   SOCK_STREAM);
		if (err)
			goto err_free;
		snprintf(f->target, sizeof(f->target), "%s/%s", c->fwd_target,
			 c->fwd == SL_AUDIT_FWD_UDP ? "udp" : "tcp");
		if (c->fwd == SL_AUDIT_FWD_UDP) {
			f->fd = socket(f->addr.ss_family, SOCK_DGRAM |
				       SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		} else {
			f->queue = malloc(FWD_QUEUE_MAX);
			if (!f->queue) {
				err = -ENOMEM;
				goto err_free;
			}
			return f;	/* connects on first use */
		}
		break;
	default:
		err = -EINVAL;
		goto err_free;
	}
	if (f->fd == -1) {
		err = -errno;
		goto err_free;
	}
	return f;

err_free:
	free(f->queue);
	free(f);
	errno = -err;
	return NULL;
}

/* Length of the first frame in the queue: "LEN SP MSG". */
static size_t first_frame(const struct audit_fwd *f)
{
	size_t i = 0, n = 0;

	while (i < f->qlen && f->queue[i] != ' ')
		n = n * 10 + (size_t)(f->queue[i++] - '0');
	n += i + 1;
	return n > f->qlen ? f->qlen : n;
}

/* Drops the frames sent whole from the front of the queue. */
static void forget_sent(struct audit_fwd *f)
{
	size_t fl;

	while (f->qlen && f->qsent >= (fl = first_frame(f))) {
		memmove(f->queue, f->queue + fl, f->qlen - fl);
		f->qlen -= fl;
		f->qsent -= fl;
	}
}

static void tcp_drop_conn(struct audit_fwd *f, int err, const char *what)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->connecting = false;
	f->retry_at = now_s() + f->retry_s;
	f->retry_s = f->retry_s * 2 > FWD_RETRY_MAX ? FWD_RETRY_MAX :
						      f->retry_s * 2;
	forget_sent(f);
	/* A frame cut in the middle cannot be resumed on a new connection. */
	if (f->qsent) {
		f->qsent = first_frame(f);
		forget_sent(f);
		f->qsent = 0;
		f->lost++;
	}
	fwd_fail(f, err, what, false);
}

static void tcp_flush(struct audit_fwd *f)
{
	if (f->fd < 0) {
		if (!f->qlen || now_s() < f->retry_at)
			return;
		f->fd = socket(f->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
			       SOCK_CLOEXEC, 0);
		if (f->fd == -1) {
			tcp_drop_conn(f, errno, "socket");
			return;
		}
		if (connect(f->fd, (struct sockaddr *)&f->addr, f->addrlen) &&
		    errno != EINPROGRESS) {
			tcp_drop_conn(f, errno, "connect");
			return;
		}
		f->connecting = true;
	}
	if (f->connecting) {
		struct pollfd pfd = { .fd = f->fd, .events = POLLOUT };
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (poll(&pfd, 1, 0) <= 0)
			return;		/* still connecting */
		if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) ||
		    soerr) {
			tcp_drop_conn(f, soerr ? soerr : errno, "connect");
			return;
		}
		f->connecting = false;
		f->retry_s = FWD_RETRY_MIN;
	}
	while (f->qsent < f->qlen) {
		ssize_t n = send(f->fd, f->queue + f->qsent, f->qlen - f->qsent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			tcp_drop_conn(f, errno, "send");
			return;
		}
		f->qsent += (size_t)n;
	}
	forget_sent(f);
}

void audit_fwd_poll(struct audit_fwd *f)
{
	if (f && f->kind == SL_AUDIT_FWD_TCP)
		tcp_flush(f);
}

void audit_fwd_send(struct audit_fwd *f, const char *line, size_t len,
		    const char *event, const char *outcome,
		    const char time[AUDIT_TIME_LEN])
{
	char hdr[512], msgid[33];
	bool ok = !outcome || strcmp(outcome, "ok") == 0;
	int pri = f->facility * 8 + (ok ? 6 : 4);
	int hlen;

	header_field(msgid, sizeof(msgid), event, 32);
	hlen = snprintf(hdr, sizeof(hdr), "<%d>1 %s %s %s %d %s - ", pri, time,
			f->host, f->app, f->pid, msgid);
	if (hlen < 0 || (size_t)hlen >= sizeof(hdr))
		return;

	if (f->kind == SL_AUDIT_FWD_TCP) {
		char frame[24];
		size_t msglen = (size_t)hlen + len;
		int flen = snprintf(frame, sizeof(frame), "%zu ", msglen);

		if ((size_t)flen + msglen > FWD_QUEUE_MAX - f->qlen) {
			fwd_fail(f, ENOBUFS, "queue full", true);
			return;
		}
		memcpy(f->queue + f->qlen, frame, (size_t)flen);
		memcpy(f->queue + f->qlen + flen, hdr, (size_t)hlen);
		memcpy(f->queue + f->qlen + flen + hlen, line, len);
		f->qlen += (size_t)flen + msglen;
		tcp_flush(f);
	} else {
		struct iovec iov[2] = {
			{ .iov_base = hdr, .iov_len = (size_t)hlen },
			{ .iov_base = (void *)line, .iov_len = len },
		};
		struct msghdr mh = {
			.msg_iov = iov,
			.msg_iovlen = 2,
		};

		/* Addressed each time: a restarted syslogd is found. */
		mh.msg_name = &f->addr;
		mh.msg_namelen = f->addrlen;
		if (sendmsg(f->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
			fwd_fail(f, errno, "send", true);
	}
}

void audit_fwd_close(struct audit_fwd *f)
{
	if (!f)
		return;
	if (f->kind == SL_AUDIT_FWD_TCP && f->fd >= 0 && !f->connecting)
		tcp_flush(f);
	if (f->fd >= 0)
		close(f->fd);
	forget_sent(f);
	if (f->lost || f->qlen)
		sl_log_warn("audit: records not forwarded to %s: %lu lost, "
			    "%zu bytes still queued at close", f->target,
			    f->lost, f->qlen);
	free(f->queue);
	free(f);
}
