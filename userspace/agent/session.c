// SPDX-License-Identifier: MIT
/* One thread per session: device connect, data leg, pump. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "net.h"
#include "tls.h"

#define AGENT_SESSIONS_MAX 1024

struct session_job {
	struct agent *a;
	const struct agent_device *dev;
	uint16_t port;
	uint64_t id;
	unsigned char token[SLUICE_SESSION_TOKEN_LEN];
};

static atomic_uint active_sessions;

static void *session_main(void *arg)
{
	struct session_job *job = arg;
	struct agent *a = job->a;
	const struct agent_device *dev = job->dev;
	unsigned long long id = (unsigned long long)job->id;
	uint64_t up, down;
	char why[512];
	SSL *ssl;
	int fd, err;

	fd = sl_tcp_connect(dev->host, job->port, (int)a->cfg.connect_timeout_ms,
			    why, sizeof(why));
	if (fd < 0) {
		sl_log_warn("session %016llx: device %s unreachable: %s", id,
			    dev->info.name, why);
		sl_peer_attach(a->tls, &a->cfg.relay, job->id, job->token,
			       sizeof(job->token), SLUICE_E_UNREACHABLE, why, &err,
			       why, sizeof(why));
		goto out;
	}
	ssl = sl_peer_attach(a->tls, &a->cfg.relay, job->id, job->token,
			     sizeof(job->token), 0, NULL, &err, why, sizeof(why));
	if (!ssl) {
		sl_log_warn("session %016llx: data leg failed: %s", id, why);
		close(fd);
		goto out;
	}
	sl_log_info("session %016llx: connected to device %s (%s:%u)", id,
		    dev->info.name, dev->host, job->port);
	err = sl_peer_pump(fd, ssl, &up, &down, why, sizeof(why));
	if (err)
		sl_log_warn("session %016llx ended: %s (%llu bytes from device, %llu to device)",
			    id, why, (unsigned long long)up, (unsigned long long)down);
	else
		sl_log_info("session %016llx closed: %llu bytes from device, %llu to device",
			    id, (unsigned long long)up, (unsigned long long)down);
	close(fd);
	sl_tls_close(ssl);
out:
	memset(job->token, 0, sizeof(job->token));
	free(job);
	atomic_fetch_sub(&active_sessions, 1);
	return NULL;
}

int agent_session_start(struct agent *a, const struct agent_device *dev,
			uint16_t port, uint64_t id, const void *token)
{
	struct session_job *job;
	pthread_attr_t attr;
	pthread_t t;
	int ret;

	if (atomic_fetch_add(&active_sessions, 1) >= AGENT_SESSIONS_MAX) {
		atomic_fetch_sub(&active_sessions, 1);
		return -EAGAIN;
	}
	job = calloc(1, sizeof(*job));
	if (!job) {
		atomic_fetch_sub(&active_sessions, 1);
		return -ENOMEM;
	}
	job->a = a;
	job->dev = dev;
	job->port = port;
	job->id = id;
	memcpy(job->token, token, sizeof(job->token));
	sl_log_info("session %016llx: connecting to device %s port %u",
		    (unsigned long long)id, dev->info.name, port);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = pthread_create(&t, &attr, session_main, job);
	pthread_attr_destroy(&attr);
	if (ret) {
		free(job);
		atomic_fetch_sub(&active_sessions, 1);
		return -ret;
	}
	return 0;
}
