// SPDX-License-Identifier: MIT
/*
 * Logins: the HELLO of an agent (its certificate and secondary id) and of a
 * client (certificate, password, TOTP).  Each refusal names its rule in the
 * log and the audit log, counts against the source (and the account), and
 * tells the peer what it can do about it.  The checks run in the order that
 * leaks least: identity before password, lock before password (a locked
 * account answers the same whatever the password).
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admission.h"
#include "ca.h"
#include "log.h"
#include "password.h"
#include "relay.h"
#include "store.h"
#include "totp.h"

void relay_refuse(struct relay *r, struct relay_conn *c, uint32_t seq,
		  enum sluice_err code, const char *text)
{
	relay_conn_last_answer(r, c);
	relay_conn_send(r, c, sl_wire_error(seq, code, 0, "%s", text));
}

/* One refused login: logged, audited, counted, answered. */
static void refuse_login(struct relay *r, struct relay_conn *c, const char *name,
			 uint32_t seq, const char *role, enum relay_auth_fail reason,
			 enum sluice_err code, const char *rule, const char *text)
{
	sl_log_warn("%s %s from %s refused: %s", role, name, c->addr, rule);
	relay_audit(r, !strcmp(role, "agent") ? "agent.login" : "user.login", name, NULL,
		    NULL, c->addr, "refused", "%s", rule);
	r->stats.auth_failures[reason]++;
	if (reason != AUTH_FAIL_DUPLICATE && reason != AUTH_FAIL_VERSION)
		relay_admission_failure(r, (struct sockaddr *)&c->peer);
	relay_refuse(r, c, seq, code, text);
}

static bool version_ok(struct relay *r, struct relay_conn *c, struct sl_msg_in *m,
		       const char *role)
{
	uint32_t version = nla_get_u32(m->tb[SLUICE_A_VERSION]);
	char text[160];

	if (version == SLUICE_PROTO_VERSION)
		return true;
	snprintf(text, sizeof(text), "protocol version %u not supported (relay speaks %u)",
		 version, SLUICE_PROTO_VERSION);
	refuse_login(r, c, sl_wire_str(m, SLUICE_A_NAME), m->seq, role, AUTH_FAIL_VERSION, SLUICE_E_VERSION, text, text);
	return false;
}

/* The peer's certificate, verified, issued for name.  0 or refused. */
static int peer_identity(struct relay *r, struct relay_conn *c, struct sl_msg_in *m,
			 const char *role, struct sl_cert_info *info)
{
	const char *name = sl_wire_str(m, SLUICE_A_NAME);
	char why[256], text[300];
	int ret;

	ret = relay_peer_cert(c, info, why, sizeof(why));
	if (ret == -ENOKEY) {
		snprintf(text, sizeof(text), "a %s certificate is required (%s)", role,
			 !strcmp(role, "agent") ? "enroll with a join token first"
						: "ask an operator for one: user cert-issue");
		refuse_login(r, c, sl_wire_str(m, SLUICE_A_NAME), m->seq, role, AUTH_FAIL_NO_CERT, SLUICE_E_AUTH,
			     "no client certificate", text);
		return -1;
	}
	if (ret) {
		refuse_login(r, c, sl_wire_str(m, SLUICE_A_NAME), m->seq, role, AUTH_FAIL_BAD_CERT,
			     ret == -EKEYEXPIRED ? SLUICE_E_EXPIRED : SLUICE_E_AUTH, why, why);
		return -1;
	}
	if (strcmp(info->cn, name)) {
		snprintf(text, sizeof(text), "certificate is for '%s', not '%s'", info->cn, name);
		refuse_login(r, c, sl_wire_str(m, SLUICE_A_NAME), m->seq, role, AUTH_FAIL_BAD_CERT, SLUICE_E_AUTH, text, text);
		return -1;
	}
	return 0;
}

/* ---- agents ---- */

