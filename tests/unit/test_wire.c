// SPDX-License-Identifier: MIT
/*
 * Unit tests of the message codec (userspace/lib/wire.c): messages built
 * with sl_wire_new and libnl parse back to what was put in, and every
 * malformed message the protocol names is refused with a reason.
 *
 * Each rejection test first checks that the same message without the defect
 * is accepted, so that it fails when the check it is about is missing rather
 * than passing on some unrelated refusal.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

/* Parsed messages point into this buffer: keep it aligned like a socket's. */
static union {
	uint64_t align;
	unsigned char b[SLUICE_MSG_MAX + 64];
} in;

static const uint8_t session_token[SLUICE_SESSION_TOKEN_LEN] = {
	1,  2,	3,  4,	5,  6,	7,  8,	9,  10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

/* Copies a built message into in.b, frees it and returns its length. */
static size_t take(struct nl_msg *msg)
{
	const void *bytes;
	size_t len;

	assert_non_null(msg);
	bytes = sl_wire_bytes(msg, &len);
	assert_true(len <= sizeof(in.b));
	memcpy(in.b, bytes, len);
	nlmsg_free(msg);
	return len;
}

static struct nlmsghdr *in_nlh(void)
{
	return (struct nlmsghdr *)in.b;
}

static struct genlmsghdr *in_genl(void)
{
	return (struct genlmsghdr *)(in.b + NLMSG_HDRLEN);
}

static int parse_len(size_t len, struct sl_msg_in *m, char *why, size_t whylen)
{
	why[0] = '\0';
	return sl_wire_parse(in.b, len, m, why, whylen);
}

static void accepts_len(size_t len, struct sl_msg_in *m)
{
	char why[256];

	if (parse_len(len, m, why, sizeof(why)))
		fail_msg("valid message refused: %s", why);
}

static void rejects_len(size_t len, const char *needle)
{
	struct sl_msg_in m;
	char why[256];

	assert_int_equal(parse_len(len, &m, why, sizeof(why)), -EBADMSG);
	assert_true(why[0] != '\0');
	if (needle && !strstr(why, needle))
		fail_msg("reason '%s' does not mention '%s'", why, needle);
}

static void accepts(struct nl_msg *msg, struct sl_msg_in *m)
{
	accepts_len(take(msg), m);
}

static void rejects(struct nl_msg *msg, const char *needle)
{
	rejects_len(take(msg), needle);
}

static struct nl_msg *new_msg(uint8_t cmd)
{
	struct nl_msg *msg = sl_wire_new(cmd, 17, 0);

	assert_non_null(msg);
	return msg;
}

/* Puts a valid value of attr, as a well-behaved sender would. */
static void put_valid(struct nl_msg *msg, int attr)
{
	int ret;

	switch (attr) {
	case SLUICE_A_VERSION:
		ret = nla_put_u32(msg, attr, SLUICE_PROTO_VERSION);
		break;
	case SLUICE_A_NAME:
	case SLUICE_A_AGENT:
		ret = nla_put_string(msg, attr, "agent-1");
		break;
	case SLUICE_A_TOKEN:
		ret = nla_put(msg, attr, sizeof(session_token), session_token);
		break;
	case SLUICE_A_HEARTBEAT_MS:
		ret = nla_put_u32(msg, attr, 60000);
		break;
	case SLUICE_A_DEVICE:
		ret = nla_put_string(msg, attr, "plc1");
		break;
	case SLUICE_A_PORT:
		ret = nla_put_u16(msg, attr, 502);
		break;
	case SLUICE_A_SESSION_ID:
		ret = nla_put_u64(msg, attr, 0x1122334455667788ull);
		break;
	case SLUICE_A_ERR_CODE:
		ret = nla_put_u32(msg, attr, SLUICE_E_PORT_DENIED);
		break;
	case SLUICE_A_PASSWORD:
		ret = nla_put_string(msg, attr, "correct horse");
		break;
	case SLUICE_A_CSR:
	case SLUICE_A_CERT:
		ret = nla_put(msg, attr, 3, "\x30\x01\x00");	/* opaque DER here */
		break;
	case SLUICE_A_DOMAIN:
		ret = nla_put_string(msg, attr, "ROOT.acme");
		break;
	case SLUICE_A_STATE:
		ret = nla_put_u8(msg, attr, SLUICE_AGENT_ACTIVE);
		break;
	case SLUICE_A_DEVICES: {
		struct nlattr *n = nla_nest_start(msg, attr);

		ret = n ? 0 : -1;
		nla_nest_end_keep_empty(msg, n);
		break;
	}
	default:
		fail_msg("no valid value for attribute %d", attr);
		return;
	}
	assert_int_equal(ret, 0);
}

/* The required attributes of each command, from include/uapi/sluice.h. */
static const struct {
	uint8_t cmd;
	const char *names[4];
	int attrs[4];
} required[] = {
	{ SLUICE_CMD_ERROR, { "ERR_CODE" }, { SLUICE_A_ERR_CODE } },
	{ SLUICE_CMD_AGENT_HELLO,
	  { "VERSION", "NAME" },
	  { SLUICE_A_VERSION, SLUICE_A_NAME } },
	{ SLUICE_CMD_CLIENT_HELLO,
	  { "VERSION", "NAME", "PASSWORD" },
	  { SLUICE_A_VERSION, SLUICE_A_NAME, SLUICE_A_PASSWORD } },
	{ SLUICE_CMD_ENROLL,
	  { "NAME", "TOKEN", "CSR" },
	  { SLUICE_A_NAME, SLUICE_A_TOKEN, SLUICE_A_CSR } },
	{ SLUICE_CMD_ENROLL_OK,
	  { "CERT", "DOMAIN", "STATE" },
	  { SLUICE_A_CERT, SLUICE_A_DOMAIN, SLUICE_A_STATE } },
	{ SLUICE_CMD_HELLO_OK,
	  { "VERSION", "HEARTBEAT_MS" },
	  { SLUICE_A_VERSION, SLUICE_A_HEARTBEAT_MS } },
	{ SLUICE_CMD_OPEN, { "DEVICE", "PORT" }, { SLUICE_A_DEVICE, SLUICE_A_PORT } },
	{ SLUICE_CMD_OPEN_OK,
	  { "SESSION_ID", "TOKEN", "AGENT" },
	  { SLUICE_A_SESSION_ID, SLUICE_A_TOKEN, SLUICE_A_AGENT } },
	{ SLUICE_CMD_CONNECT,
	  { "SESSION_ID", "TOKEN", "DEVICE", "PORT" },
	  { SLUICE_A_SESSION_ID, SLUICE_A_TOKEN, SLUICE_A_DEVICE,
	    SLUICE_A_PORT } },
	{ SLUICE_CMD_ATTACH,
	  { "SESSION_ID", "TOKEN" },
	  { SLUICE_A_SESSION_ID, SLUICE_A_TOKEN } },
	{ SLUICE_CMD_AGENT_UPDATE, { "DEVICES" }, { SLUICE_A_DEVICES } },
};

#define NREQ (sizeof(required) / sizeof(required[0]))

/* The message of required[i] with every required attribute but skip. */
static struct nl_msg *required_msg(unsigned int i, int skip)
{
	struct nl_msg *msg = new_msg(required[i].cmd);
	unsigned int j;

	for (j = 0; j < 4 && required[i].attrs[j]; j++)
		if (required[i].attrs[j] != skip)
			put_valid(msg, required[i].attrs[j]);
	return msg;
}

static struct nl_msg *open_msg(const char *device, int port)
{
	struct nl_msg *msg = new_msg(SLUICE_CMD_OPEN);

	assert_int_equal(nla_put_string(msg, SLUICE_A_DEVICE, device), 0);
	assert_int_equal(nla_put_u16(msg, SLUICE_A_PORT, (uint16_t)port), 0);
	return msg;
}

static struct nl_msg *client_hello_name(const void *name, int len)
{
	struct nl_msg *msg = new_msg(SLUICE_CMD_CLIENT_HELLO);

	put_valid(msg, SLUICE_A_VERSION);
	assert_int_equal(nla_put(msg, SLUICE_A_NAME, len, name), 0);
	put_valid(msg, SLUICE_A_PASSWORD);
	return msg;
}

static struct nl_msg *connect_token(int len)
{
	uint8_t tok[SLUICE_SESSION_TOKEN_LEN + 1] = { 0 };
	struct nl_msg *msg = new_msg(SLUICE_CMD_CONNECT);

	put_valid(msg, SLUICE_A_SESSION_ID);
	assert_int_equal(nla_put(msg, SLUICE_A_TOKEN, len, tok), 0);
	put_valid(msg, SLUICE_A_DEVICE);
	put_valid(msg, SLUICE_A_PORT);
	return msg;
}

static void set_dev(struct sl_device_info *d, const char *name)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
}

