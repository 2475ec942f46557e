// SPDX-License-Identifier: MIT
/*
 * Prometheus text exposition (format 0.0.4) of the relay's state and
 * counters.  Names follow Prometheus conventions: sluice_ prefix, base
 * units, _total for counters; process_* as the client libraries name them.
 * Per-agent series are deliberately absent (cardinality).
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "admission.h"
#include "relay.h"
#include "store.h"
#include "version.h"

const double relay_hist_bounds[HIST_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

const char *const relay_outcome_names[__OUTCOME_MAX] = {
	[OUTCOME_OK] = "ok",
	[OUTCOME_ERROR] = "error",
	[OUTCOME_REFUSED] = "refused",
	[OUTCOME_AGENT_REFUSED] = "agent_refused",
	[OUTCOME_UNREACHABLE] = "unreachable",
	[OUTCOME_TIMEOUT] = "timeout",
	[OUTCOME_CANCELLED] = "cancelled",
};

const char *const relay_hs_fail_names[__HS_FAIL_MAX] = {
	[HS_FAIL_TLS] = "tls",
	[HS_FAIL_TIMEOUT] = "timeout",
	[HS_FAIL_PROTOCOL] = "protocol",
};

const char *const relay_auth_fail_names[__AUTH_FAIL_MAX] = {
	[AUTH_FAIL_VERSION] = "bad_version",
	[AUTH_FAIL_DUPLICATE] = "duplicate",
	[AUTH_FAIL_SESSION_TOKEN] = "bad_session_token",
	[AUTH_FAIL_NO_CERT] = "no_certificate",
	[AUTH_FAIL_BAD_CERT] = "bad_certificate",
	[AUTH_FAIL_UNKNOWN] = "unknown_identity",
	[AUTH_FAIL_PASSWORD] = "bad_password",
	[AUTH_FAIL_TOTP] = "bad_totp",
	[AUTH_FAIL_LOCKED] = "locked",
	[AUTH_FAIL_DISABLED] = "disabled",
	[AUTH_FAIL_JOIN_TOKEN] = "bad_join_token",
	[AUTH_FAIL_STALE_SECRET] = "stale_secondary_id",
};

static const char *const ra_drop_names[RA_DROP_MAX] = {
	[RA_DROP_BLOCKLIST] = "blocklist",
	[RA_DROP_LOCKOUT] = "lockout",
	[RA_DROP_RATE] = "rate",
};

void relay_hist_observe(struct relay_hist *h, double seconds)
{
	unsigned int i;

	for (i = 0; i < HIST_BUCKETS; i++)
		if (seconds <= relay_hist_bounds[i]) {
			h->buckets[i]++;
			break;
		}
	h->count++;
	h->sum += seconds;
}

struct out {
	char *buf;
	size_t len, cap;
	bool failed;
};

static void put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		if (o->failed)
			return;
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		{
			size_t cap = o->cap * 2 + (size_t)(n > 0 ? n : 0);
			char *b = realloc(o->buf, cap);

			if (!b) {
				o->failed = true;
				return;
			}
			o->buf = b;
			o->cap = cap;
		}
	}
}

static void meta(struct out *o, const char *name, const char *type,
		 const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(struct out *o, const char *name, const char *help, double v)
{
	meta(o, name, "gauge", help);
	put(o, "%s %.17g\n", name, v);
}

static void hist(struct out *o, const char *name, const char *help,
		 const struct relay_hist *h)
{
	uint64_t cum = 0;
	unsigned int i;

	meta(o, name, "histogram", help);
	for (i = 0; i < HIST_BUCKETS; i++) {
		cum += h->buckets[i];
		put(o, "%s_bucket{le=\"%g\"} %llu\n", name, relay_hist_bounds[i],
		    (unsigned long long)cum);
	}
	put(o, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)h->count);
	put(o, "%s_sum %.17g\n%s_count %llu\n", name, h->sum, name,
	    (unsigned long long)h->count);
}

static void labelled(struct out *o, const char *name, const char *label,
		     const char *const *values, const uint64_t *counts,
		     unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		put(o, "%s{%s=\"%s\"} %llu\n", name, label, values[i],
		    (unsigned long long)counts[i]);
}

static void process_metrics(struct out *o, const struct relay *r)
{
	long page = sysconf(_SC_PAGESIZE), hz = sysconf(_SC_CLK_TCK);
	unsigned long long vsz = 0, rss = 0, utime = 0, stime = 0;
	unsigned int fds = 0;
	struct rlimit rl;
	struct dirent *de;
	char line[1024];
	FILE *f;
	DIR *d;

	f = fopen("/proc/self/statm", "re");
	if (f) {
		if (fscanf(f, "%llu %llu", &vsz, &rss) != 2)
			vsz = rss = 0;
		fclose(f);
	}
	f = fopen("/proc/self/stat", "re");
	if (f) {
		/* Fields 14 and 15 follow the parenthesised command name. */
		if (fgets(line, sizeof(line), f)) {
			char *p = strrchr(line, ')');

			if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
					 &utime, &stime) != 2)
				utime = stime = 0;
		}
		fclose(f);
	}
	d = opendir("/proc/self/fd");
	if (d) {
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				fds++;
		closedir(d);
		fds--; /* the directory stream itself */
	}
	meta(o, "process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.");
	put(o, "process_cpu_seconds_total %.17g\n", (double)(utime + stime) / (double)hz);
	gauge(o, "process_resident_memory_bytes", "Resident memory size in bytes.",
	      (double)rss * (double)page);
	gauge(o, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
	      (double)vsz * (double)page);
	gauge(o, "process_open_fds", "Number of open file descriptors.", fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		gauge(o, "process_max_fds", "Maximum number of open file descriptors.",
		      (double)rl.rlim_cur);
	gauge(o, "process_start_time_seconds",
	      "Start time of the process since unix epoch in seconds.", (double)r->started);
}

