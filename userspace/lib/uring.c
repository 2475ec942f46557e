// SPDX-License-Identifier: MIT
#include "uring.h"

#include <errno.h>

int sl_uring_init(unsigned int entries, struct io_uring *ring, unsigned int *flags)
{
	static const unsigned int tries[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_SINGLE_ISSUER,
		0,
	};
	unsigned int i;
	int ret = -EINVAL;

	/* An older kernel refuses flags it does not know with EINVAL. */
	for (i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		ret = io_uring_queue_init(entries, ring, tries[i]);
		if (ret != -EINVAL)
			break;
	}
	if (!ret)
		*flags = tries[i];
	return ret;
}

const char *sl_uring_flags_name(unsigned int flags)
{
	if (flags & IORING_SETUP_DEFER_TASKRUN)
		return "SINGLE_ISSUER|DEFER_TASKRUN";
	if (flags & IORING_SETUP_SINGLE_ISSUER)
		return "SINGLE_ISSUER";
	return "no setup flags";
}