static void add_range(struct sl_device_info *d, unsigned int first,
		      unsigned int last, uint8_t proto)
{
	/* Bypasses sl_ports_add: tests put ranges it would refuse. */
	d->ports.r[d->ports.n].first = (uint16_t)first;
	d->ports.r[d->ports.n].last = (uint16_t)last;
	d->ports.r[d->ports.n].proto = proto;
	d->ports.n++;
}

/* AGENT_HELLO up to an open SLUICE_A_DEVICES nest. */
static struct nl_msg *hello_start(struct nlattr **nest)
{
	struct nl_msg *msg = new_msg(SLUICE_CMD_AGENT_HELLO);

	put_valid(msg, SLUICE_A_VERSION);
	put_valid(msg, SLUICE_A_NAME);
	*nest = nla_nest_start(msg, SLUICE_A_DEVICES);
	assert_non_null(*nest);
	return msg;
}

static void hello_end(struct nl_msg *msg, struct nlattr *nest)
{
	assert_int_equal(nla_nest_end_keep_empty(msg, nest), 0);
}

static struct nl_msg *hello_devs(const struct sl_device_info *devs, int n)
{
	struct nlattr *nest;
	struct nl_msg *msg = hello_start(&nest);
	int i;

	for (i = 0; i < n; i++)
		assert_int_equal(sl_wire_put_device(msg, &devs[i]), 0);
	hello_end(msg, nest);
	return msg;
}

static struct nl_msg *hello_one_range(unsigned int first, unsigned int last,
				      uint8_t proto)
{
	struct sl_device_info d;

	set_dev(&d, "plc1");
	add_range(&d, first, last, proto);
	return hello_devs(&d, 1);
}

/* Appends raw bytes to the message (inside whatever nest is open). */
static void put_garbage(struct nl_msg *msg, size_t len)
{
	void *p = nlmsg_reserve(msg, len, 0);

	assert_non_null(p);
	memset(p, 0xa5, len);
}

/* One device nest written by hand: name, one range, then extra bytes. */
static struct nl_msg *hello_device_tail(size_t garbage)
{
	struct nlattr *devs, *d, *ports, *r;
	struct nl_msg *msg = hello_start(&devs);

	d = nla_nest_start(msg, 0);
	assert_non_null(d);
	assert_int_equal(nla_put_string(msg, SLUICE_DEVICE_A_NAME, "plc1"), 0);
	ports = nla_nest_start(msg, SLUICE_DEVICE_A_PORTS);
	r = nla_nest_start(msg, 0);
	assert_int_equal(nla_put_u16(msg, SLUICE_PORTS_A_FIRST, 502), 0);
	assert_int_equal(nla_put_u16(msg, SLUICE_PORTS_A_LAST, 502), 0);
	assert_int_equal(nla_put_u8(msg, SLUICE_PORTS_A_PROTO, IPPROTO_TCP), 0);
	nla_nest_end(msg, r);
	nla_nest_end(msg, ports);
	if (garbage)
		put_garbage(msg, garbage);
	nla_nest_end(msg, d);
	hello_end(msg, devs);
	return msg;
}

/* ---- round trips ---- */

static void test_heartbeat_roundtrip(void **state)
{
	struct sl_msg_in m;
	unsigned int i;

	(void)state;
	accepts(sl_wire_new(SLUICE_CMD_HEARTBEAT, 0xdeadbeef, 0), &m);
	assert_int_equal(m.cmd, SLUICE_CMD_HEARTBEAT);
	assert_int_equal(m.seq, 0xdeadbeef);
	assert_int_equal(m.flags, 0);
	for (i = 0; i <= SLUICE_A_MAX; i++)
		assert_null(m.tb[i]);
}

static const struct sl_denial some_denials[3] = {
	{ "plc1", 502, IPPROTO_TCP, 7 },
	{ "plc1", 161, IPPROTO_UDP, 1ull << 40 },
	{ "", 22, IPPROTO_TCP, 1 },
};

static struct nl_msg *heartbeat_denials(const struct sl_denial *d, unsigned int n)
{
	struct nl_msg *msg = new_msg(SLUICE_CMD_HEARTBEAT);

