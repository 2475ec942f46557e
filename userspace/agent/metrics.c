// SPDX-License-Identifier: MIT
/*
 * Prometheus text exposition (format 0.0.4) of the agent: its link to the
 * relay, its sessions, the reachability of its devices as the last
 * session found it, and the kernel's denials.  Names follow the
 * Prometheus conventions: sluice_agent_ prefix, base units, _total for
 * counters.  See docs/metrics.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "agent.h"
#include "enforce.h"
#include "metrics.h"
#include "version.h"

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
	size_t cap;
	char *b;
	int n;

	while (!o->failed) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = true;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		cap = o->cap * 2 + (size_t)n;
		b = realloc(o->buf, cap);
		if (!b) {
			o->failed = true;
			return;
		}
		o->buf = b;
		o->cap = cap;
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

static void counter(struct out *o, const char *name, const char *help, uint64_t v)
{
	meta(o, name, "counter", help);
	put(o, "%s %llu\n", name, (unsigned long long)v);
}

static void link_metrics(struct out *o, const struct agent_stats *st)
{
	bool up = st->link == AGENT_LINK_CONNECTED || st->link == AGENT_LINK_PENDING;
	unsigned int i;

	gauge(o, "sluice_agent_relay_connected",
	      "1 while the control connection to the relay is up (connected or pending).", up);
	meta(o, "sluice_agent_state", "gauge",
	     "Where the agent stands with the relay: 1 for the current state, 0 for the others.");
	for (i = 0; i < __AGENT_LINK_MAX; i++)
		put(o, "sluice_agent_state{state=\"%s\"} %d\n", agent_link_names[i],
		    st->link == i);
	counter(o, "sluice_agent_relay_connects_total",
		"Control connections the relay accepted (HELLO_OK).", st->connects);
	counter(o, "sluice_agent_relay_reconnects_total",
		"Attempts to reach the relay again after a failed or lost connection.",
		st->reconnects);
	counter(o, "sluice_agent_heartbeat_misses_total",
		"Control connections given up after the relay was silent for three heartbeat intervals.",
		st->heartbeat_misses);
	meta(o, "sluice_agent_relay_connected_seconds_total", "counter",
	     "Time the control connection has been up since the agent started.");
	put(o, "sluice_agent_relay_connected_seconds_total %.3f\n", st->connected_ms / 1000.0);
	if (st->last_connect_ms)
		gauge(o, "sluice_agent_relay_last_connect_timestamp_seconds",
		      "When the relay last accepted the agent's HELLO, seconds since the epoch.",
		      st->last_connect_ms / 1000.0);
}

static void session_metrics(struct out *o, const struct agent_stats *st)
{
	unsigned int i;

	gauge(o, "sluice_agent_sessions_active", "Sessions with a device connection or data leg now.",
	      (double)st->sessions_active);
	meta(o, "sluice_agent_sessions_total", "counter",
	     "Sessions the relay asked for, ended, by outcome.");
	for (i = 0; i < __AGENT_OUTCOME_MAX; i++)
		put(o, "sluice_agent_sessions_total{outcome=\"%s\"} %llu\n",
		    agent_outcome_names[i], (unsigned long long)st->sessions[i]);
	meta(o, "sluice_agent_relayed_bytes_total", "counter",
	     "Stream bytes relayed by sessions that ended, by direction.");
	put(o, "sluice_agent_relayed_bytes_total{direction=\"to_device\"} %llu\n",
	    (unsigned long long)st->bytes_to_device);
	put(o, "sluice_agent_relayed_bytes_total{direction=\"to_client\"} %llu\n",
	    (unsigned long long)st->bytes_to_client);
}

static void device_metrics(struct out *o, const struct agent_stats *st)
{
	const struct agent_dev_stats *d;
	unsigned int i;

	gauge(o, "sluice_agent_devices", "Devices in the agent's configuration.", st->ndev);
	meta(o, "sluice_agent_device_connects_total", "counter",
	     "Connects to the device that sessions attempted.");
	for (i = 0; i < st->ndev; i++)
		put(o, "sluice_agent_device_connects_total{device=\"%s\"} %llu\n",
		    st->dev[i].name, (unsigned long long)st->dev[i].attempts);
	meta(o, "sluice_agent_device_connect_failures_total", "counter",
	     "Connects to the device that failed (unreachable, refused, timed out).");
	for (i = 0; i < st->ndev; i++)
		put(o, "sluice_agent_device_connect_failures_total{device=\"%s\"} %llu\n",
		    st->dev[i].name, (unsigned long long)st->dev[i].failures);
	/* Only devices a session has tried: nothing is known about the others. */
	meta(o, "sluice_agent_device_reachable", "gauge",
	     "1 when the last session's connect to the device succeeded, 0 when it failed.");
	for (i = 0; i < st->ndev; i++) {
		d = &st->dev[i];
		if (d->tried)
			put(o, "sluice_agent_device_reachable{device=\"%s\"} %d\n", d->name,
			    d->reachable);
	}
	meta(o, "sluice_agent_device_last_connect_timestamp_seconds", "gauge",
	     "When a session last tried to connect to the device, seconds since the epoch.");
	for (i = 0; i < st->ndev; i++) {
		d = &st->dev[i];
		if (d->tried)
			put(o, "sluice_agent_device_last_connect_timestamp_seconds{device=\"%s\"} %.3f\n",
			    d->name, d->last_ms / 1000.0);
	}
}

