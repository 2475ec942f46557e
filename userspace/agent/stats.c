// SPDX-License-Identifier: MIT
/* The agent's counters behind one mutex; see stats.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "clock.h"
#include "stats.h"

const char *const agent_link_names[__AGENT_LINK_MAX] = {
	[AGENT_LINK_CONNECTING] = "connecting",
	[AGENT_LINK_ENROLLING] = "enrolling",
	[AGENT_LINK_CONNECTED] = "connected",
	[AGENT_LINK_PENDING] = "pending",
	[AGENT_LINK_DISCONNECTED] = "disconnected",
	[AGENT_LINK_REFUSED] = "refused",
	[AGENT_LINK_LOCKED] = "locked",
	[AGENT_LINK_DISABLED] = "disabled",
};

const char *const agent_outcome_names[__AGENT_OUTCOME_MAX] = {
	[AGENT_OUTCOME_OK] = "ok",
	[AGENT_OUTCOME_ERROR] = "error",
	[AGENT_OUTCOME_UNREACHABLE] = "unreachable",
	[AGENT_OUTCOME_REFUSED] = "refused",
};

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool link_up(enum agent_link l)
{
	return l == AGENT_LINK_CONNECTED || l == AGENT_LINK_PENDING;
}

int agent_stats_init(struct agent_stats *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->switch_on = -1;
	s->start_ms = wall_ms();
	ret = pthread_mutex_init(&s->lock, NULL);
	return ret ? -ret : 0;
}

void agent_stats_uninit(struct agent_stats *s)
{
	if (s)
		pthread_mutex_destroy(&s->lock);
}

void agent_stats_link(struct agent_stats *s, enum agent_link link)
{
	uint64_t now = sl_now_ms();

	pthread_mutex_lock(&s->lock);
	if (link_up(s->link) && !link_up(link))
		s->connected_ms += now - s->link_up_mono_ms;
	if (!link_up(s->link) && link_up(link)) {
		s->link_up_mono_ms = now;
		s->last_connect_ms = wall_ms();
		s->connects++;
	}
	s->link = link;
	pthread_mutex_unlock(&s->lock);
}

#define BUMP(s, field)                          \
	do {                                    \
		pthread_mutex_lock(&(s)->lock); \
		(s)->field++;                   \
		pthread_mutex_unlock(&(s)->lock); \
	} while (0)

void agent_stats_reconnect(struct agent_stats *s)
{
	BUMP(s, reconnects);
}

void agent_stats_heartbeat_miss(struct agent_stats *s)
{
	BUMP(s, heartbeat_misses);
}

void agent_stats_http_request(struct agent_stats *s)
{
	BUMP(s, http_requests);
}

void agent_stats_session_start(struct agent_stats *s)
{
	BUMP(s, sessions_active);
}

void agent_stats_switch(struct agent_stats *s, bool on)
{
	pthread_mutex_lock(&s->lock);
	s->switch_on = on;
	pthread_mutex_unlock(&s->lock);
}

void agent_stats_session_end(struct agent_stats *s, enum agent_outcome o,
			     bool started, uint64_t to_device,
			     uint64_t to_client)
{
	pthread_mutex_lock(&s->lock);
	if (started && s->sessions_active)
		s->sessions_active--;
	s->sessions[o]++;
	s->bytes_to_device += to_device;
	s->bytes_to_client += to_client;
	pthread_mutex_unlock(&s->lock);
}

static struct agent_dev_stats *dev_find(struct agent_stats *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->ndev; i++)
		if (!strcmp(s->dev[i].name, name))
			return &s->dev[i];
	return NULL;
}

void agent_stats_device(struct agent_stats *s, const char *name, bool reachable)
{
	struct agent_dev_stats *d;

	pthread_mutex_lock(&s->lock);
	d = dev_find(s, name);
	if (d) {	/* else a reload removed it meanwhile */
		d->attempts++;
		d->failures += !reachable;
		d->tried = true;
		d->reachable = reachable;
		d->last_ms = wall_ms();
	}
	pthread_mutex_unlock(&s->lock);
}

void agent_stats_devices(struct agent_stats *s, const struct agent_config *cfg)
{
	static struct agent_dev_stats next[SLUICE_DEVICES_MAX];
	struct agent_dev_stats *old;
	unsigned int i, n = 0;

	/* Only the control thread calls this, so the static buffer is its own. */
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < cfg->ndevices && n < SLUICE_DEVICES_MAX; i++, n++) {
		old = dev_find(s, cfg->devices[i].info.name);
		if (old) {
			next[n] = *old;
		} else {
			memset(&next[n], 0, sizeof(next[n]));
			snprintf(next[n].name, sizeof(next[n].name), "%s",
				 cfg->devices[i].info.name);
		}
	}
	memcpy(s->dev, next, n * sizeof(next[0]));
	s->ndev = n;
	pthread_mutex_unlock(&s->lock);
}

void agent_stats_snapshot(struct agent_stats *s, struct agent_stats *out)
{
	uint64_t now = sl_now_ms();

	pthread_mutex_lock(&s->lock);
	memcpy(out, s, sizeof(*out));
	pthread_mutex_unlock(&s->lock);
	/* Time connected includes the live connection. */
	if (link_up(out->link))
		out->connected_ms += now - out->link_up_mono_ms;
	memset(&out->lock, 0, sizeof(out->lock));
}
