// SPDX-License-Identifier: MIT
/*
 * Configuration reload.  The new file is parsed and checked whole before
 * anything changes; the kernel rules are rewritten in place (enforce.c),
 * then the device table is swapped, then the sessions that the new rules
 * no longer allow are ended.  Sessions still allowed are not touched.
 * metrics_allow applies from the next request on; metrics_listen needs a
 * restart (the listener was bound at start).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "enforce.h"
#include "log.h"
#include "metrics.h"
#include "workers.h"

/* Keys that only a restart applies: the running values stay. */
static void keep_restart_keys(const struct agent_config *old,
			      struct agent_config *n)
{
	static const char *const fmt = "reload: %s changed; restart the agent to apply it";

	if (strcmp(old->name, n->name))
		sl_log_warn(fmt, "name");
	if (strcmp(old->relay.host, n->relay.host) || old->relay.port != n->relay.port)
		sl_log_warn(fmt, "relay");
	if (strcmp(old->join_token, n->join_token))
		sl_log_warn(fmt, "join_token");
	if (strcmp(old->relay.fingerprint, n->relay.fingerprint))
		sl_log_warn(fmt, "relay_fingerprint");
	if (strcmp(old->state_dir, n->state_dir))
		sl_log_warn(fmt, "state_dir");
	if (strcmp(old->cgroup, n->cgroup))
		sl_log_warn(fmt, "cgroup");
	if (old->require_kernel_enforcement != n->require_kernel_enforcement)
		sl_log_warn(fmt, "require_kernel_enforcement");
	if (old->metrics_on != n->metrics_on ||
	    (old->metrics_on && (strcmp(old->metrics_host, n->metrics_host) ||
				 old->metrics_port != n->metrics_port)))
		sl_log_warn(fmt, "metrics_listen");
	memcpy(n->name, old->name, sizeof(n->name));
	n->relay = old->relay;
	memcpy(n->join_token, old->join_token, sizeof(n->join_token));
	memcpy(n->state_dir, old->state_dir, sizeof(n->state_dir));
	memcpy(n->cgroup, old->cgroup, sizeof(n->cgroup));
	n->require_kernel_enforcement = old->require_kernel_enforcement;
	n->metrics_on = old->metrics_on;
	memcpy(n->metrics_host, old->metrics_host, sizeof(n->metrics_host));
	n->metrics_port = old->metrics_port;
	n->relay.timeout_ms = (int)n->connect_timeout_ms;
}

static bool same_devices(const struct agent_config *a,
			 const struct agent_config *b)
{
	unsigned int i;

	if (a->ndevices != b->ndevices)
		return false;
	for (i = 0; i < a->ndevices; i++)
		if (strcmp(a->devices[i].info.name, b->devices[i].info.name) ||
		    strcmp(a->devices[i].host, b->devices[i].host) ||
		    a->devices[i].info.ports.n != b->devices[i].info.ports.n ||
		    memcmp(a->devices[i].info.ports.r, b->devices[i].info.ports.r,
			   a->devices[i].info.ports.n * sizeof(struct sl_port_range)))
			return false;
	return true;
}

/* Defined in session.c; the worker is the first member of its job. */
bool agent_session_disallowed(struct sl_worker *w, void *cfg);

int agent_reload(struct agent *a)
{
	struct agent_config n, old;
	unsigned int closed;
	char err[1024];
	bool changed;
	int ret;

	agent_config_defaults(&n);
	ret = agent_config_load(&n, a->conf_path, err, sizeof(err));
	if (ret) {
		sl_log_err("reload refused, the running configuration stays: %s", err);
		agent_config_free(&n);
		return ret;
	}
	keep_restart_keys(&a->cfg, &n);
	changed = !same_devices(&a->cfg, &n);
	ret = agent_enforce_reload(a, n.devices, n.ndevices);
	if (ret) {
		sl_log_err("reload refused, cannot update the kernel rules: %s", strerror(-ret));
		agent_enforce_reload(a, a->cfg.devices, a->cfg.ndevices);
		agent_config_free(&n);
		return ret;
	}
	old = a->cfg;
	a->cfg = n;
	agent_config_free(&old);
	agent_stats_devices(&a->stats, &a->cfg);
	agent_http_allow(a);
	closed = sl_workers_shutdown_if(agent_session_disallowed, &a->cfg);
	sl_log_info("configuration reloaded from %s: %u device%s%s, %u session%s no longer "
		    "allowed and closed", a->conf_path, a->cfg.ndevices,
		    a->cfg.ndevices == 1 ? "" : "s", changed ? " (changed)" : " (unchanged)",
		    closed, closed == 1 ? "" : "s");
	return changed ? 1 : 0;
}
