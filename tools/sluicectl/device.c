// SPDX-License-Identifier: MIT
/*
 * sluicectl device list [AGENT]
 *
 * A dump of the devices of every connected agent (or of one).  The relay
 * may continue an agent with many devices in the next part; rows are per
 * device, so nothing needs joining here.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sluicectl.h"

static int list_part(const struct sl_msg_in *m, void *arg)
{
	struct nlattr *tb[SLUICE_AGENT_A_MAX + 1], *pos;
	struct sl_device_info *devs;
	char ports[1024];
	int rem, n, i;

	(void)arg;
	if (!m->tb[SLUICE_A_AGENTS])
		return EXIT_OK;
	nla_for_each_nested(pos, m->tb[SLUICE_A_AGENTS], rem) {
		if (sl_wire_nest(SL_NEST_AGENT, pos, tb) || !tb[SLUICE_AGENT_A_DEVICES])
			return EXIT_PROTO;
		n = sl_wire_get_devices(tb[SLUICE_AGENT_A_DEVICES], &devs);
		if (n < 0)
			return EXIT_PROTO;
		for (i = 0; i < n; i++) {
			sl_ports_format(&devs[i].ports, ports, sizeof(ports));
			print_obj_begin(NULL);
			print_str("agent", nla_get_string(tb[SLUICE_AGENT_A_NAME]));
			print_str("device", devs[i].name);
			print_str("ports", ports);
			print_obj_end();
		}
		free(devs);
	}
	return EXIT_OK;
}

static int device_list(struct ctl *c, int argc, char **argv)
{
	static const struct col cols[] = { { "AGENT", 24 }, { "DEVICE", 24 }, { "PORTS", 0 } };
	struct nl_msg *req;
	int ret;

	if (argc > 1) {
		fprintf(stderr, "sluicectl: device list takes at most one AGENT\n");
		return EXIT_USAGE;
	}
	if (argc == 1 && !sl_name_valid(argv[0])) {
		fprintf(stderr, "sluicectl: '%s' is not an agent name\n", argv[0]);
		return EXIT_USAGE;
	}
	req = ctl_request(c, SLUICE_CMD_CTL_DEVICE_LIST, true);
	if (req && argc == 1 && nla_put_string(req, SLUICE_A_AGENT, argv[0])) {
		nlmsg_free(req);
		req = NULL;
	}
	print_list_begin(NULL, cols, 3);
	ret = ctl_call(c, req, list_part, NULL);
	print_list_end();
	return ret;
}

const struct ctl_subcmd device_verbs[] = {
	{ "list", "[AGENT]", "devices of every connected agent, or of AGENT, with their ports",
	  device_list },
	{ NULL, NULL, NULL, NULL },
};
