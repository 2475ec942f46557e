// SPDX-License-Identifier: MIT
/*
 * Full TLS handshakes per second against the target's port: --concurrency
 * connections in flight for --seconds, each a new TCP connection, a full
 * TLS 1.3 handshake (no tickets, no resumption: sluice offers none), the
 * pin check, and the first exchange.  A finished connection is closed with
 * close_notify and replaced at once.  When none has finished by the end of
 * the window (a very slow or loaded host), the run waits, up to --timeout,
 * for the connections in flight.
 *
 * Through sluice each connection is an agent login: mutual TLS with an
 * enrolled simulated agent's certificate, AGENT_HELLO with its secondary
 * id, HELLO_OK with the next one (which the relay stores).  A client login
 * would measure the relay's Argon2id password check (about 0.5 s of a
 * worker thread, by design) rather than its handshakes.  The agents come
 * from a pool of twice --concurrency identities, taken in turn, so that
 * the relay has long seen one connection of an agent close before the
 * same agent connects again (it refuses a second live connection).
 * Connections still in flight at the end of the window are finished, not
 * counted, so that every agent keeps the secondary id the relay last gave
 * it.  Through HAProxy or to the device, the first exchange is the
 * device's greeting; with --cert/--key the connection presents that client
 * certificate (make bench gives an enrolled agent's, and HAProxy verifies
 * it against the relay's agent CA, as the relay does).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bench.h"
#include "conn.h"
#include "stats.h"

#define HS_PREFIX "bench-hs-"

struct hs_run {
	const struct bench_opts *o;
	SSL_CTX *ctx;
	int epfd;
	struct sockaddr_in dst;
	unsigned int next_src;
	unsigned long done, failed;
	struct bconn *conns;
	/* sluice: the agents, a queue of those not in use, and whose each
	 * connection is */
	struct bench_ident *ids;
	unsigned int nids, *queue, q_head, q_len;
	int *conn_id;
};

static void failure(struct hs_run *h, const char *why)
{
	if (h->failed++ < 5)
		bench_err("handshake connection failed: %s", why);
}

static void finish(struct hs_run *h, struct bconn *c, int r, bool count);

static void id_put(struct hs_run *h, unsigned int k)
{
	h->queue[(h->q_head + h->q_len++) % h->nids] = k;
}

/* Starts connection c; failures count and are retried by the caller. */
static int start(struct hs_run *h, struct bconn *c)
{
	const struct bench_opts *o = h->o;
	struct sockaddr_in src = { .sin_family = AF_INET,
				   .sin_addr = bench_source(o, h->next_src++) };
	const struct bench_ident *id = NULL;
	struct nl_msg *msg = NULL;

	if (o->kind == TARGET_SLUICE) {
		if (!h->q_len) {
			bench_err("handshake: no simulated agent left to connect");
			return -ENOMEM;
		}
		h->conn_id[c - h->conns] = (int)h->queue[h->q_head];
		h->q_head = (h->q_head + 1) % h->nids;
		h->q_len--;
		id = &h->ids[h->conn_id[c - h->conns]];
		msg = bench_agent_hello(o, id);
		if (!msg)
			return -ENOMEM;
	}
	if (bconn_start(c, h->ctx, h->epfd, &src, &h->dst, id,
			o->kind == TARGET_SLUICE ? BCONN_HELLO_OK : BCONN_GREETING,
			o->fingerprint, msg)) {
		failure(h, c->why);
		finish(h, c, -EIO, false);	/* nothing sent: the agent is reusable */
		return -EIO;
	}
	return 0;
}

/*
 * A connection ended (r: 1 done, < 0 failed): counted when count is set,
 * its agent's next secondary id kept, the agent back in the queue unless
 * its state is now unknown (a HELLO without an answer) or it was refused
 * for good.
 */
