// SPDX-License-Identifier: MIT
/* One thread per session: device connect, data leg, pump. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "enforce.h"
#include "log.h"
#include "net.h"
#include "tls.h"
#include "workers.h"

#define AGENT_SESSIONS_MAX 1024

struct session_job {
	struct sl_worker w;
	struct agent *a;
	struct agent_device dev;	/* a copy: a reload may replace the table */
	uint16_t port;
	uint64_t id;
	unsigned char token[SLUICE_SESSION_TOKEN_LEN];
};

bool agent_session_allowed(const struct agent_config *cfg, const char *device,
			   uint16_t port)
{
	const struct agent_device *d = agent_device_find(cfg, device);

	return d && sl_ports_allows(&d->info.ports, IPPROTO_TCP, port);
}

/* sl_workers_shutdown_if() predicate: ends what a reload took away. */
bool agent_session_disallowed(struct sl_worker *w, void *cfg)
{
	struct session_job *job = (struct session_job *)w;

	if (agent_session_allowed(cfg, job->dev.info.name, job->port))
		return false;
	sl_log_warn("session %016llx: closing, %s port %u is no longer allowed",
		    (unsigned long long)job->id, job->dev.info.name, job->port);
	return true;
}

/*
 * sl_peer_session() with the byte counts and the outcome kept for the
 * metrics: attaches the data leg and pumps until both directions end.
 * Closes fd.
 */
static enum agent_outcome pump_session(struct session_job *job, int fd,
				       const char *what, uint64_t *to_device,
				       uint64_t *to_client)
{
	struct agent *a = job->a;
	unsigned long long id = (unsigned long long)job->id;
	enum agent_outcome o = AGENT_OUTCOME_ERROR;
	char why[512];
	SSL *ssl;
	int err;

	if (!sl_worker_set_fd(&job->w, 0, fd))
		goto out;
	ssl = sl_peer_attach(a->tls, &a->cfg.relay, job->id, job->token,
			     sizeof(job->token), 0, NULL, &err, why, sizeof(why));
	if (!ssl) {
		sl_log_warn("session %016llx: data leg failed: %s", id, why);
		goto out;
	}
	if (!sl_worker_set_fd(&job->w, 1, SSL_get_fd(ssl)))
		goto out_tls;
	sl_log_info("session %016llx: connected %s", id, what);
	err = sl_peer_pump(fd, ssl, to_client, to_device, why, sizeof(why));
	if (err) {
		sl_log_warn("session %016llx ended: %s (%llu bytes to the relay, %llu from it)",
			    id, why, (unsigned long long)*to_client,
			    (unsigned long long)*to_device);
	} else {
		sl_log_info("session %016llx closed: %llu bytes to the relay, %llu from it",
			    id, (unsigned long long)*to_client, (unsigned long long)*to_device);
		o = AGENT_OUTCOME_OK;
	}
out_tls:
	sl_worker_set_fd(&job->w, 1, -1);
	sl_tls_close(ssl);
out:
	sl_worker_set_fd(&job->w, 0, -1);
	close(fd);
	return o;
}

static void *session_main(void *arg)
{
	struct session_job *job = arg;
	struct agent *a = job->a;
	const struct agent_device *dev = &job->dev;
	unsigned long long id = (unsigned long long)job->id;
	char why[512], reason[512], what[400];
	uint64_t to_device = 0, to_client = 0;
	enum agent_outcome o;
	int fd, err;

	agent_stats_session_start(&a->stats);
	fd = agent_device_connect(a, dev, job->port, reason, sizeof(reason));
	agent_stats_device(&a->stats, dev->info.name, fd >= 0);
	if (fd < 0) {
		sl_log_warn("session %016llx: device %s unreachable: %s", id,
			    dev->info.name, reason);
		sl_peer_attach(a->tls, &a->cfg.relay, job->id, job->token,
			       sizeof(job->token), SLUICE_E_UNREACHABLE, reason, &err,
			       why, sizeof(why));
		o = AGENT_OUTCOME_UNREACHABLE;
		goto out;
	}
	snprintf(what, sizeof(what), "to device %s (%s:%u)", dev->info.name, dev->host,
		 job->port);
	o = pump_session(job, fd, what, &to_device, &to_client);
out:
	agent_stats_session_end(&a->stats, o, true, to_device, to_client);
	OPENSSL_cleanse(job->token, sizeof(job->token));
	sl_worker_done(&job->w);
	free(job);
	return NULL;
}

int agent_session_start(struct agent *a, const struct agent_device *dev,
			uint16_t port, uint64_t id, const void *token)
{
	struct session_job *job = calloc(1, sizeof(*job));
	int ret;

	if (!job)
		return -ENOMEM;
	job->a = a;
	job->dev = *dev;
	job->port = port;
	job->id = id;
	memcpy(job->token, token, sizeof(job->token));
	sl_log_info("session %016llx: connecting to device %s port %u",
		    (unsigned long long)id, dev->info.name, port);
	ret = sl_worker_start(&job->w, AGENT_SESSIONS_MAX, session_main, job);
	if (ret)
		free(job);
	return ret;
}