static unsigned int kernel_enforced(struct relay *r)
{
	struct relay_agent *a, *tmp;
	unsigned int n = 0;

	HASH_ITER(hh, r->agents, a, tmp)
		n += a->enforcement == SLUICE_ENFORCE_KERNEL;
	return n;
}

/*
 * Agents by domain: connected ones from memory (active or pending
 * approval), enrolled ones by state from the store.  Domains are the
 * operator's tree, so the label stays bounded.
 */
struct domain_count;
static int domain_cmp(struct domain_count *a, struct domain_count *b);

struct domain_count {
	char domain[SLUICE_DOMAIN_MAX + 1];
	uint64_t n[2];	/* active, pending */
	UT_hash_handle hh;
};

static int domain_cmp(struct domain_count *a, struct domain_count *b)
{
	return strcmp(a->domain, b->domain);
}

static void domain_metrics(struct out *o, struct relay *r)
{
	struct domain_count *dom = NULL, *d, *dtmp, *slab;
	struct store_agent_count *counts = NULL;
	struct relay_agent *a, *tmp;
	size_t i, n = 0, used = 0;

	slab = calloc(HASH_COUNT(r->agents) + 1, sizeof(*slab));
	if (!slab) {
		o->failed = true;
		return;
	}
	HASH_ITER(hh, r->agents, a, tmp) {
		HASH_FIND_STR(dom, a->domain, d);
		if (!d) {
			d = &slab[used++];
			snprintf(d->domain, sizeof(d->domain), "%s", a->domain);
			HASH_ADD_STR(dom, domain, d);
		}
		d->n[a->pending]++;
	}
	HASH_SORT(dom, domain_cmp);
	meta(o, "sluice_agents_online", "gauge",
	     "Connected agents by domain, active or pending an operator's approval.");
	HASH_ITER(hh, dom, d, dtmp) {
		put(o, "sluice_agents_online{domain=\"%s\",state=\"active\"} %llu\n", d->domain,
		    (unsigned long long)d->n[0]);
		put(o, "sluice_agents_online{domain=\"%s\",state=\"pending\"} %llu\n", d->domain,
		    (unsigned long long)d->n[1]);
	}
	HASH_CLEAR(hh, dom);
	free(slab);
	if (!r->store || store_agent_counts(r->store, &counts, &n))
		return;	/* the store's trouble is logged by its callers */
	meta(o, "sluice_agents_enrolled", "gauge",
	     "Enrolled agents by domain and state (pending, active, locked, disabled).");
	for (i = 0; i < n; i++)
		put(o, "sluice_agents_enrolled{domain=\"%s\",state=\"%s\"} %llu\n",
		    counts[i].domain, store_agent_state_name(counts[i].state),
		    (unsigned long long)counts[i].count);
	free(counts);
}

