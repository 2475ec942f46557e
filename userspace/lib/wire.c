// SPDX-License-Identifier: MIT
/*
 * Codec for the sluice protocol.  Every byte here comes from the network, so
 * the order is: bound the length, check the headers, let libnl check each
 * attribute against the policy, then check what libnl cannot express
 * (required attributes per command, name syntax, nested arrays).
 */
#include "wire.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIT(a) (1u << (a))

static struct nla_policy attr_policy[SLUICE_A_MAX + 1] = {
	[SLUICE_A_VERSION] = { .type = NLA_U32, .minlen = 4, .maxlen = 4 },
	[SLUICE_A_NAME] = { .type = NLA_STRING, .minlen = 2,
			    .maxlen = SLUICE_NAME_MAX + 1 },
	[SLUICE_A_TOKEN] = { .type = NLA_UNSPEC, .minlen = 1,
			     .maxlen = SLUICE_TOKEN_MAX },
	[SLUICE_A_HEARTBEAT_MS] = { .type = NLA_U32, .minlen = 4,
				    .maxlen = 4 },
	[SLUICE_A_DEVICES] = { .type = NLA_NESTED },
	[SLUICE_A_ADDR] = { .type = NLA_STRING, .minlen = 1,
			    .maxlen = SLUICE_ADDR_MAX },
	[SLUICE_A_AGENT] = { .type = NLA_STRING, .minlen = 2,
			     .maxlen = SLUICE_NAME_MAX + 1 },
	[SLUICE_A_DEVICE] = { .type = NLA_STRING, .minlen = 2,
			      .maxlen = SLUICE_NAME_MAX + 1 },
	[SLUICE_A_PORT] = { .type = NLA_U16, .minlen = 2, .maxlen = 2 },
	[SLUICE_A_SESSION_ID] = { .type = NLA_U64, .minlen = 8, .maxlen = 8 },
	[SLUICE_A_ERR_CODE] = { .type = NLA_U32, .minlen = 4, .maxlen = 4 },
	[SLUICE_A_ERR_MSG] = { .type = NLA_STRING, .minlen = 1,
			       .maxlen = SLUICE_ERR_MSG_MAX },
	[SLUICE_A_ENFORCEMENT] = { .type = NLA_U8, .minlen = 1, .maxlen = 1 },
	[SLUICE_A_DENIALS] = { .type = NLA_NESTED },
	[SLUICE_A_CSR] = { .type = NLA_UNSPEC, .minlen = 1, .maxlen = SLUICE_CSR_MAX },
	[SLUICE_A_CERT] = { .type = NLA_UNSPEC, .minlen = 1, .maxlen = SLUICE_CERT_MAX },
	[SLUICE_A_SECRET] = { .type = NLA_UNSPEC, .minlen = SLUICE_SECRET_LEN,
			      .maxlen = SLUICE_SECRET_LEN },
	[SLUICE_A_PASSWORD] = { .type = NLA_STRING, .minlen = 2,
				.maxlen = SLUICE_PASSWORD_MAX + 1 },
	[SLUICE_A_TOTP] = { .type = NLA_STRING, .minlen = 2,
			    .maxlen = SLUICE_TOTP_MAX + 1 },
	[SLUICE_A_SWITCH] = { .type = NLA_U8, .minlen = 1, .maxlen = 1 },
	[SLUICE_A_DOMAIN] = { .type = NLA_STRING, .minlen = 2,
			      .maxlen = SLUICE_DOMAIN_MAX + 1 },
	[SLUICE_A_STATE] = { .type = NLA_U8, .minlen = 1, .maxlen = 1 },
	[SLUICE_A_STATUS] = { .type = NLA_NESTED },
	[SLUICE_A_AGENTS] = { .type = NLA_NESTED },
	[SLUICE_A_SESSIONS] = { .type = NLA_NESTED },
	[SLUICE_A_CERTS] = { .type = NLA_NESTED },
	[SLUICE_A_CHANGES] = { .type = NLA_NESTED },
};

static struct nla_policy denial_policy[SLUICE_DENIAL_A_MAX + 1] = {
	[SLUICE_DENIAL_A_DEVICE] = { .type = NLA_STRING, .minlen = 2,
				     .maxlen = SLUICE_NAME_MAX + 1 },
	[SLUICE_DENIAL_A_PORT] = { .type = NLA_U16, .minlen = 2, .maxlen = 2 },
	[SLUICE_DENIAL_A_PROTO] = { .type = NLA_U8, .minlen = 1, .maxlen = 1 },
	[SLUICE_DENIAL_A_COUNT] = { .type = NLA_U64, .minlen = 8, .maxlen = 8 },
};

static struct nla_policy device_policy[SLUICE_DEVICE_A_MAX + 1] = {
	[SLUICE_DEVICE_A_NAME] = { .type = NLA_STRING, .minlen = 2,
				   .maxlen = SLUICE_NAME_MAX + 1 },
	[SLUICE_DEVICE_A_PORTS] = { .type = NLA_NESTED },
};

static struct nla_policy ports_policy[SLUICE_PORTS_A_MAX + 1] = {
	[SLUICE_PORTS_A_FIRST] = { .type = NLA_U16, .minlen = 2, .maxlen = 2 },
	[SLUICE_PORTS_A_LAST] = { .type = NLA_U16, .minlen = 2, .maxlen = 2 },
	[SLUICE_PORTS_A_PROTO] = { .type = NLA_U8, .minlen = 1, .maxlen = 1 },
};

