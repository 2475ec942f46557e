/* SPDX-License-Identifier: MIT */
/*
 * Kernel enforcement of the agent's device rules (eBPF, see
 * bpf/agent_connect.bpf.c and docs/ebpf.md).
 *
 * The agent makes a cgroup of its own and attaches connect/sendmsg
 * programs to it; device-side sockets are made by the connector, a child
 * process that lives in that cgroup and passes connected sockets back over
 * a unix socket.  The agent itself (its relay connections) stays outside.
 */
#ifndef AGENT_ENFORCE_H
#define AGENT_ENFORCE_H

#include <stddef.h>
#include <stdint.h>

struct agent;
struct sl_denial;
struct agent_device;

/*
 * Sets up the cgroup, programs, rules and connector.  0, or -errno with the
 * reason in why; the agent then runs with its userspace check only (or
 * stops, with require_kernel_enforcement).
 */
int agent_enforce_start(struct agent *a, char *why, size_t whylen);
/* Detaches, stops the connector, removes the cgroup.  NULL-safe. */
void agent_enforce_stop(struct agent *a);

/*
 * Connects to a device port: through the connector (after the rules are
 * brought up to date with the device's current addresses) when kernel
 * enforcement is on, directly otherwise.  A blocking fd or -errno + why.
 */
int agent_device_connect(struct agent *a, const struct agent_device *dev,
			 uint16_t port, char *why, size_t whylen);

/*
 * Replaces the device table the rules come from (after a configuration
 * reload), rewriting the rules in place.  0 or -errno.
 */
int agent_enforce_reload(struct agent *a, const struct agent_device *devs,
			 unsigned int n);

/* Logs denials counted by the kernel since the last call. */
void agent_enforce_poll(struct agent *a);
/*
 * The kernel's denials since the agent started, per (device name, port,
 * protocol), into out[SLUICE_DENIALS_MAX]; returns the count (0 without
 * kernel enforcement).
 */
unsigned int agent_enforce_denials(struct agent *a, struct sl_denial *out);

#endif
