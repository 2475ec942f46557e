// SPDX-License-Identifier: GPL-2.0
/*
 * The relay's admission filter: an sk_lookup program, run by the kernel
 * when a new connection (a TCP SYN) looks for a listening socket on one of
 * the relay's ports.  It drops, before any TLS work:
 *   - sources on the operator's blocklist (LPM trie of prefixes),
 *   - sources locked out after failed logins, until their expiry
 *     (CLOCK_MONOTONIC ns, as bpf_ktime_get_ns),
 *   - sources over their new-connection rate (a token bucket per source).
 * Established connections never reach sk_lookup.  Every drop is counted
 * by reason.  Buckets are updated without a lock: concurrent SYNs of one
 * source on several CPUs may each see the same tokens, so the limit is
 * approximate by at most the number of CPUs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "relay_admission.h"

#define IPPROTO_TCP 6
#define AF_INET 2

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RA_PORTS_MAX);
	__type(key, __u16);
	__type(value, __u8);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, RA_BLOCKLIST_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ra_prefix);
	__type(value, __u8);
} blocklist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RA_LOCKOUTS_MAX);
	__type(key, struct ra_addr);
	__type(value, __u64);
} lockouts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RA_SOURCES_MAX);
	__type(key, struct ra_addr);
	__type(value, struct ra_bucket);
} buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ra_config);
} settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RA_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline int drop(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &reason);

	if (n)
		*n += 1;
	return SK_DROP;
}

/* True when the source may open one more connection now. */
static __always_inline bool take_token(struct ra_addr *src, __u64 now)
{
	__u32 zero = 0;
	struct ra_config *cfg = bpf_map_lookup_elem(&settings, &zero);
	struct ra_bucket *b, nb;
	__u64 full, elapsed, tokens;

	if (!cfg || !cfg->rate_per_sec)
		return true;
	full = cfg->burst * 1000;
	b = bpf_map_lookup_elem(&buckets, src);
	if (!b) {
		nb.milli_tokens = full - 1000;
		nb.last_ns = now;
		bpf_map_update_elem(&buckets, src, &nb, BPF_ANY);
		return true;
	}
	elapsed = now - b->last_ns;
	/* Past 100 s every bucket is full; below, no overflow. */
	if (elapsed > 100000000000ull)
		tokens = full;
	else
		tokens = b->milli_tokens + elapsed * cfg->rate_per_sec / 1000000;
	if (tokens > full)
		tokens = full;
	b->last_ns = now;
	if (tokens < 1000) {
		b->milli_tokens = tokens;
		return false;
	}
	b->milli_tokens = tokens - 1000;
	return true;
}

SEC("sk_lookup")
int ra_lookup(struct bpf_sk_lookup *ctx)
{
	struct ra_prefix pfx = { .prefixlen = 128 };
	struct ra_addr src = {};
	__u16 lport = (__u16)ctx->local_port;	/* host byte order */
	__u64 now = bpf_ktime_get_ns(), *until;

	if (ctx->protocol != IPPROTO_TCP || !bpf_map_lookup_elem(&ports, &lport))
		return SK_PASS;
	if (ctx->family == AF_INET) {
		__u32 ip = ctx->remote_ip4;

		src.addr[10] = 0xff;
		src.addr[11] = 0xff;
		__builtin_memcpy(&src.addr[12], &ip, 4);
	} else {
		__u32 w[4];

		w[0] = ctx->remote_ip6[0];
		w[1] = ctx->remote_ip6[1];
		w[2] = ctx->remote_ip6[2];
		w[3] = ctx->remote_ip6[3];
		__builtin_memcpy(src.addr, w, 16);
	}
	__builtin_memcpy(pfx.addr, src.addr, 16);
	if (bpf_map_lookup_elem(&blocklist, &pfx))
		return drop(RA_DROP_BLOCKLIST);
	until = bpf_map_lookup_elem(&lockouts, &src);
	if (until) {
		if (*until > now)
			return drop(RA_DROP_LOCKOUT);
		bpf_map_delete_elem(&lockouts, &src);
	}
	if (!take_token(&src, now))
		return drop(RA_DROP_RATE);
	return SK_PASS;
}
