// SPDX-License-Identifier: MIT
/*
 * Operator commands that change the relay: detach an agent, kill a
 * session, reload relay.conf.  Each one is audited by relay_ctl_audit()
 * with the operator's uid.
 *
 * Reload builds a complete new configuration with the same parser as the
 * start (nothing changes when it fails), then compares it key by key with
 * the running one (reload_keys[]).  Keys the relay reads where it uses them
 * are copied in; the others keep their running value and are reported as
 * needing a restart: listeners, the state directory, the metrics address,
 * the control port id, and the admission settings that live in eBPF maps.
 * Connections keep the heartbeat interval they were given at accept time;
 * a new heartbeat_interval applies to connections made after the reload.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "log.h"
#include "relay.h"

struct nl_msg *relay_ctl_agent_detach(struct relay *r, struct relay_ctl_req *q,
				      const struct sl_msg_in *m)
{
	const char *name = sl_wire_str(m, SLUICE_A_AGENT);
	struct relay_agent *a;
	struct nl_msg *msg;

	HASH_FIND_STR(r->agents, name, a);
	if (!a)
		return sl_wire_error(q->seq, SLUICE_E_NO_AGENT, 0,
				     "agent '%s' is not connected", name);
	relay_ctl_audit(r, q, "agent.detach", "ok", a->name, a->domain,
			"connected from %s", a->conn->addr);
	msg = sl_wire_new(SLUICE_CMD_CTL_AGENT_DETACH, q->seq, 0);
	if (msg && nla_put_string(msg, SLUICE_A_AGENT, a->name)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	relay_conn_close(r, a->conn, "detached by the operator");
	return msg;
}

struct nl_msg *relay_ctl_session_kill(struct relay *r, struct relay_ctl_req *q,
				      const struct sl_msg_in *m)
{
	uint64_t id = nla_get_u64(m->tb[SLUICE_A_SESSION_ID]);
	struct relay_session *s = relay_session_find(r, id);
	struct nl_msg *msg;

	if (!s || s->state == SESSION_CLOSED)
		return sl_wire_error(q->seq, SLUICE_E_NO_SESSION, 0,
				     "no open session %016llx", (unsigned long long)id);
	{
		char sid[24];

		snprintf(sid, sizeof(sid), "%016llx", (unsigned long long)id);
		relay_ctl_audit(r, q, "session.kill", "ok", sid, NULL,
				"user %s -> %s/%s:%u", s->user, s->agent, s->device, s->port);
	}
	relay_session_fail(r, s, SLUICE_E_KILLED, "closed by the operator");
	msg = sl_wire_new(SLUICE_CMD_CTL_SESSION_KILL, q->seq, 0);
	if (msg && nla_put_u64(msg, SLUICE_A_SESSION_ID, id)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

/* ----------------------------------------------------------------- reload */

typedef void (*fmt_fn)(const struct relay_config *cfg, char *out, size_t len);

static void fmt_listen(const struct relay_config *cfg, char *out, size_t len)
{
	char one[300];
	size_t used = 0;
	unsigned int i;

	out[0] = '\0';
	for (i = 0; i < cfg->nlisten && used < len; i++) {
		relay_listen_str(&cfg->listen[i], one, sizeof(one));
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? ", " : "", one);
	}
}

static void fmt_cidrs(const struct sl_cidr *list, unsigned int n, char *out, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	size_t used = 0;
	unsigned int i;

	snprintf(out, len, "(none)");
	for (i = 0; i < n && used < len; i++) {
		if (!inet_ntop(list[i].family, list[i].addr, addr, sizeof(addr)))
			snprintf(addr, sizeof(addr), "?");
		used += (size_t)snprintf(out + used, len - used, "%s%s/%u", i ? ", " : "",
					 addr, list[i].bits);
	}
}

static void fmt_metrics_allow(const struct relay_config *cfg, char *out, size_t len)
{
	fmt_cidrs(cfg->metrics_allow, cfg->nmetrics_allow, out, len);
}

static void fmt_blocklist(const struct relay_config *cfg, char *out, size_t len)
{
	fmt_cidrs(cfg->blocklist, cfg->nblocklist, out, len);
}

static void fmt_metrics(const struct relay_config *cfg, char *out, size_t len)
{
	if (cfg->metrics_on)
		relay_listen_str(&cfg->metrics, out, len);
	else
		snprintf(out, len, "off");
}

