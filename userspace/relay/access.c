// SPDX-License-Identifier: MIT
/*
 * Authorization (DESIGN.md): a user reaches an agent's devices only with a
 * grant on the agent's domain or an ancestor, inside the grant's time
 * window, while the agent is approved and its site's remote-access switch
 * is on.  The port rules are checked by the caller (control.c), which knows
 * the device.  Grants are read from the store at each request, so an
 * operator's change applies to the next LIST or OPEN without a restart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "authz.h"
#include "log.h"
#include "relay.h"
#include "store.h"

int relay_grants_load(struct relay *r, const char *user, struct relay_grants *g)
{
	g->user = user;
	g->g = NULL;
	g->n = 0;
	return store_grant_list_user(r->store, user, &g->g, &g->n);
}

void relay_grants_free(struct relay_grants *g)
{
	free(g->g);
	g->g = NULL;
	g->n = 0;
}

static bool window_allows(const struct relay_grants *g, size_t i, time_t now)
{
	const char *spec = g->g[i].window;
	struct sl_timewin w;
	char err[128];

	if (!spec[0])
		return true;
	if (sl_timewin_parse(spec, &w, err, sizeof(err))) {
		sl_log_warn("grant %lld of %s: bad time window '%s': %s; it allows nothing",
			    (long long)g->g[i].id, g->user, spec, err);
		return false;
	}
	return sl_timewin_allows(&w, now);
}

int relay_access(const struct relay_grants *g, const struct relay_agent *a,
		 char *why, size_t whylen)
{
	time_t now = time(NULL);
	bool covered = false;
	size_t i;

	if (a->pending) {
		snprintf(why, whylen, "agent %s awaits an operator's approval", a->name);
		return SLUICE_E_PENDING;
	}
	for (i = 0; i < g->n; i++) {
		if (!sl_domain_covers(g->g[i].domain, a->domain))
			continue;
		covered = true;
		if (window_allows(g, i, now))
			break;
	}
	if (i == g->n) {
		if (covered)
			snprintf(why, whylen, "outside the time window of your grant on %s",
				 a->domain);
		else
			snprintf(why, whylen, "no grant on domain %s", a->domain);
		return SLUICE_E_FORBIDDEN;
	}
	if (a->switch_off) {
		snprintf(why, whylen, "remote access is switched off at the site of agent %s",
			 a->name);
		return SLUICE_E_SWITCH_OFF;
	}
	return 0;
}