	assert_int_equal(nla_put_u8(msg, SLUICE_A_ENFORCEMENT, SLUICE_ENFORCE_KERNEL), 0);
	assert_int_equal(sl_wire_put_denials(msg, d, n), 0);
	return msg;
}

static void test_heartbeat_denials_roundtrip(void **state)
{
	struct sl_denial out[SLUICE_DENIALS_MAX];
	struct sl_msg_in m;
	int i;

	(void)state;
	accepts(heartbeat_denials(some_denials, 3), &m);
	assert_int_equal(nla_get_u8(m.tb[SLUICE_A_ENFORCEMENT]), SLUICE_ENFORCE_KERNEL);
	assert_int_equal(sl_wire_get_denials(m.tb[SLUICE_A_DENIALS], out), 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(out[i].device, some_denials[i].device);
		assert_int_equal(out[i].port, some_denials[i].port);
		assert_int_equal(out[i].proto, some_denials[i].proto);
		assert_true(out[i].count == some_denials[i].count);
	}
}

static void test_rejects_bad_denials(void **state)
{
	static struct sl_denial many[SLUICE_DENIALS_MAX + 1];
	struct sl_denial bad = some_denials[0];
	struct nl_msg *msg;
	struct nlattr *list, *e;
	unsigned int i;

	(void)state;
	bad.proto = 47;
	rejects(heartbeat_denials(&bad, 1), "protocol 47");
	bad = some_denials[0];
	snprintf(bad.device, sizeof(bad.device), "no spaces");
	rejects(heartbeat_denials(&bad, 1), "bad device name");
	for (i = 0; i <= SLUICE_DENIALS_MAX; i++)
		many[i] = some_denials[0];
	msg = new_msg(SLUICE_CMD_HEARTBEAT);
	assert_int_equal(sl_wire_put_denials(msg, many, SLUICE_DENIALS_MAX + 1), -EMSGSIZE);
	nlmsg_free(msg);
	/* A sender that ignores the bound, by hand. */
	msg = new_msg(SLUICE_CMD_HEARTBEAT);
	list = nla_nest_start(msg, SLUICE_A_DENIALS);
	for (i = 0; i <= SLUICE_DENIALS_MAX; i++) {
		e = nla_nest_start(msg, 0);
		assert_int_equal(nla_put_u16(msg, SLUICE_DENIAL_A_PORT, 1), 0);
		assert_int_equal(nla_put_u8(msg, SLUICE_DENIAL_A_PROTO, IPPROTO_TCP), 0);
		assert_int_equal(nla_put_u64(msg, SLUICE_DENIAL_A_COUNT, 1), 0);
		nla_nest_end(msg, e);
	}
	nla_nest_end(msg, list);
	rejects(msg, "more than 256 denial counters");
	/* A counter without its COUNT. */
	msg = new_msg(SLUICE_CMD_HEARTBEAT);
	list = nla_nest_start(msg, SLUICE_A_DENIALS);
	e = nla_nest_start(msg, 0);
	assert_int_equal(nla_put_u16(msg, SLUICE_DENIAL_A_PORT, 1), 0);
	assert_int_equal(nla_put_u8(msg, SLUICE_DENIAL_A_PROTO, IPPROTO_TCP), 0);
	nla_nest_end(msg, e);
	nla_nest_end(msg, list);
	rejects(msg, "lacks PORT, PROTO or COUNT");
	msg = new_msg(SLUICE_CMD_HEARTBEAT);
	assert_int_equal(nla_put_u8(msg, SLUICE_A_ENFORCEMENT, 9), 0);
	rejects(msg, "enforcement 9");
}

static void test_header_fields_on_the_wire(void **state)
{
	size_t len;

	(void)state;
	len = take(sl_wire_new(SLUICE_CMD_DONE, 5, NLM_F_MULTI));
	assert_int_equal(len, SL_WIRE_HDRLEN);
	assert_int_equal(in_nlh()->nlmsg_len, SL_WIRE_HDRLEN);
	assert_int_equal(in_nlh()->nlmsg_type, SLUICE_MSG_TYPE);
	assert_int_equal(in_nlh()->nlmsg_pid, 0);
	assert_int_equal(in_genl()->cmd, SLUICE_CMD_DONE);
	assert_int_equal(in_genl()->version, SLUICE_GENL_VERSION);
}

static void test_client_hello_roundtrip(void **state)
{
	struct nl_msg *msg = new_msg(SLUICE_CMD_CLIENT_HELLO);
	struct sl_msg_in m;

	(void)state;
	assert_int_equal(nla_put_u32(msg, SLUICE_A_VERSION, 1), 0);
	assert_int_equal(nla_put_string(msg, SLUICE_A_NAME, "alice"), 0);
	assert_int_equal(nla_put_string(msg, SLUICE_A_PASSWORD, "s3cr3t pass"), 0);
	assert_int_equal(nla_put_string(msg, SLUICE_A_TOTP, "123456"), 0);
	accepts(msg, &m);
	assert_int_equal(m.cmd, SLUICE_CMD_CLIENT_HELLO);
	assert_int_equal(m.seq, 17);
	assert_int_equal(nla_get_u32(m.tb[SLUICE_A_VERSION]), 1);
	assert_string_equal(sl_wire_str(&m, SLUICE_A_NAME), "alice");
	assert_string_equal(sl_wire_str(&m, SLUICE_A_PASSWORD), "s3cr3t pass");
	assert_string_equal(sl_wire_str(&m, SLUICE_A_TOTP), "123456");
	assert_null(sl_wire_str(&m, SLUICE_A_AGENT));
}

static void test_open_roundtrip(void **state)
{
	struct nl_msg *msg = open_msg("plc1", 8010);
	struct sl_msg_in m;

	(void)state;
	assert_int_equal(nla_put_string(msg, SLUICE_A_AGENT, "site.a_1"), 0);
	accepts(msg, &m);
	assert_int_equal(m.cmd, SLUICE_CMD_OPEN);
	assert_string_equal(sl_wire_str(&m, SLUICE_A_DEVICE), "plc1");
	assert_string_equal(sl_wire_str(&m, SLUICE_A_AGENT), "site.a_1");
	assert_int_equal(nla_get_u16(m.tb[SLUICE_A_PORT]), 8010);
}

