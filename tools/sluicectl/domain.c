// SPDX-License-Identifier: MIT
/*
 * sluicectl domain add PATH | remove PATH | list
 *
 * Domains form a tree under ROOT ("ROOT.acme.plant1"); agents belong to
 * one, grants name one and reach its sub-domains too.
 */
#include <stdio.h>

#include "sluicectl.h"

static const struct rec_col domain_cols[] = {
	{ SLUICE_REC_A_NAME, "domain", "DOMAIN", 40, REC_STR },
	{ SLUICE_REC_A_CREATED, "created", "CREATED", 0, REC_TIME },
};

static int domain_change(struct ctl *c, int argc, char **argv, uint8_t cmd, const char *verb,
			 const char *done)
{
	char *pos[1];
	int ret = take_args(argc, argv, NULL, 0, pos, 1, 1, verb, "PATH");

	if (ret)
		return ret;
	return echo_done(c, req_str(c, cmd, SLUICE_A_DOMAIN, pos[0]), SLUICE_A_DOMAIN, "domain",
			 done);
}

static int domain_add(struct ctl *c, int argc, char **argv)
{
	return domain_change(c, argc, argv, SLUICE_CMD_CTL_DOMAIN_ADD, "domain add",
			     "domain %s added");
}

static int domain_remove(struct ctl *c, int argc, char **argv)
{
	return domain_change(c, argc, argv, SLUICE_CMD_CTL_DOMAIN_REMOVE, "domain remove",
			     "domain %s removed");
}

static int domain_list(struct ctl *c, int argc, char **argv)
{
	int ret = take_args(argc, argv, NULL, 0, NULL, 0, 0, "domain list", "");

	if (ret)
		return ret;
	return list_records(c, ctl_request(c, SLUICE_CMD_CTL_DOMAIN_LIST, true), domain_cols, 2);
}

const struct ctl_subcmd domain_verbs[] = {
	{ "add", "PATH", "add a domain under an existing parent (ROOT.acme.plant1)",
	  domain_add },
	{ "remove", "PATH", "remove a domain without sub-domains, agents, grants or tokens",
	  domain_remove },
	{ "list", "", "every domain", domain_list },
	{ NULL, NULL, NULL, NULL },
};
