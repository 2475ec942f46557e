// SPDX-License-Identifier: MIT
/* agent.conf: see docs/configuration.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "conf.h"
#include "log.h"
#include "tls.h"

#define AGENT_DEVICES_MAX SLUICE_DEVICES_MAX
#define AGENT_METRICS_PORT 9465	/* the relay's is 9464 */

void agent_config_defaults(struct agent_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "/var/lib/sluice-agent");
	cfg->reconnect_max_ms = 60000;
	cfg->connect_timeout_ms = 10000;
}

void agent_config_free(struct agent_config *cfg)
{
	free(cfg->devices);
	cfg->devices = NULL;
	cfg->ndevices = 0;
}

const struct agent_device *agent_device_find(const struct agent_config *cfg,
					     const char *name)
{
	unsigned int i;

	for (i = 0; i < cfg->ndevices; i++)
		if (!strcmp(cfg->devices[i].info.name, name))
			return &cfg->devices[i];
	return NULL;
}

static int device_section(struct sl_conf *c, struct agent_config *cfg,
			  const char *arg)
{
	struct agent_device *d;

	if (!sl_name_valid(arg))
		return sl_conf_error(c, "[device %s]: device names are 1-%d characters of A-Z a-z 0-9 . _ -",
				     arg, SLUICE_NAME_MAX);
	if (agent_device_find(cfg, arg))
		return sl_conf_error(c, "device '%s' is defined twice", arg);
	if (cfg->ndevices >= AGENT_DEVICES_MAX)
		return sl_conf_error(c, "more than %d devices", AGENT_DEVICES_MAX);
	d = realloc(cfg->devices, (cfg->ndevices + 1) * sizeof(*d));
	if (!d)
		return sl_conf_error(c, "out of memory");
	cfg->devices = d;
	d = &cfg->devices[cfg->ndevices++];
	memset(d, 0, sizeof(*d));
	snprintf(d->info.name, sizeof(d->info.name), "%s", arg);
	return 0;
}

static int device_key(struct sl_conf *c, struct agent_device *d,
		      const char *key, const char *value)
{
	char why[256];

	if (!strcmp(key, "host")) {
		if (strlen(value) >= sizeof(d->host) || strpbrk(value, " \t/[]"))
			return sl_conf_error(c, "host: '%s' is not a host name or IPv4/IPv6 address",
					     value);
		snprintf(d->host, sizeof(d->host), "%s", value);
		return 0;
	}
	if (!strcmp(key, "ports")) {
		if (sl_ports_parse(value, &d->info.ports, why, sizeof(why)))
			return sl_conf_error(c, "ports: %s", why);
		return 0;
	}
	return sl_conf_error(c, "unknown key '%s' in [device %s] (known: host, ports)",
			     key, d->info.name);
}