static void test_connect_roundtrip(void **state)
{
	struct nl_msg *msg = new_msg(SLUICE_CMD_CONNECT);
	struct sl_msg_in m;

	(void)state;
	assert_int_equal(nla_put_u64(msg, SLUICE_A_SESSION_ID, 0xfedcba9876543210ull), 0);
	assert_int_equal(nla_put(msg, SLUICE_A_TOKEN, sizeof(session_token),
				 session_token), 0);
	assert_int_equal(nla_put_string(msg, SLUICE_A_DEVICE, "plc-2"), 0);
	assert_int_equal(nla_put_u16(msg, SLUICE_A_PORT, 65535), 0);
	accepts(msg, &m);
	assert_int_equal(m.cmd, SLUICE_CMD_CONNECT);
	assert_true(nla_get_u64(m.tb[SLUICE_A_SESSION_ID]) == 0xfedcba9876543210ull);
	assert_memory_equal(nla_data(m.tb[SLUICE_A_TOKEN]), session_token,
			    SLUICE_SESSION_TOKEN_LEN);
	assert_string_equal(sl_wire_str(&m, SLUICE_A_DEVICE), "plc-2");
	assert_int_equal(nla_get_u16(m.tb[SLUICE_A_PORT]), 65535);
}

static void test_error_roundtrip(void **state)
{
	struct sl_msg_in m;

	(void)state;
	accepts(sl_wire_error(99, SLUICE_E_PORT_DENIED, 7, "port %d not allowed", 23),
		&m);
	assert_int_equal(m.cmd, SLUICE_CMD_ERROR);
	assert_int_equal(m.seq, 99);
	assert_int_equal(nla_get_u32(m.tb[SLUICE_A_ERR_CODE]), SLUICE_E_PORT_DENIED);
	assert_string_equal(sl_wire_str(&m, SLUICE_A_ERR_MSG), "port 23 not allowed");
	assert_true(nla_get_u64(m.tb[SLUICE_A_SESSION_ID]) == 7);
}

static void test_error_without_session_omits_it(void **state)
{
	struct sl_msg_in m;

	(void)state;
	accepts(sl_wire_error(1, SLUICE_E_AUTH, 0, "bad token"), &m);
	assert_null(m.tb[SLUICE_A_SESSION_ID]);
}

static void test_list_reply_keeps_multi_flag(void **state)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_LIST, 3, NLM_F_MULTI);
	struct sl_msg_in m;

	(void)state;
	assert_non_null(msg);
	assert_int_equal(nla_put_string(msg, SLUICE_A_NAME, "agent-1"), 0);
	assert_int_equal(nla_put_string(msg, SLUICE_A_ADDR, "192.0.2.1:40000"), 0);
	accepts(msg, &m);
	assert_int_equal(m.flags, NLM_F_MULTI);
	assert_string_equal(sl_wire_str(&m, SLUICE_A_ADDR), "192.0.2.1:40000");
}

static void test_agent_hello_devices_roundtrip(void **state)
{
	struct sl_device_info devs[2], *out = NULL;
	struct sl_msg_in m;
	int n;

	(void)state;
	set_dev(&devs[0], "plc1");
	add_range(&devs[0], 502, 502, IPPROTO_TCP);
	add_range(&devs[0], 8000, 8010, IPPROTO_TCP);
	set_dev(&devs[1], "switch.core-2");
	add_range(&devs[1], 161, 161, IPPROTO_UDP);
	add_range(&devs[1], 1, 65535, IPPROTO_TCP);
	accepts(hello_devs(devs, 2), &m);
	assert_non_null(m.tb[SLUICE_A_DEVICES]);
	n = sl_wire_get_devices(m.tb[SLUICE_A_DEVICES], &out);
	assert_int_equal(n, 2);
	assert_non_null(out);
	assert_string_equal(out[0].name, "plc1");
	assert_string_equal(out[1].name, "switch.core-2");
	assert_int_equal(out[0].ports.n, 2);
	assert_int_equal(out[1].ports.n, 2);
	assert_memory_equal(out[0].ports.r, devs[0].ports.r,
			    2 * sizeof(struct sl_port_range));
	assert_memory_equal(out[1].ports.r, devs[1].ports.r,
			    2 * sizeof(struct sl_port_range));
	free(out);
}

static void test_device_without_ranges_roundtrips(void **state)
{
	struct sl_device_info d, *out = NULL;
	struct sl_msg_in m;

	(void)state;
	set_dev(&d, "idle");
	accepts(hello_devs(&d, 1), &m);
	assert_int_equal(sl_wire_get_devices(m.tb[SLUICE_A_DEVICES], &out), 1);
	assert_string_equal(out[0].name, "idle");
	assert_int_equal(out[0].ports.n, 0);
	free(out);
}

static void test_empty_device_list_decodes_to_none(void **state)
{
	static struct sl_device_info dummy;
	struct sl_device_info *out = &dummy;
	struct sl_msg_in m;

	(void)state;
	accepts(hello_devs(NULL, 0), &m);
	assert_non_null(m.tb[SLUICE_A_DEVICES]);
	assert_int_equal(sl_wire_get_devices(m.tb[SLUICE_A_DEVICES], &out), 0);
	assert_null(out);
}

static void test_max_devices_accepted(void **state)
{
	static struct sl_device_info devs[SLUICE_DEVICES_MAX];
	struct sl_device_info *out = NULL;
	struct sl_msg_in m;
	int i;

	(void)state;
	for (i = 0; i < SLUICE_DEVICES_MAX; i++) {
		char name[16];

		snprintf(name, sizeof(name), "d%03d", i);
		set_dev(&devs[i], name);
		add_range(&devs[i], (unsigned int)i + 1, (unsigned int)i + 1,
			  IPPROTO_TCP);
	}
	accepts(hello_devs(devs, SLUICE_DEVICES_MAX), &m);
	assert_int_equal(sl_wire_get_devices(m.tb[SLUICE_A_DEVICES], &out),
			 SLUICE_DEVICES_MAX);
	assert_string_equal(out[SLUICE_DEVICES_MAX - 1].name, "d255");
	assert_int_equal(out[SLUICE_DEVICES_MAX - 1].ports.r[0].first,
			 SLUICE_DEVICES_MAX);
	free(out);
}

static void test_unknown_attribute_ignored(void **state)
{
	struct nl_msg *msg = new_msg(SLUICE_CMD_HELLO_OK);
	struct sl_msg_in m;

	(void)state;
	put_valid(msg, SLUICE_A_VERSION);
	assert_int_equal(nla_put(msg, SLUICE_A_MAX + 1, 3, "xyz"), 0);
	assert_int_equal(nla_put(msg, 200, 1, "\x01"), 0);
	put_valid(msg, SLUICE_A_HEARTBEAT_MS);
	accepts(msg, &m);
	assert_int_equal(m.cmd, SLUICE_CMD_HELLO_OK);
	assert_int_equal(nla_get_u32(m.tb[SLUICE_A_HEARTBEAT_MS]), 60000);
}

