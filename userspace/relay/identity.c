// SPDX-License-Identifier: MIT
/*
 * Who is on the other end: the relay's state store, its two CAs, client
 * certificate requests on the TLS context, and the checks that follow
 * operator changes into live connections.
 *
 * Every connection is asked for a certificate but none is required at the
 * TLS level: data legs (ATTACH) and enrollment come without one, and a bad
 * certificate is better refused after the handshake, with a clear error and
 * a failure counted against its source, than by a handshake alert.
 */
#include <errno.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "ca.h"
#include "log.h"
#include "relay.h"
#include "store.h"

/* Chain errors are judged after the handshake (relay_peer_cert). */
static int accept_any(int ok, X509_STORE_CTX *ctx)
{
	(void)ok;
	(void)ctx;
	return 1;
}

int relay_identity_init(struct relay *r, char *why, size_t whylen)
{
	const char *paths[2];
	X509_STORE *st;
	bool created;
	int err;

	r->store = store_open(r->cfg.state_dir, 0, &err, why, whylen);
	if (!r->store)
		return err;
	r->agent_ca = sl_ca_load_or_create(r->cfg.state_dir, SL_CA_AGENT,
					   "sluice agent CA", &created, why, whylen);
	if (!r->agent_ca)
		return -EINVAL;
	if (created)
		sl_log_info("created the agent CA %s", sl_ca_cert_path(r->agent_ca));
	r->user_ca = sl_ca_load_or_create(r->cfg.state_dir, SL_CA_USER,
					  "sluice user CA", &created, why, whylen);
	if (!r->user_ca)
		return -EINVAL;
	if (created)
		sl_log_info("created the user CA %s", sl_ca_cert_path(r->user_ca));
	paths[0] = sl_ca_cert_path(r->agent_ca);
	paths[1] = sl_ca_cert_path(r->user_ca);
	st = sl_ca_store_new(paths, 2, why, whylen);
	if (!st)
		return -EINVAL;
	r->verify_store = st;
	if (r->tls) {
		SSL_CTX_set1_verify_cert_store(r->tls, st);
		SSL_CTX_set_verify(r->tls, SSL_VERIFY_PEER, accept_any);
		/* An idle agent should not cost its certificate twice over
		 * (relay_login_agent forgets the session's copy). */
		sl_tls_server_keep_no_chain(r->tls);
		/* Certificate requests name both CAs, so a client with several
		 * identities picks ours. */
		SSL_CTX_add_client_CA(r->tls, sl_ca_cert(r->agent_ca));
		SSL_CTX_add_client_CA(r->tls, sl_ca_cert(r->user_ca));
	}
	return relay_audit_open(r, why, whylen);
}

void relay_identity_uninit(struct relay *r)
{
	relay_audit_close(r);
	X509_STORE_free(r->verify_store);
	sl_ca_free(r->agent_ca);
	sl_ca_free(r->user_ca);
	store_close(r->store);
	r->verify_store = NULL;
	r->agent_ca = r->user_ca = NULL;
	r->store = NULL;
}

int relay_peer_cert(struct relay_conn *c, struct sl_cert_info *info, char *why,
		    size_t whylen)
{
	X509 *peer = SSL_get0_peer_certificate(c->ssl);
	long v;

	if (!peer) {
		snprintf(why, whylen, "no client certificate");
		return -ENOKEY;
	}
	v = SSL_get_verify_result(c->ssl);
	if (v != X509_V_OK) {
		snprintf(why, whylen, "client certificate refused: %s",
			 X509_verify_cert_error_string(v));
		return v == X509_V_ERR_CERT_HAS_EXPIRED ? -EKEYEXPIRED : -EKEYREJECTED;
	}
	if (sl_cert_info_get(peer, info)) {
		snprintf(why, whylen, "unreadable client certificate");
		return -EKEYREJECTED;
	}
	return 0;
}

/* The serial of the certificate a live connection logged in with. */
static int conn_serial(struct relay_conn *c, char serial[SL_CA_SERIAL_STRLEN],
		       char fp[SL_FP_STRLEN])
{
	struct sl_cert_info info;
	char why[128];

	if (relay_peer_cert(c, &info, why, sizeof(why)))
		return -1;
	memcpy(serial, info.serial, SL_CA_SERIAL_STRLEN);
	memcpy(fp, info.fingerprint, SL_FP_STRLEN);
	return 0;
}

/*
 * Re-checks a logged-in user against the store: revoked certificate,
 * disabled, expired or locked account.  NULL when still fine.
 */
static const char *user_still_ok(struct relay *r, struct relay_conn *c,
				 int64_t now, char *why, size_t whylen)
{
	char serial[SL_CA_SERIAL_STRLEN], fp[SL_FP_STRLEN];
	struct store_user u;
	int ret;

	if (conn_serial(c, serial, fp))
		return "certificate gone";
	ret = store_cert_check(r->store, serial, fp, c->name, now, NULL);
	if (ret == -EKEYREVOKED)
		return "certificate revoked";
	if (ret == -EKEYEXPIRED)
		return "certificate expired";
	if (ret == -ENOENT)
		return "certificate removed";
	if (store_user_get(r->store, c->name, &u) == -ENOENT)
		return "user removed";
	if (u.disabled)
		return "account disabled";
	if (u.expires_at && now >= u.expires_at)
		return "account expired";
	(void)why;
	(void)whylen;
	return NULL;
}

/* The agent's row changed: locked, disabled, removed, attached or moved. */
static const char *agent_still_ok(struct relay *r, struct relay_agent *a)
{
	struct store_agent row;

	if (store_agent_get(r->store, a->name, &row))
		return "agent removed";
	if (row.state == STORE_AGENT_LOCKED)
		return "agent locked";
	if (row.state == STORE_AGENT_DISABLED)
		return "agent disabled";
	if (a->pending && row.state == STORE_AGENT_ACTIVE)
		sl_log_info("agent %s approved: it now offers its devices", a->name);
	a->pending = row.state == STORE_AGENT_PENDING;
	if (strcmp(a->domain, row.domain)) {
		sl_log_info("agent %s moved from %s to %s", a->name, a->domain, row.domain);
		snprintf(a->domain, sizeof(a->domain), "%s", row.domain);
	}
	return NULL;
}

void relay_identity_recheck(struct relay *r)
{
	struct relay_conn *c, *tmp;
	int64_t now = (int64_t)time(NULL);
	const char *gone;
	char why[128];

	for (c = LIST_FIRST(&r->conns); c; c = tmp) {
		tmp = LIST_NEXT(c, link);
		if (c->kind == CONN_CLIENT)
			gone = user_still_ok(r, c, now, why, sizeof(why));
		else if (c->kind == CONN_AGENT && c->agent)
			gone = agent_still_ok(r, c->agent);
		else
			continue;
		if (!gone)
			continue;
		sl_log_warn("%s %s from %s: %s; closing its connection and sessions",
			    c->kind == CONN_CLIENT ? "user" : "agent", c->name, c->addr, gone);
		relay_conn_close(r, c, gone);
	}
}

/*
 * Once a second: another process (sqlite3 by hand, a second relay on the
 * same state) may have changed the store; the relay's own changes
 * (sluicectl) call relay_identity_recheck() at once.
 */
void relay_identity_tick(struct relay *r)
{
	if (r->audit)
		sl_audit_tick(r->audit, time(NULL));
	if (!r->store || r->now_ms - r->store_polled_ms < 1000)
		return;
	r->store_polled_ms = r->now_ms;
	if (store_changed(r->store) == 1)
		relay_identity_recheck(r);
}
