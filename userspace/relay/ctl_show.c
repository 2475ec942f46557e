// SPDX-License-Identifier: MIT
/*
 * Read-only operator commands: status, agents, devices, sessions and the
 * relay certificate.  Listings are dumps (see ctl.c): start() snapshots the
 * keys, dump() fills one message from the cursor and never splits an
 * element, except the devices of one agent in CTL_DEVICE_LIST.
 */
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "relay.h"
#include "tls.h"
#include "version.h"

typedef char agent_key[SLUICE_NAME_MAX + 1];

struct nl_msg *relay_ctl_status(struct relay *r, struct relay_ctl_req *q,
				const struct sl_msg_in *m)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_CTL_STATUS, q->seq, 0);
	uint32_t clients = 0, active = 0, pending = 0;
	struct relay_session *s, *stmp;
	struct nlattr *st, *ls;
	struct relay_conn *c;
	uint64_t total = 0;
	char addr[300];
	unsigned int i;
	time_t now = time(NULL);

	(void)m;
	if (!msg)
		return NULL;
	LIST_FOREACH(c, &r->conns, link)
		if (c->kind == CONN_CLIENT)
			clients++;
	HASH_ITER(hh, r->sessions, s, stmp) {
		if (s->state == SESSION_ACTIVE)
			active++;
		else
			pending++;
	}
	for (i = 0; i < __OUTCOME_MAX; i++)
		total += r->stats.sessions[i];
	st = nla_nest_start(msg, SLUICE_A_STATUS);
	if (!st || nla_put_string(msg, SLUICE_STATUS_A_VERSION, SLUICE_VERSION) ||
	    nla_put_u32(msg, SLUICE_STATUS_A_PID, (uint32_t)getpid()) ||
	    nla_put_u64(msg, SLUICE_STATUS_A_UPTIME_MS,
			now > r->started ? (uint64_t)(now - r->started) * 1000 : 0))
		goto err;
	ls = nla_nest_start(msg, SLUICE_STATUS_A_LISTEN);
	if (!ls)
		goto err;
	for (i = 0; i < r->cfg.nlisten; i++) {
		relay_listen_str(&r->cfg.listen[i], addr, sizeof(addr));
		if (nla_put_string(msg, 0, addr))
			goto err;
	}
	nla_nest_end(msg, ls);
	if (r->cfg.metrics_on) {
		relay_listen_str(&r->cfg.metrics, addr, sizeof(addr));
		if (nla_put_string(msg, SLUICE_STATUS_A_METRICS, addr))
			goto err;
	}
	if (nla_put_u32(msg, SLUICE_STATUS_A_PORT_ID, r->cfg.ctl_port_id) ||
	    nla_put_u8(msg, SLUICE_STATUS_A_DATA_PATH, r->dp && r->ktls ? SLUICE_PATH_KTLS :
									  SLUICE_PATH_USERSPACE) ||
	    nla_put_u32(msg, SLUICE_STATUS_A_AGENTS, HASH_COUNT(r->agents)) ||
	    nla_put_u32(msg, SLUICE_STATUS_A_CLIENTS, clients) ||
	    nla_put_u32(msg, SLUICE_STATUS_A_SESSIONS_ACTIVE, active) ||
	    nla_put_u32(msg, SLUICE_STATUS_A_SESSIONS_PENDING, pending) ||
	    nla_put_u64(msg, SLUICE_STATUS_A_SESSIONS_TOTAL, total) ||
	    nla_put_u64(msg, SLUICE_STATUS_A_BYTES_TO_DEVICE, r->stats.bytes_to_device) ||
	    nla_put_u64(msg, SLUICE_STATUS_A_BYTES_TO_CLIENT, r->stats.bytes_to_client) ||
	    nla_put_u32(msg, SLUICE_STATUS_A_HEARTBEAT_MS, (uint32_t)r->cfg.heartbeat_ms) ||
	    nla_put_u32(msg, SLUICE_STATUS_A_MAX_SESSIONS, (uint32_t)r->cfg.max_sessions))
		goto err;
	nla_nest_end(msg, st);
	return msg;
err:
	nlmsg_free(msg);
	return NULL;
}

static struct nlattr *tail_of(struct nl_msg *msg)
{
	return (struct nlattr *)nlmsg_tail(nlmsg_hdr(msg));
}

/* One agent element; with_devices for AGENT_SHOW.  0 or -EMSGSIZE (the
 * message is left as it was). */
