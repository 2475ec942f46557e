// SPDX-License-Identifier: MIT
/* relay.conf: see docs/configuration.md. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "relay.h"

void relay_config_defaults(struct relay_config *cfg)
{
	long n;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "/var/lib/sluice-relay");
	cfg->heartbeat_ms = 60000;
	cfg->handshake_timeout_ms = 10000;
	cfg->max_sessions = 10000;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	cfg->data_threads = n > 0 ? (uint64_t)(n > 256 ? 256 : n) : 1;
	cfg->handshake_threads = cfg->data_threads;
	cfg->metrics_on = true;
	snprintf(cfg->metrics.host, sizeof(cfg->metrics.host), "127.0.0.1");
	cfg->metrics.port = 9464;
	cfg->admission_rate = 100;
	cfg->admission_burst = 200;
	cfg->source_lockout_failures = 10;
	cfg->source_lockout_ms = 15 * 60 * 1000;
	cfg->login_failures = 3;
	cfg->login_lockout_ms = 15 * 60 * 1000;
	cfg->agent_cert_days = 1825;
	cfg->user_cert_days = 365;
	cfg->ctl_on = true;
	cfg->ctl_port_id = SLUICE_CTL_PORT_ID;
}

/*
 * control_port_id: a netlink port id sluicectl sends to.  Ids up to
 * PID_MAX_LIMIT (2^22) are refused: the kernel hands those out to sockets
 * bound automatically, so a process could hold one by accident.
 */
static int set_port_id(struct sl_conf *c, const char *v, struct relay_config *cfg)
{
	uint64_t id = 0;
	const char *p = v;

	if (!strcmp(v, "off")) {
		cfg->ctl_on = false;
		return 0;
	}
	if (!strncmp(v, "0x", 2) && v[2]) {
		for (p = v + 2; *p && id <= 0xffffffffu; p++) {
			int d = *p >= '0' && *p <= '9' ? *p - '0' :
				*p >= 'a' && *p <= 'f' ? *p - 'a' + 10 :
				*p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;

			if (d < 0)
				break;
			id = id * 16 + (uint64_t)d;
		}
	} else if (sl_parse_uint(v, 0, 0xffffffffu, &id)) {
		p = "x";
	} else {
		p = "";
	}
	if (*p || id <= 4194304 || id > 2147483647)
		return sl_conf_error(c, "control_port_id: '%s' is not a number from 4194305 "
				     "to 2147483647 (decimal or 0x hex), or off", v);
	cfg->ctl_on = true;
	cfg->ctl_port_id = (uint32_t)id;
	return 0;
}

/* control_admin_group: a group name or a numeric gid, resolved now. */
static int set_admin_group(struct sl_conf *c, const char *v, struct relay_config *cfg)
{
	struct group *gr;
	uint64_t gid;

	if (strlen(v) >= sizeof(cfg->ctl_admin_group))
		return sl_conf_error(c, "control_admin_group: '%s' is too long", v);
	if (!sl_parse_uint(v, 0, 4294967294u, &gid)) {
		cfg->ctl_admin_gid = (unsigned int)gid;
	} else {
		gr = getgrnam(v);
		if (!gr)
			return sl_conf_error(c, "control_admin_group: no group '%s' on this host", v);
		cfg->ctl_admin_gid = gr->gr_gid;
	}
	cfg->ctl_admin_set = true;
	snprintf(cfg->ctl_admin_group, sizeof(cfg->ctl_admin_group), "%s", v);
	return 0;
}

static int set_duration(struct sl_conf *c, const char *key, const char *v,
			uint64_t min_ms, uint64_t *out)
{
	if (sl_parse_duration_ms(v, out) || *out < min_ms || *out > 86400000)
		return sl_conf_error(c, "%s: bad duration '%s' (use e.g. 500ms, 10s, 2m; at least %llums)",
				     key, v, (unsigned long long)min_ms);
	return 0;
}

static int set_count(struct sl_conf *c, const char *key, const char *v,
		     uint64_t min, uint64_t *out)
{
	if (sl_parse_uint(v, min, 1000000, out))
		return sl_conf_error(c, "%s: '%s' is not a number from %llu to 1000000",
				     key, v, (unsigned long long)min);
	return 0;
}

