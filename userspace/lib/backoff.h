/* SPDX-License-Identifier: MIT */
/*
 * Reconnect delays: exponential growth from base to cap with "equal jitter"
 * (half the delay fixed, half random), so a fleet of agents that lost the
 * relay at the same moment does not return at the same moment, and no delay
 * is ever zero.
 */
#ifndef SL_BACKOFF_H
#define SL_BACKOFF_H

#include <stdint.h>

struct sl_backoff {
	uint32_t base_ms;
	uint32_t cap_ms;
	uint32_t cur_ms;
	uint64_t rng;
};

void sl_backoff_init(struct sl_backoff *b, uint32_t base_ms, uint32_t cap_ms,
		     uint64_t seed);
/* The delay before the next attempt; grows the next one. */
uint32_t sl_backoff_next(struct sl_backoff *b);
/* After a connection that worked: start from base again. */
void sl_backoff_reset(struct sl_backoff *b);

#endif