static void enforcement_metrics(struct out *o, struct agent *a)
{
	static __thread struct sl_denial denials[SLUICE_DENIALS_MAX];
	unsigned int i, n;

	meta(o, "sluice_agent_enforcement", "gauge",
	     "How the device rules are enforced: 1 for the mode in use, 0 for the other.");
	put(o, "sluice_agent_enforcement{mode=\"kernel\"} %d\n", a->enforce != NULL);
	put(o, "sluice_agent_enforcement{mode=\"userspace\"} %d\n", a->enforce == NULL);
	/* The same counts as the heartbeats carry, brought up to date first. */
	agent_enforce_poll(a);
	n = agent_enforce_denials(a, denials);
	meta(o, "sluice_agent_kernel_denials_total", "counter",
	     "Connections of the agent's device sockets that the kernel rules refused.");
	for (i = 0; i < n; i++)
		put(o, "sluice_agent_kernel_denials_total{device=\"%s\",port=\"%u\",proto=\"%s\"} %llu\n",
		    denials[i].device[0] ? denials[i].device : "(none)", denials[i].port,
		    denials[i].proto == IPPROTO_UDP ? "udp" : "tcp",
		    (unsigned long long)denials[i].count);
}

char *agent_metrics_render(struct agent *a, size_t *len)
{
	static __thread struct agent_stats st;
	struct out o = { 0 };

	o.cap = 8192;
	o.buf = malloc(o.cap);
	if (!o.buf)
		return NULL;
	agent_stats_snapshot(&a->stats, &st);

	meta(&o, "sluice_agent_build_info", "gauge",
	     "Version of the running agent; the value is 1.");
	put(&o, "sluice_agent_build_info{version=\"%s\"} 1\n", SLUICE_VERSION);
	gauge(&o, "sluice_agent_start_time_seconds",
	      "When the agent started, seconds since the epoch.", st.start_ms / 1000.0);
	link_metrics(&o, &st);
	if (st.switch_on >= 0)
		gauge(&o, "sluice_agent_remote_access_switch",
		      "The site's remote-access switch as last checked (HELLO, heartbeats): 1 on, 0 off.",
		      st.switch_on);
	session_metrics(&o, &st);
	device_metrics(&o, &st);
	enforcement_metrics(&o, a);
	counter(&o, "sluice_agent_metrics_requests_total", "HTTP requests to this endpoint.",
		st.http_requests);
	if (o.failed) {
		free(o.buf);
		return NULL;
	}
	*len = o.len;
	return o.buf;
}