static int set_bool(struct sl_conf *c, const char *key, const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "true"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "false"))
		*out = false;
	else
		return sl_conf_error(c, "%s: '%s' is not yes or no", key, v);
	return 0;
}

static int set_path(struct sl_conf *c, const char *key, const char *v, char *out,
		    size_t len)
{
	if (v[0] != '/' || strlen(v) >= len)
		return sl_conf_error(c, "%s: '%s' must be an absolute path", key, v);
	snprintf(out, len, "%s", v);
	return 0;
}

/* "127.0.0.1, 10.0.0.0/8, ::1": a list of addresses and prefixes. */
static int parse_cidrs(struct sl_conf *c, const char *key, const char *value,
		       struct sl_cidr *list, unsigned int *count)
{
	char why[200];

	if (sl_cidr_list_parse(value, list, count, why, sizeof(why)))
		return sl_conf_error(c, "%s: %s", key, why);
	return 0;
}

static bool loopback_host(const char *host)
{
	return !strcmp(host, "localhost") || !strcmp(host, "::1") ||
	       !strncmp(host, "127.", 4);
}

static int relay_conf_key(struct sl_conf *c, const char *section,
			  const char *key, const char *value, void *ctx)
{
	struct relay_config *cfg = ctx;

	if (section)
		return sl_conf_error(c, "unknown section '[%s]': relay.conf has no sections",
				     section);
	if (!strcmp(key, "listen")) {
		struct relay_listen *l;

		if (cfg->nlisten >= RELAY_LISTEN_MAX)
			return sl_conf_error(c, "more than %d listen addresses",
					     RELAY_LISTEN_MAX);
		l = &cfg->listen[cfg->nlisten];
		if (sl_parse_hostport(value, 11444, l->host, sizeof(l->host),
				      &l->port))
			return sl_conf_error(c, "listen: bad address '%s' (use HOST:PORT or [IPv6]:PORT)",
					     value);
		cfg->nlisten++;
		return 0;
	}
	if (!strcmp(key, "state_dir"))
		return set_path(c, key, value, cfg->state_dir, sizeof(cfg->state_dir) - 32);
	if (!strcmp(key, "agent_token") || !strcmp(key, "client_token"))
		return sl_conf_error(c, "%s: shared tokens are gone: agents enroll with a "
				     "join token and users log in with a certificate and "
				     "a password (docs/security.md); remove this line", key);
	if (!strcmp(key, "approval_mode"))
		return set_bool(c, key, value, &cfg->approval_mode);
	if (!strcmp(key, "login_failures"))
		return set_count(c, key, value, 0, &cfg->login_failures);
	if (!strcmp(key, "login_lockout"))
		return set_duration(c, key, value, 1000, &cfg->login_lockout_ms);
	if (!strcmp(key, "agent_cert_days"))
		return set_count(c, key, value, 1, &cfg->agent_cert_days);
	if (!strcmp(key, "user_cert_days"))
		return set_count(c, key, value, 1, &cfg->user_cert_days);
	if (!strcmp(key, "timezone")) {
		if (strlen(value) >= sizeof(cfg->timezone) || strchr(value, ' '))
			return sl_conf_error(c, "timezone: '%s' is not a zone name like Europe/Berlin",
					     value);
		snprintf(cfg->timezone, sizeof(cfg->timezone), "%s", value);
		return 0;
	}
	if (!strcmp(key, "audit_log"))
		return set_path(c, key, value, cfg->audit_log, sizeof(cfg->audit_log));
	if (!strcmp(key, "audit_syslog")) {
		if (strlen(value) >= sizeof(cfg->audit_syslog))
			return sl_conf_error(c, "audit_syslog: too long");
		snprintf(cfg->audit_syslog, sizeof(cfg->audit_syslog), "%s", value);
		return relay_audit_syslog_valid(value) ? 0 :
			sl_conf_error(c, "audit_syslog: '%s' is not off, local, local:/PATH, "
				      "udp:HOST:PORT or tcp:HOST:PORT", value);
	}
	if (!strcmp(key, "heartbeat_interval"))
		return set_duration(c, key, value, 100, &cfg->heartbeat_ms);
	if (!strcmp(key, "handshake_timeout"))
		return set_duration(c, key, value, 100, &cfg->handshake_timeout_ms);
	if (!strcmp(key, "max_sessions"))
		return set_count(c, key, value, 1, &cfg->max_sessions);
	if (!strcmp(key, "data_threads")) {
		if (sl_parse_uint(value, 0, 256, &cfg->data_threads))
			return sl_conf_error(c, "data_threads: '%s' is not a number from 0 to 256",
					     value);
		return 0;
	}
	if (!strcmp(key, "handshake_threads")) {
		if (sl_parse_uint(value, 0, 256, &cfg->handshake_threads))
			return sl_conf_error(c, "handshake_threads: '%s' is not a number from 0 "
					     "to 256", value);
		return 0;
	}
	if (!strcmp(key, "metrics_listen")) {
		cfg->metrics_on = strcmp(value, "off") != 0;
		if (cfg->metrics_on &&
		    sl_parse_hostport(value, 9464, cfg->metrics.host,
				      sizeof(cfg->metrics.host), &cfg->metrics.port))
			return sl_conf_error(c, "metrics_listen: bad address '%s' (HOST:PORT, or off)",
					     value);
		return 0;
	}
	if (!strcmp(key, "metrics_allow"))
		return parse_cidrs(c, key, value, cfg->metrics_allow, &cfg->nmetrics_allow);
	if (!strcmp(key, "admission_blocklist"))
		return parse_cidrs(c, key, value, cfg->blocklist, &cfg->nblocklist);
	if (!strcmp(key, "admission_rate"))
		return set_count(c, key, value, 0, &cfg->admission_rate);
	if (!strcmp(key, "admission_burst"))
		return set_count(c, key, value, 1, &cfg->admission_burst);
	if (!strcmp(key, "source_lockout_failures"))
		return set_count(c, key, value, 0, &cfg->source_lockout_failures);
	if (!strcmp(key, "source_lockout_time"))
		return set_duration(c, key, value, 1000, &cfg->source_lockout_ms);
	if (!strcmp(key, "control_port_id"))
		return set_port_id(c, value, cfg);
	if (!strcmp(key, "control_admin_group"))
		return set_admin_group(c, value, cfg);
	return sl_conf_error(c, "unknown key '%s' (known: listen, state_dir, "
			     "heartbeat_interval, handshake_timeout, max_sessions, data_threads, "
			     "handshake_threads, "
			     "metrics_listen, metrics_allow, admission_rate, admission_burst, "
			     "admission_blocklist, source_lockout_failures, source_lockout_time, "
			     "approval_mode, login_failures, login_lockout, agent_cert_days, "
			     "user_cert_days, timezone, audit_log, audit_syslog, "
			     "control_port_id, control_admin_group)",
			     key);
}