static void test_unknown_attribute_in_device_ignored(void **state)
{
	struct nlattr *devs, *d, *ports, *r;
	struct nl_msg *msg = hello_start(&devs);
	struct sl_device_info *out = NULL;
	struct sl_msg_in m;

	(void)state;
	d = nla_nest_start(msg, 0);
	assert_int_equal(nla_put_u32(msg, SLUICE_DEVICE_A_MAX + 5, 1), 0);
	assert_int_equal(nla_put_string(msg, SLUICE_DEVICE_A_NAME, "plc1"), 0);
	ports = nla_nest_start(msg, SLUICE_DEVICE_A_PORTS);
	r = nla_nest_start(msg, 0);
	assert_int_equal(nla_put_u16(msg, SLUICE_PORTS_A_FIRST, 80), 0);
	assert_int_equal(nla_put_u16(msg, SLUICE_PORTS_A_LAST, 81), 0);
	assert_int_equal(nla_put_u8(msg, SLUICE_PORTS_A_PROTO, IPPROTO_TCP), 0);
	assert_int_equal(nla_put_u8(msg, SLUICE_PORTS_A_MAX + 1, 7), 0);
	nla_nest_end(msg, r);
	nla_nest_end(msg, ports);
	nla_nest_end(msg, d);
	hello_end(msg, devs);
	accepts(msg, &m);
	assert_int_equal(sl_wire_get_devices(m.tb[SLUICE_A_DEVICES], &out), 1);
	assert_int_equal(out[0].ports.r[0].last, 81);
	free(out);
}

/* ---- sl_wire_frame_len ---- */

static int frame_len_of(uint32_t nlmsg_len, char *why, size_t whylen)
{
	take(sl_wire_new(SLUICE_CMD_HEARTBEAT, 1, 0));
	in_nlh()->nlmsg_len = nlmsg_len;
	why[0] = '\0';
	return sl_wire_frame_len(in.b, why, whylen);
}

static void test_frame_len_accepts_bounds(void **state)
{
	char why[128];

	(void)state;
	assert_int_equal(frame_len_of(SL_WIRE_HDRLEN, why, sizeof(why)),
			 SL_WIRE_HDRLEN);
	assert_int_equal(frame_len_of(SL_WIRE_HDRLEN + 1, why, sizeof(why)),
			 SL_WIRE_HDRLEN + 1);
	assert_int_equal(frame_len_of(SLUICE_MSG_MAX, why, sizeof(why)),
			 SLUICE_MSG_MAX);
}

static void test_frame_len_rejects_short(void **state)
{
	char why[128];

	(void)state;
	assert_int_equal(frame_len_of(SL_WIRE_HDRLEN - 1, why, sizeof(why)),
			 -EBADMSG);
	assert_true(why[0] != '\0');
	assert_int_equal(frame_len_of(0, why, sizeof(why)), -EBADMSG);
	assert_true(why[0] != '\0');
}

static void test_frame_len_rejects_long(void **state)
{
	char why[128];

	(void)state;
	assert_int_equal(frame_len_of(SLUICE_MSG_MAX + 1, why, sizeof(why)),
			 -EBADMSG);
	assert_true(why[0] != '\0');
	assert_int_equal(frame_len_of(UINT32_MAX, why, sizeof(why)), -EBADMSG);
	assert_true(why[0] != '\0');
}

static void test_frame_len_rejects_foreign_type(void **state)
{
	char why[128];

	(void)state;
	take(sl_wire_new(SLUICE_CMD_HEARTBEAT, 1, 0));
	in_nlh()->nlmsg_type = NLMSG_ERROR;
	assert_int_equal(sl_wire_frame_len(in.b, why, sizeof(why)), -EBADMSG);
	assert_true(why[0] != '\0');
}

static void test_frame_len_rejects_version(void **state)
{
	char why[128];

	(void)state;
	take(sl_wire_new(SLUICE_CMD_HEARTBEAT, 1, 0));
	in_genl()->version = SLUICE_GENL_VERSION + 1;
	assert_int_equal(sl_wire_frame_len(in.b, why, sizeof(why)), -EBADMSG);
	assert_true(why[0] != '\0');
}

/* ---- header rejections ---- */

static void test_rejects_truncated_header(void **state)
{
	struct sl_msg_in m;
	size_t len;

	(void)state;
	len = take(sl_wire_new(SLUICE_CMD_HEARTBEAT, 1, 0));
	accepts_len(len, &m);
	rejects_len(SL_WIRE_HDRLEN - 1, NULL);
	rejects_len(NLMSG_HDRLEN, NULL);
	rejects_len(0, NULL);
}

static void test_rejects_truncated_body(void **state)
{
	struct sl_msg_in m;
	size_t len;

	(void)state;
	len = take(open_msg("plc1", 502));
	accepts_len(len, &m);
	rejects_len(len - 4, NULL);
}

static void test_rejects_length_mismatch(void **state)
{
	struct sl_msg_in m;
	size_t len;

	(void)state;
	len = take(open_msg("plc1", 502));
	accepts_len(len, &m);
	/* Bytes after the message belong to the next one, not to this. */
	rejects_len(len + 4, NULL);
}

static void test_rejects_oversized(void **state)
{
	struct sl_msg_in m;
	size_t len;

	(void)state;
	len = take(sl_wire_new(SLUICE_CMD_HEARTBEAT, 1, 0));
	accepts_len(len, &m);
	memset(in.b + len, 0, SLUICE_MSG_MAX + 1 - len);
	in_nlh()->nlmsg_len = SLUICE_MSG_MAX + 1;
	rejects_len(SLUICE_MSG_MAX + 1, NULL);
}

static void test_rejects_wrong_type(void **state)
{
	struct sl_msg_in m;
	size_t len;

	(void)state;
	len = take(sl_wire_new(SLUICE_CMD_HEARTBEAT, 1, 0));
	accepts_len(len, &m);
	in_nlh()->nlmsg_type = SLUICE_MSG_TYPE + 1;
	rejects_len(len, NULL);
	in_nlh()->nlmsg_type = GENL_ID_CTRL;
	rejects_len(len, NULL);
}

