/* SPDX-License-Identifier: MIT */
/*
 * What the agent counts for its metrics (metrics.c renders them, http.c
 * serves them).  The control thread, the session threads and the metrics
 * thread all touch these, so every access goes through the functions
 * below, under one mutex; none of them blocks on anything else.  The
 * counters exist whether or not the metrics listener is on.
 */
#ifndef AGENT_STATS_H
#define AGENT_STATS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "wire.h"

struct agent;
struct agent_config;

/* Where the agent stands with the relay. */
enum agent_link {
	AGENT_LINK_CONNECTING = 0,	/* dialling, TLS handshake, HELLO */
	AGENT_LINK_ENROLLING = 1,	/* sending ENROLL with the join token */
	AGENT_LINK_CONNECTED = 2,	/* HELLO_OK: serving sessions */
	AGENT_LINK_PENDING = 3,		/* HELLO_OK, awaiting an operator's approval */
	AGENT_LINK_DISCONNECTED = 4,	/* waiting to retry after a lost connection */
	AGENT_LINK_REFUSED = 5,		/* the relay refused the HELLO; waiting to retry */
	AGENT_LINK_LOCKED = 6,		/* refused: identity locked (clone suspected) */
	AGENT_LINK_DISABLED = 7,	/* refused: agent disabled or expired */
	__AGENT_LINK_MAX
};

/* How a session the relay asked for ended. */
enum agent_outcome {
	AGENT_OUTCOME_OK = 0,		/* both directions ended cleanly */
	AGENT_OUTCOME_ERROR = 1,	/* the data leg failed, or a side broke off */
	AGENT_OUTCOME_UNREACHABLE = 2,	/* the device connect failed */
	AGENT_OUTCOME_REFUSED = 3,	/* the agent refused the CONNECT */
	__AGENT_OUTCOME_MAX
};

extern const char *const agent_link_names[__AGENT_LINK_MAX];
extern const char *const agent_outcome_names[__AGENT_OUTCOME_MAX];

/* Result of the last connect to one device, from a session. */
struct agent_dev_stats {
	char name[SLUICE_NAME_MAX + 1];
	uint64_t attempts;
	uint64_t failures;
	bool tried;			/* reachable and last_ms mean something */
	bool reachable;
	uint64_t last_ms;		/* wall clock, ms since the epoch */
};

struct agent_stats {
	pthread_mutex_t lock;
	enum agent_link link;
	uint64_t link_up_mono_ms;	/* when the live connection came up */
	uint64_t connected_ms;		/* time in connections that ended */
	uint64_t last_connect_ms;	/* wall clock of the last HELLO_OK, 0: none */
	uint64_t connects;		/* HELLO_OKs */
	uint64_t reconnects;		/* attempts after a failed or lost one */
	uint64_t heartbeat_misses;	/* relay silent for three intervals */
	uint64_t sessions_active;
	uint64_t sessions[__AGENT_OUTCOME_MAX];
	uint64_t bytes_to_device;	/* read from the relay, written to devices */
	uint64_t bytes_to_client;	/* read from devices, sent to the relay */
	int switch_on;			/* -1 not checked yet, else 0/1 */
	uint64_t http_requests;
	uint64_t start_ms;		/* wall clock */
	struct agent_dev_stats dev[SLUICE_DEVICES_MAX];
	unsigned int ndev;
};

/* Zeroes s and sets up its lock.  0 or -errno. */
int agent_stats_init(struct agent_stats *s);
/* NULL-safe: the lock only. */
void agent_stats_uninit(struct agent_stats *s);

void agent_stats_link(struct agent_stats *s, enum agent_link link);
void agent_stats_reconnect(struct agent_stats *s);
void agent_stats_heartbeat_miss(struct agent_stats *s);
void agent_stats_switch(struct agent_stats *s, bool on);
void agent_stats_http_request(struct agent_stats *s);
/* A session thread started. */
void agent_stats_session_start(struct agent_stats *s);
/* A session ended (started or not: REFUSED ones never started). */
void agent_stats_session_end(struct agent_stats *s, enum agent_outcome o,
			     bool started, uint64_t to_device,
			     uint64_t to_client);
/* A session's connect to device name succeeded or failed. */
void agent_stats_device(struct agent_stats *s, const char *name,
			bool reachable);
/*
 * Follows the device table of cfg (at start and after a reload): devices
 * that stay keep what was recorded, new ones start untried.
 */
void agent_stats_devices(struct agent_stats *s, const struct agent_config *cfg);

/* A consistent copy, for rendering outside the lock. */
void agent_stats_snapshot(struct agent_stats *s, struct agent_stats *out);

#endif
