// SPDX-License-Identifier: MIT
/*
 * sluicectl session list | show ID | kill ID
 *
 * IDs are the 16 hex digits the relay logs ("session 3f2a...: relaying").
 * kill closes the session's data legs; a client still waiting for the
 * session gets "closed by the operator".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sluicectl.h"

static const char *state_name(uint8_t s)
{
	switch (s) {
	case SLUICE_SESSION_WAIT_AGENT:
		return "wait-agent";
	case SLUICE_SESSION_WAIT_CLIENT:
		return "wait-client";
	case SLUICE_SESSION_ACTIVE:
		return "active";
	default:
		return "unknown";
	}
}

static int print_session(const struct nlattr *nest)
{
	struct nlattr *tb[SLUICE_SESSION_A_MAX + 1];
	char t[64];

	if (sl_wire_nest(SL_NEST_SESSION, nest, tb))
		return EXIT_PROTO;
	print_obj_begin(NULL);
	snprintf(t, sizeof(t), "%016llx",
		 (unsigned long long)nla_get_u64(tb[SLUICE_SESSION_A_ID]));
	print_str("id", t);
#define STR(key, a) print_str(key, tb[a] ? nla_get_string(tb[a]) : "")
	STR("user", SLUICE_SESSION_A_USER);
	STR("client_addr", SLUICE_SESSION_A_CLIENT_ADDR);
	STR("agent", SLUICE_SESSION_A_AGENT);
	STR("device", SLUICE_SESSION_A_DEVICE);
	print_u64("port", tb[SLUICE_SESSION_A_PORT] ? nla_get_u16(tb[SLUICE_SESSION_A_PORT]) : 0);
	print_str("state", tb[SLUICE_SESSION_A_STATE] ?
				   state_name(nla_get_u8(tb[SLUICE_SESSION_A_STATE])) : "");
	print_str("path", tb[SLUICE_SESSION_A_PATH] ?
				  data_path_name(nla_get_u8(tb[SLUICE_SESSION_A_PATH])) : "");
#define BYTES(key, a)                                                       \
	do {                                                                \
		uint64_t v = tb[a] ? nla_get_u64(tb[a]) : 0;                \
		fmt_bytes(v, t, sizeof(t));                                 \
		print_u64_text(key, v, t);                                  \
	} while (0)
	BYTES("bytes_to_device", SLUICE_SESSION_A_BYTES_TO_DEVICE);
	BYTES("bytes_to_client", SLUICE_SESSION_A_BYTES_TO_CLIENT);
	if (tb[SLUICE_SESSION_A_AGE_MS]) {
		fmt_ms(nla_get_u64(tb[SLUICE_SESSION_A_AGE_MS]), t, sizeof(t));
		print_u64_text("age_ms", nla_get_u64(tb[SLUICE_SESSION_A_AGE_MS]), t);
	}
	print_obj_end();
	return EXIT_OK;
}

static int list_part(const struct sl_msg_in *m, void *arg)
{
	struct nlattr *pos;
	int rem, ret;

	(void)arg;
	if (!m->tb[SLUICE_A_SESSIONS])
		return EXIT_OK;
	nla_for_each_nested(pos, m->tb[SLUICE_A_SESSIONS], rem) {
		ret = print_session(pos);
		if (ret)
			return ret;
	}
	return EXIT_OK;
}

static int session_list(struct ctl *c, int argc, char **argv)
{
	static const struct col cols[] = {
		{ "ID", 16 }, { "USER", 12 }, { "CLIENT", 21 }, { "AGENT", 14 },
		{ "DEVICE", 12 }, { "PORT", 5 }, { "STATE", 11 }, { "PATH", 9 },
		{ "TO DEVICE", 10 }, { "TO CLIENT", 10 }, { "AGE", 0 },
	};
	int ret;

	(void)argv;
	if (argc) {
		fprintf(stderr, "sluicectl: session list takes no arguments\n");
		return EXIT_USAGE;
	}
	print_list_begin(NULL, cols, 11);
	ret = ctl_call(c, ctl_request(c, SLUICE_CMD_CTL_SESSION_LIST, true), list_part, NULL);
	print_list_end();
	return ret;
}

static struct nl_msg *by_id(struct ctl *c, uint8_t cmd, const char *what, int argc,
			    char **argv)
{
	unsigned long long id;
	struct nl_msg *req;
	char *end;

	if (argc != 1) {
		fprintf(stderr, "sluicectl: session %s needs one session ID\n", what);
		return NULL;
	}
	errno = 0;
	id = strtoull(argv[0], &end, 16);
	if (errno || *end || !argv[0][0] || argv[0][0] == '-' || !id) {
		fprintf(stderr, "sluicectl: '%s' is not a session ID (16 hex digits, as in "
			"session list)\n", argv[0]);
		return NULL;
	}
	req = ctl_request(c, cmd, false);
	if (req && nla_put_u64(req, SLUICE_A_SESSION_ID, id)) {
		nlmsg_free(req);
		return NULL;
	}
	return req;
}

static int show_reply(const struct sl_msg_in *m, void *arg)
{
	struct nlattr *pos;
	int rem;

	(void)arg;
	nla_for_each_nested(pos, m->tb[SLUICE_A_SESSIONS], rem)
		return print_session(pos);
	return EXIT_PROTO;
}

static int session_show(struct ctl *c, int argc, char **argv)
{
	struct nl_msg *req = by_id(c, SLUICE_CMD_CTL_SESSION_SHOW, "show", argc, argv);

	return req ? ctl_call(c, req, show_reply, NULL) : EXIT_USAGE;
}

static int kill_reply(const struct sl_msg_in *m, void *arg)
{
	char t[24];

	(void)arg;
	snprintf(t, sizeof(t), "%016llx",
		 (unsigned long long)nla_get_u64(m->tb[SLUICE_A_SESSION_ID]));
	if (print_json()) {
		print_obj_begin(NULL);
		print_str("id", t);
		print_bool("killed", true);
		print_obj_end();
	} else {
		printf("session %s closed\n", t);
	}
	return EXIT_OK;
}

static int session_kill(struct ctl *c, int argc, char **argv)
{
	struct nl_msg *req = by_id(c, SLUICE_CMD_CTL_SESSION_KILL, "kill", argc, argv);

	return req ? ctl_call(c, req, kill_reply, NULL) : EXIT_USAGE;
}

const struct ctl_subcmd session_verbs[] = {
	{ "list", "", "open sessions: user, target, state, data path, bytes, age",
	  session_list },
	{ "show", "ID", "one session", session_show },
	{ "kill", "ID", "close a session now (its client sees the forward end)",
	  session_kill },
	{ NULL, NULL, NULL, NULL },
};
