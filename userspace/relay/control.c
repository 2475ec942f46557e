// SPDX-License-Identifier: MIT
/*
 * Control messages after the login (login.c): agents registered with their
 * devices, heartbeats and updates; clients' LIST and OPEN, authorized by
 * access.c; the agent's answers to CONNECT.
 */
#include <errno.h>
#include <stdarg.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "log.h"
#include "relay.h"
#include "store.h"

/* HELLO_OK; to an agent also its next secondary id, state and domain. */
static void send_hello_ok(struct relay *r, struct relay_conn *c, uint32_t seq,
			  const struct relay_agent *a, const unsigned char *secret)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_HELLO_OK, seq, 0);

	if (msg && (nla_put_u32(msg, SLUICE_A_VERSION, SLUICE_PROTO_VERSION) ||
		    nla_put_u32(msg, SLUICE_A_HEARTBEAT_MS, (uint32_t)c->heartbeat_ms) ||
		    (a && (nla_put(msg, SLUICE_A_SECRET, SLUICE_SECRET_LEN, secret) ||
			   nla_put_u8(msg, SLUICE_A_STATE, a->pending ? SLUICE_AGENT_PENDING
								      : SLUICE_AGENT_ACTIVE) ||
			   nla_put_string(msg, SLUICE_A_DOMAIN, a->domain))))) {
		nlmsg_free(msg);
		msg = NULL;
	}
	relay_conn_send(r, c, msg);
}

/*
 * Decodes an agent's device list (HELLO or UPDATE) into *out.  The count,
 * or -1 with the reason in text.
 */
static int agent_devices(const struct sl_msg_in *m, struct sl_device_info **out,
			 char *text, size_t textlen)
{
	struct sl_device_info *devs = NULL;
	int n = 0, i, j;

	*out = NULL;
	if (m->tb[SLUICE_A_DEVICES]) {
		n = sl_wire_get_devices(m->tb[SLUICE_A_DEVICES], &devs);
		if (n < 0) {
			snprintf(text, textlen, "cannot decode devices");
			return -1;
		}
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(devs[i].name, devs[j].name)) {
				snprintf(text, textlen, "device name '%s' appears twice",
					 devs[i].name);
				free(devs);
				return -1;
			}
	*out = devs;
	return n;
}

static void log_devices(const struct relay_agent *a)
{
	unsigned int i;

	for (i = 0; i < a->ndevices; i++) {
		char ports[512];

		sl_ports_format(&a->devices[i].ports, ports, sizeof(ports));
		sl_log_info("agent %s offers device %s ports %s", a->name,
			    a->devices[i].name, ports);
	}
}

static void read_switch(struct relay_agent *a, const struct sl_msg_in *m)
{
	bool off;

	if (!m->tb[SLUICE_A_SWITCH])
		return;
	off = nla_get_u8(m->tb[SLUICE_A_SWITCH]) == 0;
	if (off != a->switch_off)
		sl_log_info("agent %s: remote access switched %s at the site", a->name,
			    off ? "off" : "on");
	a->switch_off = off;
}

void relay_agent_register(struct relay *r, struct relay_conn *c, struct sl_msg_in *m,
			  const struct store_agent *row, const unsigned char *secret)
{
	const char *name = sl_wire_str(m, SLUICE_A_NAME);
	struct sl_device_info *devs;
	struct relay_agent *a;
	char text[200];
	int n;

	n = agent_devices(m, &devs, text, sizeof(text));
	if (n < 0) {
		sl_log_warn("agent %s from %s refused: %s", name, c->addr, text);
		relay_refuse(r, c, m->seq, SLUICE_E_PROTO, text);
		return;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		free(devs);
		relay_refuse(r, c, m->seq, SLUICE_E_INTERNAL, "out of memory");
		return;
	}
	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->domain, sizeof(a->domain), "%s", row->domain);
	a->pending = row->state == STORE_AGENT_PENDING;
	a->conn = c;
	a->devices = devs;
	a->ndevices = (unsigned int)n;
	read_switch(a, m);
	HASH_ADD_STR(r->agents, name, a);
	c->kind = CONN_AGENT;
	c->agent = a;
	snprintf(c->name, sizeof(c->name), "%s", name);
	sl_log_info("agent %s connected from %s into %s with %d device%s%s", name, c->addr,
		    a->domain, n, n == 1 ? "" : "s", a->pending ? ", pending approval" : "");
	log_devices(a);
	send_hello_ok(r, c, m->seq, a, secret);
}

void relay_client_register(struct relay *r, struct relay_conn *c, const char *user,
			   uint32_t seq)
{
	c->kind = CONN_CLIENT;
	snprintf(c->name, sizeof(c->name), "%s", user);
	sl_log_info("user %s logged in from %s", c->name, c->addr);
	send_hello_ok(r, c, seq, NULL, NULL);
}

