/* SPDX-License-Identifier: MIT */
/* Operator commands of sluice-relay (admin.c). */
#ifndef RELAY_ADMIN_H
#define RELAY_ADMIN_H

#include <stdbool.h>

struct relay;

/* True when word starts an operator command (domain, token, user...). */
bool relay_admin_is_command(const char *word);
/*
 * Runs one operator command on r->cfg's state directory; argv[0] is the
 * command word.  Returns the exit code: 0 done, 1 refused or failed (the
 * reason on stderr), 2 usage.
 */
int relay_admin_main(struct relay *r, int argc, char **argv);

#endif
