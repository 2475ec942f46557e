// SPDX-License-Identifier: MIT
/*
 * Loader of the admission filter, and the bookkeeping of failed logins
 * per source.  Lockouts live in userspace (source -> expiry, the truth)
 * and are pushed into the kernel map with the same expiry in
 * CLOCK_MONOTONIC nanoseconds, which is bpf_ktime_get_ns()'s clock.
 * The handshake threads check sources as they accept, the control loop
 * counts failures: the table and the drop counters are under a lock.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admission.h"
#include "bpf_log.h"
#include "log.h"
#include "relay.h"
#include "relay_admission.skel.h"

struct source {
	struct ra_addr addr;
	unsigned int failures;
	uint64_t first_ms;		/* start of the current failure window */
	uint64_t locked_until_ms;	/* 0: not locked */
	UT_hash_handle hh;
};

struct relay_admission {
	struct relay_admission_bpf *skel;	/* NULL: userspace only */
	pthread_mutex_t lock;			/* sources, user_drops */
	struct source *sources;
	uint64_t user_drops[RA_DROP_MAX];
};

static void to_ra_addr(const struct sockaddr *sa, struct ra_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		out->addr[10] = out->addr[11] = 0xff;
		memcpy(out->addr + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else {
		memcpy(out->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
}

static void cidr_to_prefix(const struct sl_cidr *c, struct ra_prefix *p)
{
	memset(p, 0, sizeof(*p));
	if (c->family == AF_INET) {
		p->addr[10] = p->addr[11] = 0xff;
		memcpy(p->addr + 12, c->addr, 4);
		p->prefixlen = 96 + c->bits;
	} else {
		memcpy(p->addr, c->addr, 16);
		p->prefixlen = c->bits;
	}
}

static int fill_maps(struct relay *r, struct relay_admission_bpf *skel)
{
	struct ra_config cfg = { .rate_per_sec = r->cfg.admission_rate,
				 .burst = r->cfg.admission_burst };
	uint32_t zero = 0;
	uint8_t one = 1;
	unsigned int i;

	for (i = 0; i < r->cfg.nlisten; i++) {
		uint16_t port = r->cfg.listen[i].port;

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.ports), &port, &one, BPF_ANY))
			return -errno;
	}
	for (i = 0; i < r->cfg.nblocklist; i++) {
		struct ra_prefix p;

		cidr_to_prefix(&r->cfg.blocklist[i], &p);
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.blocklist), &p, &one, BPF_ANY))
			return -errno;
	}
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.settings), &zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

int relay_admission_start(struct relay *r, char *why, size_t whylen)
{
	struct relay_admission *a = calloc(1, sizeof(*a));
	struct relay_admission_bpf *skel;
	struct bpf_link *link;
	int ns, ret;

	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->lock, NULL);
	r->admission = a;
	sl_bpf_log_init();
	skel = relay_admission_bpf__open_and_load();
	if (!skel) {
		ret = -errno;
		snprintf(why, whylen, "cannot load the eBPF admission filter: %s%s",
			 strerror(errno),
			 errno == EPERM ? " (needs root, or CAP_BPF and CAP_NET_ADMIN)" : "");
		return ret;
	}
	ret = fill_maps(r, skel);
	if (ret) {
		snprintf(why, whylen, "cannot fill the admission maps: %s", strerror(-ret));
		goto err;
	}
	ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns == -1) {
		ret = -errno;
		snprintf(why, whylen, "cannot open /proc/self/ns/net: %s", strerror(errno));
		goto err;
	}
	link = bpf_program__attach_netns(skel->progs.ra_lookup, ns);
	close(ns);
	if (!link) {
		ret = -errno;
		snprintf(why, whylen, "cannot attach sk_lookup to the network namespace: %s",
			 strerror(errno));
		goto err;
	}
	skel->links.ra_lookup = link;
	a->skel = skel;
	return 0;
err:
	relay_admission_bpf__destroy(skel);
	return ret;
}

void relay_admission_stop(struct relay *r)
{
	struct relay_admission *a = r->admission;
	struct source *s, *tmp;

	if (!a)
		return;
	r->admission = NULL;
	relay_admission_bpf__destroy(a->skel);
	HASH_ITER(hh, a->sources, s, tmp) {
		HASH_DEL(a->sources, s);
		free(s);
	}
	pthread_mutex_destroy(&a->lock);
	free(a);
}

bool relay_admission_in_kernel(const struct relay *r)
{
	return r->admission && r->admission->skel;
}

