// SPDX-License-Identifier: MIT
/*
 * The metrics endpoint: plain HTTP/1.x on its own listener, served by the
 * relay's loop.  A connection reads one request (bounded in size and time),
 * gets one answer and is closed; nothing here blocks the loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "log.h"
#include "relay.h"

#define HTTP_TIMEOUT_MS 5000

int relay_http_init(struct relay *r, char *why, size_t whylen)
{
	const struct relay_listen *l = &r->cfg.metrics;
	char addr[300];
	int ret;

	r->metrics_fd = -1;
	if (!r->cfg.metrics_on)
		return 0;
	r->metrics_fd = sl_tcp_listen(l->host, l->port, why, whylen);
	if (r->metrics_fd < 0)
		return r->metrics_fd;
	ret = relay_watch_add(r->watch, r->metrics_fd, TAG_METRICS, POLLIN);
	if (ret) {
		snprintf(why, whylen, "io_uring: %s", strerror(-ret));
		return ret;
	}
	relay_listen_str(l, addr, sizeof(addr));
	sl_log_info("metrics on http://%s/metrics", addr);
	return 0;
}

void relay_http_accept(struct relay *r)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct relay_conn *c;
	int fd;

	for (;;) {
		sl = sizeof(ss);
		fd = accept4(r->metrics_fd, (struct sockaddr *)&ss, &sl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1)
			return;
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		c->fd = fd;
		c->kind = CONN_HTTP;
		sl_addr_str((struct sockaddr *)&ss, c->addr, sizeof(c->addr));
		c->accepted_ms = r->now_ms;
		c->deadline_ms = r->now_ms + HTTP_TIMEOUT_MS;
		LIST_INIT(&c->sessions);
		/* An allow-list refusal is answered like any request, with 403. */
		c->close_after_flush = r->cfg.nmetrics_allow &&
			!sl_cidr_match(r->cfg.metrics_allow, r->cfg.nmetrics_allow,
					  (struct sockaddr *)&ss);
		if (relay_watch_add(r->watch, fd, (uintptr_t)c, POLLIN)) {
			close(fd);
			free(c);
			continue;
		}
		LIST_INSERT_HEAD(&r->conns, c, link);
		c->in_conns = true;
	}
}

/* Queues the whole answer in c->tx; the body is taken over (freed). */
static void respond(struct relay_conn *c, int status, const char *ctype,
		    char *body, size_t len, bool head)
{
	char hdr[512];
	int n;

	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n%s\r\n",
		     status, sl_http_reason(status), ctype, len,
		     status == 405 ? "Allow: GET, HEAD\r\n" : "");
	free(c->tx);
	c->tx = malloc((size_t)n + (head ? 0 : len));
	if (!c->tx) {
		free(body);
		c->tx_len = 0;
		return;
	}
	memcpy(c->tx, hdr, (size_t)n);
	if (!head && len)
		memcpy(c->tx + n, body, len);
	c->tx_len = (size_t)n + (head ? 0 : len);
	c->tx_head = 0;
	free(body);
}

static void respond_text(struct relay_conn *c, int status, const char *text,
			 bool head)
{
	char *body = strdup(text);

	respond(c, status, "text/plain; charset=utf-8", body, body ? strlen(body) : 0,
		head);
}

static void answer(struct relay *r, struct relay_conn *c,
		   const struct sl_http_req *req)
{
	bool head = req->method == SL_HTTP_HEAD;
	size_t len;
	char *body;

	r->stats.http_requests++;
	if (req->method == SL_HTTP_OTHER) {
		respond_text(c, 405, "only GET and HEAD are served\n", false);
	} else if (!strcmp(req->path, "/metrics")) {
		body = relay_metrics_render(r, &len);
		if (body)
			respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", body,
				len, head);
		else
			respond_text(c, 503, "out of memory\n", head);
	} else if (!strcmp(req->path, "/healthz")) {
		respond_text(c, 200, "ok\n", head);
	} else if (!strcmp(req->path, "/readyz")) {
		respond_text(c, 200, "ready\n", head);
	} else {
		respond_text(c, 404, "not found: try /metrics, /healthz or /readyz\n", head);
	}
}

/*
 * Closing a socket with unread bytes makes the kernel send RST, which can
 * destroy the answer in flight (a 431 for an oversized request, say): end
 * our side, then discard what the peer already sent.
 */
static void drain(int fd)
{
	char sink[4096];
	int i;

	shutdown(fd, SHUT_WR);
	for (i = 0; i < 16 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
		;
}

/* Writes what is queued; closes when done. */
static void http_flush(struct relay *r, struct relay_conn *c)
{
	while (c->tx_head < c->tx_len) {
		ssize_t n = send(c->fd, c->tx + c->tx_head, c->tx_len - c->tx_head,
				 MSG_NOSIGNAL);

		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				relay_watch_set(r->watch, c->fd, POLLOUT);
				return;
			}
			break;
		}
		c->tx_head += (size_t)n;
	}
	drain(c->fd);
	relay_conn_close(r, c, "answered");
}

void relay_http_event(struct relay *r, struct relay_conn *c)
{
	struct sl_http_req req;
	ssize_t n;
	int ret;

	if (c->tx) {
		http_flush(r, c);
		return;
	}
	if (!c->rx) {
		c->rx = malloc(SL_HTTP_REQ_MAX);
		if (!c->rx) {
			relay_conn_close(r, c, "out of memory");
			return;
		}
	}
	n = recv(c->fd, c->rx + c->rx_len, SL_HTTP_REQ_MAX - c->rx_len, 0);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		relay_conn_close(r, c, "closed by peer");
		return;
	}
	if (n > 0)
		c->rx_len += (size_t)n;
	ret = sl_http_parse(c->rx, c->rx_len, &req);
	if (ret == 0)
		return;
	if (c->close_after_flush)
		respond_text(c, 403, "forbidden by metrics_allow\n", false);
	else if (ret < 0)
		respond_text(c, -ret, "bad request\n", false);
	else
		answer(r, c, &req);
	http_flush(r, c);
}