static int put_agent(struct relay *r, struct nl_msg *msg, const struct relay_agent *a,
		     bool with_devices)
{
	const struct relay_conn *c = a->conn;
	struct relay_session *s;
	struct nlattr *el, *devs;
	uint32_t nsessions = 0;
	unsigned int i;

	LIST_FOREACH(s, &c->sessions, ctl_link[1])
		nsessions++;
	el = nla_nest_start(msg, 0);
	if (!el)
		return -EMSGSIZE;
	if (nla_put_string(msg, SLUICE_AGENT_A_NAME, a->name) ||
	    nla_put_string(msg, SLUICE_AGENT_A_ADDR, c->addr) ||
	    nla_put_u64(msg, SLUICE_AGENT_A_AGE_MS, r->now_ms - c->accepted_ms) ||
	    nla_put_u64(msg, SLUICE_AGENT_A_IDLE_MS, r->now_ms - c->last_rx_ms) ||
	    nla_put_u32(msg, SLUICE_AGENT_A_HEARTBEAT_MS, (uint32_t)c->heartbeat_ms) ||
	    nla_put_u32(msg, SLUICE_AGENT_A_NDEVICES, a->ndevices) ||
	    nla_put_u32(msg, SLUICE_AGENT_A_NSESSIONS, nsessions))
		goto cancel;
	if (with_devices) {
		devs = nla_nest_start(msg, SLUICE_AGENT_A_DEVICES);
		if (!devs)
			goto cancel;
		for (i = 0; i < a->ndevices; i++)
			if (sl_wire_put_device(msg, &a->devices[i]))
				goto cancel;
		nla_nest_end_keep_empty(msg, devs);
	}
	nla_nest_end(msg, el);
	return 0;
cancel:
	nla_nest_cancel(msg, el);
	return -EMSGSIZE;
}

/* Snapshot of the agent names, in the relay's order; q->filter set from
 * SLUICE_A_AGENT limits it to that agent (-ENOENT when not connected). */
