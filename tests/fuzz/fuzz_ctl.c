// SPDX-License-Identifier: MIT
/*
 * libFuzzer target of the relay's operator request checks
 * (userspace/relay/ctl_parse.c): what any local process can send to the
 * relay's control socket, one datagram at a time.
 *
 * The input is one datagram, copied into a buffer of its exact size.  A
 * request relay_ctl_parse() accepts must keep its promises, or the target
 * aborts:
 *   - it is one whole message with NLM_F_REQUEST and without NLM_F_MULTI;
 *   - its command is known to the codec, its seq is the header's;
 *   - every operator nest it carries splits with sl_wire_nest();
 *   - the names it carries are valid.
 * The same bytes are then read as a /proc/PID/status text by the group
 * check, which must not read past them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../userspace/relay/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static void check_array(const struct nlattr *arr, enum sl_nest kind)
{
	struct nlattr *tb[32], *pos;
	int rem;

	nla_for_each_nested(pos, arr, rem)
		check(sl_wire_nest(kind, pos, tb) == 0);
}

static void check_request(const uint8_t *buf, size_t len, const struct sl_msg_in *m,
			  uint32_t seq)
{
	const struct nlmsghdr *nlh = (const void *)buf;
	static const int names[] = { SLUICE_A_NAME, SLUICE_A_AGENT, SLUICE_A_DEVICE };
	struct nlattr *tb[32];
	unsigned int i;

	check(len >= SL_WIRE_HDRLEN && nlh->nlmsg_len == len);
	check(m->flags & NLM_F_REQUEST);
	check(!(m->flags & NLM_F_MULTI));
	check(m->seq == seq && seq == nlh->nlmsg_seq);
	check(m->cmd >= 1 && m->cmd <= SLUICE_CMD_MAX);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (m->tb[names[i]])
			check(sl_name_valid(sl_wire_str(m, names[i])));
	if (m->tb[SLUICE_A_STATUS])
		check(sl_wire_nest(SL_NEST_STATUS, m->tb[SLUICE_A_STATUS], tb) == 0);
	if (m->tb[SLUICE_A_AGENTS])
		check_array(m->tb[SLUICE_A_AGENTS], SL_NEST_AGENT);
	if (m->tb[SLUICE_A_SESSIONS])
		check_array(m->tb[SLUICE_A_SESSIONS], SL_NEST_SESSION);
	if (m->tb[SLUICE_A_CERTS])
		check_array(m->tb[SLUICE_A_CERTS], SL_NEST_CERT);
	if (m->tb[SLUICE_A_CHANGES])
		check_array(m->tb[SLUICE_A_CHANGES], SL_NEST_CHANGE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_msg_in m;
	uint32_t seq;
	char why[256];
	uint8_t *copy;

	if (size > SLUICE_MSG_MAX)
		return 0;
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	why[0] = '\0';
	if (relay_ctl_parse(copy, size, &m, &seq, why, sizeof(why)) == 0)
		check_request(copy, size, &m, seq);
	else
		check(why[0] != '\0');
	/* Uid 0 and gid 0 as well as arbitrary ones. */
	relay_ctl_status_has_group((const char *)copy, size, 0, 0);
	relay_ctl_status_has_group((const char *)copy, size, 65534,
				   size ? copy[0] : 1000);
	free(copy);
	return 0;
}
