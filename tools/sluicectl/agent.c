// SPDX-License-Identifier: MIT
/*
 * sluicectl agent list | show NAME | detach NAME
 *
 * list is a dump (every connected agent, however many); detach closes the
 * agent's control connection and its sessions, and the agent reconnects
 * by itself.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sluicectl.h"

static const struct col agent_cols[] = {
	{ "NAME", 24 }, { "ADDRESS", 22 }, { "UP", 8 }, { "IDLE", 8 },
	{ "DEVICES", 7 }, { "SESSIONS", 8 },
};

/* One agent nest as a row (list) or as key: value lines (show). */
static int print_agent(const struct nlattr *nest, bool devices)
{
	struct nlattr *tb[SLUICE_AGENT_A_MAX + 1];
	char t[64];

	if (sl_wire_nest(SL_NEST_AGENT, nest, tb))
		return EXIT_PROTO;
	print_obj_begin(NULL);
	print_str("name", nla_get_string(tb[SLUICE_AGENT_A_NAME]));
	print_str("addr", tb[SLUICE_AGENT_A_ADDR] ? nla_get_string(tb[SLUICE_AGENT_A_ADDR]) : "");
	if (tb[SLUICE_AGENT_A_AGE_MS]) {
		fmt_ms(nla_get_u64(tb[SLUICE_AGENT_A_AGE_MS]), t, sizeof(t));
		print_u64_text("age_ms", nla_get_u64(tb[SLUICE_AGENT_A_AGE_MS]), t);
	}
	if (tb[SLUICE_AGENT_A_IDLE_MS]) {
		fmt_ms(nla_get_u64(tb[SLUICE_AGENT_A_IDLE_MS]), t, sizeof(t));
		print_u64_text("idle_ms", nla_get_u64(tb[SLUICE_AGENT_A_IDLE_MS]), t);
	}
	if (tb[SLUICE_AGENT_A_NDEVICES])
		print_u64("ndevices", nla_get_u32(tb[SLUICE_AGENT_A_NDEVICES]));
	if (tb[SLUICE_AGENT_A_NSESSIONS])
		print_u64("nsessions", nla_get_u32(tb[SLUICE_AGENT_A_NSESSIONS]));
	if (devices && tb[SLUICE_AGENT_A_HEARTBEAT_MS])
		print_u64("heartbeat_ms", nla_get_u32(tb[SLUICE_AGENT_A_HEARTBEAT_MS]));
	if (devices && tb[SLUICE_AGENT_A_DEVICES]) {
		static const struct col dcols[] = { { "DEVICE", 24 }, { "PORTS", 0 } };
		struct sl_device_info *devs = NULL;
		char ports[1024];
		int n, i;

		n = sl_wire_get_devices(tb[SLUICE_AGENT_A_DEVICES], &devs);
		if (n < 0)
			return EXIT_PROTO;
		if (!print_json())
			putchar('\n');
		print_list_begin("devices", dcols, 2);
		for (i = 0; i < n; i++) {
			sl_ports_format(&devs[i].ports, ports, sizeof(ports));
			print_obj_begin(NULL);
			print_str("name", devs[i].name);
			print_str("ports", ports);
			print_obj_end();
		}
		print_list_end();
		free(devs);
	}
	print_obj_end();
	return EXIT_OK;
}

static int list_part(const struct sl_msg_in *m, void *arg)
{
	struct nlattr *pos;
	int rem, ret;

	(void)arg;
	if (!m->tb[SLUICE_A_AGENTS])
		return EXIT_OK;
	nla_for_each_nested(pos, m->tb[SLUICE_A_AGENTS], rem) {
		ret = print_agent(pos, false);
		if (ret)
			return ret;
	}
	return EXIT_OK;
}

static int agent_list(struct ctl *c, int argc, char **argv)
{
	int ret;

	(void)argv;
	if (argc) {
		fprintf(stderr, "sluicectl: agent list takes no arguments\n");
		return EXIT_USAGE;
	}
	print_list_begin(NULL, agent_cols, 6);
	ret = ctl_call(c, ctl_request(c, SLUICE_CMD_CTL_AGENT_LIST, true), list_part, NULL);
	print_list_end();
	return ret;
}

static int show_reply(const struct sl_msg_in *m, void *arg)
{
	struct nlattr *pos;
	int rem;

	(void)arg;
	nla_for_each_nested(pos, m->tb[SLUICE_A_AGENTS], rem)
		return print_agent(pos, true);
	return EXIT_PROTO;
}

static struct nl_msg *named(struct ctl *c, uint8_t cmd, const char *what, int argc,
			    char **argv)
{
	struct nl_msg *req;

	if (argc != 1 || !sl_name_valid(argv[0])) {
		if (argc == 1)
			fprintf(stderr, "sluicectl: '%s' is not an agent name\n", argv[0]);
		else
			fprintf(stderr, "sluicectl: agent %s needs one agent NAME\n", what);
		return NULL;
	}
	req = ctl_request(c, cmd, false);
	if (req && nla_put_string(req, SLUICE_A_AGENT, argv[0])) {
		nlmsg_free(req);
		return NULL;
	}
	return req;
}

static int agent_show(struct ctl *c, int argc, char **argv)
{
	struct nl_msg *req = named(c, SLUICE_CMD_CTL_AGENT_SHOW, "show", argc, argv);

	if (!req)
		return EXIT_USAGE;
	return ctl_call(c, req, show_reply, NULL);
}

static int detach_reply(const struct sl_msg_in *m, void *arg)
{
	(void)arg;
	if (print_json()) {
		print_obj_begin(NULL);
		print_str("agent", sl_wire_str(m, SLUICE_A_AGENT));
		print_bool("detached", true);
		print_obj_end();
	} else {
		printf("agent %s detached\n", sl_wire_str(m, SLUICE_A_AGENT));
	}
	return EXIT_OK;
}

static int agent_detach(struct ctl *c, int argc, char **argv)
{
	struct nl_msg *req = named(c, SLUICE_CMD_CTL_AGENT_DETACH, "detach", argc, argv);

	if (!req)
		return EXIT_USAGE;
	return ctl_call(c, req, detach_reply, NULL);
}

const struct ctl_subcmd agent_verbs[] = {
	{ "list", "", "connected agents (address, uptime, idle time, devices, sessions)",
	  agent_list },
	{ "show", "NAME", "one agent with its devices and port rules", agent_show },
	{ "detach", "NAME",
	  "close the agent's control connection and its sessions; it reconnects",
	  agent_detach },
	{ NULL, NULL, NULL, NULL },
};
