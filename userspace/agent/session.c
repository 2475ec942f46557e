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
		sl_peer_attach(a->data_tls, &a->cfg.relay, job->id, job->token,
			       sizeof(job->token), SLUICE_E_UNREACHABLE, reason, &err,
			       why, sizeof(why));
		o = AGENT_OUTCOME_UNREACHABLE;
		goto out;
	}
	snprintf(what, sizeof(what), "to device %s (%s:%u)", dev->info.name, dev->host,
		 job->port);
	/* To the relay is what the device sent: bytes to the client. */
	o = sl_peer_session(a->data_tls, &a->cfg.relay, &job->w, fd, job->id, job->token,
			    sizeof(job->token), what, &to_client, &to_device) ?
		AGENT_OUTCOME_ERROR : AGENT_OUTCOME_OK;
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
