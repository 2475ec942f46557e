// SPDX-License-Identifier: MIT
/*
 * sluicectl agent list [--all] | show NAME | detach NAME | attach NAME
 *                 [DOMAIN] | reset NAME | disable NAME [REASON] | remove NAME
 *
 * list is a dump (every connected agent, however many); --all lists every
 * enrolled agent from the relay's store, connected or not, with its state.
 * detach closes the agent's control connection and its sessions, and the
 * agent reconnects by itself; attach, reset, disable and remove change the
 * enrolled agent (approval, clone lock, access) and apply at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const struct rec_col enrolled_cols[] = {
	{ SLUICE_REC_A_NAME, "name", "NAME", 24, REC_STR },
	{ SLUICE_REC_A_DOMAIN, "domain", "DOMAIN", 24, REC_STR },
	{ SLUICE_REC_A_STATE, "state", "STATE", 9, REC_STR },
	{ SLUICE_REC_A_CONNECTED, "connected", "ONLINE", 6, REC_BOOL },
	{ SLUICE_REC_A_LAST_SEEN, "last_seen", "LAST SEEN", 21, REC_TIME },
	{ SLUICE_REC_A_ADDR, "addr", "FROM", 22, REC_STR },
	{ SLUICE_REC_A_REASON, "reason", "REASON", 0, REC_STR },
};
#define NENROLLED (int)(sizeof(enrolled_cols) / sizeof(enrolled_cols[0]))

static int agent_list(struct ctl *c, int argc, char **argv)
{
	int ret;

	if (argc == 1 && !strcmp(argv[0], "--all"))
		return list_records(c, ctl_request(c, SLUICE_CMD_CTL_AGENT_ENROLLED, true),
				    enrolled_cols, NENROLLED);
	if (argc) {
		fprintf(stderr, "sluicectl: agent list takes only --all\n");
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
	if (argc != 1 || !sl_name_valid(argv[0])) {
		if (argc == 1)
			fprintf(stderr, "sluicectl: '%s' is not an agent name\n", argv[0]);
		else
			fprintf(stderr, "sluicectl: agent %s needs one agent NAME\n", what);
		return NULL;
	}
	return req_str(c, cmd, SLUICE_A_AGENT, argv[0]);
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

/* attach, reset, disable, remove: answered with the agent's record. */
static int agent_change(struct ctl *c, int argc, char **argv, uint8_t cmd, const char *verb,
			const char *usage, int opt_attr)
{
	struct nl_msg *req;
	char *pos[2];
	int ret;

	ret = take_args(argc, argv, NULL, 0, pos, 1, opt_attr ? 2 : 1, verb, usage);
	if (ret)
		return ret;
	req = req_str(c, cmd, SLUICE_A_AGENT, pos[0]);
	if (req && pos[1] && nla_put_string(req, opt_attr, pos[1])) {
		nlmsg_free(req);
		fprintf(stderr, "sluicectl: %s: '%s' is too long\n", verb, pos[1]);
		return EXIT_USAGE;
	}
	if (cmd == SLUICE_CMD_CTL_AGENT_REMOVE)
		return echo_done(c, req, SLUICE_A_AGENT, "agent",
				 "agent %s removed; it must enroll again");
	return show_record(c, req, enrolled_cols, NENROLLED);
}

static int agent_attach(struct ctl *c, int argc, char **argv)
{
	return agent_change(c, argc, argv, SLUICE_CMD_CTL_AGENT_ATTACH, "agent attach",
			    "NAME [DOMAIN]", SLUICE_A_DOMAIN);
}

static int agent_reset(struct ctl *c, int argc, char **argv)
{
	return agent_change(c, argc, argv, SLUICE_CMD_CTL_AGENT_RESET, "agent reset", "NAME", 0);
}

static int agent_disable(struct ctl *c, int argc, char **argv)
{
	return agent_change(c, argc, argv, SLUICE_CMD_CTL_AGENT_DISABLE, "agent disable",
			    "NAME [REASON]", SLUICE_A_TEXT);
}

static int agent_remove(struct ctl *c, int argc, char **argv)
{
	return agent_change(c, argc, argv, SLUICE_CMD_CTL_AGENT_REMOVE, "agent remove", "NAME",
			    0);
}

const struct ctl_subcmd agent_verbs[] = {
	{ "list", "[--all]",
	  "connected agents (address, uptime, idle time, devices, sessions); --all: every "
	  "enrolled agent with its state", agent_list },
	{ "show", "NAME", "one agent with its devices and port rules", agent_show },
	{ "detach", "NAME",
	  "close the agent's control connection and its sessions; it reconnects",
	  agent_detach },
	{ "attach", "NAME [DOMAIN]", "approve a pending agent (and move it to DOMAIN)",
	  agent_attach },
	{ "reset", "NAME", "unlock an agent locked as a suspected clone", agent_reset },
	{ "disable", "NAME [REASON]", "refuse the agent; its connection closes", agent_disable },
	{ "remove", "NAME", "forget the agent; it must enroll again", agent_remove },
	{ NULL, NULL, NULL, NULL },
};
