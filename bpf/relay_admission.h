/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Types shared by bpf/relay_admission.bpf.c and the relay's loader
 * (userspace/relay/admission.c).  Addresses are IPv6, IPv4 mapped.
 */
#ifndef RELAY_ADMISSION_H
#define RELAY_ADMISSION_H

#define RA_PORTS_MAX 16
#define RA_SOURCES_MAX 262144	/* token buckets (LRU) */
#define RA_LOCKOUTS_MAX 65536
#define RA_BLOCKLIST_MAX 4096

enum ra_drop_reason {
	RA_DROP_BLOCKLIST = 0,	/* operator blocklist */
	RA_DROP_LOCKOUT = 1,	/* source locked out after failed logins */
	RA_DROP_RATE = 2,	/* over the per-source new-connection rate */
	RA_DROP_MAX = 3,
};

struct ra_addr {
	__u8 addr[16];
};

/* LPM trie key of the blocklist. */
struct ra_prefix {
	__u32 prefixlen;	/* of the IPv6 (mapped) address */
	__u8 addr[16];
};

struct ra_bucket {
	__u64 milli_tokens;	/* 1000 per connection */
	__u64 last_ns;
};

struct ra_config {
	__u64 rate_per_sec;	/* new connections per second and source */
	__u64 burst;		/* bucket size, in connections */
};

#endif
