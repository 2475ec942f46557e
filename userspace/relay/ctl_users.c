// SPDX-License-Identifier: MIT
/*
 * sluicectl's user commands.  Secrets stay where they belong: sluicectl
 * hashes a new password (Argon2id) and sends only the hash, and it makes
 * the user's key and CSR and writes the PKCS#12 file itself; the relay
 * signs the CSR with its user CA.  So neither the password nor the user's
 * private key ever passes through the relay.  The TOTP secret is made here
 * and stored encrypted; its otpauth:// URI is in the reply, once.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca.h"
#include "ctl.h"
#include "password.h"
#include "relay.h"
#include "store.h"
#include "totp.h"

/* A PHC string this relay would have made itself (no weaker parameters). */
static struct nl_msg *check_phc(const struct relay_ctl_req *q, const char *phc,
				const char *what)
{
	if (sl_password_needs_rehash(phc, NULL))
		return sl_wire_error(q->seq, SLUICE_E_INVALID, 0,
				     "%s: not an Argon2id hash with this relay's parameters "
				     "(sluicectl and sluice-relay of different versions?)",
				     what);
	return NULL;
}

static struct nl_msg *user_record(struct relay *r, struct relay_ctl_req *q, const char *name,
				  const char *what)
{
	struct store_user u;
	int ret = store_user_get(r->store, name, &u);

	if (ret)
		return relay_ctl_store_error(r, q, ret, what);
	return relay_ctl_one_record(r, q, relay_rec_user, &u);
}

struct nl_msg *relay_ctl_user_add(struct relay *r, struct relay_ctl_req *q,
				  const struct sl_msg_in *m)
{
	const char *name = sl_wire_str(m, SLUICE_A_NAME), *phc = sl_wire_str(m, SLUICE_A_PHC);
	int64_t expires = m->tb[SLUICE_A_EXPIRES] ? (int64_t)nla_get_u64(m->tb[SLUICE_A_EXPIRES])
						  : 0;
	struct nl_msg *bad = check_phc(q, phc, "user add");
	int ret;

	if (bad)
		return bad;
	if (expires < 0)
		return sl_wire_error(q->seq, SLUICE_E_INVALID, 0, "user add: bad expiry");
	ret = store_user_create(r->store, name, phc, expires, (int64_t)time(NULL));
	if (ret)
		return relay_ctl_store_error(r, q, ret, "user add");
	relay_ctl_audit(r, q, "user.add", "ok", name, NULL, NULL);
	return user_record(r, q, name, "user add");
}

int relay_ctl_user_start(struct relay *r, struct relay_ctl_req *q,
			 const struct sl_msg_in *m)
{
	(void)m;
	return store_user_list(r->store, (struct store_user **)&q->keys, &q->nkeys);
}

int relay_ctl_user_dump(struct relay *r, struct relay_ctl_req *q, struct nl_msg *msg)
{
	return relay_ctl_rows_dump(q, msg, sizeof(struct store_user), relay_rec_user, r);
}

static int put_cert(struct nl_msg *msg, const struct store_cert *c)
{
	struct nlattr *el = nla_nest_start(msg, 0);

	if (!el || nla_put_string(msg, SLUICE_REC_A_SERIAL, c->serial) ||
	    nla_put_string(msg, SLUICE_REC_A_FINGERPRINT, c->fingerprint) ||
	    relay_rec_time(msg, SLUICE_REC_A_CREATED, c->created) ||
	    relay_rec_time(msg, SLUICE_REC_A_NOT_AFTER, c->not_after) ||
	    relay_rec_time(msg, SLUICE_REC_A_REVOKED, c->revoked_at))
		return -EMSGSIZE;
	nla_nest_end(msg, el);
	return 0;
}