static void finish(struct hs_run *h, struct bconn *c, int r, bool count)
{
	int k = h->conn_id ? h->conn_id[c - h->conns] : -1;
	bool reuse = true;

	if (count && r == 1)
		h->done++;
	else if (count)
		failure(h, c->why);
	if (k >= 0) {
		struct bench_ident *id = &h->ids[k];

		if (r == 1 && c->has_secret &&
		    bench_ident_secret_save(h->o, id, c->secret))
			reuse = false;
		/* No answer, or refused for good (locked, say): the next
		 * run resets it.  A duplicate is only early. */
		if (r != 1 && c->sent && c->err_code != SLUICE_E_DUPLICATE) {
			bench_ident_unsure(h->o, id->name);
			reuse = false;
		}
		if (reuse)
			id_put(h, (unsigned int)k);
		h->conn_id[c - h->conns] = -1;
	}
	bconn_close(c, h->epfd, r == 1);
}

/* Enrolls (once, cached) and loads the pool of simulated agents. */
static int agents_load(struct hs_run *h)
{
	const struct bench_opts *o = h->o;
	char (*names)[SLUICE_NAME_MAX + 1];
	unsigned int i;
	int ret;

	h->nids = 2 * o->concurrency;
	names = calloc(h->nids, sizeof(*names));
	h->ids = calloc(h->nids, sizeof(*h->ids));
	h->queue = calloc(h->nids, sizeof(*h->queue));
	h->conn_id = calloc(o->concurrency, sizeof(*h->conn_id));
	if (!names || !h->ids || !h->queue || !h->conn_id) {
		free(names);
		return -ENOMEM;
	}
	for (i = 0; i < h->nids; i++)
		bench_agent_name(HS_PREFIX, i, names[i]);
	ret = bench_agents_ready(o, names, h->nids);
	for (i = 0; !ret && i < h->nids; i++) {
		ret = bench_ident_load(o, names[i], &h->ids[i]);
		if (!ret)
			id_put(h, i);
	}
	for (i = 0; i < o->concurrency; i++)
		h->conn_id[i] = -1;
	free(names);
	return ret;
}

/* After the window: lets the connections in flight end, up to --timeout. */
static void drain(struct hs_run *h)
{
	uint64_t until = bench_now_ns() + (uint64_t)h->o->timeout_ms * 1000000ull;
	struct epoll_event evs[256];
	unsigned int i, left;
	int n;

	for (;;) {
		for (i = 0, left = 0; i < h->o->concurrency; i++)
			left += h->conns[i].fd >= 0;
		if (!left || bench_now_ns() >= until)
			return;
		n = epoll_wait(h->epfd, evs, 256, 100);
		for (i = 0; i < (unsigned int)(n > 0 ? n : 0); i++) {
			struct bconn *c = evs[i].data.ptr;
			int r = bconn_step(c, h->epfd);

			if (r)
				finish(h, c, r, false);
		}
	}
}

/*
 * The relay's CPU per login by thread: what stays on the one control
 * thread bounds the logins a relay takes however many cores handshake.
 */
static void report_roles(const uint64_t a[__ROLE_MAX], const uint64_t b[__ROLE_MAX],
			 unsigned long done)
{
	static const char *const names[__ROLE_MAX] = {
		"control thread", "handshake threads", "data plane", "io-wq", "other"
	};
	double us[__ROLE_MAX];
	int i;

	for (i = 0; i < __ROLE_MAX; i++)
		us[i] = b[i] > a[i] ? (double)(b[i] - a[i]) / 1e3 / (double)done : 0;
	bench_info("relay CPU per login: %s %.0f us, %s %.0f us, %s %.0f us, "
		   "%s %.0f us, %s %.0f us", names[0], us[0], names[1], us[1], names[2],
		   us[2], names[3], us[3], names[4], us[4]);
	bench_result("login_cpu_control", us[ROLE_CONTROL], "us", done, NULL);
	bench_result("login_cpu_handshake", us[ROLE_HANDSHAKE], "us", done, NULL);
}

