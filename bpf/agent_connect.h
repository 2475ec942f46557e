/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Types shared by bpf/agent_connect.bpf.c and the agent's loader
 * (userspace/agent/enforce.c).  Addresses are IPv6; IPv4 is stored mapped
 * (::ffff:a.b.c.d), so one rule covers a device reached either way.
 */
#ifndef AGENT_CONNECT_H
#define AGENT_CONNECT_H

#define AC_RULES_MAX 1024	/* (address, protocol) pairs */
#define AC_RANGES_MAX 64	/* port ranges per pair */
#define AC_DENIALS_MAX 4096	/* (device, port, protocol) counters */
#define AC_DEVICE_NONE 0xffffffffu	/* a denial to no device's address */

struct ac_key {
	__u8 addr[16];
	__u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad[3];
};

struct ac_range {
	__u16 first;
	__u16 last;
	__u32 device;		/* index in the agent's device list */
};

struct ac_rule {
	__u32 n;
	__u32 device;		/* the device denials to this address count for */
	struct ac_range range[AC_RANGES_MAX];
};

struct ac_deny_key {
	__u32 device;
	__u16 port;
	__u8 proto;
	__u8 pad;
};

#endif