/* The nests of operator replies, one policy each. */
#define POL_U8 { .type = NLA_U8, .minlen = 1, .maxlen = 1 }
#define POL_U16 { .type = NLA_U16, .minlen = 2, .maxlen = 2 }
#define POL_U32 { .type = NLA_U32, .minlen = 4, .maxlen = 4 }
#define POL_U64 { .type = NLA_U64, .minlen = 8, .maxlen = 8 }
#define POL_NAME { .type = NLA_STRING, .minlen = 2, .maxlen = SLUICE_NAME_MAX + 1 }
#define POL_ADDR { .type = NLA_STRING, .minlen = 1, .maxlen = SLUICE_ADDR_MAX }
#define POL_TEXT { .type = NLA_STRING, .minlen = 1, .maxlen = SLUICE_TEXT_MAX }
#define POL_NEST { .type = NLA_NESTED }

static struct nla_policy status_policy[SLUICE_STATUS_A_MAX + 1] = {
	[SLUICE_STATUS_A_VERSION] = POL_NAME,
	[SLUICE_STATUS_A_PID] = POL_U32,
	[SLUICE_STATUS_A_UPTIME_MS] = POL_U64,
	[SLUICE_STATUS_A_LISTEN] = POL_NEST,
	[SLUICE_STATUS_A_METRICS] = POL_ADDR,
	[SLUICE_STATUS_A_PORT_ID] = POL_U32,
	[SLUICE_STATUS_A_DATA_PATH] = POL_U8,
	[SLUICE_STATUS_A_AGENTS] = POL_U32,
	[SLUICE_STATUS_A_CLIENTS] = POL_U32,
	[SLUICE_STATUS_A_SESSIONS_ACTIVE] = POL_U32,
	[SLUICE_STATUS_A_SESSIONS_PENDING] = POL_U32,
	[SLUICE_STATUS_A_SESSIONS_TOTAL] = POL_U64,
	[SLUICE_STATUS_A_BYTES_TO_DEVICE] = POL_U64,
	[SLUICE_STATUS_A_BYTES_TO_CLIENT] = POL_U64,
	[SLUICE_STATUS_A_HEARTBEAT_MS] = POL_U32,
	[SLUICE_STATUS_A_MAX_SESSIONS] = POL_U32,
};

static struct nla_policy agent_policy[SLUICE_AGENT_A_MAX + 1] = {
	[SLUICE_AGENT_A_NAME] = POL_NAME,
	[SLUICE_AGENT_A_ADDR] = POL_ADDR,
	[SLUICE_AGENT_A_AGE_MS] = POL_U64,
	[SLUICE_AGENT_A_IDLE_MS] = POL_U64,
	[SLUICE_AGENT_A_HEARTBEAT_MS] = POL_U32,
	[SLUICE_AGENT_A_NDEVICES] = POL_U32,
	[SLUICE_AGENT_A_NSESSIONS] = POL_U32,
	[SLUICE_AGENT_A_DEVICES] = POL_NEST,
};

static struct nla_policy session_policy[SLUICE_SESSION_A_MAX + 1] = {
	[SLUICE_SESSION_A_ID] = POL_U64,
	[SLUICE_SESSION_A_USER] = POL_NAME,
	[SLUICE_SESSION_A_CLIENT_ADDR] = POL_ADDR,
	[SLUICE_SESSION_A_AGENT] = POL_NAME,
	[SLUICE_SESSION_A_DEVICE] = POL_NAME,
	[SLUICE_SESSION_A_PORT] = POL_U16,
	[SLUICE_SESSION_A_STATE] = POL_U8,
	[SLUICE_SESSION_A_PATH] = POL_U8,
	[SLUICE_SESSION_A_BYTES_TO_DEVICE] = POL_U64,
	[SLUICE_SESSION_A_BYTES_TO_CLIENT] = POL_U64,
	[SLUICE_SESSION_A_AGE_MS] = POL_U64,
};

static struct nla_policy cert_policy[SLUICE_CERT_A_MAX + 1] = {
	[SLUICE_CERT_A_NAME] = POL_NAME,
	[SLUICE_CERT_A_PATH] = POL_TEXT,
	[SLUICE_CERT_A_FINGERPRINT] = POL_TEXT,
	[SLUICE_CERT_A_SUBJECT] = POL_TEXT,
	[SLUICE_CERT_A_NOT_BEFORE] = POL_U64,
	[SLUICE_CERT_A_NOT_AFTER] = POL_U64,
};

static struct nla_policy change_policy[SLUICE_CHANGE_A_MAX + 1] = {
	[SLUICE_CHANGE_A_KEY] = POL_NAME,
	[SLUICE_CHANGE_A_OLD] = POL_TEXT,
	[SLUICE_CHANGE_A_NEW] = POL_TEXT,
	[SLUICE_CHANGE_A_ACTION] = POL_U8,
};

/* Room for the attribute table of any operator nest. */
#define NEST_TB_MAX 16

struct nest_spec {
	const char *what;		/* for reasons: "agent", "session"... */
	int max;
	const struct nla_policy *policy;
	int required;			/* the one attribute an element needs */
	const char *required_name;
	uint32_t names;			/* attributes that must be valid names */
	/* Checks what the policy cannot; 0 or -EBADMSG with a reason. */
	int (*extra)(struct nlattr **tb, char *why, size_t whylen);
};

static int check_listen(struct nlattr **tb, char *why, size_t whylen);
static int check_agent(struct nlattr **tb, char *why, size_t whylen);
static int check_session(struct nlattr **tb, char *why, size_t whylen);

