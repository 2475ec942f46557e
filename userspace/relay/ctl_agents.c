// SPDX-License-Identifier: MIT
/*
 * sluicectl's commands on enrolled agents (the store's rows, connected or
 * not): list, attach (approve, optionally into another domain), reset (a
 * clone lock), disable and remove.  A change reaches the agent's live
 * connection at once through relay_identity_recheck(): a disabled or
 * removed agent is disconnected, an attached one starts offering devices.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "relay.h"
#include "store.h"

int relay_ctl_enrolled_start(struct relay *r, struct relay_ctl_req *q,
			     const struct sl_msg_in *m)
{
	(void)m;
	return store_agent_list(r->store, NULL, (struct store_agent **)&q->keys, &q->nkeys);
}

int relay_ctl_enrolled_dump(struct relay *r, struct relay_ctl_req *q, struct nl_msg *msg)
{
	return relay_ctl_rows_dump(q, msg, sizeof(struct store_agent), relay_rec_agent, r);
}

/* The agent's record after a change, and the change applied to it live. */
static struct nl_msg *changed(struct relay *r, struct relay_ctl_req *q, const char *name,
			      const char *what)
{
	struct store_agent a;
	int ret;

	relay_identity_recheck(r);
	ret = store_agent_get(r->store, name, &a);
	if (ret)
		return relay_ctl_store_error(r, q, ret, what);
	return relay_ctl_one_record(r, q, relay_rec_agent, &a);
}

struct nl_msg *relay_ctl_agent_attach(struct relay *r, struct relay_ctl_req *q,
				      const struct sl_msg_in *m)
{
	const char *name = sl_wire_str(m, SLUICE_A_AGENT);
	const char *domain = m->tb[SLUICE_A_DOMAIN] ? sl_wire_str(m, SLUICE_A_DOMAIN) : NULL;
	int ret;

	ret = store_begin(r->store);
	if (!ret && domain)
		ret = store_agent_set_domain(r->store, name, domain);
	if (!ret)
		ret = store_agent_set_state(r->store, name, STORE_AGENT_ACTIVE, NULL);
	if (!ret)
		ret = store_commit(r->store);
	if (ret) {
		store_rollback(r->store);
		return relay_ctl_store_error(r, q, ret, "agent attach");
	}
	relay_ctl_audit(r, q, "agent.attach", "ok", name, domain, "%s%s",
			domain ? "moved to " : "approved", domain ? domain : "");
	return changed(r, q, name, "agent attach");
}

struct nl_msg *relay_ctl_agent_reset(struct relay *r, struct relay_ctl_req *q,
				     const struct sl_msg_in *m)
{
	const char *name = sl_wire_str(m, SLUICE_A_AGENT);
	int ret = store_agent_reset(r->store, name);

	if (ret)
		return relay_ctl_store_error(r, q, ret, "agent reset");
	relay_ctl_audit(r, q, "agent.reset", "ok", name, NULL, "secondary id cleared, unlocked");
	return changed(r, q, name, "agent reset");
}

struct nl_msg *relay_ctl_agent_disable(struct relay *r, struct relay_ctl_req *q,
				       const struct sl_msg_in *m)
{
	const char *name = sl_wire_str(m, SLUICE_A_AGENT);
	const char *reason = m->tb[SLUICE_A_TEXT] ? sl_wire_str(m, SLUICE_A_TEXT) : "by operator";
	int ret;

	if (strlen(reason) > STORE_REASON_MAX)
		return sl_wire_error(q->seq, SLUICE_E_INVALID, 0,
				     "agent disable: the reason is longer than %d bytes",
				     STORE_REASON_MAX);
	ret = store_agent_set_state(r->store, name, STORE_AGENT_DISABLED, reason);
	if (ret)
		return relay_ctl_store_error(r, q, ret, "agent disable");
	relay_ctl_audit(r, q, "agent.disable", "ok", name, NULL, "%s", reason);
	return changed(r, q, name, "agent disable");
}

struct nl_msg *relay_ctl_agent_remove(struct relay *r, struct relay_ctl_req *q,
				      const struct sl_msg_in *m)
{
	const char *name = sl_wire_str(m, SLUICE_A_AGENT);
	int ret = store_agent_delete(r->store, name);

	if (ret)
		return relay_ctl_store_error(r, q, ret, "agent remove");
	relay_ctl_audit(r, q, "agent.remove", "ok", name, NULL, "it must enroll again");
	relay_identity_recheck(r);
	return relay_ctl_echo(q, SLUICE_A_AGENT, name);
}
