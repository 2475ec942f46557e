// SPDX-License-Identifier: MIT
/*
 * Writes the seed corpus of fuzz_wire: one valid message of each command
 * (operator replies: one of each nest kind),
 * built with the codec the programs use, plus a stream of two messages.
 * Every seed is checked with sl_wire_parse() first, so a codec that cannot
 * read its own output fails here.
 *
 *   gen_corpus DIR
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static const char *outdir;
static unsigned char stream[2 * SLUICE_MSG_MAX];
static size_t stream_len;

static void die(const char *what, const char *why)
{
	fprintf(stderr, "gen_corpus: %s: %s\n", what, why);
	exit(1);
}

static void write_seed(const char *name, const void *bytes, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(bytes, 1, len, f) != len || fclose(f))
		die(path, strerror(errno));
}

/* Checks, writes and frees msg; keeps a copy for the stream seed. */
static void emit(const char *name, struct nl_msg *msg)
{
	struct sl_msg_in m;
	const void *bytes;
	char why[256];
	void *copy;
	size_t len;

	if (!msg)
		die(name, "cannot build");
	bytes = sl_wire_bytes(msg, &len);
	copy = malloc(len);
	if (!copy)
		die(name, "out of memory");
	memcpy(copy, bytes, len);
	if (sl_wire_parse(copy, len, &m, why, sizeof(why)))
		die(name, why);
	write_seed(name, copy, len);
	if (stream_len + len <= sizeof(stream)) {
		memcpy(stream + stream_len, copy, len);
		stream_len += len;
	}
	free(copy);
	nlmsg_free(msg);
}

static const uint8_t token[SLUICE_SESSION_TOKEN_LEN] = {
	0x5a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
	0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0xa5,
};

static int put_devices(struct nl_msg *msg, int count)
{
	struct sl_device_info d;
	struct nlattr *nest = nla_nest_start(msg, SLUICE_A_DEVICES);
	int i, ret = 0;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < count && !ret; i++) {
		memset(&d, 0, sizeof(d));
		snprintf(d.name, sizeof(d.name), "plc%d", i + 1);
		ret = sl_ports_add(&d.ports, IPPROTO_TCP, 502, 502) ?:
		      sl_ports_add(&d.ports, IPPROTO_TCP, 8000, 8010) ?:
		      sl_ports_add(&d.ports, IPPROTO_UDP, 161, 161) ?:
		      sl_wire_put_device(msg, &d);
	}
	return ret ?: nla_nest_end_keep_empty(msg, nest);
}

static struct nl_msg *hello(uint8_t cmd, const char *name, int devices)
{
	struct nl_msg *msg = sl_wire_new(cmd, 1, 0);