static const struct nest_spec nest_specs[] = {
	[SL_NEST_STATUS] = { .what = "status", .max = SLUICE_STATUS_A_MAX,
			     .policy = status_policy, .required = SLUICE_STATUS_A_VERSION,
			     .required_name = "VERSION", .extra = check_listen },
	[SL_NEST_AGENT] = { .what = "agent", .max = SLUICE_AGENT_A_MAX,
			    .policy = agent_policy, .required = SLUICE_AGENT_A_NAME,
			    .required_name = "NAME", .names = BIT(SLUICE_AGENT_A_NAME),
			    .extra = check_agent },
	[SL_NEST_SESSION] = { .what = "session", .max = SLUICE_SESSION_A_MAX,
			      .policy = session_policy, .required = SLUICE_SESSION_A_ID,
			      .required_name = "ID",
			      .names = BIT(SLUICE_SESSION_A_USER) | BIT(SLUICE_SESSION_A_AGENT) |
				       BIT(SLUICE_SESSION_A_DEVICE),
			      .extra = check_session },
	[SL_NEST_CERT] = { .what = "certificate", .max = SLUICE_CERT_A_MAX,
			   .policy = cert_policy, .required = SLUICE_CERT_A_NAME,
			   .required_name = "NAME", .names = BIT(SLUICE_CERT_A_NAME) },
	[SL_NEST_CHANGE] = { .what = "change", .max = SLUICE_CHANGE_A_MAX,
			     .policy = change_policy, .required = SLUICE_CHANGE_A_KEY,
			     .required_name = "KEY" },
};

_Static_assert(SLUICE_STATUS_A_MAX <= NEST_TB_MAX && SLUICE_AGENT_A_MAX <= NEST_TB_MAX &&
		       SLUICE_SESSION_A_MAX <= NEST_TB_MAX &&
		       SLUICE_CERT_A_MAX <= NEST_TB_MAX &&
		       SLUICE_CHANGE_A_MAX <= NEST_TB_MAX,
	       "raise NEST_TB_MAX");

/*
 * What each command must carry; the policy above checks what it may carry.
 * Operator commands share one command number between request and reply:
 * required applies to both, reply only to messages without NLM_F_REQUEST,
 * and dump commands need NLM_F_DUMP on the request and NLM_F_MULTI on
 * each part of the reply.
 */
static const struct {
	const char *name;
	uint32_t required;
	uint32_t reply;
	bool dump;
} cmd_table[SLUICE_CMD_MAX + 1] = {
	[SLUICE_CMD_ERROR] = { .name = "ERROR", .required = BIT(SLUICE_A_ERR_CODE) },
	[SLUICE_CMD_AGENT_HELLO] = { .name = "AGENT_HELLO",
				     .required = BIT(SLUICE_A_VERSION) | BIT(SLUICE_A_NAME) },
	[SLUICE_CMD_CLIENT_HELLO] = { .name = "CLIENT_HELLO",
				      .required = BIT(SLUICE_A_VERSION) | BIT(SLUICE_A_NAME) |
						  BIT(SLUICE_A_PASSWORD) },
	[SLUICE_CMD_HELLO_OK] = { .name = "HELLO_OK",
				  .required = BIT(SLUICE_A_VERSION) | BIT(SLUICE_A_HEARTBEAT_MS) },
	[SLUICE_CMD_HEARTBEAT] = { .name = "HEARTBEAT" },
	[SLUICE_CMD_LIST] = { .name = "LIST" },
	[SLUICE_CMD_DONE] = { .name = "DONE" },
	[SLUICE_CMD_OPEN] = { .name = "OPEN",
			      .required = BIT(SLUICE_A_DEVICE) | BIT(SLUICE_A_PORT) },
	[SLUICE_CMD_OPEN_OK] = { .name = "OPEN_OK",
				 .required = BIT(SLUICE_A_SESSION_ID) | BIT(SLUICE_A_TOKEN) |
					     BIT(SLUICE_A_AGENT) },
	[SLUICE_CMD_CONNECT] = { .name = "CONNECT",
				 .required = BIT(SLUICE_A_SESSION_ID) | BIT(SLUICE_A_TOKEN) |
					     BIT(SLUICE_A_DEVICE) | BIT(SLUICE_A_PORT) },
	[SLUICE_CMD_ATTACH] = { .name = "ATTACH",
				.required = BIT(SLUICE_A_SESSION_ID) | BIT(SLUICE_A_TOKEN) },
	[SLUICE_CMD_ATTACH_OK] = { .name = "ATTACH_OK" },
	[SLUICE_CMD_AGENT_UPDATE] = { .name = "AGENT_UPDATE", .required = BIT(SLUICE_A_DEVICES) },
	[SLUICE_CMD_ENROLL] = { .name = "ENROLL",
				.required = BIT(SLUICE_A_NAME) | BIT(SLUICE_A_TOKEN) |
					    BIT(SLUICE_A_CSR) },
	[SLUICE_CMD_ENROLL_OK] = { .name = "ENROLL_OK",
				   .required = BIT(SLUICE_A_CERT) | BIT(SLUICE_A_DOMAIN) |
					       BIT(SLUICE_A_STATE) },
	[SLUICE_CMD_CTL_STATUS] = { .name = "CTL_STATUS", .reply = BIT(SLUICE_A_STATUS) },
	[SLUICE_CMD_CTL_AGENT_LIST] = { .name = "CTL_AGENT_LIST",
					.reply = BIT(SLUICE_A_AGENTS), .dump = true },
	[SLUICE_CMD_CTL_AGENT_SHOW] = { .name = "CTL_AGENT_SHOW",
					.required = BIT(SLUICE_A_AGENT),
					.reply = BIT(SLUICE_A_AGENTS) },
	[SLUICE_CMD_CTL_AGENT_DETACH] = { .name = "CTL_AGENT_DETACH",
					  .required = BIT(SLUICE_A_AGENT) },
	[SLUICE_CMD_CTL_DEVICE_LIST] = { .name = "CTL_DEVICE_LIST",
					 .reply = BIT(SLUICE_A_AGENTS), .dump = true },
	[SLUICE_CMD_CTL_SESSION_LIST] = { .name = "CTL_SESSION_LIST",
					  .reply = BIT(SLUICE_A_SESSIONS), .dump = true },
	[SLUICE_CMD_CTL_SESSION_SHOW] = { .name = "CTL_SESSION_SHOW",
					  .required = BIT(SLUICE_A_SESSION_ID),
					  .reply = BIT(SLUICE_A_SESSIONS) },
	[SLUICE_CMD_CTL_SESSION_KILL] = { .name = "CTL_SESSION_KILL",
					  .required = BIT(SLUICE_A_SESSION_ID) },
	[SLUICE_CMD_CTL_RELOAD] = { .name = "CTL_RELOAD", .reply = BIT(SLUICE_A_CHANGES) },
	[SLUICE_CMD_CTL_CERT_SHOW] = { .name = "CTL_CERT_SHOW", .reply = BIT(SLUICE_A_CERTS) },
};

