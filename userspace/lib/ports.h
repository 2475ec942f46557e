/* SPDX-License-Identifier: MIT */
/* Port rules of a device: a bounded list of (protocol, first..last) ranges. */
#ifndef SL_PORTS_H
#define SL_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../include/uapi/sluice.h"

struct sl_port_range {
	uint16_t first;
	uint16_t last;
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
};

struct sl_ports {
	unsigned int n;
	struct sl_port_range r[SLUICE_RANGES_MAX];
};

/*
 * Parses "502, 80, 8000-8010, udp/161" (protocol tcp unless "udp/" is
 * given) and appends the ranges to p.  Returns 0, or -EINVAL (bad token)
 * or -E2BIG (more than SLUICE_RANGES_MAX ranges) with a reason quoting the
 * offending token in why.
 */
int sl_ports_parse(const char *s, struct sl_ports *p, char *why, size_t whylen);
/* Adds one range after checking it; returns 0 or -EINVAL / -E2BIG. */
int sl_ports_add(struct sl_ports *p, uint8_t proto, unsigned int first,
		 unsigned int last);
bool sl_ports_allows(const struct sl_ports *p, uint8_t proto, uint16_t port);
/* "80,502,8000-8010,udp/161" into buf (always NUL-terminated). */
void sl_ports_format(const struct sl_ports *p, char *buf, size_t len);

/* Agent, device and user names: [A-Za-z0-9._-], 1..SLUICE_NAME_MAX bytes. */
bool sl_name_valid(const char *s);

#endif