	if (!msg || nla_put_u32(msg, SLUICE_A_VERSION, SLUICE_PROTO_VERSION) ||
	    nla_put_string(msg, SLUICE_A_NAME, name) ||
	    (cmd == SLUICE_CMD_CLIENT_HELLO ?
		     nla_put_string(msg, SLUICE_A_PASSWORD, "correct horse") ||
			     nla_put_string(msg, SLUICE_A_TOTP, "123456") :
		     nla_put_u8(msg, SLUICE_A_SWITCH, 1)) ||
	    (devices >= 0 && put_devices(msg, devices))) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static struct nl_msg *simple(uint8_t cmd, uint32_t seq, uint16_t flags)
{
	return sl_wire_new(cmd, seq, flags);
}

static struct nl_msg *hello_ok(void)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_HELLO_OK, 1, 0);

	if (!msg || nla_put_u32(msg, SLUICE_A_VERSION, SLUICE_PROTO_VERSION) ||
	    nla_put_u32(msg, SLUICE_A_HEARTBEAT_MS, 60000)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static struct nl_msg *list_reply(void)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_LIST, 2, NLM_F_MULTI);

	if (!msg || nla_put_string(msg, SLUICE_A_NAME, "site-a") ||
	    nla_put_string(msg, SLUICE_A_ADDR, "[2001:db8::1]:40000") ||
	    put_devices(msg, 2)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static struct nl_msg *open_req(void)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_OPEN, 3, 0);

	if (!msg || nla_put_string(msg, SLUICE_A_AGENT, "site-a") ||
	    nla_put_string(msg, SLUICE_A_DEVICE, "plc1") ||
	    nla_put_u16(msg, SLUICE_A_PORT, 502)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static struct nl_msg *session_msg(uint8_t cmd)
{
	struct nl_msg *msg = sl_wire_new(cmd, 4, 0);

	if (!msg || nla_put_u64(msg, SLUICE_A_SESSION_ID, 42) ||
	    nla_put(msg, SLUICE_A_TOKEN, sizeof(token), token) ||
	    (cmd == SLUICE_CMD_OPEN_OK &&
	     nla_put_string(msg, SLUICE_A_AGENT, "site-a")) ||
	    (cmd == SLUICE_CMD_CONNECT &&
	     (nla_put_string(msg, SLUICE_A_DEVICE, "plc1") ||
	      nla_put_u16(msg, SLUICE_A_PORT, 502)))) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static struct nl_msg *attach_failed(void)
{
	struct nl_msg *msg = session_msg(SLUICE_CMD_ATTACH);

	if (msg && (nla_put_u32(msg, SLUICE_A_ERR_CODE, SLUICE_E_UNREACHABLE) ||
		    nla_put_string(msg, SLUICE_A_ERR_MSG, "connection refused"))) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static struct nl_msg *agent_heartbeat(void)
{
	static const struct sl_denial d[2] = {
		{ "plc", 23, IPPROTO_TCP, 2 },
		{ "", 161, IPPROTO_UDP, 1 },
	};
	struct nl_msg *msg = simple(SLUICE_CMD_HEARTBEAT, 0, 0);

	if (msg && (nla_put_u8(msg, SLUICE_A_ENFORCEMENT, SLUICE_ENFORCE_KERNEL) ||
		    sl_wire_put_denials(msg, d, 2))) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Operator replies (sluicectl), one of each nest kind. */
static struct nl_msg *ctl_status(void)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_CTL_STATUS, 9, 0);
	struct nlattr *st, *ls;

	if (!msg || !(st = nla_nest_start(msg, SLUICE_A_STATUS)) ||
	    nla_put_string(msg, SLUICE_STATUS_A_VERSION, "0.1.0") ||
	    nla_put_u64(msg, SLUICE_STATUS_A_UPTIME_MS, 1234) ||
	    !(ls = nla_nest_start(msg, SLUICE_STATUS_A_LISTEN)) ||
	    nla_put_string(msg, 0, "0.0.0.0:11444") || nla_put_string(msg, 0, "[::]:443"))
		goto err;
	nla_nest_end(msg, ls);
	if (nla_put_u8(msg, SLUICE_STATUS_A_DATA_PATH, SLUICE_PATH_USERSPACE) ||
	    nla_put_u32(msg, SLUICE_STATUS_A_AGENTS, 2))
		goto err;
	nla_nest_end(msg, st);
	return msg;
err:
	nlmsg_free(msg);
	return NULL;
}

static struct nl_msg *ctl_agents(void)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_CTL_AGENT_LIST, 10, NLM_F_MULTI);
	struct nlattr *list, *el, *devs;
	struct sl_device_info d = { .name = "plc1" };
	char why[128];

	if (!msg || sl_ports_parse("502, udp/161", &d.ports, why, sizeof(why)) ||
	    !(list = nla_nest_start(msg, SLUICE_A_AGENTS)) || !(el = nla_nest_start(msg, 0)) ||
	    nla_put_string(msg, SLUICE_AGENT_A_NAME, "site-a") ||
	    nla_put_string(msg, SLUICE_AGENT_A_ADDR, "192.0.2.1:40000") ||
	    nla_put_u32(msg, SLUICE_AGENT_A_NDEVICES, 1) ||
	    !(devs = nla_nest_start(msg, SLUICE_AGENT_A_DEVICES)) ||
	    sl_wire_put_device(msg, &d)) {
		nlmsg_free(msg);
		return NULL;
	}
	nla_nest_end(msg, devs);
	nla_nest_end(msg, el);
	nla_nest_end(msg, list);
	return msg;
}

