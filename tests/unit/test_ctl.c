// SPDX-License-Identifier: MIT
/*
 * Unit tests of the operator messages: the codec's checks of sluicectl
 * requests and relay replies (userspace/lib/wire.c) and the relay's
 * stateless request checks and admin group test
 * (userspace/relay/ctl_parse.c, compiled in here: the unit tests link
 * only libsluice).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../userspace/relay/ctl_parse.c"

static union {
	uint64_t align;
	unsigned char b[SLUICE_MSG_MAX + 64];
} in;

static size_t take(struct nl_msg *msg)
{
	const void *bytes;
	size_t len;

	assert_non_null(msg);
	bytes = sl_wire_bytes(msg, &len);
	memcpy(in.b, bytes, len);
	nlmsg_free(msg);
	return len;
}

static int parse(size_t len, struct sl_msg_in *m)
{
	char why[256];

	return sl_wire_parse(in.b, len, m, why, sizeof(why));
}

static int ctl_parse(size_t len, struct sl_msg_in *m, char *why, size_t whylen)
{
	uint32_t seq;

	return relay_ctl_parse(in.b, len, m, &seq, why, whylen);
}

static void test_request_needs_request_flag(void **state)
{
	struct sl_msg_in m;
	char why[256];

	(void)state;
	assert_int_equal(ctl_parse(take(sl_wire_new(SLUICE_CMD_CTL_STATUS, 7, NLM_F_REQUEST)),
				   &m, why, sizeof(why)), 0);
	assert_int_equal(m.cmd, SLUICE_CMD_CTL_STATUS);
	assert_int_equal(m.seq, 7);
	assert_int_equal(ctl_parse(take(sl_wire_new(SLUICE_CMD_CTL_STATUS, 7, 0)), &m, why,
				   sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "NLM_F_REQUEST"));
}

static void test_request_is_one_whole_datagram(void **state)
{
	struct sl_msg_in m;
	char why[256];
	size_t len;

	(void)state;
	len = take(sl_wire_new(SLUICE_CMD_CTL_STATUS, 1, NLM_F_REQUEST));
	memcpy(in.b + len, in.b, len);
	assert_int_equal(ctl_parse(2 * len, &m, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "one message per datagram"));
	assert_int_equal(ctl_parse(3, &m, why, sizeof(why)), -EBADMSG);
}

static void test_dump_request_needs_dump_flag(void **state)
{
	struct sl_msg_in m;
	char why[256];

	(void)state;
	assert_int_equal(ctl_parse(take(sl_wire_new(SLUICE_CMD_CTL_AGENT_LIST, 1,
						     NLM_F_REQUEST | NLM_F_DUMP)),
				   &m, why, sizeof(why)), 0);
	assert_int_equal(ctl_parse(take(sl_wire_new(SLUICE_CMD_CTL_AGENT_LIST, 1,
						     NLM_F_REQUEST)),
				   &m, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "NLM_F_DUMP"));
}

static void test_request_required_attribute(void **state)
{
	struct nl_msg *msg;
	struct sl_msg_in m;
	char why[256];

	(void)state;
	msg = sl_wire_new(SLUICE_CMD_CTL_AGENT_SHOW, 1, NLM_F_REQUEST);
	assert_int_equal(nla_put_string(msg, SLUICE_A_AGENT, "plant1"), 0);
	assert_int_equal(ctl_parse(take(msg), &m, why, sizeof(why)), 0);
	assert_int_equal(ctl_parse(take(sl_wire_new(SLUICE_CMD_CTL_AGENT_SHOW, 1,
						     NLM_F_REQUEST)),
				   &m, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "AGENT"));
}

/* An agent list part: accepted with valid nests, refused without NAME. */
static void test_reply_agent_nest(void **state)
{
	struct nlattr *tb[SLUICE_AGENT_A_MAX + 1], *list, *el, *pos;
	struct nl_msg *msg;
	struct sl_msg_in m;
	int rem, n = 0;

	(void)state;
	msg = sl_wire_new(SLUICE_CMD_CTL_AGENT_LIST, 1, NLM_F_MULTI);
	list = nla_nest_start(msg, SLUICE_A_AGENTS);
	el = nla_nest_start(msg, 0);
	assert_int_equal(nla_put_string(msg, SLUICE_AGENT_A_NAME, "plant1"), 0);
	assert_int_equal(nla_put_u32(msg, SLUICE_AGENT_A_NDEVICES, 3), 0);
	nla_nest_end(msg, el);
	nla_nest_end(msg, list);
	assert_int_equal(parse(take(msg), &m), 0);
	nla_for_each_nested(pos, m.tb[SLUICE_A_AGENTS], rem) {
		assert_int_equal(sl_wire_nest(SL_NEST_AGENT, pos, tb), 0);
		assert_string_equal(nla_get_string(tb[SLUICE_AGENT_A_NAME]), "plant1");
		assert_int_equal(nla_get_u32(tb[SLUICE_AGENT_A_NDEVICES]), 3);
		n++;
	}
	assert_int_equal(n, 1);

	msg = sl_wire_new(SLUICE_CMD_CTL_AGENT_LIST, 1, NLM_F_MULTI);
	list = nla_nest_start(msg, SLUICE_A_AGENTS);
	el = nla_nest_start(msg, 0);
	assert_int_equal(nla_put_u32(msg, SLUICE_AGENT_A_NDEVICES, 3), 0);
	nla_nest_end(msg, el);
	nla_nest_end(msg, list);
	assert_int_equal(parse(take(msg), &m), -EBADMSG);
}

static void test_reply_needs_its_nest(void **state)
{
	struct sl_msg_in m;

	(void)state;
	/* A reply (no NLM_F_REQUEST) of STATUS must carry SLUICE_A_STATUS. */
	assert_int_equal(parse(take(sl_wire_new(SLUICE_CMD_CTL_STATUS, 1, 0)), &m), -EBADMSG);
	/* A dump part must be marked multi-part. */
	assert_int_equal(parse(take(sl_wire_new(SLUICE_CMD_CTL_SESSION_LIST, 1, 0)), &m),
			 -EBADMSG);
}

static const char status_text[] =
	"Name:\tsluicectl\n"
	"Uid:\t1000\t1000\t1000\t1000\n"
	"Gid:\t100\t100\t100\t100\n"
	"Groups:\t4 24 4242 \n"
	"NStgid:\t77\n";

static void test_status_groups(void **state)
{
	size_t len = strlen(status_text);

	(void)state;
	assert_true(relay_ctl_status_has_group(status_text, len, 1000, 4242));
	assert_true(relay_ctl_status_has_group(status_text, len, 1000, 4));
	assert_true(relay_ctl_status_has_group(status_text, len, 1000, 100));
	assert_false(relay_ctl_status_has_group(status_text, len, 1000, 424));
	assert_false(relay_ctl_status_has_group(status_text, len, 1000, 42420));
	/* Another process (recycled pid) of another user. */
	assert_false(relay_ctl_status_has_group(status_text, len, 1001, 4242));
	/* Truncated before the groups. */
	assert_false(relay_ctl_status_has_group(status_text, 20, 1000, 4242));
	assert_false(relay_ctl_status_has_group("Groups:\t4242\n", 13, 1000, 4242));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_needs_request_flag),
		cmocka_unit_test(test_request_is_one_whole_datagram),
		cmocka_unit_test(test_dump_request_needs_dump_flag),
		cmocka_unit_test(test_request_required_attribute),
		cmocka_unit_test(test_reply_agent_nest),
		cmocka_unit_test(test_reply_needs_its_nest),
		cmocka_unit_test(test_status_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
