// SPDX-License-Identifier: MIT
/*
 * sluice-client forward: a local listener whose every connection becomes a
 * relayed session to one device port.  The main thread owns the control
 * connection (OPEN requests, their answers, heartbeats); each session's
 * data leg runs in a thread of its own.  When the relay goes away the
 * listener stays open and new connections wait in its backlog until the
 * control connection is back.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "backoff.h"
#include "client.h"
#include "conf.h"
#include "log.h"
#include "msgio.h"
#include "net.h"
#include "tls.h"
#include "workers.h"

struct target {
	char agent[SLUICE_NAME_MAX + 1];	/* "" : relay resolves the device */
	char device[SLUICE_NAME_MAX + 1];
	uint16_t port;
};

/* A local connection waiting for the relay's answer to its OPEN. */
struct pending {
	uint32_t seq;
	int fd;
	struct pending *next;
};

#define CLIENT_SESSIONS_MAX 4096

struct leg_job {
	struct sl_worker w;
	struct client *c;
	int fd;
	uint64_t id;
	unsigned char token[SLUICE_SESSION_TOKEN_LEN];
};

static int parse_target(const char *s, struct target *t)
{
	const char *slash = strchr(s, '/'), *colon = strrchr(s, ':');
	const char *dev = slash ? slash + 1 : s;
	uint64_t port;
	size_t n;

	memset(t, 0, sizeof(*t));
	if (!colon || colon < dev || sl_parse_uint(colon + 1, 1, 65535, &port))
		return -EINVAL;
	if (slash) {
		n = (size_t)(slash - s);
		if (n == 0 || n > SLUICE_NAME_MAX)
			return -EINVAL;
		memcpy(t->agent, s, n);
		if (!sl_name_valid(t->agent))
			return -EINVAL;
	}
	n = (size_t)(colon - dev);
	if (n == 0 || n > SLUICE_NAME_MAX)
		return -EINVAL;
	memcpy(t->device, dev, n);
	if (!sl_name_valid(t->device))
		return -EINVAL;
	t->port = (uint16_t)port;
	return 0;
}

/* HOST:PORT where port 0 asks the kernel for a free port. */
static int parse_local(const char *s, char *host, size_t len, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	char tmp[300];

	if (colon && !strcmp(colon, ":0")) {
		snprintf(tmp, sizeof(tmp), "%.*s:1", (int)(colon - s), s);
		if (sl_parse_hostport(tmp, 0, host, len, port))
			return -EINVAL;
		*port = 0;
		return 0;
	}
	return sl_parse_hostport(s, 0, host, len, port);
}

static void *leg_main(void *arg)
{
	struct leg_job *job = arg;

	sl_peer_session(job->c->data_tls, &job->c->cfg.relay, &job->w, job->fd, job->id,
			job->token, sizeof(job->token), "(local connection)", NULL, NULL);
	OPENSSL_cleanse(job->token, sizeof(job->token));
	sl_worker_done(&job->w);
	free(job);
	return NULL;
}

static void start_leg(struct client *c, int fd, const struct sl_msg_in *m)
{
	struct leg_job *job = calloc(1, sizeof(*job));
	int ret;

	if (!job) {
		close(fd);
		return;
	}
	job->c = c;
	job->fd = fd;
	job->id = nla_get_u64(m->tb[SLUICE_A_SESSION_ID]);
	memcpy(job->token, nla_data(m->tb[SLUICE_A_TOKEN]), sizeof(job->token));
	ret = sl_worker_start(&job->w, CLIENT_SESSIONS_MAX, leg_main, job);
	if (ret) {
		sl_log_err("cannot start a session thread: %s", strerror(-ret));
		close(fd);
		OPENSSL_cleanse(job->token, sizeof(job->token));
		free(job);
	}
}

static struct pending *pending_take(struct pending **list, uint32_t seq)
{
	struct pending **pp, *p;

	for (pp = list; (p = *pp); pp = &p->next)
		if (p->seq == seq) {
			*pp = p->next;
			return p;
		}
	return NULL;
}

static void pending_drop_all(struct pending **list)
{
	struct pending *p;

	while ((p = *list)) {
		*list = p->next;
		close(p->fd);
		free(p);
	}
}

static int send_open(SSL *ssl, const struct target *t, uint32_t seq)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_OPEN, seq, 0);

	if (!msg || (t->agent[0] && nla_put_string(msg, SLUICE_A_AGENT, t->agent)) ||
	    nla_put_string(msg, SLUICE_A_DEVICE, t->device) ||
	    nla_put_u16(msg, SLUICE_A_PORT, t->port)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return sl_msg_send_free(ssl, msg);
}

static void handle_reply(struct client *c, struct pending **list,
			 const struct sl_msg_in *m, const struct target *t)
{
	struct pending *p;

	if (m->cmd == SLUICE_CMD_HEARTBEAT)
		return;
	if (m->cmd != SLUICE_CMD_OPEN_OK && m->cmd != SLUICE_CMD_ERROR)
		return;
	p = pending_take(list, m->seq);
	if (!p) {
		if (m->cmd == SLUICE_CMD_ERROR)
			sl_log_warn("relay reports: %s", sl_wire_str(m, SLUICE_A_ERR_MSG) ?: "");
		return;
	}
	if (m->cmd == SLUICE_CMD_ERROR) {
		uint32_t code = nla_get_u32(m->tb[SLUICE_A_ERR_CODE]);

		sl_log_err("session to %s%s%s:%u refused: %s: %s", t->agent,
			   t->agent[0] ? "/" : "", t->device, t->port,
			   sl_err_name(code), sl_wire_str(m, SLUICE_A_ERR_MSG) ?: "");
		close(p->fd);
	} else {
		start_leg(c, p->fd, m);
	}
	free(p);
}