static int agent_conf_key(struct sl_conf *c, const char *section,
			  const char *key, const char *value, void *ctx)
{
	struct agent_config *cfg = ctx;
	uint64_t ms;
	int ret;

	if (section && strcmp(section, "device"))
		return sl_conf_error(c, "unknown section '[%s]' (known: [device NAME])",
				     section);
	if (section && !key)
		return device_section(c, cfg, value);
	if (section)
		return device_key(c, &cfg->devices[cfg->ndevices - 1], key, value);
	ret = sl_peer_conf_key(c, key, value, &cfg->relay, cfg->state_dir);
	if (ret <= 0)
		return ret;
	if (!strcmp(key, "name")) {
		if (!sl_name_valid(value))
			return sl_conf_error(c, "name: '%s' must be 1-%d characters of A-Z a-z 0-9 . _ -",
					     value, SLUICE_NAME_MAX);
		snprintf(cfg->name, sizeof(cfg->name), "%s", value);
		return 0;
	}
	if (!strcmp(key, "reconnect_max") || !strcmp(key, "connect_timeout")) {
		if (sl_parse_duration_ms(value, &ms) || ms < 1000 || ms > 3600000)
			return sl_conf_error(c, "%s: bad duration '%s' (1s to 1h, e.g. 30s)",
					     key, value);
		if (key[0] == 'r')
			cfg->reconnect_max_ms = ms;
		else
			cfg->connect_timeout_ms = ms;
		return 0;
	}
	if (!strcmp(key, "join_token")) {
		if (strlen(value) < 8 || strlen(value) > SLUICE_TOKEN_MAX)
			return sl_conf_error(c, "join_token: '%s' is not a join token (sjt_...)",
					     value);
		snprintf(cfg->join_token, sizeof(cfg->join_token), "%s", value);
		return 0;
	}
	if (!strcmp(key, "remote_access_switch")) {
		if ((value[0] != '/' && value[0] != '!') ||
		    strlen(value) >= sizeof(cfg->remote_access_switch))
			return sl_conf_error(c, "remote_access_switch: '%s' must be a file path "
					     "or !COMMAND", value);
		snprintf(cfg->remote_access_switch, sizeof(cfg->remote_access_switch), "%s",
			 value);
		return 0;
	}
	if (!strcmp(key, "require_kernel_enforcement")) {
		if (sl_parse_bool(value, &cfg->require_kernel_enforcement))
			return sl_conf_error(c, "require_kernel_enforcement: '%s' is not yes or no",
					     value);
		return 0;
	}
	if (!strcmp(key, "cgroup")) {
		if (value[0] != '/' || strlen(value) >= sizeof(cfg->cgroup) ||
		    strstr(value, "/../"))
			return sl_conf_error(c, "cgroup: '%s' must be an absolute path in a cgroup2 hierarchy",
					     value);
		snprintf(cfg->cgroup, sizeof(cfg->cgroup), "%s", value);
		return 0;
	}
	if (!strcmp(key, "metrics_listen")) {
		cfg->metrics_on = strcmp(value, "off") != 0;
		if (cfg->metrics_on &&
		    sl_parse_hostport(value, AGENT_METRICS_PORT, cfg->metrics_host,
				      sizeof(cfg->metrics_host), &cfg->metrics_port))
			return sl_conf_error(c, "metrics_listen: bad address '%s' (HOST:PORT, or off)",
					     value);
		return 0;
	}
	if (!strcmp(key, "metrics_allow")) {
		char why[200];

		if (sl_cidr_list_parse(value, cfg->metrics_allow, &cfg->nmetrics_allow,
					why, sizeof(why)))
			return sl_conf_error(c, "%s: %s", key, why);
		return 0;
	}
	return sl_conf_error(c, "unknown key '%s' (known: name, relay, join_token, "
			     "relay_fingerprint, state_dir, reconnect_max, connect_timeout, "
			     "remote_access_switch, require_kernel_enforcement, cgroup, "
			     "metrics_listen, metrics_allow, and "
			     "[device NAME] sections)",
			     key);
}

static bool loopback_host(const char *host)
{
	return !strcmp(host, "localhost") || !strcmp(host, "::1") ||
	       !strncmp(host, "127.", 4);
}

int agent_config_load(struct agent_config *cfg, const char *path, char *err,
		      size_t errlen)
{
	struct sl_conf c;
	unsigned int i;
	int ret;

	sl_conf_init(&c, path, agent_conf_key, cfg);
	ret = sl_conf_load(&c);
	if (ret) {
		snprintf(err, errlen, "%s", c.err);
		return ret;
	}
	if (!cfg->name[0] || !cfg->relay.host[0]) {
		snprintf(err, errlen, "%s: name and relay are required", path);
		return -EINVAL;
	}
	for (i = 0; i < cfg->ndevices; i++) {
		const struct agent_device *d = &cfg->devices[i];

		if (!d->host[0] || !d->info.ports.n) {
			snprintf(err, errlen, "%s: [device %s] needs host and ports",
				 path, d->info.name);
			return -EINVAL;
		}
	}
	snprintf(cfg->relay.pin_file, sizeof(cfg->relay.pin_file), "%s/known_relays",
		 cfg->state_dir);
	cfg->relay.timeout_ms = (int)cfg->connect_timeout_ms;
	if (cfg->metrics_on && !loopback_host(cfg->metrics_host) && !cfg->nmetrics_allow)
		sl_log_warn("%s: metrics_listen %s is not a loopback address and there is "
			    "no metrics_allow: anyone who reaches it can read the metrics",
			    path, cfg->metrics_host);
	return 0;
}