static void test_rejects_wrong_version(void **state)
{
	struct sl_msg_in m;
	size_t len;

	(void)state;
	len = take(sl_wire_new(SLUICE_CMD_HEARTBEAT, 1, 0));
	accepts_len(len, &m);
	in_genl()->version = 0;
	rejects_len(len, NULL);
	in_genl()->version = SLUICE_GENL_VERSION + 1;
	rejects_len(len, NULL);
}

static void test_rejects_unknown_cmd(void **state)
{
	struct sl_msg_in m;
	size_t len;

	(void)state;
	len = take(sl_wire_new(SLUICE_CMD_ATTACH_OK, 1, 0));
	accepts_len(len, &m);
	in_genl()->cmd = SLUICE_CMD_UNSPEC;
	rejects_len(len, NULL);
	in_genl()->cmd = SLUICE_CMD_MAX + 1;
	rejects_len(len, NULL);
	in_genl()->cmd = 255;
	rejects_len(len, NULL);
}

/* ---- attribute policy ---- */

static void test_required_sets_accepted(void **state)
{
	struct sl_msg_in m;
	unsigned int i;

	(void)state;
	for (i = 0; i < NREQ; i++) {
		accepts(required_msg(i, -1), &m);
		assert_int_equal(m.cmd, required[i].cmd);
	}
}

static void test_rejects_missing_required(void **state)
{
	unsigned int i, j;

	(void)state;
	for (i = 0; i < NREQ; i++)
		for (j = 0; j < 4 && required[i].attrs[j]; j++)
			rejects(required_msg(i, required[i].attrs[j]),
				required[i].names[j]);
}

static void test_rejects_u32_wrong_length(void **state)
{
	struct nl_msg *msg;
	struct sl_msg_in m;
	uint64_t v = 1;

	(void)state;
	accepts(required_msg(3, -1), &m); /* HELLO_OK */
	msg = required_msg(3, SLUICE_A_VERSION);
	assert_int_equal(nla_put(msg, SLUICE_A_VERSION, 2, &v), 0);
	rejects(msg, NULL);
	msg = required_msg(3, SLUICE_A_VERSION);
	assert_int_equal(nla_put(msg, SLUICE_A_VERSION, 8, &v), 0);
	rejects(msg, NULL);
}

static void test_rejects_u16_wrong_length(void **state)
{
	struct nl_msg *msg = new_msg(SLUICE_CMD_OPEN);
	uint32_t port = 502;

	(void)state;
	put_valid(msg, SLUICE_A_DEVICE);
	assert_int_equal(nla_put(msg, SLUICE_A_PORT, 4, &port), 0);
	rejects(msg, NULL);
}

static void test_rejects_u64_wrong_length(void **state)
{
	struct nl_msg *msg = new_msg(SLUICE_CMD_ATTACH);
	uint32_t id = 1;

	(void)state;
	assert_int_equal(nla_put(msg, SLUICE_A_SESSION_ID, 4, &id), 0);
	put_valid(msg, SLUICE_A_TOKEN);
	rejects(msg, NULL);
}

static void test_rejects_string_without_nul(void **state)
{
	struct sl_msg_in m;

	(void)state;
	accepts(client_hello_name("alice", 6), &m);
	rejects(client_hello_name("alice", 5), NULL);
}

static void test_rejects_string_with_embedded_nul(void **state)
{
	struct sl_msg_in m;

	(void)state;
	accepts(client_hello_name("ab_cd", 6), &m);
	rejects(client_hello_name("ab\0cd", 6), NULL);
}

static void test_rejects_embedded_nul_in_free_text(void **state)
{
	struct nl_msg *msg = new_msg(SLUICE_CMD_ERROR);

	(void)state;
	put_valid(msg, SLUICE_A_ERR_CODE);
	assert_int_equal(nla_put(msg, SLUICE_A_ERR_MSG, 4, "x\0y"), 0);
	rejects(msg, NULL);
}

static void test_rejects_empty_token(void **state)
{
	struct nl_msg *msg = new_msg(SLUICE_CMD_ENROLL);

	(void)state;
	put_valid(msg, SLUICE_A_NAME);
	put_valid(msg, SLUICE_A_CSR);
	assert_int_equal(nla_put(msg, SLUICE_A_TOKEN, 0, NULL), 0);
	rejects(msg, NULL);
}

static void test_rejects_invalid_name_chars(void **state)
{
	struct sl_msg_in m;

	(void)state;
	accepts(client_hello_name("a.b_c-D9", 9), &m);
	rejects(client_hello_name("a b", 4), NULL);
	rejects(client_hello_name("a/b", 4), NULL);
	rejects(client_hello_name("a:b", 4), NULL);
	rejects(client_hello_name("", 1), NULL);
}

static void test_rejects_invalid_device_and_agent(void **state)
{
	struct nl_msg *msg;
	struct sl_msg_in m;

	(void)state;
	accepts(open_msg("plc1", 502), &m);
	rejects(open_msg("plc 1", 502), NULL);
	msg = open_msg("plc1", 502);
	assert_int_equal(nla_put_string(msg, SLUICE_A_AGENT, "../etc"), 0);
	rejects(msg, NULL);
}

static void test_name_length_limit(void **state)
{
	char name[SLUICE_NAME_MAX + 2];
	struct sl_msg_in m;

	(void)state;
	memset(name, 'n', sizeof(name));
	name[SLUICE_NAME_MAX] = '\0';
	accepts(client_hello_name(name, SLUICE_NAME_MAX + 1), &m);
	name[SLUICE_NAME_MAX] = 'n';
	name[SLUICE_NAME_MAX + 1] = '\0';
	rejects(client_hello_name(name, SLUICE_NAME_MAX + 2), NULL);
}

static void test_rejects_port_zero(void **state)
{
	struct sl_msg_in m;

	(void)state;
	accepts(open_msg("plc1", 1), &m);
	rejects(open_msg("plc1", 0), NULL);
}

static void test_rejects_session_token_length(void **state)
{
	struct sl_msg_in m;

	(void)state;
	accepts(connect_token(SLUICE_SESSION_TOKEN_LEN), &m);
	rejects(connect_token(SLUICE_SESSION_TOKEN_LEN - 1), NULL);
	rejects(connect_token(SLUICE_SESSION_TOKEN_LEN + 1), NULL);
}

/* ---- device lists ---- */