char *relay_metrics_render(struct relay *r, size_t *len)
{
	const struct relay_stats *st = &r->stats;
	static const char *const dirs[2] = { "to_device", "to_client" };
	static const char *const peers[2] = { "client", "agent" };
	unsigned int agents = HASH_COUNT(r->agents), clients = 0, pending = 0;
	unsigned int active = 0;
	struct relay_session *s, *tmp;
	struct relay_conn *c;
	struct out o = { 0 };
	uint64_t bytes[2] = { st->bytes_to_device + relay_dp_bytes(r->dp, PATH_USERSPACE, 0),
			      st->bytes_to_client + relay_dp_bytes(r->dp, PATH_USERSPACE, 1) };
	uint64_t kbytes[2] = { relay_dp_bytes(r->dp, PATH_KTLS, 0),
			       relay_dp_bytes(r->dp, PATH_KTLS, 1) };
	uint64_t drops[RA_DROP_MAX];

	o.cap = 16384;
	o.buf = malloc(o.cap);
	if (!o.buf)
		return NULL;
	relay_hs_stats(r);
	pending = relay_hs_pending(r);
	LIST_FOREACH(c, &r->conns, link) {
		if (c->kind == CONN_CLIENT)
			clients++;
		else if (c->kind == CONN_NEW)
			pending++;
	}
	HASH_ITER(hh, r->sessions, s, tmp)
		if (s->pumping)
			active++;

	meta(&o, "sluice_build_info", "gauge", "Version of the running relay; the value is 1.");
	put(&o, "sluice_build_info{version=\"%s\"} 1\n", SLUICE_VERSION);
	gauge(&o, "sluice_agents_connected", "Agents with a live control connection.", agents);
	domain_metrics(&o, r);
	gauge(&o, "sluice_agents_kernel_enforced",
	      "Connected agents whose device rules the kernel enforces (eBPF).",
	      kernel_enforced(r));
	meta(&o, "sluice_agent_kernel_denials_total", "counter",
	     "Device connections the agents' kernel rules refused, as their heartbeats report.");
	put(&o, "sluice_agent_kernel_denials_total %llu\n",
	    (unsigned long long)st->kernel_denials);
	gauge(&o, "sluice_clients_connected", "Clients with a live control connection.", clients);
	gauge(&o, "sluice_connections_pending",
	      "Connections in the TLS handshake or before their first message.", pending);
	gauge(&o, "sluice_sessions_active", "Sessions relaying bytes now.", active);
	gauge(&o, "sluice_sessions_pending", "Sessions waiting for a data leg to attach.",
	      (double)(r->nsessions - active));
	meta(&o, "sluice_sessions_total", "counter", "Sessions ended, by outcome.");
	labelled(&o, "sluice_sessions_total", "outcome", relay_outcome_names, st->sessions,
		 __OUTCOME_MAX);
	meta(&o, "sluice_sessions_started_total", "counter",
	     "Sessions that started relaying, by data path.");
	put(&o, "sluice_sessions_started_total{path=\"userspace\"} %llu\n",
	    (unsigned long long)st->sessions_started_userspace);
	put(&o, "sluice_sessions_started_total{path=\"ktls\"} %llu\n",
	    (unsigned long long)st->sessions_started_ktls);
	meta(&o, "sluice_sessions_relayed_total", "counter",
	     "Sessions ended after they started relaying, by the data path they took.");
	labelled(&o, "sluice_sessions_relayed_total", "path", relay_path_names,
		 st->sessions_ended_path, __PATH_MAX);
	meta(&o, "sluice_relayed_bytes_total", "counter",
	     "Stream bytes relayed, by direction and data path.");
	put(&o, "sluice_relayed_bytes_total{direction=\"%s\",path=\"userspace\"} %llu\n", dirs[0],
	    (unsigned long long)bytes[0]);
	put(&o, "sluice_relayed_bytes_total{direction=\"%s\",path=\"userspace\"} %llu\n", dirs[1],
	    (unsigned long long)bytes[1]);
	put(&o, "sluice_relayed_bytes_total{direction=\"%s\",path=\"ktls\"} %llu\n", dirs[0],
	    (unsigned long long)kbytes[0]);
	put(&o, "sluice_relayed_bytes_total{direction=\"%s\",path=\"ktls\"} %llu\n", dirs[1],
	    (unsigned long long)kbytes[1]);
	meta(&o, "sluice_handshakes_total", "counter", "TLS handshakes completed.");
	put(&o, "sluice_handshakes_total %llu\n", (unsigned long long)st->handshakes);
	meta(&o, "sluice_handshake_failures_total", "counter",
	     "Connections that failed before their first message, by reason.");
	labelled(&o, "sluice_handshake_failures_total", "reason", relay_hs_fail_names,
		 st->handshake_failures, __HS_FAIL_MAX);
	if (relay_hs_threads(r)) {
		unsigned int k;

		meta(&o, "sluice_handshake_thread_connections_total", "counter",
		     "Connections each handshake thread accepted; its listener's share "
		     "of SO_REUSEPORT.");
		for (k = 0; k < relay_hs_threads(r); k++)
			put(&o, "sluice_handshake_thread_connections_total{thread=\"%u\"} %llu\n",
			    k, (unsigned long long)relay_hs_accepted(r, k));
	}
	hist(&o, "sluice_handshake_duration_seconds",
	     "Time from accept to the end of the TLS handshake.", &st->handshake_seconds);
	hist(&o, "sluice_session_setup_duration_seconds",
	     "Time from OPEN to both legs attached and relaying.", &st->setup_seconds);
	meta(&o, "sluice_auth_failures_total", "counter", "Refused credentials, by reason.");
	labelled(&o, "sluice_auth_failures_total", "reason", relay_auth_fail_names,
		 st->auth_failures, __AUTH_FAIL_MAX);
	meta(&o, "sluice_heartbeat_misses_total", "counter",
	     "Control connections closed after three silent heartbeat intervals.");
	labelled(&o, "sluice_heartbeat_misses_total", "peer", peers, st->heartbeat_misses, 2);
	meta(&o, "sluice_malformed_messages_total", "counter",
	     "Connections closed for a malformed message.");
	put(&o, "sluice_malformed_messages_total %llu\n", (unsigned long long)st->malformed);
	relay_admission_drops(r, drops);
	meta(&o, "sluice_admission_drops_total", "counter",
	     "New connections refused before TLS, by reason.");
	labelled(&o, "sluice_admission_drops_total", "reason", ra_drop_names, drops, RA_DROP_MAX);
	gauge(&o, "sluice_admission_kernel_filter",
	      "1 when the eBPF admission filter is attached, 0 when userspace enforces.",
	      relay_admission_in_kernel(r));
	gauge(&o, "sluice_source_lockouts_active", "Sources locked out after failed logins.",
	      relay_admission_lockouts(r));
	meta(&o, "sluice_enrollments_total", "counter", "Agent enrollments, by outcome.");
	put(&o, "sluice_enrollments_total{outcome=\"refused\"} %llu\n",
	    (unsigned long long)st->enrollments[0]);
	put(&o, "sluice_enrollments_total{outcome=\"ok\"} %llu\n",
	    (unsigned long long)st->enrollments[1]);
	meta(&o, "sluice_audit_write_failures_total", "counter",
	     "Audit records that could not be written.");
	put(&o, "sluice_audit_write_failures_total %llu\n",
	    (unsigned long long)st->audit_failures);
	meta(&o, "sluice_group_commit_syncs_total", "counter",
	     "fdatasyncs that made groups of logins and other changes durable, by file.");
	put(&o, "sluice_group_commit_syncs_total{file=\"state\"} %llu\n",
	    (unsigned long long)st->commit_syncs[0]);
	put(&o, "sluice_group_commit_syncs_total{file=\"audit\"} %llu\n",
	    (unsigned long long)st->commit_syncs[1]);
	meta(&o, "sluice_metrics_requests_total", "counter", "HTTP requests to this endpoint.");
	put(&o, "sluice_metrics_requests_total %llu\n", (unsigned long long)st->http_requests);
	meta(&o, "sluice_certificate_expiry_timestamp_seconds", "gauge",
	     "Expiry of the relay's certificates, seconds since the epoch.");
	put(&o, "sluice_certificate_expiry_timestamp_seconds{cert=\"relay\"} %lld\n",
	    (long long)r->cert_not_after);
	process_metrics(&o, r);
	if (o.failed) {
		free(o.buf);
		return NULL;
	}
	*len = o.len;
	return o.buf;
}