static const char *const attr_names[SLUICE_A_MAX + 1] = {
	[SLUICE_A_VERSION] = "VERSION",	      [SLUICE_A_NAME] = "NAME",
	[SLUICE_A_TOKEN] = "TOKEN",	      [SLUICE_A_HEARTBEAT_MS] = "HEARTBEAT_MS",
	[SLUICE_A_DEVICES] = "DEVICES",	      [SLUICE_A_ADDR] = "ADDR",
	[SLUICE_A_AGENT] = "AGENT",	      [SLUICE_A_DEVICE] = "DEVICE",
	[SLUICE_A_PORT] = "PORT",	      [SLUICE_A_SESSION_ID] = "SESSION_ID",
	[SLUICE_A_ERR_CODE] = "ERR_CODE",     [SLUICE_A_ERR_MSG] = "ERR_MSG",
	[SLUICE_A_ENFORCEMENT] = "ENFORCEMENT", [SLUICE_A_DENIALS] = "DENIALS",
	[SLUICE_A_CSR] = "CSR",		      [SLUICE_A_CERT] = "CERT",
	[SLUICE_A_SECRET] = "SECRET",	      [SLUICE_A_PASSWORD] = "PASSWORD",
	[SLUICE_A_TOTP] = "TOTP",	      [SLUICE_A_SWITCH] = "SWITCH",
	[SLUICE_A_DOMAIN] = "DOMAIN",	      [SLUICE_A_STATE] = "STATE",
	[SLUICE_A_STATUS] = "STATUS",	      [SLUICE_A_AGENTS] = "AGENTS",
	[SLUICE_A_SESSIONS] = "SESSIONS",     [SLUICE_A_CERTS] = "CERTS",
	[SLUICE_A_CHANGES] = "CHANGES",
};

const char *sl_cmd_name(uint8_t cmd)
{
	if (cmd <= SLUICE_CMD_MAX && cmd_table[cmd].name)
		return cmd_table[cmd].name;
	return "UNKNOWN";
}

const char *sl_err_name(uint32_t code)
{
	static const char *const names[SLUICE_E_MAX + 1] = {
		[SLUICE_E_PROTO] = "protocol error",
		[SLUICE_E_VERSION] = "unsupported protocol version",
		[SLUICE_E_AUTH] = "authentication failed",
		[SLUICE_E_DUPLICATE] = "already connected",
		[SLUICE_E_NO_AGENT] = "no such agent",
		[SLUICE_E_NO_DEVICE] = "no such device",
		[SLUICE_E_AMBIGUOUS] = "ambiguous device name",
		[SLUICE_E_PORT_DENIED] = "port not allowed",
		[SLUICE_E_UNREACHABLE] = "device unreachable",
		[SLUICE_E_TIMEOUT] = "timed out",
		[SLUICE_E_BAD_TOKEN] = "bad session token",
		[SLUICE_E_LIMIT] = "limit reached",
		[SLUICE_E_AGENT_GONE] = "agent disconnected",
		[SLUICE_E_INTERNAL] = "internal relay error",
		[SLUICE_E_LOCKED] = "locked",
		[SLUICE_E_DISABLED] = "disabled",
		[SLUICE_E_EXPIRED] = "expired",
		[SLUICE_E_FORBIDDEN] = "not allowed",
		[SLUICE_E_SWITCH_OFF] = "remote access switched off at the site",
		[SLUICE_E_PENDING] = "agent awaits approval",
		[SLUICE_E_PERM] = "permission denied",
		[SLUICE_E_CONFIG] = "configuration error",
		[SLUICE_E_NO_SESSION] = "no such session",
		[SLUICE_E_KILLED] = "closed by the operator",
	};

	if (code <= SLUICE_E_MAX && names[code])
		return names[code];
	return "unknown error";
}

int sl_wire_frame_len(const void *hdr, char *why, size_t whylen)
{
	struct nlmsghdr nlh;
	struct genlmsghdr gnlh;

	memcpy(&nlh, hdr, sizeof(nlh));
	memcpy(&gnlh, (const char *)hdr + NLMSG_HDRLEN, sizeof(gnlh));
	if (nlh.nlmsg_type != SLUICE_MSG_TYPE) {
		snprintf(why, whylen, "not a sluice message (type %#x)",
			 nlh.nlmsg_type);
		return -EBADMSG;
	}
	if (nlh.nlmsg_len < SL_WIRE_HDRLEN || nlh.nlmsg_len > SLUICE_MSG_MAX) {
		snprintf(why, whylen, "message length %u outside %u..%u",
			 nlh.nlmsg_len, (unsigned)SL_WIRE_HDRLEN,
			 SLUICE_MSG_MAX);
		return -EBADMSG;
	}
	if (gnlh.version != SLUICE_GENL_VERSION) {
		snprintf(why, whylen, "message format version %u, expected %u",
			 gnlh.version, SLUICE_GENL_VERSION);
		return -EBADMSG;
	}
	return (int)nlh.nlmsg_len;
}

