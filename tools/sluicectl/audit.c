// SPDX-License-Identifier: MIT
/*
 * sluicectl audit tail [-n N] | verify [FILE]
 *
 * tail asks the relay for the newest lines of its audit log (so members of
 * control_admin_group need no read access to the file); verify checks the
 * hash chain of the file named in relay.conf (or FILE) here, with the same
 * verifier as `sluice-relay audit-verify`, and needs read access.
 */
#include <stdio.h>
#include <stdlib.h>

#include "audit.h"
#include "conf.h"
#include "sluicectl.h"

static const struct rec_col line_cols[] = {
	{ SLUICE_REC_A_TEXT, "line", "", 0, REC_STR },
};

static int line_part(const struct sl_msg_in *m, void *arg)
{
	struct nlattr *tb[SLUICE_REC_A_MAX + 1], *pos;
	int rem;

	(void)arg;
	if (print_json())
		return print_records(m, line_cols, 1);
	if (!m->tb[SLUICE_A_RECORDS])
		return EXIT_OK;
	nla_for_each_nested(pos, m->tb[SLUICE_A_RECORDS], rem) {
		if (sl_wire_nest(SL_NEST_RECORD, pos, tb) || !tb[SLUICE_REC_A_TEXT])
			return EXIT_PROTO;
		puts(nla_get_string(tb[SLUICE_REC_A_TEXT]));
	}
	return EXIT_OK;
}

static int audit_tail(struct ctl *c, int argc, char **argv)
{
	const char *count = NULL;
	const struct opt opts[] = { { "-n", &count } };
	struct nl_msg *req;
	uint64_t n = 20;
	int ret;

	ret = take_args(argc, argv, opts, 1, NULL, 0, 0, "audit tail", "[-n LINES]");
	if (ret)
		return ret;
	if (count && sl_parse_uint(count, 1, SLUICE_AUDIT_TAIL_MAX, &n)) {
		fprintf(stderr, "sluicectl: audit tail: -n '%s' is not 1 to %d\n", count,
			SLUICE_AUDIT_TAIL_MAX);
		return EXIT_USAGE;
	}
	req = ctl_request(c, SLUICE_CMD_CTL_AUDIT_TAIL, true);
	if (req && nla_put_u32(req, SLUICE_A_COUNT, (uint32_t)n)) {
		nlmsg_free(req);
		req = NULL;
	}
	if (print_json())
		print_list_begin(NULL, NULL, 0);
	ret = ctl_call(c, req, line_part, NULL);
	if (print_json())
		print_list_end();
	return ret;
}

static int audit_verify(struct ctl *c, int argc, char **argv)
{
	char *pos[1], *vargv[3];
	int ret = take_args(argc, argv, NULL, 0, pos, 0, 1, "audit verify", "[FILE]");

	if (ret)
		return ret;
	vargv[0] = "sluicectl audit verify";
	vargv[1] = pos[0] ? pos[0] : c->audit_log;
	vargv[2] = NULL;
	/* 0 intact, 1 broken (the first bad record is named), 2 unreadable. */
	ret = sl_audit_verify_main(2, vargv);
	return ret == 0 ? EXIT_OK : EXIT_FAILED;
}

const struct ctl_subcmd audit_verbs[] = {
	{ "tail", "[-n LINES]", "the newest audit records (default 20), oldest first",
	  audit_tail },
	{ "verify", "[FILE]",
	  "check the hash chain of the audit log (relay.conf's audit_log, or FILE)",
	  audit_verify },
	{ NULL, NULL, NULL, NULL },
};
