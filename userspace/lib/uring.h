/* SPDX-License-Identifier: MIT */
/*
 * io_uring set-up shared by the relay's loop and its data-plane workers:
 * the best setup flags the kernel takes.
 */
#ifndef SL_URING_H
#define SL_URING_H

#include <liburing.h>

/*
 * io_uring_queue_init() with SINGLE_ISSUER|DEFER_TASKRUN (Linux 6.1), else
 * SINGLE_ISSUER (6.0), else none.  Call it in the thread that will submit.
 * *flags gets what the kernel took.  Returns 0 or -errno.
 */
int sl_uring_init(unsigned int entries, struct io_uring *ring, unsigned int *flags);
/* "SINGLE_ISSUER|DEFER_TASKRUN", "SINGLE_ISSUER" or "no setup flags". */
const char *sl_uring_flags_name(unsigned int flags);

#endif
