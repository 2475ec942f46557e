/* SPDX-License-Identifier: MIT */
/*
 * The relay's counters and histograms, rendered by metrics.c.  Everything
 * here is touched by the relay's single thread only.
 */
#ifndef RELAY_STATS_H
#define RELAY_STATS_H

#include <stdint.h>

#define HIST_BUCKETS 13

/* Upper bounds in seconds, shared by every histogram. */
extern const double relay_hist_bounds[HIST_BUCKETS];

struct relay_hist {
	uint64_t buckets[HIST_BUCKETS];	/* not cumulative */
	uint64_t count;
	double sum;
};

void relay_hist_observe(struct relay_hist *h, double seconds);

enum relay_outcome {
	OUTCOME_OK = 0,		/* both directions ended cleanly */
	OUTCOME_ERROR,		/* a leg failed while relaying */
	OUTCOME_REFUSED,	/* the relay refused the OPEN */
	OUTCOME_AGENT_REFUSED,	/* the agent refused the CONNECT */
	OUTCOME_UNREACHABLE,	/* the agent could not reach the device */
	OUTCOME_TIMEOUT,	/* a leg did not attach in time */
	OUTCOME_CANCELLED,	/* a control connection went away */
	__OUTCOME_MAX
};

enum relay_hs_fail {
	HS_FAIL_TLS = 0,	/* the TLS handshake failed */
	HS_FAIL_TIMEOUT,	/* no handshake or HELLO within the timeout */
	HS_FAIL_PROTOCOL,	/* the first message was malformed or unexpected */
	__HS_FAIL_MAX
};

enum relay_auth_fail {
	AUTH_FAIL_VERSION = 0,
	AUTH_FAIL_DUPLICATE,		/* a second live connection of an agent */
	AUTH_FAIL_SESSION_TOKEN,
	AUTH_FAIL_NO_CERT,
	AUTH_FAIL_BAD_CERT,		/* not ours, expired, revoked, wrong name */
	AUTH_FAIL_UNKNOWN,		/* no such agent or user */
	AUTH_FAIL_PASSWORD,
	AUTH_FAIL_TOTP,
	AUTH_FAIL_LOCKED,
	AUTH_FAIL_DISABLED,		/* or expired */
	AUTH_FAIL_JOIN_TOKEN,
	AUTH_FAIL_STALE_SECRET,		/* clone suspected */
	__AUTH_FAIL_MAX
};

struct relay_stats {
	uint64_t handshakes;
	uint64_t handshake_failures[__HS_FAIL_MAX];
	struct relay_hist handshake_seconds;
	uint64_t sessions[__OUTCOME_MAX];
	uint64_t sessions_started_userspace;
	uint64_t sessions_started_ktls;
	uint64_t sessions_ended_path[2];	/* [enum relay_path] */
	struct relay_hist setup_seconds;
	uint64_t bytes_to_device;
	uint64_t bytes_to_client;
	uint64_t auth_failures[__AUTH_FAIL_MAX];
	uint64_t heartbeat_misses[2];	/* [0] clients, [1] agents */
	uint64_t malformed;
	uint64_t kernel_denials;	/* reported by agents' heartbeats */
	uint64_t audit_failures;	/* records that could not be written */
	uint64_t commit_syncs[2];	/* group commit fdatasyncs: [0] state.db, [1] audit */
	uint64_t enrollments[2];	/* [0] refused, [1] ok */
	uint64_t http_requests;
};

extern const char *const relay_outcome_names[__OUTCOME_MAX];
extern const char *const relay_hs_fail_names[__HS_FAIL_MAX];
extern const char *const relay_auth_fail_names[__AUTH_FAIL_MAX];

#endif
