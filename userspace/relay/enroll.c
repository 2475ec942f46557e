// SPDX-License-Identifier: MIT
/*
 * Agent enrollment: a one-time join token and a CSR in, an agent
 * certificate out.  Consuming the token and creating the agent is one
 * transaction, so a crash leaves either both or neither; the certificate is
 * signed inside it, so a failure to sign leaves the token unused.
 */
#include <errno.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admission.h"
#include "ca.h"
#include "log.h"
#include "relay.h"
#include "store.h"

static void refuse_enroll(struct relay *r, struct relay_conn *c, struct sl_msg_in *m,
			  const char *domain, enum sluice_err code, const char *rule)
{
	const char *name = sl_wire_str(m, SLUICE_A_NAME);

	sl_log_warn("enrollment of agent %s from %s refused: %s", name, c->addr, rule);
	relay_audit(r, "agent.enroll", name, NULL, domain, c->addr, "refused", "%s", rule);
	r->stats.enrollments[0]++;
	if (code == SLUICE_E_AUTH) {
		r->stats.auth_failures[AUTH_FAIL_JOIN_TOKEN]++;
		relay_admission_failure(r, (struct sockaddr *)&c->peer);
	}
	relay_refuse(r, c, m->seq, code, rule);
}

static const char *token_error(int ret)
{
	switch (ret) {
	case -ENOENT:
		return "unknown join token";
	case -EALREADY:
		return "join token already used";
	case -EKEYEXPIRED:
		return "join token expired";
	default:
		return "cannot check the join token";
	}
}

static struct nl_msg *enroll_ok(uint32_t seq, X509 *cert, const char *domain,
				bool pending)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_ENROLL_OK, seq, 0);
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der);

	if (!msg || len <= 0 || len > SLUICE_CERT_MAX ||
	    nla_put(msg, SLUICE_A_CERT, len, der) ||
	    nla_put_string(msg, SLUICE_A_DOMAIN, domain) ||
	    nla_put_u8(msg, SLUICE_A_STATE,
		       pending ? SLUICE_AGENT_PENDING : SLUICE_AGENT_ACTIVE)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	OPENSSL_free(der);
	return msg;
}

void relay_enroll(struct relay *r, struct relay_conn *c, struct sl_msg_in *m)
{
	const char *name = sl_wire_str(m, SLUICE_A_NAME);
	const struct nlattr *tok = m->tb[SLUICE_A_TOKEN];
	char token[SLUICE_TOKEN_MAX + 1], domain[STORE_DOMAIN_MAX + 1] = "";
	int64_t now = (int64_t)time(NULL);
	struct sl_cert_info info;
	bool pending = r->cfg.approval_mode;
	char why[300];
	X509 *cert;
	int ret;

	memcpy(token, nla_data(tok), (size_t)nla_len(tok));
	token[nla_len(tok)] = '\0';
	if (store_begin(r->store)) {
		refuse_enroll(r, c, m, NULL, SLUICE_E_INTERNAL, store_why(r->store));
		return;
	}
	ret = store_token_consume(r->store, token, name, now, domain);
	OPENSSL_cleanse(token, sizeof(token));
	if (ret) {
		store_rollback(r->store);
		refuse_enroll(r, c, m, NULL, ret == -EBUSY || ret == -EIO ? SLUICE_E_INTERNAL
									  : SLUICE_E_AUTH,
			      token_error(ret));
		return;
	}
	if (store_agent_get(r->store, name, &(struct store_agent){ 0 }) == 0) {
		store_rollback(r->store);
		snprintf(why, sizeof(why), "an agent named '%s' is enrolled already (an "
			 "operator removes it first to enroll it again)", name);
		refuse_enroll(r, c, m, domain, SLUICE_E_DUPLICATE, why);
		return;
	}
	cert = sl_ca_sign_csr(r->agent_ca, nla_data(m->tb[SLUICE_A_CSR]),
			      (size_t)nla_len(m->tb[SLUICE_A_CSR]), name,
			      (unsigned int)r->cfg.agent_cert_days, &info, why, sizeof(why));
	if (!cert) {
		store_rollback(r->store);
		refuse_enroll(r, c, m, domain, SLUICE_E_PROTO, why);
		return;
	}
	if (store_agent_create(r->store, name, domain,
			       pending ? STORE_AGENT_PENDING : STORE_AGENT_ACTIVE,
			       info.serial, info.fingerprint, now) ||
	    store_commit(r->store)) {
		snprintf(why, sizeof(why), "cannot record the agent: %s", store_why(r->store));
		store_rollback(r->store);
		X509_free(cert);
		refuse_enroll(r, c, m, domain, SLUICE_E_INTERNAL, why);
		return;
	}
	sl_log_info("agent %s enrolled from %s into %s (certificate %s)%s", name, c->addr,
		    domain, info.serial, pending ? ", pending approval" : "");
	relay_audit(r, "agent.enroll", name, NULL, domain, c->addr, "ok",
		    "certificate serial %s, %s", info.serial, pending ? "pending" : "active");
	r->stats.enrollments[1]++;
	relay_conn_last_answer(r, c);
	relay_conn_send(r, c, enroll_ok(m->seq, cert, domain, pending));
	X509_free(cert);
}