/*
 * Clone detection: the secret handed out at the last connect must come
 * back.  A stale one means two copies of this identity exist: lock it.
 */
static int check_secondary(struct relay *r, struct relay_conn *c, struct sl_msg_in *m,
			   const struct store_agent *row)
{
	const struct nlattr *sec = m->tb[SLUICE_A_SECRET];
	char text[300];
	int ret;

	ret = store_agent_secondary_check(r->store, row->name,
					  sec ? nla_data(sec) : NULL,
					  sec ? (size_t)nla_len(sec) : 0);
	if (ret >= 0)
		return 0;
	if (ret != -EKEYREJECTED) {
		refuse_login(r, c, sl_wire_str(m, SLUICE_A_NAME), m->seq, "agent", AUTH_FAIL_UNKNOWN, SLUICE_E_INTERNAL,
			     store_why(r->store), "state store failure");
		return -1;
	}
	snprintf(text, sizeof(text), "stale secondary id from %s: another copy of this "
		 "agent connected since; identity locked", c->addr);
	store_agent_set_state(r->store, row->name, STORE_AGENT_LOCKED, text);
	relay_audit(r, "agent.locked", row->name, NULL, row->domain, c->addr, "locked",
		    "%s", text);
	refuse_login(r, c, sl_wire_str(m, SLUICE_A_NAME), m->seq, "agent", AUTH_FAIL_STALE_SECRET, SLUICE_E_LOCKED, text,
		     "agent identity locked: a copy of this agent was detected; an "
		     "operator must reset it (agent reset)");
	return -1;
}

void relay_login_agent(struct relay *r, struct relay_conn *c, struct sl_msg_in *m)
{
	const char *name = sl_wire_str(m, SLUICE_A_NAME);
	unsigned char secret[STORE_SECONDARY_LEN];
	struct sl_cert_info info;
	struct store_agent row;
	struct relay_agent *live;
	char text[300];

	if (!version_ok(r, c, m, "agent") || peer_identity(r, c, m, "agent", &info))
		return;
	if (store_agent_get_by_serial(r->store, info.serial, &row) ||
	    strcmp(row.name, name) || strcmp(row.fingerprint, info.fingerprint)) {
		refuse_login(r, c, sl_wire_str(m, SLUICE_A_NAME), m->seq, "agent", AUTH_FAIL_UNKNOWN, SLUICE_E_AUTH,
			     "certificate of no enrolled agent (removed, or re-enrolled since)",
			     "agent certificate not recognised: enroll again with a new join token");
		return;
	}
	if (row.state == STORE_AGENT_LOCKED || row.state == STORE_AGENT_DISABLED) {
		bool locked = row.state == STORE_AGENT_LOCKED;

		snprintf(text, sizeof(text), "agent %s%s%s", locked ? "locked" : "disabled",
			 row.reason[0] ? ": " : "", row.reason);
		refuse_login(r, c, sl_wire_str(m, SLUICE_A_NAME), m->seq, "agent", locked ? AUTH_FAIL_LOCKED : AUTH_FAIL_DISABLED,
			     locked ? SLUICE_E_LOCKED : SLUICE_E_DISABLED, text, text);
		return;
	}
	HASH_FIND_STR(r->agents, name, live);
	if (live) {
		snprintf(text, sizeof(text), "agent '%s' is already connected from %s",
			 name, live->conn->addr);
		refuse_login(r, c, sl_wire_str(m, SLUICE_A_NAME), m->seq, "agent", AUTH_FAIL_DUPLICATE, SLUICE_E_DUPLICATE,
			     text, text);
		return;
	}
	if (check_secondary(r, c, m, &row))
		return;
	if (store_agent_secondary_rotate(r->store, name, secret)) {
		refuse_login(r, c, sl_wire_str(m, SLUICE_A_NAME), m->seq, "agent", AUTH_FAIL_UNKNOWN, SLUICE_E_INTERNAL,
			     store_why(r->store), "state store failure");
		return;
	}
	store_agent_seen(r->store, name, c->addr, (int64_t)time(NULL));
	relay_audit(r, "agent.connect", name, NULL, row.domain, c->addr, "ok", "%s",
		    row.state == STORE_AGENT_PENDING ? "pending approval" : "active");
	relay_agent_register(r, c, m, &row, secret);
	OPENSSL_cleanse(secret, sizeof(secret));
	/* From here the store row names the agent: its decoded certificate
	 * would be a quarter of what an idle agent costs (docs/benchmarks.md). */
	if (c->kind == CONN_AGENT && sl_tls_forget_peer(c->ssl, &r->tls_spare))
		sl_log_debug("agent %s: the TLS session keeps its certificate", name);
}