static void fmt_port_id(const struct relay_config *cfg, char *out, size_t len)
{
	if (cfg->ctl_on)
		snprintf(out, len, "%u", cfg->ctl_port_id);
	else
		snprintf(out, len, "off");
}

static void fmt_admin(const struct relay_config *cfg, char *out, size_t len)
{
	if (cfg->ctl_admin_set)
		snprintf(out, len, "%s (gid %u)", cfg->ctl_admin_group, cfg->ctl_admin_gid);
	else
		snprintf(out, len, "(none)");
}

static void fmt_state_dir(const struct relay_config *cfg, char *out, size_t len)
{
	snprintf(out, len, "%s", cfg->state_dir);
}

static void fmt_approval(const struct relay_config *cfg, char *out, size_t len)
{
	snprintf(out, len, "%s", cfg->approval_mode ? "yes" : "no");
}

static void fmt_timezone(const struct relay_config *cfg, char *out, size_t len)
{
	snprintf(out, len, "%s", cfg->timezone[0] ? cfg->timezone : "(system)");
}

static void fmt_audit_log(const struct relay_config *cfg, char *out, size_t len)
{
	snprintf(out, len, "%s", cfg->audit_log);
}

static void fmt_audit_syslog(const struct relay_config *cfg, char *out, size_t len)
{
	snprintf(out, len, "%s", cfg->audit_syslog[0] ? cfg->audit_syslog : "off");
}

#define FIELD(f) { offsetof(struct relay_config, f), sizeof(((struct relay_config *)0)->f) }
#define NUM(f) FIELD(f)

/* How a number key prints: durations in ms, counts plain. */
enum key_kind { K_FMT = 0, K_MS, K_COUNT, K_SECRET };

static const struct reload_key {
	const char *key;
	bool live;
	enum key_kind kind;
	fmt_fn fmt;			/* K_FMT */
	struct { size_t off, size; } f[3];	/* compared and copied */
} reload_keys[] = {
	{ "listen", false, K_FMT, fmt_listen, { FIELD(listen), FIELD(nlisten) } },
	{ "state_dir", false, K_FMT, fmt_state_dir, { FIELD(state_dir) } },
	{ "approval_mode", true, K_FMT, fmt_approval, { FIELD(approval_mode) } },
	{ "login_failures", true, K_COUNT, NULL, { NUM(login_failures) } },
	{ "login_lockout", true, K_MS, NULL, { NUM(login_lockout_ms) } },
	{ "agent_cert_days", true, K_COUNT, NULL, { NUM(agent_cert_days) } },
	{ "user_cert_days", true, K_COUNT, NULL, { NUM(user_cert_days) } },
	{ "timezone", false, K_FMT, fmt_timezone, { FIELD(timezone) } },
	{ "audit_log", false, K_FMT, fmt_audit_log, { FIELD(audit_log) } },
	{ "audit_syslog", false, K_FMT, fmt_audit_syslog, { FIELD(audit_syslog) } },
	{ "data_threads", false, K_COUNT, NULL, { NUM(data_threads) } },
	{ "handshake_threads", false, K_COUNT, NULL, { NUM(handshake_threads) } },
	{ "heartbeat_interval", true, K_MS, NULL, { NUM(heartbeat_ms) } },
	{ "handshake_timeout", true, K_MS, NULL, { NUM(handshake_timeout_ms) } },
	{ "max_sessions", true, K_COUNT, NULL, { NUM(max_sessions) } },
	{ "metrics_listen", false, K_FMT, fmt_metrics, { FIELD(metrics_on), FIELD(metrics) } },
	{ "metrics_allow", true, K_FMT, fmt_metrics_allow,
	  { FIELD(metrics_allow), FIELD(nmetrics_allow) } },
	{ "admission_rate", false, K_COUNT, NULL, { NUM(admission_rate) } },
	{ "admission_burst", false, K_COUNT, NULL, { NUM(admission_burst) } },
	{ "admission_blocklist", false, K_FMT, fmt_blocklist,
	  { FIELD(blocklist), FIELD(nblocklist) } },
	{ "source_lockout_failures", true, K_COUNT, NULL, { NUM(source_lockout_failures) } },
	{ "source_lockout_time", true, K_MS, NULL, { NUM(source_lockout_ms) } },
	{ "control_port_id", false, K_FMT, fmt_port_id, { FIELD(ctl_on), FIELD(ctl_port_id) } },
	{ "control_admin_group", true, K_FMT, fmt_admin,
	  { FIELD(ctl_admin_set), FIELD(ctl_admin_gid), FIELD(ctl_admin_group) } },
};