/* Array nests: element types are ignored, trailing bytes are refused. */
#define for_each_elem(pos, nest, rem) nla_for_each_nested(pos, nest, rem)

/* nla_parse() skips bytes after the last whole attribute: refuse them. */
static bool nest_has_tail(const struct nlattr *nest)
{
	struct nlattr *pos;
	int rem;

	nla_for_each_nested(pos, nest, rem)
		;
	return rem != 0;
}

/* libnl skips bytes after the last whole attribute; the protocol refuses them. */
static bool attrs_have_tail(struct nlmsghdr *nlh)
{
	struct nlattr *pos;
	int rem;

	nla_for_each_attr(pos, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem)
		;
	return rem != 0;
}

/* Decodes a PORTS array nest into out (always written). */
static int check_ports(const struct nlattr *ports, struct sl_ports *out,
		       char *why, size_t whylen)
{
	struct nlattr *pos;
	int rem;

	out->n = 0;
	for_each_elem(pos, ports, rem)
	{
		struct nlattr *tb[SLUICE_PORTS_A_MAX + 1];
		unsigned int first, last;
		uint8_t proto;

		if (nla_parse_nested(tb, SLUICE_PORTS_A_MAX, pos,
				     ports_policy) < 0 || nest_has_tail(pos)) {
			snprintf(why, whylen, "malformed port range");
			return -EBADMSG;
		}
		if (!tb[SLUICE_PORTS_A_FIRST] || !tb[SLUICE_PORTS_A_LAST] ||
		    !tb[SLUICE_PORTS_A_PROTO]) {
			snprintf(why, whylen, "port range lacks FIRST, LAST or PROTO");
			return -EBADMSG;
		}
		first = nla_get_u16(tb[SLUICE_PORTS_A_FIRST]);
		last = nla_get_u16(tb[SLUICE_PORTS_A_LAST]);
		proto = nla_get_u8(tb[SLUICE_PORTS_A_PROTO]);
		if (out->n >= SLUICE_RANGES_MAX) {
			snprintf(why, whylen, "more than %d port ranges",
				 SLUICE_RANGES_MAX);
			return -EBADMSG;
		}
		if (sl_ports_add(out, proto, first, last)) {
			snprintf(why, whylen, "bad port range %u-%u proto %u",
				 first, last, proto);
			return -EBADMSG;
		}
	}
	if (rem) {
		snprintf(why, whylen, "%d trailing bytes in port list", rem);
		return -EBADMSG;
	}
	return 0;
}

/*
 * Walks a SLUICE_A_DEVICES nest.  With out == NULL it only validates; else
 * it fills out[0..SLUICE_DEVICES_MAX).  Returns the count or -EBADMSG.
 */
static int walk_devices(const struct nlattr *devices,
			struct sl_device_info *out, char *why, size_t whylen)
{
	struct nlattr *pos;
	int rem, n = 0, ret;

	for_each_elem(pos, devices, rem)
	{
		struct nlattr *tb[SLUICE_DEVICE_A_MAX + 1];
		const char *name;
		struct sl_ports counted;

		if (n >= SLUICE_DEVICES_MAX) {
			snprintf(why, whylen, "more than %d devices",
				 SLUICE_DEVICES_MAX);
			return -EBADMSG;
		}
		if (nla_parse_nested(tb, SLUICE_DEVICE_A_MAX, pos,
				     device_policy) < 0 || nest_has_tail(pos)) {
			snprintf(why, whylen, "malformed device %d", n);
			return -EBADMSG;
		}
		if (!tb[SLUICE_DEVICE_A_NAME] || !tb[SLUICE_DEVICE_A_PORTS]) {
			snprintf(why, whylen, "device %d lacks NAME or PORTS", n);
			return -EBADMSG;
		}
		name = nla_data(tb[SLUICE_DEVICE_A_NAME]);
		if (strlen(name) != (size_t)nla_len(tb[SLUICE_DEVICE_A_NAME]) - 1 ||
		    !sl_name_valid(name)) {
			snprintf(why, whylen, "bad device name");
			return -EBADMSG;
		}
		ret = check_ports(tb[SLUICE_DEVICE_A_PORTS],
				  out ? &out[n].ports : &counted, why, whylen);
		if (ret)
			return ret;
		if (out)
			snprintf(out[n].name, sizeof(out[n].name), "%s", name);
		n++;
	}
	if (rem) {
		snprintf(why, whylen, "%d trailing bytes in device list", rem);
		return -EBADMSG;
	}
	return n;
}

/*
 * Walks a SLUICE_A_DENIALS nest, like walk_devices: validates only with
 * out == NULL, else fills out[0..SLUICE_DENIALS_MAX).  Count or -EBADMSG.
 */
