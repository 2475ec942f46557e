// SPDX-License-Identifier: MIT
/*
 * The agent's metrics endpoint: one listener and up to HTTP_CONNS_MAX
 * connections, all non-blocking, driven by poll() in a thread of its own.
 *
 * Why a thread and not the control loop: the control thread blocks by
 * design while it dials the relay, runs the TLS handshake and HELLO, or
 * enrols (each bounded by connect_timeout), and sleeps through the
 * reconnect backoff.  Those are the moments an operator most wants to
 * scrape the agent, so the endpoint must not depend on that loop.  The
 * thread reads shared state only through stats.c (one mutex) and
 * agent_enforce_denials() (the enforcement lock); it never touches the
 * configuration, which a reload may swap.
 *
 * A connection reads one request (SL_HTTP_REQ_MAX bytes at most), gets one
 * answer and is closed; the whole exchange must end within
 * HTTP_TIMEOUT_MS, or the connection is dropped.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "clock.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "net.h"

#define HTTP_CONNS_MAX 16
#define HTTP_TIMEOUT_MS 5000

struct http_conn {
	int fd;				/* -1: slot free */
	bool forbidden;			/* not in metrics_allow: answer 403 */
	uint64_t deadline_ms;
	size_t rx_len;
	char *tx;			/* the answer, once there is one */
	size_t tx_len, tx_head;
	char rx[SL_HTTP_REQ_MAX];
};

struct agent_http {
	struct agent *a;
	int lfd;
	int stop_fd;			/* eventfd: written to stop the thread */
	pthread_t thread;
	pthread_mutex_t lock;		/* guards allow[] and nallow */
	struct sl_cidr allow[SL_CIDR_LIST_MAX];
	unsigned int nallow;
	struct http_conn conns[HTTP_CONNS_MAX];
};

static void conn_close(struct http_conn *c)
{
	/*
	 * Closing with unread bytes makes the kernel send RST, which can
	 * destroy the answer in flight (a 431, say): end our side first,
	 * then discard what the peer already sent.
	 */
	char sink[4096];
	int i;

	shutdown(c->fd, SHUT_WR);
	for (i = 0; i < 16 && recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
		;
	close(c->fd);
	c->fd = -1;
	free(c->tx);
	c->tx = NULL;
}

static void accept_all(struct agent_http *h)
{
	struct sockaddr_storage ss;
	struct http_conn *c;
	socklen_t sl;
	unsigned int i;
	int fd;

	for (;;) {
		sl = sizeof(ss);
		fd = accept4(h->lfd, (struct sockaddr *)&ss, &sl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1)
			return;
		c = NULL;
		for (i = 0; i < HTTP_CONNS_MAX && !c; i++)
			if (h->conns[i].fd < 0)
				c = &h->conns[i];
		if (!c) {	/* busy: scrapers retry */
			close(fd);
			continue;
		}
		c->fd = fd;
		c->rx_len = 0;
		c->tx_len = c->tx_head = 0;
		c->deadline_ms = sl_now_ms() + HTTP_TIMEOUT_MS;
		pthread_mutex_lock(&h->lock);
		c->forbidden = h->nallow &&
			!sl_cidr_match(h->allow, h->nallow, (struct sockaddr *)&ss);
		pthread_mutex_unlock(&h->lock);
	}
}

static void respond(struct http_conn *c, int status, const char *ctype,
		    const char *body, size_t len, bool head)
{
	c->tx = sl_http_answer(status, ctype, body, len, head, &c->tx_len);
	c->tx_head = 0;
}

static void respond_text(struct http_conn *c, int status, const char *text,
			 bool head)
{
	respond(c, status, "text/plain; charset=utf-8", text, strlen(text), head);
}

static void answer(struct agent_http *h, struct http_conn *c,
		   const struct sl_http_req *req)
{
	bool head = req->method == SL_HTTP_HEAD;
	size_t len;
	char *body;

	agent_stats_http_request(&h->a->stats);
	if (req->method == SL_HTTP_OTHER) {
		respond_text(c, 405, "only GET and HEAD are served\n", false);
	} else if (!strcmp(req->path, "/metrics")) {
		body = agent_metrics_render(h->a, &len);
		if (body)
			respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", body,
				len, head);
		else
			respond_text(c, 503, "out of memory\n", head);
		free(body);
	} else if (!strcmp(req->path, "/healthz")) {
		respond_text(c, 200, "ok\n", head);
	} else if (!strcmp(req->path, "/readyz")) {
		respond_text(c, 200, "ready\n", head);
	} else {
		respond_text(c, 404, "not found: try /metrics, /healthz or /readyz\n", head);
	}
}

