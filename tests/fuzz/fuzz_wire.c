// SPDX-License-Identifier: MIT
/*
 * libFuzzer target of the message codec (userspace/lib/wire.c).
 *
 * The input is what a peer could send on a connection: it is parsed whole
 * with sl_wire_parse(), then walked as a stream of messages the way the
 * programs read it (sl_wire_frame_len() on each header, then the body).
 * Every message sl_wire_parse() accepts must keep the codec's promises;
 * a broken promise aborts, so the fuzzer reports it like a crash:
 *   - strings are NUL-terminated with no NUL inside, names are valid,
 *     a PORT is not 0;
 *   - a SLUICE_A_DEVICES list decodes with sl_wire_get_devices() into valid
 *     names and port ranges, and encodes again with sl_wire_put_device()
 *     into the same devices.
 * Each message is copied into a buffer of its exact size, so that reading
 * one byte too far is an AddressSanitizer report.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static void check_ranges(const struct sl_ports *p)
{
	unsigned int i;

	check(p->n <= SLUICE_RANGES_MAX);
	for (i = 0; i < p->n; i++) {
		check(p->r[i].first >= 1);
		check(p->r[i].first <= p->r[i].last);
		check(p->r[i].proto == IPPROTO_TCP ||
		      p->r[i].proto == IPPROTO_UDP);
	}
}

/* Encodes devs again and checks that they decode to the same thing. */
static void reencode(const struct sl_device_info *devs, int n)
{
	struct sl_device_info *again = NULL;
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_LIST, 1, NLM_F_MULTI);
	struct sl_msg_in m;
	struct nlattr *nest;
	const void *bytes;
	void *copy;
	char why[256];
	size_t len;
	int i, ret;

	if (!msg)
		return;
	nest = nla_nest_start(msg, SLUICE_A_DEVICES);
	if (!nest)
		goto out;
	for (i = 0; i < n; i++)
		if (sl_wire_put_device(msg, &devs[i]))
			goto out; /* larger than one message: fine */
	if (nla_nest_end_keep_empty(msg, nest))
		goto out;
	bytes = sl_wire_bytes(msg, &len);
	copy = malloc(len);
	if (!copy)
		goto out;
	memcpy(copy, bytes, len);
	ret = sl_wire_parse(copy, len, &m, why, sizeof(why));
	check(ret == 0);
	check(m.tb[SLUICE_A_DEVICES] != NULL);
	ret = sl_wire_get_devices(m.tb[SLUICE_A_DEVICES], &again);
	if (ret != -ENOMEM) {
		check(ret == n);
		for (i = 0; i < n; i++) {
			check(!strcmp(again[i].name, devs[i].name));
			check(again[i].ports.n == devs[i].ports.n);
			check(!memcmp(again[i].ports.r, devs[i].ports.r,
				      devs[i].ports.n * sizeof(devs[i].ports.r[0])));
		}
	}
	free(again);
	free(copy);
out:
	nlmsg_free(msg);
}

static void check_devices(const struct nlattr *attr)
{
	struct sl_device_info *devs = NULL;
	int n, i;

	n = sl_wire_get_devices(attr, &devs);
	if (n == -ENOMEM)
		return;
	/* sl_wire_parse() validated the list: decoding cannot fail. */
	check(n >= 0 && n <= SLUICE_DEVICES_MAX);
	check((n == 0) == (devs == NULL));
	for (i = 0; i < n; i++) {
		check(sl_name_valid(devs[i].name));
		check_ranges(&devs[i].ports);
	}
	reencode(devs, n);
	free(devs);
}

static void check_accepted(const struct sl_msg_in *m)
{
	static const int strings[] = { SLUICE_A_NAME, SLUICE_A_ADDR,
				       SLUICE_A_AGENT, SLUICE_A_DEVICE,
				       SLUICE_A_ERR_MSG };
	static const int names[] = { SLUICE_A_NAME, SLUICE_A_AGENT,
				     SLUICE_A_DEVICE };
	unsigned int i;

	check(m->cmd >= 1 && m->cmd <= SLUICE_CMD_MAX);
	check(strcmp(sl_cmd_name(m->cmd), "UNKNOWN") != 0);
	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		const struct nlattr *a = m->tb[strings[i]];

		if (a)
			check(nla_len(a) >= 1 &&
			      strlen(sl_wire_str(m, strings[i])) ==
				      (size_t)nla_len(a) - 1);
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (m->tb[names[i]])
			check(sl_name_valid(sl_wire_str(m, names[i])));
	if (m->tb[SLUICE_A_PORT])
		check(nla_get_u16(m->tb[SLUICE_A_PORT]) != 0);
	if (m->tb[SLUICE_A_ERR_CODE])
		check(sl_err_name(nla_get_u32(m->tb[SLUICE_A_ERR_CODE])) != NULL);
	if (m->tb[SLUICE_A_DEVICES])
		check_devices(m->tb[SLUICE_A_DEVICES]);
}

/* Parses len bytes from a buffer of exactly that size. */
static void parse_exact(const uint8_t *data, size_t len)
{
	struct sl_msg_in m;
	char why[256];
	void *buf = malloc(len ? len : 1);

	if (!buf)
		return;
	memcpy(buf, data, len);
	why[0] = '\0';
	if (sl_wire_parse(buf, len, &m, why, sizeof(why)) == 0)
		check_accepted(&m);
	else
		check(why[0] != '\0');
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	parse_exact(data, size);

	/* The same bytes as a stream of messages. */
	while (size - off >= SL_WIRE_HDRLEN) {
		uint8_t hdr[SL_WIRE_HDRLEN];
		char why[256];
		int n;

		memcpy(hdr, data + off, sizeof(hdr));
		why[0] = '\0';
		n = sl_wire_frame_len(hdr, why, sizeof(why));
		if (n < 0) {
			check(why[0] != '\0');
			break;
		}
		check(n >= (int)SL_WIRE_HDRLEN && n <= SLUICE_MSG_MAX);
		if ((size_t)n > size - off)
			break;
		if (off || (size_t)n != size) /* else parsed above */
			parse_exact(data + off, (size_t)n);
		off += (size_t)n;
	}
	return 0;
}