/* ---- users ---- */

static int check_account(struct relay *r, struct relay_conn *c, struct sl_msg_in *m,
			 const struct sl_cert_info *info)
{
	const char *name = sl_wire_str(m, SLUICE_A_NAME);
	int64_t now = (int64_t)time(NULL), until;
	struct store_user u;
	char text[300];
	int ret;

	ret = store_cert_check(r->store, info->serial, info->fingerprint, name, now, NULL);
	if (ret) {
		const char *rule = ret == -EKEYREVOKED ? "certificate revoked" :
				   ret == -EKEYEXPIRED ? "certificate expired" :
							 "certificate not issued to this user";

		refuse_login(r, c, name, m->seq, "user", AUTH_FAIL_BAD_CERT,
			     ret == -EKEYEXPIRED ? SLUICE_E_EXPIRED : SLUICE_E_AUTH, rule, rule);
		return -1;
	}
	if (store_user_get(r->store, name, &u)) {
		refuse_login(r, c, name, m->seq, "user", AUTH_FAIL_UNKNOWN, SLUICE_E_AUTH,
			     "no such user", "authentication failed");
		return -1;
	}
	if (u.disabled) {
		refuse_login(r, c, name, m->seq, "user", AUTH_FAIL_DISABLED, SLUICE_E_DISABLED,
			     "account disabled", "account disabled: ask an operator");
		return -1;
	}
	if (u.expires_at && now >= u.expires_at) {
		refuse_login(r, c, name, m->seq, "user", AUTH_FAIL_DISABLED, SLUICE_E_EXPIRED,
			     "account expired", "account expired: ask an operator");
		return -1;
	}
	if (store_lockout_check(r->store, STORE_LOCK_ACCOUNT, name, now, &until) == 1) {
		snprintf(text, sizeof(text), "account locked after failed logins for %lld s more",
			 (long long)(until - now));
		refuse_login(r, c, name, m->seq, "user", AUTH_FAIL_LOCKED, SLUICE_E_LOCKED,
			     text, text);
		return -1;
	}
	return 0;
}

/* A wrong password or code: counted against the account, maybe locking it. */
static void login_failed(struct relay *r, struct relay_conn *c,
			 const struct relay_auth_job *j, enum relay_auth_fail reason,
			 const char *rule)
{
	int64_t lock_s = (int64_t)(r->cfg.login_lockout_ms / 1000);
	bool locked = false;

	/* Failures count within 15 minutes, or the lockout if longer. */
	store_user_login_failed(r->store, j->name, (unsigned int)r->cfg.login_failures,
				lock_s > 900 ? lock_s : 900, lock_s, (int64_t)time(NULL),
				&locked);
	if (locked) {
		sl_log_warn("user %s locked for %lld s after %llu failed logins", j->name,
			    (long long)lock_s, (unsigned long long)r->cfg.login_failures);
		relay_audit(r, "user.locked", j->name, NULL, NULL, c->addr, "locked",
			    "%llu failed logins, locked for %lld s",
			    (unsigned long long)r->cfg.login_failures, (long long)lock_s);
	}
	refuse_login(r, c, j->name, j->seq, "user", reason, SLUICE_E_AUTH, rule,
		     "wrong password or TOTP code");
}

