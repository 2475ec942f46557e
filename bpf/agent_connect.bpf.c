// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's second line of defence: cgroup sock_addr programs that let
 * the sockets of the agent's connector (its cgroup) reach only the
 * (address, port, protocol) tuples of configured devices.  connect4/6 see
 * TCP connects and UDP connects, sendmsg4/6 unconnected UDP sends.  A
 * refusal returns EPERM to the caller and is counted per (device, port,
 * protocol) for the agent to report.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "agent_connect.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, AC_RULES_MAX);
	__type(key, struct ac_key);
	__type(value, struct ac_rule);
} rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, AC_DENIALS_MAX);
	__type(key, struct ac_deny_key);
	__type(value, __u64);
} denials SEC(".maps");

static __always_inline int decide(struct ac_key *k, __u16 port)
{
	struct ac_deny_key dk = { .device = AC_DEVICE_NONE, .port = port,
				  .proto = k->proto };
	struct ac_rule *r = bpf_map_lookup_elem(&rules, k);
	__u64 one = 1, *cnt;
	int i;

	if (r) {
		for (i = 0; i < AC_RANGES_MAX; i++) {
			if (i >= r->n)
				break;
			if (port >= r->range[i].first && port <= r->range[i].last)
				return 1;
		}
		dk.device = r->device;
	}
	cnt = bpf_map_lookup_elem(&denials, &dk);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&denials, &dk, &one, BPF_NOEXIST);
	return 0;
}

static __always_inline int check4(struct bpf_sock_addr *ctx)
{
	struct ac_key k = {};
	__u32 ip = ctx->user_ip4;

	k.proto = (__u8)ctx->protocol;
	k.addr[10] = 0xff;
	k.addr[11] = 0xff;
	__builtin_memcpy(&k.addr[12], &ip, 4);
	return decide(&k, bpf_ntohs((__u16)ctx->user_port));
}

static __always_inline int check6(struct bpf_sock_addr *ctx)
{
	struct ac_key k = {};
	__u32 w[4];

	/* The context allows 4-byte loads of user_ip6 only. */
	w[0] = ctx->user_ip6[0];
	w[1] = ctx->user_ip6[1];
	w[2] = ctx->user_ip6[2];
	w[3] = ctx->user_ip6[3];
	k.proto = (__u8)ctx->protocol;
	__builtin_memcpy(k.addr, w, 16);
	return decide(&k, bpf_ntohs((__u16)ctx->user_port));
}

SEC("cgroup/connect4")
int ac_connect4(struct bpf_sock_addr *ctx)
{
	return check4(ctx);
}

SEC("cgroup/connect6")
int ac_connect6(struct bpf_sock_addr *ctx)
{
	return check6(ctx);
}

SEC("cgroup/sendmsg4")
int ac_sendmsg4(struct bpf_sock_addr *ctx)
{
	return check4(ctx);
}

SEC("cgroup/sendmsg6")
int ac_sendmsg6(struct bpf_sock_addr *ctx)
{
	return check6(ctx);
}