/* Serves one control connection; returns when it is lost or on a signal. */
static void serve(struct client *c, SSL *ssl, uint32_t hb, int lfd,
		  const struct target *t)
{
	static char buf[SLUICE_MSG_MAX];
	struct pending *pending = NULL;
	struct sl_heartbeat hbt;
	uint32_t seq = 100;
	uint64_t silent;
	char why[512];

	sl_heartbeat_start(&hbt, hb);
	while (!c->stop) {
		struct pollfd pfd[3] = {
			{ .fd = SSL_get_fd(ssl), .events = POLLIN },
			{ .fd = lfd, .events = POLLIN },
			{ .fd = c->signal_fd, .events = POLLIN },
		};

		if (SSL_pending(ssl) > 0)
			pfd[0].revents = POLLIN;
		else if (poll(pfd, 3, sl_heartbeat_timeout(&hbt)) == -1 && errno != EINTR)
			break;
		if (pfd[2].revents) {
			c->stop = true;
			break;
		}
		if (pfd[1].revents) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			struct pending *p;

			if (fd >= 0) {
				p = calloc(1, sizeof(*p));
				if (!p) {
					close(fd);
				} else {
					p->seq = ++seq;
					p->fd = fd;
					p->next = pending;
					pending = p;
					if (send_open(ssl, t, p->seq)) {
						sl_log_warn("lost the relay connection");
						break;
					}
					hbt.last_tx_ms = sl_now_ms();
				}
			}
		}
		if (pfd[0].revents) {
			struct sl_msg_in m;

			if (sl_msg_recv(ssl, buf, &m, why, sizeof(why))) {
				sl_log_warn("lost the relay connection: %s", why);
				break;
			}
			hbt.last_rx_ms = sl_now_ms();
			handle_reply(c, &pending, &m, t);
		}
		if (sl_heartbeat_dead(&hbt, &silent)) {
			sl_log_warn("relay silent for %llu ms (3 heartbeats)",
				    (unsigned long long)silent);
			break;
		}
		if (sl_heartbeat_send_due(&hbt, ssl)) {
			sl_log_warn("lost the relay connection");
			break;
		}
	}
	pending_drop_all(&pending);
}

int client_forward_main(struct client *c, const char *target, const char *local)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256], why[512], bound[SL_ADDRSTRLEN];
	struct sl_backoff b;
	struct signalfd_siginfo si;
	struct target t;
	bool announced = false;
	uint16_t port;
	int lfd;

	if (parse_target(target, &t)) {
		fprintf(stderr, "sluice-client: bad target '%s': expected [AGENT/]DEVICE:PORT\n",
			target);
		return 2;
	}
	if (parse_local(local, host, sizeof(host), &port)) {
		fprintf(stderr, "sluice-client: bad --local '%s': expected HOST:PORT (port 0: any free port)\n",
			local);
		return 2;
	}
	lfd = sl_tcp_listen(host, port, why, sizeof(why));
	if (lfd < 0) {
		sl_log_err("%s", why);
		return 1;
	}
	getsockname(lfd, (struct sockaddr *)&ss, &sl);
	sl_addr_str((struct sockaddr *)&ss, bound, sizeof(bound));
	sl_backoff_init(&b, 1000, 30000, (uint64_t)getpid() ^ sl_now_ms());
	while (!c->stop) {
		uint32_t hb;
		SSL *ssl = client_connect(c, &hb);

		/* A relay that cannot be reached at all is a setup error. */
		if (!ssl && !announced) {
			close(lfd);
			return 1;
		}
		if (ssl) {
			sl_backoff_reset(&b);
			if (!announced) {
				printf("listening on %s\n", bound);
				fflush(stdout);
				sl_log_info("forwarding %s -> %s%s%s:%u through %s:%u", bound,
					    t.agent, t.agent[0] ? "/" : "", t.device, t.port,
					    c->cfg.relay.host, c->cfg.relay.port);
				announced = true;
			}
			serve(c, ssl, hb, lfd, &t);
			sl_tls_close(ssl);
			if (c->stop)
				break;
		}
		{
			uint32_t delay = sl_backoff_next(&b);
			struct pollfd pfd = { .fd = c->signal_fd, .events = POLLIN };

			sl_log_info("reconnecting in %.1f s", delay / 1000.0);
			if (poll(&pfd, 1, (int)delay) == 1)
				c->stop = true;
		}
	}
	if (read(c->signal_fd, &si, sizeof(si)) > 0)
		sl_log_info("signal %u: stopping", si.ssi_signo);
	close(lfd);
	if (sl_workers_stop(5000))
		sl_log_warn("sessions still running at exit");
	return 0;
}