static int walk_denials(const struct nlattr *denials, struct sl_denial *out,
			char *why, size_t whylen)
{
	struct nlattr *pos;
	int rem, n = 0;

	for_each_elem(pos, denials, rem)
	{
		struct nlattr *tb[SLUICE_DENIAL_A_MAX + 1];
		const struct nlattr *dev;
		uint8_t proto;

		if (n >= SLUICE_DENIALS_MAX) {
			snprintf(why, whylen, "more than %d denial counters",
				 SLUICE_DENIALS_MAX);
			return -EBADMSG;
		}
		if (nla_parse_nested(tb, SLUICE_DENIAL_A_MAX, pos,
				     denial_policy) < 0 || nest_has_tail(pos)) {
			snprintf(why, whylen, "malformed denial counter %d", n);
			return -EBADMSG;
		}
		if (!tb[SLUICE_DENIAL_A_PORT] || !tb[SLUICE_DENIAL_A_PROTO] ||
		    !tb[SLUICE_DENIAL_A_COUNT]) {
			snprintf(why, whylen, "denial counter %d lacks PORT, PROTO or COUNT", n);
			return -EBADMSG;
		}
		dev = tb[SLUICE_DENIAL_A_DEVICE];
		if (dev && (strlen(nla_data(dev)) != (size_t)nla_len(dev) - 1 ||
			    !sl_name_valid(nla_data(dev)))) {
			snprintf(why, whylen, "denial counter %d: bad device name", n);
			return -EBADMSG;
		}
		proto = nla_get_u8(tb[SLUICE_DENIAL_A_PROTO]);
		if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
			snprintf(why, whylen, "denial counter %d: protocol %u", n, proto);
			return -EBADMSG;
		}
		if (out) {
			snprintf(out[n].device, sizeof(out[n].device), "%s",
				 dev ? (const char *)nla_data(dev) : "");
			out[n].port = nla_get_u16(tb[SLUICE_DENIAL_A_PORT]);
			out[n].proto = proto;
			out[n].count = nla_get_u64(tb[SLUICE_DENIAL_A_COUNT]);
		}
		n++;
	}
	if (rem) {
		snprintf(why, whylen, "%d trailing bytes in denial list", rem);
		return -EBADMSG;
	}
	return n;
}

static bool has_embedded_nul(const struct nlattr *a)
{
	return strlen(nla_data(a)) != (size_t)nla_len(a) - 1;
}

/* Parses and checks one operator nest into tb (NEST_TB_MAX + 1 entries). */
static int check_nest(const struct nlattr *nest, const struct nest_spec *s,
		      struct nlattr **tb, int idx, char *why, size_t whylen)
{
	int i;

	if (nla_parse_nested(tb, s->max, (struct nlattr *)nest, s->policy) < 0 ||
	    nest_has_tail(nest)) {
		snprintf(why, whylen, "malformed %s %d", s->what, idx);
		return -EBADMSG;
	}
	if (!tb[s->required]) {
		snprintf(why, whylen, "%s %d lacks %s", s->what, idx, s->required_name);
		return -EBADMSG;
	}
	for (i = 1; i <= s->max; i++) {
		if (!tb[i])
			continue;
		if (s->policy[i].type == NLA_STRING && has_embedded_nul(tb[i])) {
			snprintf(why, whylen, "%s %d: attribute %d has an embedded NUL",
				 s->what, idx, i);
			return -EBADMSG;
		}
		if ((s->names & BIT(i)) && !sl_name_valid(nla_data(tb[i]))) {
			snprintf(why, whylen, "%s %d: attribute %d is not a valid name",
				 s->what, idx, i);
			return -EBADMSG;
		}
	}
	return s->extra ? s->extra(tb, why, whylen) : 0;
}

/* An array nest of operator nests; element types are ignored. */
static int check_array(const struct nlattr *arr, const struct nest_spec *s,
		       char *why, size_t whylen)
{
	struct nlattr *tb[NEST_TB_MAX + 1], *pos;
	int rem, n = 0, ret;

	for_each_elem(pos, arr, rem)
	{
		ret = check_nest(pos, s, tb, n, why, whylen);
		if (ret)
			return ret;
		n++;
	}
	if (rem) {
		snprintf(why, whylen, "%d trailing bytes in %s list", rem, s->what);
		return -EBADMSG;
	}
	return 0;
}

static int check_listen(struct nlattr **tb, char *why, size_t whylen)
{
	const struct nlattr *listen = tb[SLUICE_STATUS_A_LISTEN];
	struct nlattr *pos;
	int rem;

	if (!listen)
		return 0;
	for_each_elem(pos, listen, rem)
	{
		int len = nla_len(pos);

		if (len < 1 || len > SLUICE_ADDR_MAX ||
		    ((const char *)nla_data(pos))[len - 1] != '\0' ||
		    has_embedded_nul(pos)) {
			snprintf(why, whylen, "status: bad listen address");
			return -EBADMSG;
		}
	}
	if (rem) {
		snprintf(why, whylen, "%d trailing bytes in listen list", rem);
		return -EBADMSG;
	}
	return 0;
}

static int check_agent(struct nlattr **tb, char *why, size_t whylen)
{
	if (tb[SLUICE_AGENT_A_DEVICES] &&
	    walk_devices(tb[SLUICE_AGENT_A_DEVICES], NULL, why, whylen) < 0)
		return -EBADMSG;
	return 0;
}

static int check_session(struct nlattr **tb, char *why, size_t whylen)
{
	if (tb[SLUICE_SESSION_A_PORT] && nla_get_u16(tb[SLUICE_SESSION_A_PORT]) == 0) {
		snprintf(why, whylen, "session: port 0");
		return -EBADMSG;
	}
	return 0;
}

