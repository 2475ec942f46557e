/* SPDX-License-Identifier: MIT */
/*
 * The agent's optional metrics endpoint (metrics_listen, off by default):
 * plain HTTP/1.x served by a thread of its own (http.c), Prometheus text
 * format 0.0.4 rendered by metrics.c from stats.h.
 */
#ifndef AGENT_METRICS_H
#define AGENT_METRICS_H

#include <stddef.h>

struct agent;

/*
 * Binds metrics_listen and starts the metrics thread; nothing when the
 * endpoint is off.  0, or -errno with the reason in why.  Call after the
 * kernel enforcement is set up, since a scrape reads its counters.
 */
int agent_http_start(struct agent *a, char *why, size_t whylen);
/* Stops the thread and closes its sockets.  NULL-safe, idempotent. */
void agent_http_stop(struct agent *a);
/* Applies a->cfg's metrics_allow to new requests (after a reload). */
void agent_http_allow(struct agent *a);

/* The exposition, malloc'd (the caller frees it); NULL when out of memory. */
char *agent_metrics_render(struct agent *a, size_t *len);

#endif
