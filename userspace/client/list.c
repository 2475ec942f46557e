// SPDX-License-Identifier: MIT
/* sluice-client list: the agents and devices the relay offers. */
#include <stdio.h>
#include <stdlib.h>

#include "client.h"
#include "log.h"
#include "msgio.h"
#include "tls.h"

static void print_agent(const struct sl_msg_in *m, unsigned int *rows)
{
	struct sl_device_info *devs = NULL;
	const char *agent = sl_wire_str(m, SLUICE_A_NAME);
	int n = 0, i;

	if (!agent)
		return;
	if (m->tb[SLUICE_A_DEVICES])
		n = sl_wire_get_devices(m->tb[SLUICE_A_DEVICES], &devs);
	for (i = 0; i < n; i++) {
		char ports[512];

		sl_ports_format(&devs[i].ports, ports, sizeof(ports));
		printf("%-20s %-20s %s\n", agent, devs[i].name, ports);
		(*rows)++;
	}
	if (n <= 0) {
		printf("%-20s %-20s %s\n", agent, "-", "-");
		(*rows)++;
	}
	free(devs);
}

int client_list_main(struct client *c)
{
	static char buf[SLUICE_MSG_MAX];
	struct sl_msg_in m;
	unsigned int rows = 0;
	char why[512];
	uint32_t hb;
	SSL *ssl;
	int ret;

	ssl = client_connect(c, &hb);
	if (!ssl)
		return 1;
	if (sl_msg_send_free(ssl, sl_wire_new(SLUICE_CMD_LIST, 2, 0))) {
		sl_log_err("cannot send LIST to the relay");
		goto err;
	}
	printf("%-20s %-20s %s\n", "AGENT", "DEVICE", "PORTS");
	for (;;) {
		ret = sl_msg_recv(ssl, buf, &m, why, sizeof(why));
		if (ret) {
			sl_log_err("listing failed: %s", why);
			goto err;
		}
		if (m.cmd == SLUICE_CMD_DONE && m.seq == 2)
			break;
		if (m.cmd == SLUICE_CMD_LIST && m.seq == 2)
			print_agent(&m, &rows);
		else if (m.cmd == SLUICE_CMD_ERROR) {
			sl_log_err("relay refused LIST: %s", sl_wire_str(&m, SLUICE_A_ERR_MSG) ?: "");
			goto err;
		}
	}
	if (!rows)
		fprintf(stderr, "no agents are connected to the relay\n");
	sl_tls_close(ssl);
	return 0;
err:
	sl_tls_close(ssl);
	return 1;
}
