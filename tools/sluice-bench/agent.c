// SPDX-License-Identifier: MIT
/*
 * The bench device as a simulated sluice agent (device --sluice): enrolled
 * once (auth.c), it holds an agent's control connection to the relay
 * (mutual TLS with its certificate, AGENT_HELLO with its secondary id and
 * one device, HEARTBEATs) and answers each CONNECT the way sluice-agent does (device
 * and port checked, then a new TLS connection with ATTACH), except that
 * the device lives in the same process: the attached leg itself is served
 * with the bench device's protocol.  So the relay is measured in the same
 * topology as HAProxy in front of a TLS device, one TLS hop on each side,
 * without sluice-agent's extra hop to a plain TCP device.
 *
 * The control connection is blocking with a receive timeout and read only
 * when epoll reports it readable (and while OpenSSL holds more of it); the
 * legs are dialled with the library's sl_peer_attach, blocking the device's
 * loop for one handshake (sessions are opened one at a time by the bench).
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "msgio.h"
#include "net.h"

/* True when a HELLO may have reached the relay without its answer
 * reaching us (the relay then rotated the secondary id). */
static bool hello_lost(int err)
{
	return err == -EIO || err == -ETIMEDOUT || err == -ECONNRESET || err == -EAGAIN;
}

int bench_agent_open(struct bench_agent *a, const struct bench_opts *o)
{
	char names[1][SLUICE_NAME_MAX + 1];
	struct sl_hello_ok ok;
	char why[1024];
	int ret, err;

	memset(a, 0, sizeof(*a));
	a->o = o;
	snprintf(a->relay.host, sizeof(a->relay.host), "%s", o->host);
	a->relay.port = o->port;
	snprintf(a->relay.fingerprint, sizeof(a->relay.fingerprint), "%s",
		 o->fingerprint);
	a->relay.timeout_ms = o->timeout_ms;
	snprintf(names[0], sizeof(names[0]), "%s", o->agent);
	ret = bench_agents_ready(o, names, 1);
	if (!ret)
		ret = bench_ident_load(o, o->agent, &a->id);
	if (ret)
		goto err;
	a->buf = malloc(SLUICE_MSG_MAX);
	a->ctx = bench_client_ctx();
	a->leg_ctx = bench_client_ctx();
	if (!a->buf || !a->ctx || !a->leg_ctx) {
		ret = -ENOMEM;
		goto err;
	}
	/* The control connection presents the agent certificate; data legs
	 * none (the ATTACH token authenticates them), as sluice-agent's. */
	ret = sl_tls_ctx_use_identity(a->ctx, a->id.key, a->id.cert, why, sizeof(why));
	if (ret) {
		bench_err("agent %s: %s", o->agent, why);
		goto err;
	}
	a->ctl = sl_tls_dial(a->ctx, o->host, o->port, o->timeout_ms, "",
			     o->fingerprint, &err, why, sizeof(why));
	if (!a->ctl) {
		bench_err("agent: %s", why);
		ret = err;
		goto err;
	}
	ret = sl_peer_hello(a->ctl, bench_agent_hello(o, &a->id), &ok, why,
			    sizeof(why));
	if (ret) {
		bench_err("agent %s: HELLO refused: %s", o->agent, why);
		if (hello_lost(ret))
			bench_ident_unsure(o, o->agent);
		goto err;
	}
	if (ok.has_secret)
		bench_ident_secret_save(o, &a->id, ok.secret);
	OPENSSL_cleanse(ok.secret, sizeof(ok.secret));
	sl_heartbeat_start(&a->hb, ok.hb_ms);
	bench_info("agent %s connected to %s:%u (device %s port %u, heartbeat %u ms)",
		   o->agent, o->host, o->port, o->device, o->device_port, ok.hb_ms);
	return 0;
err:
	bench_agent_close(a);
	return ret;
}

void bench_agent_close(struct bench_agent *a)
{
	sl_tls_close(a->ctl);
	a->ctl = NULL;
	SSL_CTX_free(a->ctx);
	a->ctx = NULL;
	SSL_CTX_free(a->leg_ctx);
	a->leg_ctx = NULL;
	free(a->buf);
	a->buf = NULL;
	bench_ident_free(&a->id);
}

int bench_agent_fd(const struct bench_agent *a)
{
	return SSL_get_fd(a->ctl);
}

int bench_agent_timeout(const struct bench_agent *a)
{
	return sl_heartbeat_timeout(&a->hb);
}

int bench_agent_tick(struct bench_agent *a)
{
	uint64_t silent;

	if (sl_heartbeat_dead(&a->hb, &silent)) {
		bench_err("agent: the relay was silent for %llu ms",
			  (unsigned long long)silent);
		return -ETIMEDOUT;
	}
	return sl_heartbeat_send_due(&a->hb, a->ctl);
}

/* A CONNECT: checks it as sluice-agent does, then attaches a leg. */
static int handle_connect(struct bench_agent *a, const struct sl_msg_in *m,
			  bench_leg_fn leg, void *arg)
{
	const struct bench_opts *o = a->o;
	uint64_t id = nla_get_u64(m->tb[SLUICE_A_SESSION_ID]);
	const char *dev = sl_wire_str(m, SLUICE_A_DEVICE);
	uint16_t port = nla_get_u16(m->tb[SLUICE_A_PORT]);
	char why[1024];
	SSL *ssl;
	int err;

	if (!dev || strcmp(dev, o->device) || port != o->device_port)
		return sl_msg_send_free(a->ctl, sl_wire_error(m->seq,
				SLUICE_E_PORT_DENIED, id, "not a device of this agent"));
	ssl = sl_peer_attach(a->leg_ctx, &a->relay, id, nla_data(m->tb[SLUICE_A_TOKEN]),
			     (size_t)nla_len(m->tb[SLUICE_A_TOKEN]), 0, NULL, &err,
			     why, sizeof(why));
	if (!ssl) {
		bench_err("agent: session %016llx: %s", (unsigned long long)id, why);
		return 0;
	}
	if (sl_set_timeouts(SSL_get_fd(ssl), 0) || sl_set_nonblock(SSL_get_fd(ssl), 1)) {
		sl_tls_close(ssl);
		return 0;
	}
	leg(arg, ssl);
	return 0;
}

int bench_agent_read(struct bench_agent *a, bench_leg_fn leg, void *arg)
{
	struct sl_msg_in m;
	char why[512];
	int ret;

	do {
		ret = sl_msg_recv(a->ctl, a->buf, &m, why, sizeof(why));
		if (ret) {
			bench_err("agent: control connection: %s",
				  ret == -ECONNRESET ? "closed by the relay" : why);
			return ret;
		}
		a->hb.last_rx_ms = sl_now_ms();
		switch (m.cmd) {
		case SLUICE_CMD_CONNECT:
			ret = handle_connect(a, &m, leg, arg);
			break;
		case SLUICE_CMD_ERROR:
			bench_err("agent: the relay sent %s",
				  sl_err_name(nla_get_u32(m.tb[SLUICE_A_ERR_CODE])));
			break;
		default:	/* HEARTBEAT, and what an agent ignores */
			break;
		}
	} while (!ret && SSL_pending(a->ctl) > 0);
	return ret;
}