static void test_rejects_too_many_devices(void **state)
{
	static struct sl_device_info devs[SLUICE_DEVICES_MAX + 1];
	int i;

	(void)state;
	for (i = 0; i <= SLUICE_DEVICES_MAX; i++) {
		char name[16];

		snprintf(name, sizeof(name), "d%d", i);
		set_dev(&devs[i], name);
		add_range(&devs[i], 80, 80, IPPROTO_TCP);
	}
	/* SLUICE_DEVICES_MAX itself is accepted: test_max_devices_accepted. */
	rejects(hello_devs(devs, SLUICE_DEVICES_MAX + 1), NULL);
}

static void test_rejects_too_many_ranges(void **state)
{
	struct nlattr *devs, *d, *ports, *r;
	struct nl_msg *msg;
	struct sl_msg_in m;
	int n, i;

	(void)state;
	for (n = SLUICE_RANGES_MAX; n <= SLUICE_RANGES_MAX + 1; n++) {
		msg = hello_start(&devs);
		d = nla_nest_start(msg, 0);
		assert_int_equal(nla_put_string(msg, SLUICE_DEVICE_A_NAME, "plc1"), 0);
		ports = nla_nest_start(msg, SLUICE_DEVICE_A_PORTS);
		for (i = 0; i < n; i++) {
			r = nla_nest_start(msg, 0);
			assert_int_equal(nla_put_u16(msg, SLUICE_PORTS_A_FIRST, (uint16_t)(i + 1)), 0);
			assert_int_equal(nla_put_u16(msg, SLUICE_PORTS_A_LAST, (uint16_t)(i + 1)), 0);
			assert_int_equal(nla_put_u8(msg, SLUICE_PORTS_A_PROTO, IPPROTO_TCP), 0);
			nla_nest_end(msg, r);
		}
		nla_nest_end(msg, ports);
		nla_nest_end(msg, d);
		hello_end(msg, devs);
		if (n == SLUICE_RANGES_MAX)
			accepts(msg, &m);
		else
			rejects(msg, NULL);
	}
}

static void test_rejects_backwards_range(void **state)
{
	struct sl_msg_in m;

	(void)state;
	accepts(hello_one_range(10, 10, IPPROTO_TCP), &m);
	rejects(hello_one_range(10, 9, IPPROTO_TCP), NULL);
}

static void test_rejects_range_from_port_zero(void **state)
{
	struct sl_msg_in m;

	(void)state;
	accepts(hello_one_range(1, 10, IPPROTO_UDP), &m);
	rejects(hello_one_range(0, 10, IPPROTO_UDP), NULL);
}

static void test_rejects_unknown_proto(void **state)
{
	struct sl_msg_in m;

	(void)state;
	accepts(hello_one_range(80, 80, IPPROTO_UDP), &m);
	rejects(hello_one_range(80, 80, 99), NULL);
	rejects(hello_one_range(80, 80, 0), NULL);
}

static void test_rejects_range_without_proto(void **state)
{
	struct nlattr *devs, *d, *ports, *r;
	struct nl_msg *msg = hello_start(&devs);

	(void)state;
	d = nla_nest_start(msg, 0);
	assert_int_equal(nla_put_string(msg, SLUICE_DEVICE_A_NAME, "plc1"), 0);
	ports = nla_nest_start(msg, SLUICE_DEVICE_A_PORTS);
	r = nla_nest_start(msg, 0);
	assert_int_equal(nla_put_u16(msg, SLUICE_PORTS_A_FIRST, 80), 0);
	assert_int_equal(nla_put_u16(msg, SLUICE_PORTS_A_LAST, 80), 0);
	nla_nest_end(msg, r);
	nla_nest_end(msg, ports);
	nla_nest_end(msg, d);
	hello_end(msg, devs);
	rejects(msg, NULL);
}

static void test_rejects_device_without_name(void **state)
{
	struct nlattr *devs, *d, *ports;
	struct nl_msg *msg = hello_start(&devs);

	(void)state;
	d = nla_nest_start(msg, 0);
	ports = nla_nest_start(msg, SLUICE_DEVICE_A_PORTS);
	nla_nest_end_keep_empty(msg, ports);
	nla_nest_end(msg, d);
	hello_end(msg, devs);
	rejects(msg, NULL);
}

static void test_rejects_device_without_ports(void **state)
{
	struct nlattr *devs, *d;
	struct nl_msg *msg = hello_start(&devs);

	(void)state;
	d = nla_nest_start(msg, 0);
	assert_int_equal(nla_put_string(msg, SLUICE_DEVICE_A_NAME, "plc1"), 0);
	nla_nest_end(msg, d);
	hello_end(msg, devs);
	rejects(msg, NULL);
}

static void test_rejects_bad_device_name(void **state)
{
	struct sl_device_info d;
	struct sl_msg_in m;

	(void)state;
	set_dev(&d, "plc_1");
	accepts(hello_devs(&d, 1), &m);
	set_dev(&d, "plc 1");
	rejects(hello_devs(&d, 1), NULL);
	set_dev(&d, "plc;1");
	rejects(hello_devs(&d, 1), NULL);
}

static void test_rejects_device_name_with_embedded_nul(void **state)
{
	struct nlattr *devs, *d, *ports;
	struct nl_msg *msg = hello_start(&devs);

	(void)state;
	d = nla_nest_start(msg, 0);
	assert_int_equal(nla_put(msg, SLUICE_DEVICE_A_NAME, 6, "pl\0c1"), 0);
	ports = nla_nest_start(msg, SLUICE_DEVICE_A_PORTS);
	nla_nest_end_keep_empty(msg, ports);
	nla_nest_end(msg, d);
	hello_end(msg, devs);
	rejects(msg, NULL);
}

static void test_rejects_trailing_bytes_in_device_list(void **state)
{
	struct sl_device_info dev;
	struct nlattr *nest;
	struct nl_msg *msg;
	struct sl_msg_in m;

	(void)state;
	set_dev(&dev, "plc1");
	add_range(&dev, 502, 502, IPPROTO_TCP);
	accepts(hello_devs(&dev, 1), &m);
	msg = hello_start(&nest);
	assert_int_equal(sl_wire_put_device(msg, &dev), 0);
	put_garbage(msg, 4);
	hello_end(msg, nest);
	rejects(msg, NULL);
}

static void test_rejects_trailing_bytes_in_device_nest(void **state)
{
	struct sl_msg_in m;

	(void)state;
	accepts(hello_device_tail(0), &m);
	rejects(hello_device_tail(4), NULL);
	rejects(hello_device_tail(3), NULL);
}

