// SPDX-License-Identifier: MIT
/*
 * Control messages: HELLOs of agents and clients, LIST, OPEN, and the
 * agent's answers to CONNECT.  Authentication here is the foundation's
 * static token per role (see README "Limits").
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "log.h"
#include "relay.h"

static void refuse(struct relay *r, struct relay_conn *c, uint32_t seq,
		   enum sluice_err code, const char *text)
{
	c->close_after_flush = true;
	c->deadline_ms = r->now_ms + 2000;
	relay_conn_send(r, c, sl_wire_error(seq, code, 0, "%s", text));
}

static bool token_ok(const struct nlattr *tok, const char *expected)
{
	size_t n = strlen(expected);

	return (size_t)nla_len(tok) == n &&
	       CRYPTO_memcmp(nla_data(tok), expected, n) == 0;
}

static int hello_common(struct relay *r, struct relay_conn *c,
			struct sl_msg_in *m, const char *expected_token,
			const char *role)
{
	const char *name = sl_wire_str(m, SLUICE_A_NAME);
	uint32_t version = nla_get_u32(m->tb[SLUICE_A_VERSION]);
	char text[200];

	if (version != SLUICE_PROTO_VERSION) {
		snprintf(text, sizeof(text),
			 "protocol version %u not supported (relay speaks %u)",
			 version, SLUICE_PROTO_VERSION);
		sl_log_warn("%s %s from %s: %s", role, name, c->addr, text);
		r->stats.auth_failures[AUTH_FAIL_VERSION]++;
		refuse(r, c, m->seq, SLUICE_E_VERSION, text);
		return -EPROTO;
	}
	if (!token_ok(m->tb[SLUICE_A_TOKEN], expected_token)) {
		sl_log_warn("%s %s from %s: authentication failed (wrong token)",
			    role, name, c->addr);
		r->stats.auth_failures[AUTH_FAIL_TOKEN]++;
		relay_admission_failure(r, (struct sockaddr *)&c->peer);
		refuse(r, c, m->seq, SLUICE_E_AUTH, "authentication failed");
		return -EACCES;
	}
	return 0;
}

static void send_hello_ok(struct relay *r, struct relay_conn *c, uint32_t seq)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_HELLO_OK, seq, 0);

	if (msg && (nla_put_u32(msg, SLUICE_A_VERSION, SLUICE_PROTO_VERSION) ||
		    nla_put_u32(msg, SLUICE_A_HEARTBEAT_MS,
				(uint32_t)c->heartbeat_ms))) {
		nlmsg_free(msg);
		msg = NULL;
	}
	relay_conn_send(r, c, msg);
}

static void hello_agent(struct relay *r, struct relay_conn *c,
			struct sl_msg_in *m)
{
	const char *name = sl_wire_str(m, SLUICE_A_NAME);
	struct sl_device_info *devs = NULL;
	struct relay_agent *a;
	char text[200];
	int n = 0, i, j;

	if (hello_common(r, c, m, r->cfg.agent_token, "agent"))
		return;
	HASH_FIND_STR(r->agents, name, a);
	if (a) {
		snprintf(text, sizeof(text), "agent '%s' is already connected from %s",
			 name, a->conn->addr);
		sl_log_warn("agent %s from %s refused: already connected from %s",
			    name, c->addr, a->conn->addr);
		r->stats.auth_failures[AUTH_FAIL_DUPLICATE]++;
		refuse(r, c, m->seq, SLUICE_E_DUPLICATE, text);
		return;
	}
	if (m->tb[SLUICE_A_DEVICES]) {
		n = sl_wire_get_devices(m->tb[SLUICE_A_DEVICES], &devs);
		if (n < 0) {
			refuse(r, c, m->seq, SLUICE_E_INTERNAL, "cannot decode devices");
			return;
		}
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(devs[i].name, devs[j].name)) {
				snprintf(text, sizeof(text), "device name '%s' appears twice",
					 devs[i].name);
				sl_log_warn("agent %s from %s refused: %s", name, c->addr, text);
				free(devs);
				refuse(r, c, m->seq, SLUICE_E_PROTO, text);
				return;
			}
	a = calloc(1, sizeof(*a));
	if (!a) {
		free(devs);
		refuse(r, c, m->seq, SLUICE_E_INTERNAL, "out of memory");
		return;
	}
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->conn = c;
	a->devices = devs;
	a->ndevices = (unsigned int)n;
	HASH_ADD_STR(r->agents, name, a);
	c->kind = CONN_AGENT;
	c->agent = a;
	snprintf(c->name, sizeof(c->name), "%s", name);
	sl_log_info("agent %s connected from %s with %d device%s", name, c->addr,
		    n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		char ports[512];

		sl_ports_format(&devs[i].ports, ports, sizeof(ports));
		sl_log_info("agent %s offers device %s ports %s", name,
			    devs[i].name, ports);
	}
	send_hello_ok(r, c, m->seq);
}

void relay_agent_remove(struct relay *r, struct relay_agent *a)
{
	HASH_DEL(r->agents, a);
	if (a->conn)
		a->conn->agent = NULL;
	free(a->devices);
	free(a);
}

static void hello_client(struct relay *r, struct relay_conn *c,
			 struct sl_msg_in *m)
{
	const char *name = sl_wire_str(m, SLUICE_A_NAME);

	if (hello_common(r, c, m, r->cfg.client_token, "client"))
		return;
	c->kind = CONN_CLIENT;
	snprintf(c->name, sizeof(c->name), "%s", name);
	sl_log_info("client %s connected from %s", name, c->addr);
	send_hello_ok(r, c, m->seq);
}

static void list_agents(struct relay *r, struct relay_conn *c, uint32_t seq)
{
	struct relay_agent *a, *tmp;

	HASH_ITER(hh, r->agents, a, tmp) {
		struct nl_msg *msg = sl_wire_new(SLUICE_CMD_LIST, seq, NLM_F_MULTI);
		struct nlattr *devs;
		unsigned int i;

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
		if (relay_conn_send(r, c, msg))
			return;
	}
	relay_conn_send(r, c, sl_wire_new(SLUICE_CMD_DONE, seq, 0));
}

/* Answers a refused OPEN; no session exists for it. */
static void refuse_open(struct relay *r, struct relay_conn *c,
			struct nl_msg *err)
{
	r->stats.sessions[OUTCOME_REFUSED]++;
	relay_conn_send(r, c, err);
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

static void open_session(struct relay *r, struct relay_conn *c,
			 struct sl_msg_in *m)
{
	const char *agent_name = sl_wire_str(m, SLUICE_A_AGENT);
	const char *device = sl_wire_str(m, SLUICE_A_DEVICE);
	uint16_t port = nla_get_u16(m->tb[SLUICE_A_PORT]);
	const struct sl_device_info *dev = NULL;
	struct relay_agent *a = NULL, *it, *tmp;
	char target[2 * SLUICE_NAME_MAX + 16], ports[512];
	unsigned int found = 0;