static bool key_differs(const struct reload_key *k, const struct relay_config *a,
			const struct relay_config *b)
{
	unsigned int i;

	for (i = 0; i < 3 && k->f[i].size; i++)
		if (memcmp((const char *)a + k->f[i].off, (const char *)b + k->f[i].off,
			   k->f[i].size))
			return true;
	return false;
}

static void key_copy(const struct reload_key *k, struct relay_config *to,
		     const struct relay_config *from)
{
	unsigned int i;

	for (i = 0; i < 3 && k->f[i].size; i++)
		memcpy((char *)to + k->f[i].off, (const char *)from + k->f[i].off,
		       k->f[i].size);
}

static void key_value(const struct reload_key *k, const struct relay_config *cfg,
		      char *out, size_t len)
{
	uint64_t v = 0;

	if (k->kind == K_MS || k->kind == K_COUNT)
		memcpy(&v, (const char *)cfg + k->f[0].off, sizeof(v));
	switch (k->kind) {
	case K_MS:
		snprintf(out, len, "%llums", (unsigned long long)v);
		break;
	case K_COUNT:
		snprintf(out, len, "%llu", (unsigned long long)v);
		break;
	case K_SECRET:
		snprintf(out, len, "(secret)");
		break;
	default:
		k->fmt(cfg, out, len);
	}
}

struct nl_msg *relay_ctl_reload(struct relay *r, struct relay_ctl_req *q,
				const struct sl_msg_in *m)
{
	char err[1024], oldv[SLUICE_TEXT_MAX], newv[SLUICE_TEXT_MAX];
	char applied[512] = "", restart[512] = "";
	struct relay_config *cfg;
	struct nlattr *list, *el;
	struct nl_msg *msg;
	unsigned int i, n = 0;

	(void)m;
	cfg = malloc(sizeof(*cfg));
	if (!cfg)
		return NULL;
	relay_config_defaults(cfg);
	if (relay_config_load(cfg, r->conf_path, err, sizeof(err))) {
		free(cfg);
		return sl_wire_error(q->seq, SLUICE_E_CONFIG, 0, "%s", err);
	}
	msg = sl_wire_new(SLUICE_CMD_CTL_RELOAD, q->seq, 0);
	list = msg ? nla_nest_start(msg, SLUICE_A_CHANGES) : NULL;
	if (!list)
		goto err;
	for (i = 0; i < sizeof(reload_keys) / sizeof(reload_keys[0]); i++) {
		const struct reload_key *k = &reload_keys[i];
		char *sum = k->live ? applied : restart;
		size_t used = strlen(sum);

		if (!key_differs(k, &r->cfg, cfg))
			continue;
		key_value(k, &r->cfg, oldv, sizeof(oldv));
		key_value(k, cfg, newv, sizeof(newv));
		el = nla_nest_start(msg, 0);
		if (!el || nla_put_string(msg, SLUICE_CHANGE_A_KEY, k->key) ||
		    nla_put_string(msg, SLUICE_CHANGE_A_OLD, oldv) ||
		    nla_put_string(msg, SLUICE_CHANGE_A_NEW, newv) ||
		    nla_put_u8(msg, SLUICE_CHANGE_A_ACTION,
			       k->live ? SLUICE_CHANGE_APPLIED : SLUICE_CHANGE_NEEDS_RESTART))
			goto err;
		nla_nest_end(msg, el);
		if (k->live)
			key_copy(k, &r->cfg, cfg);
		snprintf(sum + used, 512 - used, "%s%s", used ? ", " : "", k->key);
		n++;
	}
	nla_nest_end_keep_empty(msg, list);
	relay_hs_configure(r);	/* a new handshake_timeout */
	relay_ctl_audit(r, q, "config.reload", "ok", r->conf_path, NULL,
			"%u change%s%s%s%s%s", n,
			n == 1 ? "" : "s", applied[0] ? "; applied: " : "", applied,
			restart[0] ? "; need a restart: " : "", restart);
	free(cfg);
	return msg;
err:
	free(cfg);
	nlmsg_free(msg);
	return NULL;
}