static void push_lockout(struct relay_admission *a, const struct source *s,
			 uint64_t now_ms)
{
	uint64_t until_ns;
	struct timespec ts;

	if (!a->skel)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	until_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec +
		   (s->locked_until_ms - now_ms) * 1000000ull;
	if (bpf_map_update_elem(bpf_map__fd(a->skel->maps.lockouts), &s->addr,
				&until_ns, BPF_ANY))
		sl_log_warn("cannot push a lockout into the kernel: %s", strerror(errno));
}

void relay_admission_failure(struct relay *r, const struct sockaddr *sa)
{
	struct relay_admission *a = r->admission;
	uint64_t window = r->cfg.source_lockout_ms;
	struct ra_addr key;
	struct source *s;
	char addr[SL_ADDRSTRLEN];

	if (!a || !r->cfg.source_lockout_failures)
		return;
	to_ra_addr(sa, &key);
	pthread_mutex_lock(&a->lock);
	HASH_FIND(hh, a->sources, &key, sizeof(key), s);
	if (!s && (s = calloc(1, sizeof(*s)))) {
		s->addr = key;
		HASH_ADD(hh, a->sources, addr, sizeof(s->addr), s);
	}
	if (!s)
		goto out;
	if (!s->failures || r->now_ms - s->first_ms > window) {
		s->failures = 0;
		s->first_ms = r->now_ms;
	}
	if (++s->failures < r->cfg.source_lockout_failures)
		goto out;
	s->failures = 0;
	s->locked_until_ms = r->now_ms + r->cfg.source_lockout_ms;
	sl_addr_str(sa, addr, sizeof(addr));
	sl_log_warn("source %.*s locked out for %llu s after %llu failed logins",
		    (int)(strrchr(addr, ':') - addr), addr,
		    (unsigned long long)(r->cfg.source_lockout_ms / 1000),
		    (unsigned long long)r->cfg.source_lockout_failures);
	push_lockout(a, s, r->now_ms);
out:
	pthread_mutex_unlock(&a->lock);
}

bool relay_admission_refuse(struct relay *r, const struct sockaddr *sa, uint64_t now_ms)
{
	struct relay_admission *a = r->admission;
	enum ra_drop_reason why = RA_DROP_MAX;
	struct ra_addr key;
	struct source *s;

	if (!a)
		return false;
	/* The blocklist is read only at start (a reload does not change it). */
	if (sl_cidr_match(r->cfg.blocklist, r->cfg.nblocklist, sa))
		why = RA_DROP_BLOCKLIST;
	to_ra_addr(sa, &key);
	pthread_mutex_lock(&a->lock);
	if (why == RA_DROP_MAX) {
		HASH_FIND(hh, a->sources, &key, sizeof(key), s);
		if (s && s->locked_until_ms > now_ms)
			why = RA_DROP_LOCKOUT;
	}
	if (why != RA_DROP_MAX)
		a->user_drops[why]++;
	pthread_mutex_unlock(&a->lock);
	return why != RA_DROP_MAX;
}

void relay_admission_drops(struct relay *r, uint64_t out[RA_DROP_MAX])
{
	struct relay_admission *a = r->admission;
	int ncpu = libbpf_num_possible_cpus();
	uint32_t i;

	memset(out, 0, sizeof(uint64_t) * RA_DROP_MAX);
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	memcpy(out, a->user_drops, sizeof(a->user_drops));
	pthread_mutex_unlock(&a->lock);
	for (i = 0; i < RA_DROP_MAX; i++) {
		if (a->skel && ncpu > 0) {
			uint64_t vals[ncpu];
			int c;

			if (bpf_map_lookup_elem(bpf_map__fd(a->skel->maps.drops), &i, vals))
				continue;
			for (c = 0; c < ncpu; c++)
				out[i] += vals[c];
		}
	}
}

unsigned int relay_admission_lockouts(struct relay *r)
{
	struct relay_admission *a = r->admission;
	struct source *s, *tmp;
	unsigned int n = 0;

	if (!a)
		return 0;
	pthread_mutex_lock(&a->lock);
	HASH_ITER(hh, a->sources, s, tmp) {
		if (s->locked_until_ms > r->now_ms)
			n++;
		else if (!s->failures) {
			HASH_DEL(a->sources, s);	/* expired and clean */
			free(s);
		}
	}
	pthread_mutex_unlock(&a->lock);
	return n;
}