int relay_config_load(struct relay_config *cfg, const char *path, char *err,
		      size_t errlen)
{
	struct sl_conf c;
	int ret;

	sl_conf_init(&c, path, relay_conf_key, cfg);
	ret = sl_conf_load(&c);
	if (ret) {
		snprintf(err, errlen, "%s", c.err);
		return ret;
	}
	if (!cfg->audit_log[0])
		snprintf(cfg->audit_log, sizeof(cfg->audit_log), "%s/audit.log",
			 cfg->state_dir);
	if (cfg->nlisten == 0) {
		snprintf(cfg->listen[0].host, sizeof(cfg->listen[0].host), "0.0.0.0");
		cfg->listen[0].port = 11444;
		cfg->nlisten = 1;
	}
	if (cfg->metrics_on && !loopback_host(cfg->metrics.host) && !cfg->nmetrics_allow)
		sl_log_warn("%s: metrics_listen %s is not a loopback address and there is "
			    "no metrics_allow: anyone who reaches it can read the metrics",
			    path, cfg->metrics.host);
	return 0;
}

void relay_listen_str(const struct relay_listen *l, char *out, size_t len)
{
	bool v6 = strchr(l->host, ':') != NULL;

	snprintf(out, len, "%s%s%s:%u", v6 ? "[" : "", l->host, v6 ? "]" : "", l->port);
}