int relay_ctl_agent_start(struct relay *r, struct relay_ctl_req *q,
			  const struct sl_msg_in *m)
{
	struct relay_agent *a, *tmp;
	agent_key *keys;
	size_t n = 0;

	if (m->tb[SLUICE_A_AGENT]) {
		snprintf(q->filter, sizeof(q->filter), "%s", sl_wire_str(m, SLUICE_A_AGENT));
		HASH_FIND_STR(r->agents, q->filter, a);
		if (!a)
			return -ENOENT;
		keys = malloc(sizeof(*keys));
		if (!keys)
			return -ENOMEM;
		memcpy(keys[0], a->name, sizeof(keys[0]));
		q->keys = keys;
		q->nkeys = 1;
		return 0;
	}
	keys = malloc((HASH_COUNT(r->agents) + 1) * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	HASH_ITER(hh, r->agents, a, tmp)
		memcpy(keys[n++], a->name, sizeof(keys[0]));
	q->keys = keys;
	q->nkeys = n;
	return 0;
}

int relay_ctl_agent_dump(struct relay *r, struct relay_ctl_req *q,
			 struct nl_msg *msg)
{
	agent_key *keys = q->keys;
	struct relay_agent *a;
	struct nlattr *list;
	int added = 0;

	list = nla_nest_start(msg, SLUICE_A_AGENTS);
	if (!list)
		return -EMSGSIZE;
	for (; q->pos < q->nkeys; q->pos++) {
		HASH_FIND_STR(r->agents, keys[q->pos], a);
		if (!a)
			continue;	/* gone since the request */
		if (put_agent(r, msg, a, false))
			break;
		added++;
	}
	if (added)
		nla_nest_end(msg, list);
	else
		nla_nest_cancel(msg, list);
	return q->pos < q->nkeys;
}

struct nl_msg *relay_ctl_agent_show(struct relay *r, struct relay_ctl_req *q,
				    const struct sl_msg_in *m)
{
	const char *name = sl_wire_str(m, SLUICE_A_AGENT);
	struct relay_agent *a;
	struct nl_msg *msg;
	struct nlattr *list;

	HASH_FIND_STR(r->agents, name, a);
	if (!a)
		return sl_wire_error(q->seq, SLUICE_E_NO_AGENT, 0,
				     "agent '%s' is not connected", name);
	msg = sl_wire_new(SLUICE_CMD_CTL_AGENT_SHOW, q->seq, 0);
	if (!msg || nla_put_string(msg, SLUICE_A_AGENT, a->name))
		goto err;
	list = nla_nest_start(msg, SLUICE_A_AGENTS);
	if (!list || put_agent(r, msg, a, true))
		goto err;
	nla_nest_end(msg, list);
	return msg;
err:
	nlmsg_free(msg);
	return NULL;
}

/*
 * Devices of the agents, as many as fit; an agent whose devices do not fit
 * is continued in the next message (q->sub is the next device).
 */
int relay_ctl_device_dump(struct relay *r, struct relay_ctl_req *q,
			  struct nl_msg *msg)
{
	agent_key *keys = q->keys;
	struct nlattr *list, *el, *devs, *mark;
	struct relay_agent *a;
	int added = 0;
	bool full = false;

	list = nla_nest_start(msg, SLUICE_A_AGENTS);
	if (!list)
		return -EMSGSIZE;
	for (; q->pos < q->nkeys && !full; q->pos++, q->sub = 0) {
		unsigned int put = 0;

		HASH_FIND_STR(r->agents, keys[q->pos], a);
		if (!a || q->sub >= a->ndevices)
			continue;
		el = nla_nest_start(msg, 0);
		if (!el || nla_put_string(msg, SLUICE_AGENT_A_NAME, a->name) ||
		    !(devs = nla_nest_start(msg, SLUICE_AGENT_A_DEVICES))) {
			if (el)
				nla_nest_cancel(msg, el);
			break;
		}
		for (; q->sub < a->ndevices; q->sub++, put++) {
			mark = tail_of(msg);
			if (sl_wire_put_device(msg, &a->devices[q->sub])) {
				nla_nest_cancel(msg, mark);
				full = true;
				break;
			}
		}
		if (!put) {
			nla_nest_cancel(msg, el);
			break;
		}
		nla_nest_end(msg, devs);
		nla_nest_end(msg, el);
		added++;
		if (full)
			break;	/* continue this agent at q->sub next time */
	}
	if (added)
		nla_nest_end(msg, list);
	else
		nla_nest_cancel(msg, list);
	return q->pos < q->nkeys;
}

static uint8_t session_state(const struct relay_session *s)
{
	switch (s->state) {
	case SESSION_WAIT_AGENT:
		return SLUICE_SESSION_WAIT_AGENT;
	case SESSION_WAIT_CLIENT:
		return SLUICE_SESSION_WAIT_CLIENT;
	default:
		return SLUICE_SESSION_ACTIVE;
	}
}

static int put_session(struct relay *r, struct nl_msg *msg, const struct relay_session *s)
{
	struct nlattr *el = nla_nest_start(msg, 0);

	if (!el)
		return -EMSGSIZE;
	if (nla_put_u64(msg, SLUICE_SESSION_A_ID, s->id) ||
	    nla_put_string(msg, SLUICE_SESSION_A_USER, s->user) ||
	    (s->ctl[0] && nla_put_string(msg, SLUICE_SESSION_A_CLIENT_ADDR, s->ctl[0]->addr)) ||
	    nla_put_string(msg, SLUICE_SESSION_A_AGENT, s->agent) ||
	    nla_put_string(msg, SLUICE_SESSION_A_DEVICE, s->device) ||
	    nla_put_u16(msg, SLUICE_SESSION_A_PORT, s->port) ||
	    nla_put_u8(msg, SLUICE_SESSION_A_STATE, session_state(s)) ||
	    (s->pumping && nla_put_u8(msg, SLUICE_SESSION_A_PATH,
				      s->path == PATH_KTLS ? SLUICE_PATH_KTLS :
							     SLUICE_PATH_USERSPACE)) ||
	    nla_put_u64(msg, SLUICE_SESSION_A_BYTES_TO_DEVICE,
			s->pumping ? s->pump.end[0].rx_bytes : 0) ||
	    nla_put_u64(msg, SLUICE_SESSION_A_BYTES_TO_CLIENT,
			s->pumping ? s->pump.end[1].rx_bytes : 0) ||
	    nla_put_u64(msg, SLUICE_SESSION_A_AGE_MS, r->now_ms - s->created_ms)) {
		nla_nest_cancel(msg, el);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, el);
	return 0;
}

int relay_ctl_session_start(struct relay *r, struct relay_ctl_req *q,
			    const struct sl_msg_in *m)
{
	struct relay_session *s, *tmp;
	uint64_t *ids;
	size_t n = 0;

	(void)m;
	ids = malloc((HASH_COUNT(r->sessions) + 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	HASH_ITER(hh, r->sessions, s, tmp)
		ids[n++] = s->id;
	q->keys = ids;
	q->nkeys = n;
	return 0;
}

int relay_ctl_session_dump(struct relay *r, struct relay_ctl_req *q,
			   struct nl_msg *msg)
{
	uint64_t *ids = q->keys;
	struct relay_session *s;
	struct nlattr *list;
	int added = 0;

	list = nla_nest_start(msg, SLUICE_A_SESSIONS);
	if (!list)
		return -EMSGSIZE;
	for (; q->pos < q->nkeys; q->pos++) {
		s = relay_session_find(r, ids[q->pos]);
		if (!s || s->state == SESSION_CLOSED)
			continue;
		if (put_session(r, msg, s))
			break;
		added++;
	}
	if (added)
		nla_nest_end(msg, list);
	else
		nla_nest_cancel(msg, list);
	return q->pos < q->nkeys;
}

struct nl_msg *relay_ctl_session_show(struct relay *r, struct relay_ctl_req *q,
				      const struct sl_msg_in *m)
{
	uint64_t id = nla_get_u64(m->tb[SLUICE_A_SESSION_ID]);
	struct relay_session *s = relay_session_find(r, id);
	struct nl_msg *msg;
	struct nlattr *list;

	if (!s || s->state == SESSION_CLOSED)
		return sl_wire_error(q->seq, SLUICE_E_NO_SESSION, 0,
				     "no open session %016llx", (unsigned long long)id);
	msg = sl_wire_new(SLUICE_CMD_CTL_SESSION_SHOW, q->seq, 0);
	if (!msg || nla_put_u64(msg, SLUICE_A_SESSION_ID, id))
		goto err;
	list = nla_nest_start(msg, SLUICE_A_SESSIONS);
	if (!list || put_session(r, msg, s))
		goto err;
	nla_nest_end(msg, list);
	return msg;
err:
	nlmsg_free(msg);
	return NULL;
}

static uint64_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (uint64_t)timegm(&tm);
}

static void subject_rfc2253(X509 *cert, char *out, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n = 0;

	if (b && X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0)
		n = BIO_read(b, out, (int)len - 1);
	out[n > 0 ? n : 0] = '\0';
	BIO_free(b);
}

/* The certificate the relay serves now (not the file, which may differ). */
struct nl_msg *relay_ctl_cert_show(struct relay *r, struct relay_ctl_req *q,
				   const struct sl_msg_in *m)
{
	X509 *cert = r->tls ? SSL_CTX_get0_certificate(r->tls) : NULL;
	char fp[SL_FP_STRLEN], subject[SLUICE_TEXT_MAX], path[sizeof(r->cfg.state_dir) + 16];
	struct nlattr *list, *el;
	struct nl_msg *msg;

	(void)m;
	if (!cert || sl_tls_fingerprint(cert, fp))
		return sl_wire_error(q->seq, SLUICE_E_INTERNAL, 0,
				     "the relay has no certificate loaded");
	subject_rfc2253(cert, subject, sizeof(subject));
	snprintf(path, sizeof(path), "%s/relay.crt", r->cfg.state_dir);
	msg = sl_wire_new(SLUICE_CMD_CTL_CERT_SHOW, q->seq, 0);
	if (!msg)
		return NULL;
	list = nla_nest_start(msg, SLUICE_A_CERTS);
	el = list ? nla_nest_start(msg, 0) : NULL;
	if (!el || nla_put_string(msg, SLUICE_CERT_A_NAME, "relay") ||
	    nla_put_string(msg, SLUICE_CERT_A_PATH, path) ||
	    nla_put_string(msg, SLUICE_CERT_A_FINGERPRINT, fp) ||
	    (subject[0] && nla_put_string(msg, SLUICE_CERT_A_SUBJECT, subject)) ||
	    nla_put_u64(msg, SLUICE_CERT_A_NOT_BEFORE, asn1_time(X509_get0_notBefore(cert))) ||
	    nla_put_u64(msg, SLUICE_CERT_A_NOT_AFTER, asn1_time(X509_get0_notAfter(cert)))) {
		nlmsg_free(msg);
		return NULL;
	}
	nla_nest_end(msg, el);
	nla_nest_end(msg, list);
	return msg;
}