/* The agent reloaded its configuration: its new device list replaces the old. */
static void agent_update(struct relay *r, struct relay_conn *c,
			 struct sl_msg_in *m)
{
	struct relay_agent *a = c->agent;
	struct sl_device_info *devs;
	char text[200];
	int n;

	n = agent_devices(m, &devs, text, sizeof(text));
	if (n < 0) {
		sl_log_warn("agent %s: new device list refused, the old one stays: %s",
			    a->name, text);
		relay_conn_send(r, c, sl_wire_error(m->seq, SLUICE_E_PROTO, 0,
						    "device list refused: %s", text));
		return;
	}
	free(a->devices);
	a->devices = devs;
	a->ndevices = (unsigned int)n;
	sl_log_info("agent %s updated its device list: %d device%s", a->name, n,
		    n == 1 ? "" : "s");
	log_devices(a);
}

/*
 * An agent's heartbeat: how its rules are enforced, and the kernel's
 * denials since it started.  The relay counts the growth; a smaller sum
 * means the agent restarted and counts from zero again.
 */
static void agent_heartbeat(struct relay *r, struct relay_conn *c,
			    struct sl_msg_in *m)
{
	static struct sl_denial d[SLUICE_DENIALS_MAX];
	struct relay_agent *a = c->agent;
	uint64_t sum = 0;
	int i, n;

	read_switch(a, m);
	if (m->tb[SLUICE_A_ENFORCEMENT]) {
		uint8_t e = nla_get_u8(m->tb[SLUICE_A_ENFORCEMENT]);

		if (e != a->enforcement)
			sl_log_info("agent %s: device rules enforced by %s", a->name,
				    e == SLUICE_ENFORCE_KERNEL ? "the kernel (eBPF) and the agent"
							       : "the agent only");
		a->enforcement = e;
	}
	if (!m->tb[SLUICE_A_DENIALS])
		return;
	n = sl_wire_get_denials(m->tb[SLUICE_A_DENIALS], d);
	for (i = 0; i < n; i++)
		sum += d[i].count;
	if (sum == a->denials_reported)
		return;
	r->stats.kernel_denials += sum > a->denials_reported ? sum - a->denials_reported : sum;
	for (i = 0; i < n; i++)
		sl_log_info("agent %s: kernel refused %llu connection(s) to %s%s port %u/%s "
			    "since the agent started", a->name, (unsigned long long)d[i].count,
			    d[i].device[0] ? "device " : "an address of no device",
			    d[i].device, d[i].port, d[i].proto == IPPROTO_UDP ? "udp" : "tcp");
	a->denials_reported = sum;
}

void relay_agent_remove(struct relay *r, struct relay_agent *a)
{
	HASH_DEL(r->agents, a);
	if (a->conn)
		a->conn->agent = NULL;
	free(a->devices);
	free(a);
}

/* LIST: the agents this user may reach now, and their devices. */
static void list_agents(struct relay *r, struct relay_conn *c, uint32_t seq)
{
	struct relay_agent *a, *tmp;
	struct relay_grants g;
	char why[256];

	if (relay_grants_load(r, c->name, &g)) {
		relay_conn_send(r, c, sl_wire_error(seq, SLUICE_E_INTERNAL, 0,
						    "cannot read your grants"));
		return;
	}
	HASH_ITER(hh, r->agents, a, tmp) {
		struct nl_msg *msg;
		struct nlattr *devs;
		unsigned int i;

		if (relay_access(&g, a, why, sizeof(why)))
			continue;
		msg = sl_wire_new(SLUICE_CMD_LIST, seq, NLM_F_MULTI);
		if (!msg || nla_put_string(msg, SLUICE_A_NAME, a->name) ||
		    nla_put_string(msg, SLUICE_A_ADDR, a->conn->addr)) {
			nlmsg_free(msg);
			continue;
		}
		devs = nla_nest_start(msg, SLUICE_A_DEVICES);
		for (i = 0; devs && i < a->ndevices; i++)
			if (sl_wire_put_device(msg, &a->devices[i]))
				break;
		if (!devs || i < a->ndevices) {
			/* Cannot happen for a HELLO that fitted; say so if it does. */
			sl_log_warn("agent %s: device list too large for LIST", a->name);
			nla_nest_cancel(msg, devs);
		} else {
			nla_nest_end(msg, devs);
		}
		if (relay_conn_send(r, c, msg)) {
			relay_grants_free(&g);
			return;
		}
	}
	relay_grants_free(&g);
	relay_conn_send(r, c, sl_wire_new(SLUICE_CMD_DONE, seq, 0));
}