/* The operator attributes of a message that sl_wire_parse checked so far. */
static int check_operator_attrs(struct sl_msg_in *m, char *why, size_t whylen)
{
	static const struct {
		int attr;
		enum sl_nest kind;
	} arrays[] = {
		{ SLUICE_A_AGENTS, SL_NEST_AGENT },
		{ SLUICE_A_SESSIONS, SL_NEST_SESSION },
		{ SLUICE_A_CERTS, SL_NEST_CERT },
		{ SLUICE_A_CHANGES, SL_NEST_CHANGE },
	};
	struct nlattr *tb[NEST_TB_MAX + 1];
	char inner[200];
	unsigned int i;

	inner[0] = '\0';
	if (m->tb[SLUICE_A_STATUS] &&
	    check_nest(m->tb[SLUICE_A_STATUS], &nest_specs[SL_NEST_STATUS], tb, 0,
		       inner, sizeof(inner)))
		goto bad;
	for (i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++)
		if (m->tb[arrays[i].attr] &&
		    check_array(m->tb[arrays[i].attr], &nest_specs[arrays[i].kind],
				inner, sizeof(inner)))
			goto bad;
	return 0;
bad:
	snprintf(why, whylen, "%s: %s", sl_cmd_name(m->cmd), inner);
	return -EBADMSG;
}

int sl_wire_nest(enum sl_nest kind, const struct nlattr *nest,
		 struct nlattr **tb)
{
	const struct nest_spec *s = &nest_specs[kind];

	if (nla_parse_nested(tb, s->max, (struct nlattr *)nest, s->policy) < 0)
		return -EBADMSG;
	return 0;
}

int sl_wire_parse(void *buf, size_t len, struct sl_msg_in *m, char *why,
		  size_t whylen)
{
	struct nlmsghdr *nlh = buf;
	struct genlmsghdr *gnlh;
	static const int name_attrs[] = { SLUICE_A_NAME, SLUICE_A_AGENT,
					  SLUICE_A_DEVICE };
	uint32_t required;
	unsigned int i;
	bool request;
	int ret;

	if (len < SL_WIRE_HDRLEN) {
		snprintf(why, whylen, "message of %zu bytes is shorter than a header",
			 len);
		return -EBADMSG;
	}
	ret = sl_wire_frame_len(buf, why, whylen);
	if (ret < 0)
		return ret;
	if ((size_t)ret != len) {
		snprintf(why, whylen, "header says %d bytes, got %zu", ret, len);
		return -EBADMSG;
	}
	gnlh = nlmsg_data(nlh);
	if (gnlh->cmd == SLUICE_CMD_UNSPEC || gnlh->cmd > SLUICE_CMD_MAX) {
		snprintf(why, whylen, "unknown command %u", gnlh->cmd);
		return -EBADMSG;
	}
	memset(m, 0, sizeof(*m));
	m->cmd = gnlh->cmd;
	m->flags = nlh->nlmsg_flags;
	m->seq = nlh->nlmsg_seq;
	ret = genlmsg_parse(nlh, 0, m->tb, SLUICE_A_MAX, attr_policy);
	if (ret >= 0 && attrs_have_tail(nlh)) {
		snprintf(why, whylen, "%s: trailing bytes after the last attribute",
			 sl_cmd_name(m->cmd));
		return -EBADMSG;
	}
	if (ret < 0) {
		snprintf(why, whylen, "%s: attribute breaks the policy (%s)",
			 sl_cmd_name(m->cmd), nl_geterror(ret));
		return -EBADMSG;
	}
	request = m->flags & NLM_F_REQUEST;
	required = cmd_table[m->cmd].required | (request ? 0 : cmd_table[m->cmd].reply);
	for (i = 1; i <= SLUICE_A_MAX; i++) {
		if ((required & BIT(i)) && !m->tb[i]) {
			snprintf(why, whylen, "%s %swithout required attribute %s",
				 sl_cmd_name(m->cmd), cmd_table[m->cmd].reply ?
				 (request ? "request " : "reply ") : "", attr_names[i]);
			return -EBADMSG;
		}
	}
	if (cmd_table[m->cmd].dump && request &&
	    (m->flags & NLM_F_DUMP) != NLM_F_DUMP) {
		snprintf(why, whylen, "%s request without NLM_F_DUMP", sl_cmd_name(m->cmd));
		return -EBADMSG;
	}
	if (cmd_table[m->cmd].dump && !request && !(m->flags & NLM_F_MULTI)) {
		snprintf(why, whylen, "%s reply without NLM_F_MULTI", sl_cmd_name(m->cmd));
		return -EBADMSG;
	}
	for (i = 1; i <= SLUICE_A_MAX; i++) {
		const struct nlattr *a = m->tb[i];

		/* libnl checks the final NUL; refuse NULs before it. */
		if (a && attr_policy[i].type == NLA_STRING && has_embedded_nul(a)) {
			snprintf(why, whylen, "%s: %s has an embedded NUL",
				 sl_cmd_name(m->cmd), attr_names[i]);
			return -EBADMSG;
		}
	}
	for (i = 0; i < sizeof(name_attrs) / sizeof(name_attrs[0]); i++) {
		const struct nlattr *a = m->tb[name_attrs[i]];

		if (a && !sl_name_valid(nla_data(a))) {
			snprintf(why, whylen,
				 "%s: %s is not a valid name ([A-Za-z0-9._-], 1-%d)",
				 sl_cmd_name(m->cmd), attr_names[name_attrs[i]],
				 SLUICE_NAME_MAX);
			return -EBADMSG;
		}
	}
	if (m->tb[SLUICE_A_PORT] && nla_get_u16(m->tb[SLUICE_A_PORT]) == 0) {
		snprintf(why, whylen, "%s: port 0", sl_cmd_name(m->cmd));
		return -EBADMSG;
	}
	if ((m->cmd == SLUICE_CMD_OPEN_OK || m->cmd == SLUICE_CMD_CONNECT) &&
	    nla_len(m->tb[SLUICE_A_TOKEN]) != SLUICE_SESSION_TOKEN_LEN) {
		snprintf(why, whylen, "%s: session token of %d bytes",
			 sl_cmd_name(m->cmd), nla_len(m->tb[SLUICE_A_TOKEN]));
		return -EBADMSG;
	}
	if (m->tb[SLUICE_A_DEVICES]) {
		ret = walk_devices(m->tb[SLUICE_A_DEVICES], NULL, why, whylen);
		if (ret < 0)
			return ret;
	}
	if (m->tb[SLUICE_A_DENIALS]) {
		ret = walk_denials(m->tb[SLUICE_A_DENIALS], NULL, why, whylen);
		if (ret < 0)
			return ret;
	}
	if (m->tb[SLUICE_A_SWITCH] && nla_get_u8(m->tb[SLUICE_A_SWITCH]) > 1) {
		snprintf(why, whylen, "%s: switch %u", sl_cmd_name(m->cmd),
			 nla_get_u8(m->tb[SLUICE_A_SWITCH]));
		return -EBADMSG;
	}
	if (m->tb[SLUICE_A_STATE] &&
	    (nla_get_u8(m->tb[SLUICE_A_STATE]) < SLUICE_AGENT_PENDING ||
	     nla_get_u8(m->tb[SLUICE_A_STATE]) > SLUICE_AGENT_ACTIVE)) {
		snprintf(why, whylen, "%s: agent state %u", sl_cmd_name(m->cmd),
			 nla_get_u8(m->tb[SLUICE_A_STATE]));
		return -EBADMSG;
	}
	if (m->tb[SLUICE_A_ENFORCEMENT]) {
		uint8_t e = nla_get_u8(m->tb[SLUICE_A_ENFORCEMENT]);

		if (e != SLUICE_ENFORCE_USERSPACE && e != SLUICE_ENFORCE_KERNEL) {
			snprintf(why, whylen, "%s: enforcement %u", sl_cmd_name(m->cmd), e);
			return -EBADMSG;
		}
	}
	return check_operator_attrs(m, why, whylen);
}