/* One user with its certificates and grants (as many as fit one reply). */
struct nl_msg *relay_ctl_user_show(struct relay *r, struct relay_ctl_req *q,
				   const struct sl_msg_in *m)
{
	const char *name = sl_wire_str(m, SLUICE_A_NAME);
	struct nlattr *list, *el, *sub, *g1;
	struct store_cert *c = NULL;
	struct store_grant *g = NULL;
	struct nl_msg *msg = NULL;
	struct store_user u;
	size_t nc = 0, ng = 0, i;
	int ret;

	ret = store_user_get(r->store, name, &u);
	if (!ret)
		ret = store_cert_list(r->store, name, &c, &nc);
	if (!ret)
		ret = store_grant_list_user(r->store, name, &g, &ng);
	if (ret) {
		msg = relay_ctl_store_error(r, q, ret, "user show");
		goto out;
	}
	msg = sl_wire_new(q->cmd, q->seq, 0);
	list = msg ? nla_nest_start(msg, SLUICE_A_RECORDS) : NULL;
	el = list ? nla_nest_start(msg, 0) : NULL;
	if (!el || relay_rec_user(r, msg, &u))
		goto fail;
	sub = nla_nest_start(msg, SLUICE_REC_A_CERTS);
	for (i = 0; sub && i < nc; i++)
		if (put_cert(msg, &c[i]))
			goto fail;
	if (!sub)
		goto fail;
	nla_nest_end_keep_empty(msg, sub);
	sub = nla_nest_start(msg, SLUICE_REC_A_GRANTS);
	for (i = 0; sub && i < ng; i++) {
		g1 = nla_nest_start(msg, 0);
		if (!g1 || relay_rec_grant(r, msg, &g[i]))
			goto fail;
		nla_nest_end(msg, g1);
	}
	if (!sub)
		goto fail;
	nla_nest_end_keep_empty(msg, sub);
	nla_nest_end(msg, el);
	nla_nest_end(msg, list);
	goto out;
fail:
	nlmsg_free(msg);
	msg = sl_wire_error(q->seq, SLUICE_E_LIMIT, 0,
			    "user show: %s has too many certificates and grants for one reply",
			    name);
out:
	free(c);
	free(g);
	return msg;
}

/* disable, enable, unlock: the command says which. */
struct nl_msg *relay_ctl_user_set(struct relay *r, struct relay_ctl_req *q,
				  const struct sl_msg_in *m)
{
	const char *name = sl_wire_str(m, SLUICE_A_NAME);
	const char *event, *what;
	int ret;

	switch (q->cmd) {
	case SLUICE_CMD_CTL_USER_DISABLE:
		event = "user.disable", what = "user disable";
		ret = store_user_set_disabled(r->store, name, true);
		break;
	case SLUICE_CMD_CTL_USER_ENABLE:
		event = "user.enable", what = "user enable";
		ret = store_user_set_disabled(r->store, name, false);
		break;
	default:
		event = "user.unlock", what = "user unlock";
		ret = store_begin(r->store);
		if (!ret)
			ret = store_user_login_ok(r->store, name);
		if (!ret) {
			ret = store_lockout_clear(r->store, STORE_LOCK_ACCOUNT, name);
			if (ret == -ENOENT)
				ret = 0;	/* locked by the failure count only */
		}
		ret = ret ? ret : store_commit(r->store);
		if (ret)
			store_rollback(r->store);
	}
	if (ret)
		return relay_ctl_store_error(r, q, ret, what);
	relay_ctl_audit(r, q, event, "ok", name, NULL, NULL);
	relay_identity_recheck(r);
	return user_record(r, q, name, what);
}

struct nl_msg *relay_ctl_user_passwd(struct relay *r, struct relay_ctl_req *q,
				     const struct sl_msg_in *m)
{
	const char *name = sl_wire_str(m, SLUICE_A_NAME), *phc = sl_wire_str(m, SLUICE_A_PHC);
	struct nl_msg *bad = check_phc(q, phc, "user passwd");
	int ret;

	if (bad)
		return bad;
	ret = store_user_set_password(r->store, name, phc);
	if (ret)
		return relay_ctl_store_error(r, q, ret, "user passwd");
	relay_ctl_audit(r, q, "user.passwd", "ok", name, NULL, NULL);
	return relay_ctl_echo(q, SLUICE_A_NAME, name);
}