/* Answers a refused OPEN (no session exists for it): logged, audited. */
static void __attribute__((format(printf, 6, 7)))
refuse_open(struct relay *r, struct relay_conn *c, uint32_t seq, enum sluice_err code,
	    const char *target, const char *fmt, ...)
{
	char text[SLUICE_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r->stats.sessions[OUTCOME_REFUSED]++;
	sl_log_info("refused session: user %s -> %s: %s", c->name, target, text);
	relay_audit(r, "session.refused", c->name, target, NULL, c->addr, "refused",
		    "%s: %s", sl_err_name(code), text);
	relay_conn_send(r, c, sl_wire_error(seq, code, 0, "%s", text));
}

static const struct sl_device_info *agent_device(const struct relay_agent *a,
						 const char *device)
{
	unsigned int i;

	for (i = 0; i < a->ndevices; i++)
		if (!strcmp(a->devices[i].name, device))
			return &a->devices[i];
	return NULL;
}

/*
 * The agent of an OPEN: named, or the only agent this user may see that
 * offers the device.  Agents outside the user's grants stay invisible.
 */
static struct relay_agent *find_agent(struct relay *r, const struct relay_grants *g,
				      const char *agent_name, const char *device,
				      unsigned int *found)
{
	struct relay_agent *a = NULL, *it, *tmp;
	char why[256];

	*found = 0;
	if (agent_name) {
		HASH_FIND_STR(r->agents, agent_name, a);
		if (a && relay_access(g, a, why, sizeof(why)) == SLUICE_E_FORBIDDEN &&
		    !strncmp(why, "no grant", 8))
			return NULL;
		*found = a != NULL;
		return a;
	}
	HASH_ITER(hh, r->agents, it, tmp) {
		int ret = relay_access(g, it, why, sizeof(why));

		if (ret == SLUICE_E_FORBIDDEN && !strncmp(why, "no grant", 8))
			continue;
		if (agent_device(it, device)) {
			(*found)++;
			a = it;
		}
	}
	return a;
}

static void open_session(struct relay *r, struct relay_conn *c,
			 struct sl_msg_in *m)
{
	const char *agent_name = sl_wire_str(m, SLUICE_A_AGENT);
	const char *device = sl_wire_str(m, SLUICE_A_DEVICE);
	uint16_t port = nla_get_u16(m->tb[SLUICE_A_PORT]);
	const struct sl_device_info *dev = NULL;
	char target[2 * SLUICE_NAME_MAX + 16], ports[512], why[256];
	struct relay_grants g;
	struct relay_agent *a;
	unsigned int found;
	int code;

	snprintf(target, sizeof(target), "%s%s%s:%u", agent_name ? agent_name : "",
		 agent_name ? "/" : "", device, port);
	if (relay_grants_load(r, c->name, &g)) {
		refuse_open(r, c, m->seq, SLUICE_E_INTERNAL, target, "cannot read your grants");
		return;
	}
	a = find_agent(r, &g, agent_name, device, &found);
	if (found > 1) {
		refuse_open(r, c, m->seq, SLUICE_E_AMBIGUOUS, target,
			    "device '%s' is offered by %u agents: name one as AGENT/%s",
			    device, found, device);
		goto out;
	}
	if (agent_name && !a) {
		refuse_open(r, c, m->seq, SLUICE_E_NO_AGENT, target,
			    "agent '%s' is not connected or not yours to reach", agent_name);
		goto out;
	}
	if (a)
		dev = agent_device(a, device);
	if (!dev) {
		refuse_open(r, c, m->seq, SLUICE_E_NO_DEVICE, target,
			    "no agent you may reach offers device '%s'", device);
		goto out;
	}
	snprintf(target, sizeof(target), "%s/%s:%u", a->name, dev->name, port);
	code = relay_access(&g, a, why, sizeof(why));
	if (code) {
		refuse_open(r, c, m->seq, (enum sluice_err)code, target, "%s", why);
		goto out;
	}
	if (!sl_ports_allows(&dev->ports, IPPROTO_TCP, port)) {
		sl_ports_format(&dev->ports, ports, sizeof(ports));
		refuse_open(r, c, m->seq, SLUICE_E_PORT_DENIED, target,
			    "port %u is not allowed on %s/%s (allowed: %s)", port, a->name,
			    dev->name, ports[0] ? ports : "none");
		goto out;
	}
	if (r->nsessions >= r->cfg.max_sessions) {
		refuse_open(r, c, m->seq, SLUICE_E_LIMIT, target,
			    "relay is at its session limit (%llu)",
			    (unsigned long long)r->cfg.max_sessions);
		goto out;
	}
	if (!relay_session_open(r, c, a, dev->name, port, m->seq))
		refuse_open(r, c, m->seq, SLUICE_E_INTERNAL, target, "cannot create the session");
out:
	relay_grants_free(&g);
}

static void agent_error(struct relay *r, struct relay_conn *c,
			struct sl_msg_in *m)
{
	struct relay_session *s;
	const char *text = sl_wire_str(m, SLUICE_A_ERR_MSG);
	uint32_t code = nla_get_u32(m->tb[SLUICE_A_ERR_CODE]);

	if (!m->tb[SLUICE_A_SESSION_ID])
		return;
	s = relay_session_find(r, nla_get_u64(m->tb[SLUICE_A_SESSION_ID]));
	if (!s || s->ctl[1] != c || s->state != SESSION_WAIT_AGENT)
		return;
	sl_log_info("session %016llx: agent %s refused: %s (%s)",
		    (unsigned long long)s->id, c->name, sl_err_name(code),
		    text ? text : "");
	relay_session_fail(r, s, code <= SLUICE_E_MAX ? code : SLUICE_E_INTERNAL,
			   text ? text : sl_err_name(code));
}

static void unexpected(struct relay *r, struct relay_conn *c,
		       struct sl_msg_in *m)
{
	sl_log_warn("unexpected %s from %s %s", sl_cmd_name(m->cmd), c->addr,
		    c->name);
	if (c->kind == CONN_NEW)
		relay_refuse(r, c, m->seq, SLUICE_E_PROTO,
			     "the first message must be AGENT_HELLO, CLIENT_HELLO, ENROLL or ATTACH");
	else
		relay_conn_send(r, c, sl_wire_error(m->seq, SLUICE_E_PROTO, 0,
						    "unexpected %s", sl_cmd_name(m->cmd)));
}

/*
 * TLS 1.2 is there for data legs only (kernel TLS both ways, see
 * docs/datapath.md); control connections and enrollment need TLS 1.3.
 */
static void tls12_refused(struct relay *r, struct relay_conn *c,
			  struct sl_msg_in *m)
{
	char text[160];

	sl_log_warn("%s from %s refused: sent over %s, which the relay accepts only "
		    "for data legs (ATTACH)", sl_cmd_name(m->cmd), c->addr,
		    SSL_get_version(c->ssl));
	r->stats.handshake_failures[HS_FAIL_PROTOCOL]++;
	snprintf(text, sizeof(text),
		 "%s needs TLS 1.3: TLS 1.2 is accepted only for data legs (ATTACH)",
		 sl_cmd_name(m->cmd));
	relay_refuse(r, c, m->seq, SLUICE_E_PROTO, text);
}

void relay_control_dispatch(struct relay *r, struct relay_conn *c,
			    struct sl_msg_in *m)
{
	sl_log_debug("%s from %s %s seq %u", sl_cmd_name(m->cmd), c->addr,
		     c->name, m->seq);
	switch (c->kind) {
	case CONN_NEW:
		if (c->auth_job)
			relay_refuse(r, c, m->seq, SLUICE_E_PROTO,
				     "no request before the answer to the HELLO");
		else if (m->cmd != SLUICE_CMD_ATTACH && SSL_version(c->ssl) < TLS1_3_VERSION)
			tls12_refused(r, c, m);
		else if (m->cmd == SLUICE_CMD_AGENT_HELLO)
			relay_login_agent(r, c, m);
		else if (m->cmd == SLUICE_CMD_CLIENT_HELLO)
			relay_login_client(r, c, m);
		else if (m->cmd == SLUICE_CMD_ENROLL)
			relay_enroll(r, c, m);
		else if (m->cmd == SLUICE_CMD_ATTACH)
			relay_session_attach(r, c, m);
		else
			unexpected(r, c, m);
		return;
	case CONN_AGENT:
		if (m->cmd == SLUICE_CMD_HEARTBEAT)
			agent_heartbeat(r, c, m);
		else if (m->cmd == SLUICE_CMD_AGENT_UPDATE)
			agent_update(r, c, m);
		else if (m->cmd == SLUICE_CMD_ERROR)
			agent_error(r, c, m);
		else
			unexpected(r, c, m);
		return;
	case CONN_CLIENT:
		if (m->cmd == SLUICE_CMD_HEARTBEAT)
			return;
		if (m->cmd == SLUICE_CMD_LIST)
			list_agents(r, c, m->seq);
		else if (m->cmd == SLUICE_CMD_OPEN)
			open_session(r, c, m);
		else
			unexpected(r, c, m);
		return;
	default:
		return;
	}
}
