// SPDX-License-Identifier: MIT
/*
 * The relay's side of the audit log (userspace/lib/audit.c keeps the hash
 * chain): opening it from relay.conf, and one call per security event.
 * A record is on disk (fsync) when relay_audit() returns; the callers
 * answer the peer after it.  A failed write is logged loudly and counted:
 * the relay keeps serving, because refusing every login when the disk is
 * full would lock operators out of fixing it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "log.h"
#include "relay.h"

/* "off", "local", "local:/dev/log", "udp:HOST:PORT", "tcp:HOST:PORT". */
static int parse_syslog(const char *v, enum sl_audit_fwd *fwd, const char **target)
{
	*target = NULL;
	if (!v[0] || !strcmp(v, "off")) {
		*fwd = SL_AUDIT_FWD_NONE;
		return 0;
	}
	if (!strcmp(v, "local")) {
		*fwd = SL_AUDIT_FWD_LOCAL;
		return 0;
	}
	if (!strncmp(v, "local:/", 7)) {
		*fwd = SL_AUDIT_FWD_LOCAL;
		*target = v + 6;
		return 0;
	}
	if ((!strncmp(v, "udp:", 4) || !strncmp(v, "tcp:", 4)) && strchr(v + 4, ':')) {
		*fwd = v[0] == 'u' ? SL_AUDIT_FWD_UDP : SL_AUDIT_FWD_TCP;
		*target = v + 4;
		return 0;
	}
	return -EINVAL;
}

bool relay_audit_syslog_valid(const char *v)
{
	enum sl_audit_fwd fwd;
	const char *target;

	return parse_syslog(v, &fwd, &target) == 0;
}

int relay_audit_open(struct relay *r, char *why, size_t whylen)
{
	struct sl_audit_conf c = { .path = r->cfg.audit_log };

	parse_syslog(r->cfg.audit_syslog, &c.fwd, &c.fwd_target);
	r->audit = sl_audit_open(&c);
	if (!r->audit) {
		snprintf(why, whylen, "cannot open the audit log %s: %s", c.path,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

void relay_audit_close(struct relay *r)
{
	sl_audit_close(r->audit);
	r->audit = NULL;
}

void relay_audit(struct relay *r, const char *event, const char *actor,
		 const char *object, const char *domain, const char *source,
		 const char *outcome, const char *fmt, ...)
{
	struct sl_audit_record rec = {
		.event = event, .actor = actor, .object = object,
		.domain = domain, .source = source, .outcome = outcome,
	};
	char details[1024] = "";
	va_list ap;
	int ret = -ENOENT;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(details, sizeof(details), fmt, ap);
		va_end(ap);
		rec.details_text = details;
	}
	clock_gettime(CLOCK_REALTIME, &rec.when);
	if (r->audit)
		ret = sl_audit_write(r->audit, &rec);
	if (ret) {
		r->stats.audit_failures++;
		sl_log_err("AUDIT RECORD LOST (%s): %s actor=%s object=%s outcome=%s %s",
			   strerror(-ret), event,
			   actor ? actor : "-", object ? object : "-", outcome, details);
	}
}
