// SPDX-License-Identifier: MIT
#include "backoff.h"

void sl_backoff_init(struct sl_backoff *b, uint32_t base_ms, uint32_t cap_ms,
		     uint64_t seed)
{
	if (base_ms < 2)
		base_ms = 2;
	if (cap_ms < base_ms)
		cap_ms = base_ms;
	b->base_ms = base_ms;
	b->cap_ms = cap_ms;
	b->cur_ms = base_ms;
	b->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
}

/* xorshift64*: jitter needs spread, not secrecy. */
static uint64_t next_rand(struct sl_backoff *b)
{
	b->rng ^= b->rng >> 12;
	b->rng ^= b->rng << 25;
	b->rng ^= b->rng >> 27;
	return b->rng * 0x2545f4914f6cdd1dull;
}

uint32_t sl_backoff_next(struct sl_backoff *b)
{
	uint32_t half = b->cur_ms / 2;
	uint32_t delay = half + (uint32_t)(next_rand(b) % ((uint64_t)(b->cur_ms - half) + 1));

	if (b->cur_ms > b->cap_ms / 2)
		b->cur_ms = b->cap_ms;
	else
		b->cur_ms *= 2;
	return delay;
}

void sl_backoff_reset(struct sl_backoff *b)
{
	b->cur_ms = b->base_ms;
}
