// SPDX-License-Identifier: MIT
/* sluicectl status: the relay's version, uptime, listeners, data path and
 * counts (SLUICE_CMD_CTL_STATUS). */
#include <stdio.h>

#include "sluicectl.h"

static int show(const struct sl_msg_in *m, void *arg)
{
	struct nlattr *tb[SLUICE_STATUS_A_MAX + 1], *pos;
	char t[64];
	int rem;

	(void)arg;
	if (sl_wire_nest(SL_NEST_STATUS, m->tb[SLUICE_A_STATUS], tb))
		return EXIT_PROTO;
	print_obj_begin(NULL);
	print_str("version", nla_get_string(tb[SLUICE_STATUS_A_VERSION]));
	if (tb[SLUICE_STATUS_A_PID])
		print_u64("pid", nla_get_u32(tb[SLUICE_STATUS_A_PID]));
	if (tb[SLUICE_STATUS_A_UPTIME_MS]) {
		uint64_t up = nla_get_u64(tb[SLUICE_STATUS_A_UPTIME_MS]);

		fmt_ms(up, t, sizeof(t));
		print_u64_text("uptime_ms", up, t);
	}
	if (tb[SLUICE_STATUS_A_LISTEN]) {
		if (print_json()) {
			print_list_begin("listen", NULL, 0);
			nla_for_each_nested(pos, tb[SLUICE_STATUS_A_LISTEN], rem)
				print_str(NULL, nla_get_string(pos));
			print_list_end();
		} else {
			nla_for_each_nested(pos, tb[SLUICE_STATUS_A_LISTEN], rem)
				print_str("listen", nla_get_string(pos));
		}
	}
	print_str("metrics", tb[SLUICE_STATUS_A_METRICS] ?
				     nla_get_string(tb[SLUICE_STATUS_A_METRICS]) : "off");
	if (tb[SLUICE_STATUS_A_PORT_ID])
		print_u64("control_port_id", nla_get_u32(tb[SLUICE_STATUS_A_PORT_ID]));
	if (tb[SLUICE_STATUS_A_DATA_PATH])
		print_str("data_path", data_path_name(nla_get_u8(tb[SLUICE_STATUS_A_DATA_PATH])));
#define U32(key, a)                                                         \
	if (tb[a])                                                          \
		print_u64(key, nla_get_u32(tb[a]))
#define U64(key, a)                                                         \
	if (tb[a])                                                          \
		print_u64(key, nla_get_u64(tb[a]))
	U32("agents", SLUICE_STATUS_A_AGENTS);
	U32("clients", SLUICE_STATUS_A_CLIENTS);
	U32("sessions_active", SLUICE_STATUS_A_SESSIONS_ACTIVE);
	U32("sessions_pending", SLUICE_STATUS_A_SESSIONS_PENDING);
	U64("sessions_total", SLUICE_STATUS_A_SESSIONS_TOTAL);
	U64("bytes_to_device", SLUICE_STATUS_A_BYTES_TO_DEVICE);
	U64("bytes_to_client", SLUICE_STATUS_A_BYTES_TO_CLIENT);
	U32("heartbeat_ms", SLUICE_STATUS_A_HEARTBEAT_MS);
	U32("max_sessions", SLUICE_STATUS_A_MAX_SESSIONS);
	print_obj_end();
	return EXIT_OK;
}

int status_main(struct ctl *c, int argc, char **argv)
{
	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "sluicectl: status takes no arguments\n");
		return EXIT_USAGE;
	}
	return ctl_call(c, ctl_request(c, SLUICE_CMD_CTL_STATUS, false), show, NULL);
}
