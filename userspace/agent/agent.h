/* SPDX-License-Identifier: MIT */
/*
 * sluice-agent internals.  The main thread keeps the control connection
 * (control.c); each session runs in a thread of its own (session.c) that
 * connects to the device, attaches a data leg and pumps until both
 * directions end.  Session threads never touch the control connection.
 */
#ifndef AGENT_H
#define AGENT_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "net.h"
#include "peer.h"
#include "stats.h"
#include "wire.h"

struct agent_device {
	struct sl_device_info info;
	char host[256];
};

struct agent_config {
	char name[SLUICE_NAME_MAX + 1];
	char join_token[SLUICE_TOKEN_MAX + 1];	/* "" once enrolled */
	char remote_access_switch[512];	/* "" on; a file, or "!command" */
	char state_dir[SL_STATE_DIR_MAX];
	struct sl_relay_addr relay;
	uint64_t reconnect_max_ms;
	uint64_t connect_timeout_ms;
	struct agent_device *devices;
	unsigned int ndevices;
	bool require_kernel_enforcement;
	char cgroup[512];		/* "" : under the cgroup2 mount */
	bool metrics_on;		/* metrics_listen is not off */
	char metrics_host[256];
	uint16_t metrics_port;
	struct sl_cidr metrics_allow[SL_CIDR_LIST_MAX];
	unsigned int nmetrics_allow;	/* 0: any source */
};

struct agent_http;

struct agent_enforce;

struct agent {
	const char *conf_path;
	struct agent_config cfg;
	SSL_CTX *tls;			/* control connection, enrollment: TLS 1.3 */
	SSL_CTX *data_tls;		/* data legs: TLS 1.2, kernel TLS */
	struct agent_enforce *enforce;	/* NULL: userspace check only */
	struct agent_http *http;	/* NULL: no metrics endpoint */
	struct agent_stats stats;	/* shared with the threads: stats.h */
	int signal_fd;
	bool identity_ready;		/* a->tls presents agent.crt */
	int exit_code;
	volatile bool stop;
};

/* config.c */
void agent_config_defaults(struct agent_config *cfg);
int agent_config_load(struct agent_config *cfg, const char *path, char *err,
		      size_t errlen);
void agent_config_free(struct agent_config *cfg);
const struct agent_device *agent_device_find(const struct agent_config *cfg,
					     const char *name);

/*
 * reload.c: re-reads the configuration (SIGHUP).  Device rules apply at
 * once, in the kernel too, and sessions they no longer allow are closed;
 * keys that need a restart keep their running values.  Returns 1 when the
 * device list changed, 0 when not, -errno when the file was refused (the
 * running configuration stays).
 */
int agent_reload(struct agent *a);
/* session.c: whether a live session is still allowed by cfg. */
bool agent_session_allowed(const struct agent_config *cfg, const char *device,
			   uint16_t port);

/*
 * identity.c: makes a->tls present the agent's certificate, enrolling
 * first when there is none.  0, -ENOKEY / -EACCES (fatal: no token, token
 * refused), other -errno (retry later).
 */
int agent_identity_ready(struct agent *a);
int agent_secret_save(struct agent *a, const unsigned char *secret);
bool agent_secret_load(struct agent *a, unsigned char *secret);
bool agent_switch_on(struct agent *a);

/* control.c: connects, reconnects, serves; returns at shutdown. */
int agent_run(struct agent *a);

/* session.c: starts a session thread; 0 or -errno. */
int agent_session_start(struct agent *a, const struct agent_device *dev,
			uint16_t port, uint64_t id, const void *token);

#endif