struct nl_msg *relay_ctl_user_cert_issue(struct relay *r, struct relay_ctl_req *q,
					 const struct sl_msg_in *m)
{
	const char *name = sl_wire_str(m, SLUICE_A_NAME);
	const struct nlattr *csr = m->tb[SLUICE_A_CSR];
	struct store_cert row = { 0 };
	struct sl_cert_info info;
	struct nlattr *list;
	struct nl_msg *msg;
	unsigned char *der = NULL;
	char why[512];
	X509 *x;
	int ret, len;

	ret = store_user_get(r->store, name, &(struct store_user){ 0 });
	if (ret)
		return relay_ctl_store_error(r, q, ret, "user cert-issue");
	x = sl_ca_sign_csr(r->user_ca, nla_data(csr), (size_t)nla_len(csr), name,
			   (unsigned int)r->cfg.user_cert_days, &info, why, sizeof(why));
	if (!x)
		return sl_wire_error(q->seq, SLUICE_E_INVALID, 0, "user cert-issue: %s", why);
	len = i2d_X509(x, &der);
	X509_free(x);
	if (len <= 0 || len > SLUICE_CERT_MAX) {
		OPENSSL_free(der);
		return NULL;
	}
	ret = store_cert_add(r->store, name, info.serial, info.fingerprint,
			     (int64_t)info.not_after, (int64_t)time(NULL));
	if (ret) {
		OPENSSL_free(der);
		return relay_ctl_store_error(r, q, ret, "user cert-issue");
	}
	relay_ctl_audit(r, q, "user.cert_issue", "ok", name, NULL, "serial %s", info.serial);
	snprintf(row.serial, sizeof(row.serial), "%s", info.serial);
	msg = sl_wire_new(q->cmd, q->seq, 0);
	list = msg && !nla_put(msg, SLUICE_A_CERT, len, der) ?
		nla_nest_start(msg, SLUICE_A_RECORDS) : NULL;
	if (!list) {
		nlmsg_free(msg);
		OPENSSL_free(der);
		return NULL;
	}
	OPENSSL_free(der);
	snprintf(row.fingerprint, sizeof(row.fingerprint), "%s", info.fingerprint);
	row.not_after = (int64_t)info.not_after;
	if (put_cert(msg, &row)) {
		nlmsg_free(msg);
		return NULL;
	}
	nla_nest_end(msg, list);
	return msg;
}

struct nl_msg *relay_ctl_user_cert_revoke(struct relay *r, struct relay_ctl_req *q,
					  const struct sl_msg_in *m)
{
	const char *serial = sl_wire_str(m, SLUICE_A_ID);
	int ret = store_cert_revoke(r->store, serial, (int64_t)time(NULL));

	if (ret == -EALREADY)
		return sl_wire_error(q->seq, SLUICE_E_INVALID, 0,
				     "certificate %s was already revoked", serial);
	if (ret)
		return relay_ctl_store_error(r, q, ret, "user cert-revoke");
	relay_ctl_audit(r, q, "user.cert_revoke", "ok", serial, NULL, NULL);
	relay_identity_recheck(r);
	return relay_ctl_echo(q, SLUICE_A_ID, serial);
}

struct nl_msg *relay_ctl_user_totp_enable(struct relay *r, struct relay_ctl_req *q,
					  const struct sl_msg_in *m)
{
	const char *name = sl_wire_str(m, SLUICE_A_NAME);
	uint8_t key[SL_TOTP_SECRET_LEN];
	char uri[SL_TOTP_URI_MAX];
	struct nl_msg *msg;
	int ret;

	if (sl_totp_secret_new(key))
		return NULL;
	ret = store_user_totp_set(r->store, name, key, sizeof(key));
	if (ret) {
		OPENSSL_cleanse(key, sizeof(key));
		return relay_ctl_store_error(r, q, ret, "user totp-enable");
	}
	ret = sl_totp_uri("sluice", name, key, sizeof(key), uri, sizeof(uri));
	OPENSSL_cleanse(key, sizeof(key));
	if (ret)
		return NULL;
	relay_ctl_audit(r, q, "user.totp_enable", "ok", name, NULL, NULL);
	msg = relay_ctl_echo(q, SLUICE_A_TEXT, uri);
	OPENSSL_cleanse(uri, sizeof(uri));
	return msg;
}