static int check_totp(struct relay *r, struct relay_conn *c, const struct relay_auth_job *j,
		      bool *enabled)
{
	unsigned char key[STORE_TOTP_SECRET_MAX];
	uint64_t step = 0;
	size_t len;
	int ret;

	*enabled = false;
	ret = store_user_totp_get(r->store, j->name, key, &len);
	if (ret == -ENOENT)
		return 0;
	*enabled = true;
	if (ret) {
		refuse_login(r, c, j->name, j->seq, "user", AUTH_FAIL_TOTP, SLUICE_E_INTERNAL,
			     store_why(r->store), "cannot read the TOTP secret");
		return -1;
	}
	if (!j->totp[0]) {
		OPENSSL_cleanse(key, sizeof(key));
		refuse_login(r, c, j->name, j->seq, "user", AUTH_FAIL_TOTP, SLUICE_E_AUTH,
			     "TOTP code missing", "a TOTP code is required (-t CODE)");
		return -1;
	}
	ret = sl_totp_verify(key, len, j->totp, time(NULL), 0, &step);
	OPENSSL_cleanse(key, sizeof(key));
	if (ret) {
		login_failed(r, c, j, AUTH_FAIL_TOTP, "wrong TOTP code");
		return -1;
	}
	if (store_user_totp_use(r->store, j->name, (int64_t)step)) {
		login_failed(r, c, j, AUTH_FAIL_TOTP, "TOTP code used before (replay)");
		return -1;
	}
	return 0;
}

/*
 * First half of a client login, in the loop: certificate and account
 * checks, then the password goes to the worker (passwork.c).
 */
void relay_login_client(struct relay *r, struct relay_conn *c, struct sl_msg_in *m)
{
	const char *name = sl_wire_str(m, SLUICE_A_NAME);
	struct relay_auth_job *j;
	struct sl_cert_info info;

	if (!version_ok(r, c, m, "user") || peer_identity(r, c, m, "user", &info) ||
	    check_account(r, c, m, &info))
		return;
	j = calloc(1, sizeof(*j));
	if (!j) {
		relay_refuse(r, c, m->seq, SLUICE_E_INTERNAL, "out of memory");
		return;
	}
	j->conn = c;
	j->seq = m->seq;
	snprintf(j->name, sizeof(j->name), "%s", name);
	snprintf(j->password, sizeof(j->password), "%s", sl_wire_str(m, SLUICE_A_PASSWORD));
	if (m->tb[SLUICE_A_TOTP])
		snprintf(j->totp, sizeof(j->totp), "%s", sl_wire_str(m, SLUICE_A_TOTP));
	if (store_user_get_password(r->store, name, j->phc, sizeof(j->phc)))
		j->phc[0] = '\0';	/* the check fails, at the same cost */
	c->auth_job = j;
	/* The check may queue behind others: give it time beyond the
	 * handshake window. */
	c->deadline_ms = r->now_ms + 60000;
	relay_passwork_submit(r, j);
}

/* Second half, back in the loop with the password check's result. */
void relay_login_client_finish(struct relay *r, struct relay_conn *c,
			       const struct relay_auth_job *j)
{
	bool totp;

	if (j->result) {
		if (j->result == -EINVAL)
			sl_log_err("user %s: the stored password hash is damaged (%s)", j->name,
				   sl_password_strerror(j->result));
		login_failed(r, c, j, AUTH_FAIL_PASSWORD, "wrong password");
		return;
	}
	if (check_totp(r, c, j, &totp))
		return;
	store_user_login_ok(r->store, j->name);
	relay_audit(r, "user.login", j->name, NULL, NULL, c->addr, "ok", "%s",
		    totp ? "certificate, password, TOTP" : "certificate, password");
	relay_client_register(r, c, j->name, j->seq);
}
