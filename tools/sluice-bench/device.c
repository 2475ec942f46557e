// SPDX-License-Identifier: MIT
/*
 * The bench device: the far end of every stream, over plain TCP (behind
 * sluice-agent), TLS (behind HAProxy, or reached directly), or the data legs
 * of a simulated agent connected to a relay (--sluice, agent.c).  It speaks
 * the little protocol of bench.h: a greeting byte, then upload, download or
 * echo commands.
 *
 * One thread, one level-triggered epoll set, non-blocking sockets, so that
 * it can hold tens of thousands of idle connections (HAProxy opens one to
 * the device for each of its clients) and serves many streams on one CPU
 * the way HAProxy does.  Each connection waits for exactly one thing at a
 * time, so its epoll interest is what its last blocked call asked for.
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "conf.h"
#include "net.h"

#define IO_CHUNK (256u << 10)	/* upload/download: bytes per call */
#define ECHO_BUF (64u << 10)
#define TAG_SIGNAL ((uint64_t)BENCH_LISTEN_MAX)
#define TAG_AGENT ((uint64_t)BENCH_LISTEN_MAX + 1)

enum dstate {
	D_HANDSHAKE = 1,
	D_GREET = 2,
	D_CMD = 3,
	D_UPLOAD = 4,
	D_ACK = 5,
	D_DOWNLOAD = 6,
	D_ECHO = 7,
};

struct dconn {
	int fd;
	SSL *ssl;			/* NULL: plain TCP */
	enum dstate st;
	uint32_t events;
	unsigned char cmd[BENCH_CMD_LEN];
	size_t cmd_len;
	uint64_t left;			/* upload/download: bytes to go */
	uint64_t arg;
	size_t off;			/* ack: bytes sent; echo: bytes sent */
	char *echo;			/* echo: buffer, ECHO_BUF */
	size_t echo_len;
	struct dconn *prev, *next;	/* device.conns */
};

struct device {
	int epfd;
	int lfd[BENCH_LISTEN_MAX];
	unsigned int nl;
	SSL_CTX *tls;			/* NULL: plain TCP */
	char *scratch;			/* upload sink and download source */
	struct dconn *conns;		/* every open connection */
	unsigned long nconns;
	bool paused;
};

/* I/O on either kind of socket: n > 0 bytes, 0 EOF, -EAGAIN with *want set,
 * or another -errno. */
static ssize_t dio(struct dconn *c, bool wr, void *buf, size_t len, uint32_t *want)
{
	size_t n;
	ssize_t r;

	if (c->ssl) {
		int ok = wr ? SSL_write_ex(c->ssl, buf, len, &n) :
			      SSL_read_ex(c->ssl, buf, len, &n);

		if (ok == 1)
			return (ssize_t)n;
		switch (SSL_get_error(c->ssl, 0)) {
		case SSL_ERROR_WANT_READ:
			*want = EPOLLIN;
			return -EAGAIN;
		case SSL_ERROR_WANT_WRITE:
			*want = EPOLLOUT;
			return -EAGAIN;
		case SSL_ERROR_ZERO_RETURN:
			return 0;
		default:
			ERR_clear_error();
			return -EIO;
		}
	}
	r = wr ? send(c->fd, buf, len, MSG_NOSIGNAL) : recv(c->fd, buf, len, 0);
	if (r >= 0)
		return wr && r == 0 ? -EIO : r;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		*want = wr ? EPOLLOUT : EPOLLIN;
		return -EAGAIN;
	}
	return errno == EINTR ? -EAGAIN : -errno;
}

static void conn_free(struct device *d, struct dconn *c, bool clean)
{
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->ssl) {
		if (clean)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		ERR_clear_error();
	}
	close(c->fd);
	free(c->echo);
	if (c->prev)
		c->prev->next = c->next;
	else
		d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
	d->nconns--;
	if (d->paused) {
		unsigned int i;

		for (i = 0; i < d->nl; i++) {
			struct epoll_event ev = { .events = EPOLLIN, .data.u64 = i };

			epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->lfd[i], &ev);
		}
		d->paused = false;
	}
}

/* Starts the command in c->cmd; false on an unknown op. */
static bool start_cmd(struct dconn *c)
{
	memcpy(&c->arg, c->cmd + 1, sizeof(c->arg));
	c->cmd_len = 0;
	switch (c->cmd[0]) {
	case BENCH_OP_UPLOAD:
		c->left = c->arg;
		c->st = c->left ? D_UPLOAD : D_ACK;
		c->off = 0;
		return true;
	case BENCH_OP_DOWNLOAD:
		c->left = c->arg;
		c->st = D_DOWNLOAD;
		return true;
	case BENCH_OP_ECHO:
		c->echo = malloc(ECHO_BUF);
		c->echo_len = c->off = 0;
		c->st = D_ECHO;
		return c->echo != NULL;
	default:
		return false;
	}
}

/*
 * Runs the connection until it must wait: returns the epoll events it
 * waits for, 0 when it ended cleanly (the client's EOF), -1 on failure.
 */
