// SPDX-License-Identifier: MIT
/*
 * sluicectl grant add USER DOMAIN [--role ROLE] [--window SPEC]
 *                 | list [USER] | remove ID
 *
 * A grant lets a user reach the agents of a domain and its sub-domains,
 * within an optional time window (docs/auth.md).
 */
#include <stdio.h>

#include "sluicectl.h"

static const struct rec_col grant_cols[] = {
	{ SLUICE_REC_A_ID, "id", "ID", 6, REC_STR },
	{ SLUICE_REC_A_NAME, "user", "USER", 20, REC_STR },
	{ SLUICE_REC_A_DOMAIN, "domain", "DOMAIN", 28, REC_STR },
	{ SLUICE_REC_A_ROLE, "role", "ROLE", 13, REC_STR },
	{ SLUICE_REC_A_WINDOW, "window", "WINDOW", 28, REC_STR },
	{ SLUICE_REC_A_CREATED_BY, "created_by", "BY", 0, REC_STR },
};
#define NCOLS (int)(sizeof(grant_cols) / sizeof(grant_cols[0]))

static int grant_add(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "USER DOMAIN [--role user|administrator] [--window SPEC]";
	const char *role = NULL, *window = NULL;
	const struct opt opts[] = { { "--role", &role }, { "--window", &window } };
	struct nl_msg *req;
	char *pos[2];
	int ret;

	ret = take_args(argc, argv, opts, 2, pos, 2, 2, "grant add", usage);
	if (ret)
		return ret;
	req = ctl_request(c, SLUICE_CMD_CTL_GRANT_ADD, false);
	if (req && (nla_put_string(req, SLUICE_A_NAME, pos[0]) ||
		    nla_put_string(req, SLUICE_A_DOMAIN, pos[1]) ||
		    (role && nla_put_string(req, SLUICE_A_ROLE, role)) ||
		    (window && nla_put_string(req, SLUICE_A_WINDOW, window)))) {
		nlmsg_free(req);
		fprintf(stderr, "sluicectl: grant add: an argument is too long\n");
		return EXIT_USAGE;
	}
	return show_record(c, req, grant_cols, NCOLS);
}

static int grant_list(struct ctl *c, int argc, char **argv)
{
	struct nl_msg *req;
	char *pos[1];
	int ret;

	ret = take_args(argc, argv, NULL, 0, pos, 0, 1, "grant list", "[USER]");
	if (ret)
		return ret;
	req = ctl_request(c, SLUICE_CMD_CTL_GRANT_LIST, true);
	if (req && pos[0] && nla_put_string(req, SLUICE_A_NAME, pos[0])) {
		nlmsg_free(req);
		return EXIT_USAGE;
	}
	return list_records(c, req, grant_cols, NCOLS);
}

static int grant_remove(struct ctl *c, int argc, char **argv)
{
	char *pos[1];
	int ret = take_args(argc, argv, NULL, 0, pos, 1, 1, "grant remove", "ID");

	if (ret)
		return ret;
	return echo_done(c, req_str(c, SLUICE_CMD_CTL_GRANT_REMOVE, SLUICE_A_ID, pos[0]),
			 SLUICE_A_ID, "id", "grant %s removed");
}

const struct ctl_subcmd grant_verbs[] = {
	{ "add", "USER DOMAIN [--role R] [--window SPEC]",
	  "let USER reach DOMAIN and its sub-domains (role user or administrator; window "
	  "e.g. \"mon-fri 07:00-18:00\")", grant_add },
	{ "list", "[USER]", "every grant, or USER's", grant_list },
	{ "remove", "ID", "withdraw a grant (its id from grant list)", grant_remove },
	{ NULL, NULL, NULL, NULL },
};