static void test_rejects_trailing_bytes_in_port_list(void **state)
{
	struct nlattr *devs, *d, *ports, *r;
	struct nl_msg *msg = hello_start(&devs);

	(void)state;
	d = nla_nest_start(msg, 0);
	assert_int_equal(nla_put_string(msg, SLUICE_DEVICE_A_NAME, "plc1"), 0);
	ports = nla_nest_start(msg, SLUICE_DEVICE_A_PORTS);
	r = nla_nest_start(msg, 0);
	assert_int_equal(nla_put_u16(msg, SLUICE_PORTS_A_FIRST, 80), 0);
	assert_int_equal(nla_put_u16(msg, SLUICE_PORTS_A_LAST, 80), 0);
	assert_int_equal(nla_put_u8(msg, SLUICE_PORTS_A_PROTO, IPPROTO_TCP), 0);
	nla_nest_end(msg, r);
	put_garbage(msg, 4);
	nla_nest_end(msg, ports);
	nla_nest_end(msg, d);
	hello_end(msg, devs);
	rejects(msg, NULL);
}

static struct nl_msg *hello_range_tail(size_t garbage)
{
	struct nlattr *devs, *d, *ports, *r;
	struct nl_msg *msg = hello_start(&devs);

	d = nla_nest_start(msg, 0);
	assert_int_equal(nla_put_string(msg, SLUICE_DEVICE_A_NAME, "plc1"), 0);
	ports = nla_nest_start(msg, SLUICE_DEVICE_A_PORTS);
	r = nla_nest_start(msg, 0);
	assert_int_equal(nla_put_u16(msg, SLUICE_PORTS_A_FIRST, 80), 0);
	assert_int_equal(nla_put_u16(msg, SLUICE_PORTS_A_LAST, 80), 0);
	assert_int_equal(nla_put_u8(msg, SLUICE_PORTS_A_PROTO, IPPROTO_TCP), 0);
	if (garbage)
		put_garbage(msg, garbage);
	nla_nest_end(msg, r);
	nla_nest_end(msg, ports);
	nla_nest_end(msg, d);
	hello_end(msg, devs);
	return msg;
}

static void test_rejects_trailing_bytes_in_range_nest(void **state)
{
	struct sl_msg_in m;

	(void)state;
	accepts(hello_range_tail(0), &m);
	rejects(hello_range_tail(4), NULL);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(sl_cmd_name(SLUICE_CMD_AGENT_HELLO), "AGENT_HELLO");
	assert_string_equal(sl_cmd_name(SLUICE_CMD_ATTACH_OK), "ATTACH_OK");
	assert_string_equal(sl_cmd_name(0), "UNKNOWN");
	assert_string_equal(sl_cmd_name(200), "UNKNOWN");
	assert_string_equal(sl_err_name(SLUICE_E_PORT_DENIED), "port not allowed");
	assert_string_equal(sl_err_name(0), "unknown error");
	assert_string_equal(sl_err_name(SLUICE_E_MAX + 1), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heartbeat_roundtrip),
		cmocka_unit_test(test_header_fields_on_the_wire),
		cmocka_unit_test(test_client_hello_roundtrip),
		cmocka_unit_test(test_open_roundtrip),
		cmocka_unit_test(test_connect_roundtrip),
		cmocka_unit_test(test_error_roundtrip),
		cmocka_unit_test(test_error_without_session_omits_it),
		cmocka_unit_test(test_list_reply_keeps_multi_flag),
		cmocka_unit_test(test_agent_hello_devices_roundtrip),
		cmocka_unit_test(test_device_without_ranges_roundtrips),
		cmocka_unit_test(test_empty_device_list_decodes_to_none),
		cmocka_unit_test(test_max_devices_accepted),
		cmocka_unit_test(test_unknown_attribute_ignored),
		cmocka_unit_test(test_unknown_attribute_in_device_ignored),
		cmocka_unit_test(test_frame_len_accepts_bounds),
		cmocka_unit_test(test_frame_len_rejects_short),
		cmocka_unit_test(test_frame_len_rejects_long),
		cmocka_unit_test(test_frame_len_rejects_foreign_type),
		cmocka_unit_test(test_frame_len_rejects_version),
		cmocka_unit_test(test_rejects_truncated_header),
		cmocka_unit_test(test_rejects_truncated_body),
		cmocka_unit_test(test_rejects_length_mismatch),
		cmocka_unit_test(test_rejects_oversized),
		cmocka_unit_test(test_rejects_wrong_type),
		cmocka_unit_test(test_rejects_wrong_version),
		cmocka_unit_test(test_rejects_unknown_cmd),
		cmocka_unit_test(test_required_sets_accepted),
		cmocka_unit_test(test_rejects_missing_required),
		cmocka_unit_test(test_rejects_u32_wrong_length),
		cmocka_unit_test(test_rejects_u16_wrong_length),
		cmocka_unit_test(test_rejects_u64_wrong_length),
		cmocka_unit_test(test_rejects_string_without_nul),
		cmocka_unit_test(test_rejects_string_with_embedded_nul),
		cmocka_unit_test(test_rejects_embedded_nul_in_free_text),
		cmocka_unit_test(test_rejects_empty_token),
		cmocka_unit_test(test_rejects_invalid_name_chars),
		cmocka_unit_test(test_rejects_invalid_device_and_agent),
		cmocka_unit_test(test_name_length_limit),
		cmocka_unit_test(test_rejects_port_zero),
		cmocka_unit_test(test_rejects_session_token_length),
		cmocka_unit_test(test_rejects_too_many_devices),
		cmocka_unit_test(test_rejects_too_many_ranges),
		cmocka_unit_test(test_rejects_backwards_range),
		cmocka_unit_test(test_rejects_range_from_port_zero),
		cmocka_unit_test(test_rejects_unknown_proto),
		cmocka_unit_test(test_rejects_range_without_proto),
		cmocka_unit_test(test_rejects_device_without_name),
		cmocka_unit_test(test_rejects_device_without_ports),
		cmocka_unit_test(test_rejects_bad_device_name),
		cmocka_unit_test(test_rejects_device_name_with_embedded_nul),
		cmocka_unit_test(test_rejects_trailing_bytes_in_device_list),
		cmocka_unit_test(test_rejects_trailing_bytes_in_device_nest),
		cmocka_unit_test(test_rejects_trailing_bytes_in_port_list),
		cmocka_unit_test(test_rejects_trailing_bytes_in_range_nest),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_heartbeat_denials_roundtrip),
		cmocka_unit_test(test_rejects_bad_denials),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