static int step(struct device *d, struct dconn *c)
{
	uint32_t want = 0;
	ssize_t r;
	int ret;

	for (;;) {
		switch (c->st) {
		case D_HANDSHAKE:
			ret = SSL_do_handshake(c->ssl);
			if (ret == 1) {
				c->st = D_GREET;
				break;
			}
			switch (SSL_get_error(c->ssl, ret)) {
			case SSL_ERROR_WANT_READ:
				return EPOLLIN;
			case SSL_ERROR_WANT_WRITE:
				return EPOLLOUT;
			default:
				ERR_clear_error();
				return -1;
			}
		case D_GREET: {
			char g = BENCH_GREETING;

			r = dio(c, true, &g, 1, &want);
			if (r == -EAGAIN)
				return (int)want;
			if (r != 1)
				return -1;
			c->st = D_CMD;
			break;
		}
		case D_CMD:
			r = dio(c, false, c->cmd + c->cmd_len,
				sizeof(c->cmd) - c->cmd_len, &want);
			if (r == -EAGAIN)
				return (int)want;
			if (r == 0)
				return 0;
			if (r < 0)
				return -1;
			c->cmd_len += (size_t)r;
			if (c->cmd_len == sizeof(c->cmd) && !start_cmd(c))
				return -1;
			break;
		case D_UPLOAD:
			r = dio(c, false, d->scratch,
				c->left < IO_CHUNK ? (size_t)c->left : IO_CHUNK, &want);
			if (r == -EAGAIN)
				return (int)want;
			if (r <= 0)
				return r == 0 ? 0 : -1;
			c->left -= (uint64_t)r;
			if (!c->left)
				c->st = D_ACK;
			break;
		case D_ACK:
			r = dio(c, true, (char *)&c->arg + c->off,
				sizeof(c->arg) - c->off, &want);
			if (r == -EAGAIN)
				return (int)want;
			if (r <= 0)
				return -1;
			c->off += (size_t)r;
			if (c->off == sizeof(c->arg)) {
				c->off = 0;
				c->st = D_CMD;
			}
			break;
		case D_DOWNLOAD:
			if (!c->left) {
				c->st = D_CMD;
				break;
			}
			r = dio(c, true, d->scratch,
				c->left < IO_CHUNK ? (size_t)c->left : IO_CHUNK, &want);
			if (r == -EAGAIN)
				return (int)want;
			if (r <= 0)
				return -1;
			c->left -= (uint64_t)r;
			break;
		case D_ECHO:
			if (c->off < c->echo_len) {
				r = dio(c, true, c->echo + c->off, c->echo_len - c->off,
					&want);
				if (r == -EAGAIN)
					return (int)want;
				if (r <= 0)
					return -1;
				c->off += (size_t)r;
				if (c->off == c->echo_len)
					c->off = c->echo_len = 0;
				break;
			}
			r = dio(c, false, c->echo, ECHO_BUF, &want);
			if (r == -EAGAIN)
				return (int)want;
			if (r <= 0)
				return r == 0 ? 0 : -1;
			c->echo_len = (size_t)r;
			break;
		}
	}
}

static void conn_event(struct device *d, struct dconn *c)
{
	int ret = step(d, c);
	struct epoll_event ev = { .data.ptr = c };

	if (ret <= 0) {
		conn_free(d, c, ret == 0);
		return;
	}
	if ((uint32_t)ret == c->events)
		return;
	ev.events = (uint32_t)ret;
	if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = ev.events;
}

/*
 * Registers a new connection: fd alone (plain TCP), fd with d->tls (TLS,
 * handshake to do), or ssl, a leg whose handshake is done (agent.c).  On
 * failure fd and ssl are closed.
 */
static void add_conn(struct device *d, int fd, SSL *ssl)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct dconn *c = calloc(1, sizeof(*c));

	if (!c)
		goto err;
	c->fd = fd;
	c->st = D_GREET;
	c->ssl = ssl;
	if (!ssl && d->tls) {
		c->ssl = SSL_new(d->tls);
		if (!c->ssl || !SSL_set_fd(c->ssl, fd))
			goto err;
		SSL_set_accept_state(c->ssl);
		c->st = D_HANDSHAKE;
	}
	ev.data.ptr = c;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		goto err;
	c->events = EPOLLIN;
	c->next = d->conns;
	if (c->next)
		c->next->prev = c;
	d->conns = c;
	d->nconns++;
	/* The greeting goes out at once unless a handshake comes first. */
	conn_event(d, c);
	return;
err:
	if (c)
		SSL_free(c->ssl);
	else
		SSL_free(ssl);
	close(fd);
	free(c);
}

static void agent_leg(void *arg, SSL *ssl)
{
	add_conn(arg, SSL_get_fd(ssl), ssl);
}