static struct nl_msg *ctl_sessions(void)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_CTL_SESSION_LIST, 11, NLM_F_MULTI);
	struct nlattr *list, *el;

	if (!msg || !(list = nla_nest_start(msg, SLUICE_A_SESSIONS)) ||
	    !(el = nla_nest_start(msg, 0)) || nla_put_u64(msg, SLUICE_SESSION_A_ID, 42) ||
	    nla_put_string(msg, SLUICE_SESSION_A_USER, "alice") ||
	    nla_put_string(msg, SLUICE_SESSION_A_AGENT, "site-a") ||
	    nla_put_string(msg, SLUICE_SESSION_A_DEVICE, "plc1") ||
	    nla_put_u16(msg, SLUICE_SESSION_A_PORT, 502) ||
	    nla_put_u8(msg, SLUICE_SESSION_A_STATE, SLUICE_SESSION_ACTIVE)) {
		nlmsg_free(msg);
		return NULL;
	}
	nla_nest_end(msg, el);
	nla_nest_end(msg, list);
	return msg;
}

static struct nl_msg *ctl_changes(void)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_CTL_RELOAD, 12, 0);
	struct nlattr *list, *el;

	if (!msg || !(list = nla_nest_start(msg, SLUICE_A_CHANGES)) ||
	    !(el = nla_nest_start(msg, 0)) ||
	    nla_put_string(msg, SLUICE_CHANGE_A_KEY, "heartbeat_interval") ||
	    nla_put_string(msg, SLUICE_CHANGE_A_OLD, "60000ms") ||
	    nla_put_string(msg, SLUICE_CHANGE_A_NEW, "30000ms") ||
	    nla_put_u8(msg, SLUICE_CHANGE_A_ACTION, SLUICE_CHANGE_APPLIED)) {
		nlmsg_free(msg);
		return NULL;
	}
	nla_nest_end(msg, el);
	nla_nest_end(msg, list);
	return msg;
}

static struct nl_msg *ctl_certs(void)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_CTL_CERT_SHOW, 13, 0);
	struct nlattr *list, *el;

	if (!msg || !(list = nla_nest_start(msg, SLUICE_A_CERTS)) ||
	    !(el = nla_nest_start(msg, 0)) || nla_put_string(msg, SLUICE_CERT_A_NAME, "relay") ||
	    nla_put_string(msg, SLUICE_CERT_A_FINGERPRINT, "sha256:00") ||
	    nla_put_u64(msg, SLUICE_CERT_A_NOT_AFTER, 2000000000)) {
		nlmsg_free(msg);
		return NULL;
	}
	nla_nest_end(msg, el);
	nla_nest_end(msg, list);
	return msg;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus DIR\n");
		return 2;
	}
	outdir = argv[1];
	emit("agent_hello", hello(SLUICE_CMD_AGENT_HELLO, "site-a", 3));
	emit("agent_hello_no_devices", hello(SLUICE_CMD_AGENT_HELLO, "site-b", 0));
	emit("agent_hello_many_devices",
	     hello(SLUICE_CMD_AGENT_HELLO, "site-c", 40));
	emit("client_hello", hello(SLUICE_CMD_CLIENT_HELLO, "alice", -1));
	emit("hello_ok", hello_ok());
	emit("heartbeat", simple(SLUICE_CMD_HEARTBEAT, 0, 0));
	emit("agent_heartbeat", agent_heartbeat());
	emit("list", simple(SLUICE_CMD_LIST, 2, 0));
	emit("list_reply", list_reply());
	emit("done", simple(SLUICE_CMD_DONE, 2, NLM_F_MULTI));
	emit("open", open_req());
	emit("open_ok", session_msg(SLUICE_CMD_OPEN_OK));
	emit("connect", session_msg(SLUICE_CMD_CONNECT));
	emit("attach", session_msg(SLUICE_CMD_ATTACH));
	emit("attach_failed", attach_failed());
	emit("attach_ok", simple(SLUICE_CMD_ATTACH_OK, 5, 0));
	emit("error", sl_wire_error(3, SLUICE_E_PORT_DENIED, 42,
				    "port %d not allowed on device %s", 23,
				    "plc1"));
	emit("ctl_status", ctl_status());
	emit("ctl_agents", ctl_agents());
	emit("ctl_sessions", ctl_sessions());
	emit("ctl_changes", ctl_changes());
	emit("ctl_certs", ctl_certs());
	write_seed("stream", stream, stream_len);
	return 0;
}
