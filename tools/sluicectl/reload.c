// SPDX-License-Identifier: MIT
/*
 * sluicectl reload: the relay re-reads relay.conf.  Every key whose value
 * differs is listed with what the relay did: applied now, or kept until a
 * restart.  Exit 0 when the file was read (even if some keys need a
 * restart), 1 when it does not parse (nothing changed then).
 */
#include <stdio.h>

#include "sluicectl.h"

static int show(const struct sl_msg_in *m, void *arg)
{
	static const struct col cols[] = {
		{ "KEY", 24 }, { "OLD", 24 }, { "NEW", 24 }, { "ACTION", 0 },
	};
	struct nlattr *tb[SLUICE_CHANGE_A_MAX + 1], *pos;
	bool *restart = arg;
	int rem, n = 0;

	print_list_begin(NULL, cols, 4);
	nla_for_each_nested(pos, m->tb[SLUICE_A_CHANGES], rem) {
		uint8_t action;

		if (sl_wire_nest(SL_NEST_CHANGE, pos, tb))
			return EXIT_PROTO;
		action = tb[SLUICE_CHANGE_A_ACTION] ? nla_get_u8(tb[SLUICE_CHANGE_A_ACTION]) : 0;
		if (action == SLUICE_CHANGE_NEEDS_RESTART)
			*restart = true;
		print_obj_begin(NULL);
		print_str("key", nla_get_string(tb[SLUICE_CHANGE_A_KEY]));
		print_str("old", tb[SLUICE_CHANGE_A_OLD] ? nla_get_string(tb[SLUICE_CHANGE_A_OLD]) : "");
		print_str("new", tb[SLUICE_CHANGE_A_NEW] ? nla_get_string(tb[SLUICE_CHANGE_A_NEW]) : "");
		print_str("action", action == SLUICE_CHANGE_APPLIED ? "applied" :
				    action == SLUICE_CHANGE_NEEDS_RESTART ? "needs-restart" :
									    "unknown");
		print_obj_end();
		n++;
	}
	print_list_end();
	if (!n && !print_json())
		printf("(no changes)\n");
	return EXIT_OK;
}

int reload_main(struct ctl *c, int argc, char **argv)
{
	bool restart = false;
	int ret;

	(void)argv;
	if (argc) {
		fprintf(stderr, "sluicectl: reload takes no arguments\n");
		return EXIT_USAGE;
	}
	ret = ctl_call(c, ctl_request(c, SLUICE_CMD_CTL_RELOAD, false), show, &restart);
	if (!ret && restart && !print_json())
		fprintf(stderr, "sluicectl: some changes take effect only after the relay "
			"restarts\n");
	return ret;
}