struct nl_msg *sl_wire_new(uint8_t cmd, uint32_t seq, uint16_t flags)
{
	struct nl_msg *msg = nlmsg_alloc_size(SLUICE_MSG_MAX);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, 0, seq, SLUICE_MSG_TYPE, 0, flags, cmd,
			 SLUICE_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

const void *sl_wire_bytes(struct nl_msg *msg, size_t *len)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	*len = nlh->nlmsg_len;
	return nlh;
}

int sl_wire_put_device(struct nl_msg *msg, const struct sl_device_info *dev)
{
	struct nlattr *d, *ports;
	unsigned int i;

	d = nla_nest_start(msg, 0);
	if (!d)
		return -EMSGSIZE;
	if (nla_put_string(msg, SLUICE_DEVICE_A_NAME, dev->name) < 0)
		return -EMSGSIZE;
	ports = nla_nest_start(msg, SLUICE_DEVICE_A_PORTS);
	if (!ports)
		return -EMSGSIZE;
	for (i = 0; i < dev->ports.n; i++) {
		const struct sl_port_range *r = &dev->ports.r[i];
		struct nlattr *range = nla_nest_start(msg, 0);

		if (!range || nla_put_u16(msg, SLUICE_PORTS_A_FIRST, r->first) ||
		    nla_put_u16(msg, SLUICE_PORTS_A_LAST, r->last) ||
		    nla_put_u8(msg, SLUICE_PORTS_A_PROTO, r->proto))
			return -EMSGSIZE;
		nla_nest_end(msg, range);
	}
	nla_nest_end_keep_empty(msg, ports);
	nla_nest_end(msg, d);
	return 0;
}

int sl_wire_get_devices(const struct nlattr *devices,
			struct sl_device_info **out)
{
	char why[128];
	int n;

	*out = NULL;
	n = walk_devices(devices, NULL, why, sizeof(why));
	if (n <= 0)
		return n < 0 ? -EBADMSG : 0;
	*out = calloc((size_t)n, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	return walk_devices(devices, *out, why, sizeof(why));
}

int sl_wire_put_denials(struct nl_msg *msg, const struct sl_denial *d,
			unsigned int n)
{
	struct nlattr *list = nla_nest_start(msg, SLUICE_A_DENIALS);
	unsigned int i;

	if (!list || n > SLUICE_DENIALS_MAX)
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		struct nlattr *e = nla_nest_start(msg, 0);

		if (!e || (d[i].device[0] &&
			   nla_put_string(msg, SLUICE_DENIAL_A_DEVICE, d[i].device)) ||
		    nla_put_u16(msg, SLUICE_DENIAL_A_PORT, d[i].port) ||
		    nla_put_u8(msg, SLUICE_DENIAL_A_PROTO, d[i].proto) ||
		    nla_put_u64(msg, SLUICE_DENIAL_A_COUNT, d[i].count))
			return -EMSGSIZE;
		nla_nest_end(msg, e);
	}
	nla_nest_end_keep_empty(msg, list);
	return 0;
}

int sl_wire_get_denials(const struct nlattr *denials, struct sl_denial *out)
{
	char why[128];

	return walk_denials(denials, out, why, sizeof(why));
}

struct nl_msg *sl_wire_error(uint32_t seq, enum sluice_err code,
			     uint64_t session_id, const char *fmt, ...)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_ERROR, seq, 0);
	char text[SLUICE_ERR_MSG_MAX];
	va_list ap;

	if (!msg)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (nla_put_u32(msg, SLUICE_A_ERR_CODE, code) ||
	    nla_put_string(msg, SLUICE_A_ERR_MSG, text) ||
	    (session_id && nla_put_u64(msg, SLUICE_A_SESSION_ID, session_id))) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

const char *sl_wire_str(const struct sl_msg_in *m, int attr)
{
	return m->tb[attr] ? nla_data(m->tb[attr]) : NULL;
}