static void accept_all(struct device *d, int lfd)
{
	static bool warned;
	int one = 1;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		unsigned int i;

		if (fd == -1) {
			if (errno != EMFILE && errno != ENFILE && errno != ENOMEM)
				return;
			if (!warned)
				bench_err("device: accept: %s with %lu connections; "
					  "pausing until one closes",
					  strerror(errno), d->nconns);
			warned = true;
			for (i = 0; i < d->nl; i++) {
				struct epoll_event off = { .events = 0, .data.u64 = i };

				epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->lfd[i], &off);
			}
			d->paused = true;
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		add_conn(d, fd, NULL);
	}
}

/* "HOST:PORT" with port 0 allowed (the kernel picks one). */
static int parse_listen(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	uint64_t v;

	if (!colon || colon == s || (size_t)(colon - s) >= hostlen ||
	    sl_parse_uint(colon + 1, 0, 65535, &v))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	*port = (uint16_t)v;
	return 0;
}

static int listen_all(struct device *d, const struct bench_opts *o)
{
	struct sockaddr_storage ss;
	char host[256], why[512], addr[SL_ADDRSTRLEN];
	socklen_t sl;
	uint16_t port;
	unsigned int i;

	for (i = 0; i < o->nlisten; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = i };
		int fd;

		if (parse_listen(o->listen[i], host, sizeof(host), &port)) {
			bench_err("device: bad --listen '%s'", o->listen[i]);
			return -EINVAL;
		}
		fd = sl_tcp_listen(host, port, why, sizeof(why));
		if (fd < 0) {
			bench_err("device: %s", why);
			return fd;
		}
		d->lfd[d->nl++] = fd;
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
			bench_err("device: epoll_ctl: %s", strerror(errno));
			return -errno;
		}
		sl = sizeof(ss);
		getsockname(fd, (struct sockaddr *)&ss, &sl);
		sl_addr_str((struct sockaddr *)&ss, addr, sizeof(addr));
		printf("listening on %s\n", addr);
	}
	fflush(stdout);
	return 0;
}

int device_main(const struct bench_opts *o)
{
	struct epoll_event evs[256];
	struct device d = { .epfd = -1 };
	struct epoll_event sev = { .events = EPOLLIN, .data.u64 = TAG_SIGNAL };
	struct epoll_event aev = { .events = EPOLLIN, .data.u64 = TAG_AGENT };
	struct bench_agent agent = { 0 };
	bool is_agent = o->kind == TARGET_SLUICE;
	sigset_t mask;
	int sfd = -1, ret = 1, n, i;
	bool stop = false, signalled = false;

	if (!o->nlisten && !is_agent) {
		bench_err("device: give --listen HOST:PORT, or --sluice to be an agent");
		return 2;
	}
	if (!o->cert[0] != !o->key[0]) {
		bench_err("device: --cert and --key go together");
		return 2;
	}
	bench_raise_nofile();
	d.scratch = calloc(1, IO_CHUNK);
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!d.scratch || d.epfd == -1) {
		bench_err("device: %s", strerror(errno));
		goto out;
	}
	if (o->cert[0] && !(d.tls = bench_server_ctx(o->cert, o->key)))
		goto out;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd == -1 || epoll_ctl(d.epfd, EPOLL_CTL_ADD, sfd, &sev) == -1) {
		bench_err("device: signalfd: %s", strerror(errno));
		goto out;
	}
	if (listen_all(&d, o))
		goto out;
	if (is_agent) {
		if (bench_agent_open(&agent, o))
			goto out;
		if (epoll_ctl(d.epfd, EPOLL_CTL_ADD, bench_agent_fd(&agent), &aev) == -1)
			goto out;
		printf("agent %s connected\n", o->agent);
		fflush(stdout);
	}
	bench_info("device ready (%s)", is_agent ? "simulated agent" :
					  d.tls ? "TLS" : "plain TCP");
	while (!stop) {
		n = epoll_wait(d.epfd, evs, 256,
			       is_agent ? bench_agent_timeout(&agent) : -1);
		if (n == -1 && errno != EINTR) {
			bench_err("device: epoll_wait: %s", strerror(errno));
			goto out;
		}
		for (i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;

			if (tag < d.nl)
				accept_all(&d, d.lfd[tag]);
			else if (tag == TAG_SIGNAL)
				stop = signalled = true;
			else if (tag == TAG_AGENT)
				stop = bench_agent_read(&agent, agent_leg, &d) != 0;
			else
				conn_event(&d, evs[i].data.ptr);
		}
		if (is_agent && !stop && bench_agent_tick(&agent))
			stop = true;
	}
	bench_info("device stopping with %lu connections", d.nconns);
	/* An agent that lost its relay failed; a signal is a clean stop. */
	ret = signalled ? 0 : 1;
out:
	while (d.conns)
		conn_free(&d, d.conns, false);
	bench_agent_close(&agent);
	while (d.nl)
		close(d.lfd[--d.nl]);
	if (sfd >= 0)
		close(sfd);
	if (d.epfd >= 0)
		close(d.epfd);
	SSL_CTX_free(d.tls);
	free(d.scratch);
	return ret;
}