	if (agent_name) {
		HASH_FIND_STR(r->agents, agent_name, a);
		if (!a) {
			refuse_open(r, c, sl_wire_error(m->seq, SLUICE_E_NO_AGENT, 0,
							    "agent '%s' is not connected",
							    agent_name));
			sl_log_info("refused session: client %s -> %s/%s:%u: agent not connected",
				    c->name, agent_name, device, port);
			return;
		}
		dev = agent_device(a, device);
	} else {
		HASH_ITER(hh, r->agents, it, tmp) {
			const struct sl_device_info *d = agent_device(it, device);

			if (d) {
				found++;
				a = it;
				dev = d;
			}
		}
		if (found > 1) {
			refuse_open(r, c, sl_wire_error(m->seq, SLUICE_E_AMBIGUOUS, 0,
							    "device '%s' is offered by %u agents: name one as AGENT/%s",
							    device, found, device));
			return;
		}
	}
	if (!dev) {
		refuse_open(r, c, sl_wire_error(m->seq, SLUICE_E_NO_DEVICE, 0,
						    "no connected agent offers device '%s'",
						    device));
		sl_log_info("refused session: client %s -> %s:%u: no such device",
			    c->name, device, port);
		return;
	}
	snprintf(target, sizeof(target), "%s/%s:%u", a->name, dev->name, port);
	if (!sl_ports_allows(&dev->ports, IPPROTO_TCP, port)) {
		sl_ports_format(&dev->ports, ports, sizeof(ports));
		refuse_open(r, c, sl_wire_error(m->seq, SLUICE_E_PORT_DENIED, 0,
						    "port %u is not allowed on %s/%s (allowed: %s)",
						    port, a->name, dev->name,
						    ports[0] ? ports : "none"));
		sl_log_info("refused session: client %s -> %s: port %u not allowed (allowed: %s)",
			    c->name, target, port, ports[0] ? ports : "none");
		return;
	}
	if (r->nsessions >= r->cfg.max_sessions) {
		refuse_open(r, c, sl_wire_error(m->seq, SLUICE_E_LIMIT, 0,
						    "relay is at its session limit (%llu)",
						    (unsigned long long)r->cfg.max_sessions));
		sl_log_warn("refused session: client %s -> %s: max_sessions reached",
			    c->name, target);
		return;
	}
	if (!relay_session_open(r, c, a, dev->name, port, m->seq))
		refuse_open(r, c, sl_wire_error(m->seq, SLUICE_E_INTERNAL, 0,
						    "cannot create the session"));
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
		refuse(r, c, m->seq, SLUICE_E_PROTO,
		       "the first message must be AGENT_HELLO, CLIENT_HELLO or ATTACH");
	else
		relay_conn_send(r, c, sl_wire_error(m->seq, SLUICE_E_PROTO, 0,
						    "unexpected %s", sl_cmd_name(m->cmd)));
}

void relay_control_dispatch(struct relay *r, struct relay_conn *c,
			    struct sl_msg_in *m)
{
	sl_log_debug("%s from %s %s seq %u", sl_cmd_name(m->cmd), c->addr,
		     c->name, m->seq);
	switch (c->kind) {
	case CONN_NEW:
		if (m->cmd == SLUICE_CMD_AGENT_HELLO)
			hello_agent(r, c, m);
		else if (m->cmd == SLUICE_CMD_CLIENT_HELLO)
			hello_client(r, c, m);
		else if (m->cmd == SLUICE_CMD_ATTACH)
			relay_session_attach(r, c, m);
		else
			unexpected(r, c, m);
		return;
	case CONN_AGENT:
		if (m->cmd == SLUICE_CMD_HEARTBEAT)
			return;
		if (m->cmd == SLUICE_CMD_ERROR)
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
