/* SPDX-License-Identifier: MIT */
/*
 * The relay's admission control (bpf/relay_admission.bpf.c, docs/ebpf.md):
 * the operator's blocklist, sources locked out after repeated failed
 * logins, and a per-source new-connection rate, enforced in the kernel
 * before any TLS work.  Without BPF the blocklist and lockouts are
 * enforced right after accept() instead, and the rate is not limited.
 */
#ifndef RELAY_ADMISSION_H_USER
#define RELAY_ADMISSION_H_USER

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <sys/socket.h>

#include "relay_admission.h"

struct relay;

/* Loads and attaches the filter; 0, or -errno with why (then userspace). */
int relay_admission_start(struct relay *r, char *why, size_t whylen);
/* Detaches and frees.  NULL-safe. */
void relay_admission_stop(struct relay *r);
/* A failed login from sa: locks the source out once it has failed
 * source_lockout_failures times within source_lockout_time. */
void relay_admission_failure(struct relay *r, const struct sockaddr *sa);
/* After accept(), any thread: true when the connection must be closed at
 * once (blocklisted or locked out; only needed when the kernel filter is
 * off, or the lockout is newer than the SYN). */
bool relay_admission_refuse(struct relay *r, const struct sockaddr *sa, uint64_t now_ms);
/* Drops by enum ra_drop_reason since start, kernel and userspace. */
void relay_admission_drops(struct relay *r, uint64_t out[RA_DROP_MAX]);
/* Sources locked out now. */
unsigned int relay_admission_lockouts(struct relay *r);
/* Whether the kernel filter is attached. */
bool relay_admission_in_kernel(const struct relay *r);

#endif