int handshake_main(const struct bench_opts *o)
{
	struct hs_run h = { .o = o, .epfd = -1 };
	struct epoll_event evs[256];
	uint64_t roles_a[__ROLE_MAX], roles_b[__ROLE_MAX];
	bool have_roles = false;
	struct bench_sample a, b;
	struct bench_usage u;
	struct bconn *conns;
	uint64_t t0, end, last;
	unsigned int i;
	int ret = 1, n;

	h.dst.sin_family = AF_INET;
	h.dst.sin_port = htons(o->port);
	if (inet_pton(AF_INET, o->host, &h.dst.sin_addr) != 1) {
		bench_err("handshake: the target must be an IPv4 address, not '%s'",
			  o->host);
		return 2;
	}
	conns = h.conns = calloc(o->concurrency, sizeof(*conns));
	h.ctx = bench_client_ctx();
	h.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!conns || !h.ctx || h.epfd == -1)
		goto out;
	for (i = 0; i < o->concurrency; i++)
		conns[i].fd = -1;
	if (o->kind == TARGET_SLUICE && agents_load(&h))
		goto out;
	/* --tls with --cert/--key: mutual TLS as an agent's, so that a TLS
	 * frontend that verifies client certificates does the same TLS work
	 * per connection as the relay. */
	if (o->kind != TARGET_SLUICE && o->cert[0] &&
	    (SSL_CTX_use_certificate_file(h.ctx, o->cert, SSL_FILETYPE_PEM) != 1 ||
	     SSL_CTX_use_PrivateKey_file(h.ctx, o->key, SSL_FILETYPE_PEM) != 1)) {
		bench_err("handshake: cannot use --cert %s --key %s", o->cert, o->key);
		goto out;
	}
	if (o->kind == TARGET_SLUICE && o->pid > 0)
		have_roles = bench_proc_cpu_roles(o->pid, roles_a);
	bench_sample_take(&a, o->pid);
	t0 = a.wall_ns;
	end = t0 + (uint64_t)(o->seconds * 1e9);
	last = end + (uint64_t)o->timeout_ms * 1000000ull;
	for (i = 0; i < o->concurrency; i++)
		if (start(&h, &conns[i]) == -ENOMEM)
			goto out;
	for (;;) {
		uint64_t now = bench_now_ns();
		uint64_t until = h.done ? end : last;

		if (now >= until)
			break;
		n = epoll_wait(h.epfd, evs, 256, (int)((until - now) / 1000000) + 1);
		if (n == -1 && errno != EINTR)
			goto out;
		for (i = 0; i < (unsigned int)(n > 0 ? n : 0); i++) {
			struct bconn *c = evs[i].data.ptr;
			int r = bconn_step(c, h.epfd);

			if (r == 0)
				continue;
			finish(&h, c, r, true);
			if (bench_now_ns() < end && start(&h, c) == -ENOMEM)
				goto out;
		}
		if (h.failed > 1000 && h.failed > h.done) {
			bench_err("handshake: %lu failures, giving up", h.failed);
			goto out;
		}
	}
	bench_sample_take(&b, o->pid);
	bench_usage_between(&a, &b, &u);
	have_roles = have_roles && bench_proc_cpu_roles(o->pid, roles_b);
	if (h.failed)
		bench_info("handshake: %lu of %lu connections failed", h.failed,
			   h.failed + h.done);
	bench_info("%lu %s in %.2f s, %u in flight", h.done,
		   o->kind == TARGET_SLUICE ? "agent logins" : "handshakes",
		   (double)(b.wall_ns - t0) / 1e9, o->concurrency);
	if (h.done && h.failed * 100 <= h.done) {
		bench_result("handshake", (double)h.done * 1e9 / (double)(b.wall_ns - t0),
			     "conn/s", h.done, &u);
		if (have_roles)
			report_roles(roles_a, roles_b, h.done);
		ret = 0;
	} else {
		bench_err("handshake: too many failures (%lu failed, %lu done)",
			  h.failed, h.done);
	}
out:
	if (o->kind == TARGET_SLUICE && conns && h.conn_id)
		drain(&h);
	for (i = 0; conns && i < o->concurrency; i++) {
		if (h.conn_id && h.conn_id[i] >= 0 && conns[i].sent)
			bench_ident_unsure(o, h.ids[h.conn_id[i]].name);
		bconn_close(&conns[i], h.epfd, false);
	}
	for (i = 0; h.ids && i < h.nids; i++)
		bench_ident_free(&h.ids[i]);
	free(h.ids);
	free(h.queue);
	free(h.conn_id);
	free(conns);
	if (h.epfd >= 0)
		close(h.epfd);
	SSL_CTX_free(h.ctx);
	return ret;
}