/* Reads what arrived; queues the answer once the request is whole. */
static void conn_read(struct agent_http *h, struct http_conn *c)
{
	struct sl_http_req req;
	ssize_t n;
	int ret;

	n = recv(c->fd, c->rx + c->rx_len, sizeof(c->rx) - c->rx_len, 0);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return;
	}
	if (n > 0)
		c->rx_len += (size_t)n;
	ret = sl_http_parse(c->rx, c->rx_len, &req);
	if (ret == 0)
		return;
	if (c->forbidden)
		respond_text(c, 403, "forbidden by metrics_allow\n", false);
	else if (ret < 0)
		respond_text(c, -ret, "bad request\n", false);
	else
		answer(h, c, &req);
	if (!c->tx)
		conn_close(c);
}

/* Sends what is queued; closes when all is sent or the peer is gone. */
static void conn_write(struct http_conn *c)
{
	while (c->tx_head < c->tx_len) {
		ssize_t n = send(c->fd, c->tx + c->tx_head, c->tx_len - c->tx_head,
				 MSG_NOSIGNAL);

		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			break;
		}
		c->tx_head += (size_t)n;
	}
	conn_close(c);
}

static void *http_main(void *arg)
{
	struct agent_http *h = arg;
	struct pollfd pfd[2 + HTTP_CONNS_MAX];
	struct http_conn *slot[2 + HTTP_CONNS_MAX];
	unsigned int i, n;

	for (;;) {
		uint64_t now = sl_now_ms(), next = now + 60000;

		pfd[0] = (struct pollfd){ .fd = h->stop_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = h->lfd, .events = POLLIN };
		n = 2;
		for (i = 0; i < HTTP_CONNS_MAX; i++) {
			struct http_conn *c = &h->conns[i];

			if (c->fd < 0)
				continue;
			if (now >= c->deadline_ms) {
				conn_close(c);
				continue;
			}
			if (c->deadline_ms < next)
				next = c->deadline_ms;
			slot[n] = c;
			pfd[n++] = (struct pollfd){ .fd = c->fd,
						    .events = c->tx ? POLLOUT : POLLIN };
		}
		if (poll(pfd, n, (int)(next - now)) == -1 && errno != EINTR) {
			sl_log_errno(errno, "metrics: poll");
			break;
		}
		if (pfd[0].revents)
			break;
		for (i = 2; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (!slot[i]->tx)
				conn_read(h, slot[i]);
			if (slot[i]->fd >= 0 && slot[i]->tx)
				conn_write(slot[i]);
		}
		if (pfd[1].revents)
			accept_all(h);
	}
	return NULL;
}

void agent_http_allow(struct agent *a)
{
	struct agent_http *h = a->http;

	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	memcpy(h->allow, a->cfg.metrics_allow, sizeof(h->allow));
	h->nallow = a->cfg.nmetrics_allow;
	pthread_mutex_unlock(&h->lock);
}

int agent_http_start(struct agent *a, char *why, size_t whylen)
{
	const struct agent_config *cfg = &a->cfg;
	struct agent_http *h;
	unsigned int i;
	int ret;

	if (!cfg->metrics_on)
		return 0;
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	h->a = a;
	h->stop_fd = -1;
	for (i = 0; i < HTTP_CONNS_MAX; i++)
		h->conns[i].fd = -1;
	ret = -pthread_mutex_init(&h->lock, NULL);
	if (ret) {
		snprintf(why, whylen, "pthread_mutex_init: %s", strerror(-ret));
		free(h);
		return ret;
	}
	h->lfd = sl_tcp_listen(cfg->metrics_host, cfg->metrics_port, why, whylen);
	if (h->lfd < 0) {
		ret = h->lfd;
		goto err_lock;
	}
	h->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->stop_fd == -1) {
		ret = -errno;
		snprintf(why, whylen, "eventfd: %s", strerror(errno));
		goto err_listen;
	}
	a->http = h;
	agent_http_allow(a);
	ret = -pthread_create(&h->thread, NULL, http_main, h);
	if (ret) {
		snprintf(why, whylen, "pthread_create: %s", strerror(-ret));
		a->http = NULL;
		goto err_eventfd;
	}
	sl_log_info("metrics on http://%s%s%s:%u/metrics",
		    strchr(cfg->metrics_host, ':') ? "[" : "", cfg->metrics_host,
		    strchr(cfg->metrics_host, ':') ? "]" : "", cfg->metrics_port);
	return 0;

err_eventfd:
	close(h->stop_fd);
err_listen:
	close(h->lfd);
err_lock:
	pthread_mutex_destroy(&h->lock);
	free(h);
	return ret;
}

void agent_http_stop(struct agent *a)
{
	struct agent_http *h = a->http;
	uint64_t one = 1;
	unsigned int i;

	if (!h)
		return;
	if (write(h->stop_fd, &one, sizeof(one)) != sizeof(one))
		sl_log_errno(errno, "metrics: cannot stop the thread");
	else
		pthread_join(h->thread, NULL);
	for (i = 0; i < HTTP_CONNS_MAX; i++)
		if (h->conns[i].fd >= 0)
			conn_close(&h->conns[i]);
	close(h->stop_fd);
	close(h->lfd);
	pthread_mutex_destroy(&h->lock);
	free(h);
	a->http = NULL;
}
