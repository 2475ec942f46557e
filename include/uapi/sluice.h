/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * sluice wire protocol: the one message schema shared by the relay, the
 * agent, the client and (later) sluicectl and the kernel module.
 *
 * Every message is a netlink message: a struct nlmsghdr whose nlmsg_type is
 * SLUICE_MSG_TYPE, a struct genlmsghdr whose cmd is an enum sluice_cmd and
 * whose version is SLUICE_GENL_VERSION, then netlink attributes (NLA) from
 * enum sluice_attr.  On TCP/TLS connections messages follow each other with
 * no extra framing: nlmsg_len gives the length of each, and a receiver
 * rejects any nlmsg_len below NLMSG_HDRLEN + GENL_HDRLEN or above
 * SLUICE_MSG_MAX before it reads or allocates the body.
 *
 * nlmsg_seq carries the request number chosen by the side that sends a
 * request; replies echo it.  nlmsg_flags: NLM_F_MULTI marks one part of a
 * multi-part reply, ended by SLUICE_CMD_DONE.  nlmsg_pid is 0.
 *
 * Receivers ignore attributes they do not know (forward compatibility) and
 * close the connection, with a logged reason, on a message that is too long,
 * too short, of an unknown nlmsg_type or genl version, with bytes after its
 * last attribute (at any nesting level), or whose known attributes break the
 * per-command policy (wrong length, missing required attribute, string
 * without its terminating NUL or with a NUL inside).
 *
 * Connections:
 *   control  agent -> relay or client -> relay, long-lived.  The first
 *            message is a HELLO; then requests, replies and HEARTBEATs.
 *   data     one per relayed TCP stream, from the agent and from the client
 *            to the relay.  The first message is ATTACH, answered by
 *            ATTACH_OK or ERROR; after ATTACH_OK the connection carries only
 *            the stream's bytes, so the relay can hand the socket to the
 *            kernel.  A TLS close_notify ends one direction (half-close).
 *
 * Documentation of each command, "->" naming who sends it.  Attribute types
 * are NLA types; [x] marks an optional attribute.
 *
 * Identities.  Agents and users authenticate with certificates of the
 * relay's agent CA and user CA (mutual TLS on control connections); agents
 * get theirs by ENROLL with a one-time join token.  Data legs (ATTACH) and
 * ENROLL need no client certificate.
 *
 * SLUICE_CMD_ENROLL  agent -> relay, first and only request of a connection
 *                    without a client certificate.
 *     SLUICE_A_NAME: NLA_STRING, the agent name to enroll
 *     SLUICE_A_TOKEN: NLA_BINARY, the one-time join token ("sjt_...")
 *     SLUICE_A_CSR: NLA_BINARY, DER certificate request for the agent's
 *                   key, made on the agent (the key never leaves it)
 *     Answer ENROLL_OK or ERROR, then the relay closes the connection.
 *
 * SLUICE_CMD_ENROLL_OK  relay -> agent.
 *     SLUICE_A_CERT: NLA_BINARY, DER agent certificate (subject CN = name)
 *     SLUICE_A_DOMAIN: NLA_STRING, the domain the token was made for
 *     SLUICE_A_STATE: NLA_U8, enum sluice_agent_state
 *
 * SLUICE_CMD_AGENT_HELLO  agent -> relay, first message of an agent control
 *                         connection, under the agent's certificate.
 *     SLUICE_A_VERSION: NLA_U32, SLUICE_PROTO_VERSION
 *     SLUICE_A_NAME: NLA_STRING, agent name, [A-Za-z0-9._-], 1..63 bytes;
 *                    must be its certificate's CN
 *     [SLUICE_A_SECRET]: NLA_BINARY, SLUICE_SECRET_LEN bytes: the
 *                    secondary id the relay handed out at the previous
 *                    connect (absent on the first connect after enrollment
 *                    or an operator reset).  A stale one locks the identity.
 *     [SLUICE_A_SWITCH]: NLA_U8, the site's remote-access switch: 1 on,
 *                    0 off (absent: on).  Also in the agent's heartbeats.
 *     [SLUICE_A_DEVICES]: NLA_NESTED, the devices the agent offers (an
 *                         agent without devices may leave it out)
 *         0: NLA_NESTED, one device (the attribute type is ignored)
 *             SLUICE_DEVICE_A_NAME: NLA_STRING, 1..63 bytes
 *             SLUICE_DEVICE_A_PORTS: NLA_NESTED
 *                 0: NLA_NESTED, one port range
 *                     SLUICE_PORTS_A_FIRST: NLA_U16, first port, >= 1
 *                     SLUICE_PORTS_A_LAST: NLA_U16, last port, >= FIRST
 *                     SLUICE_PORTS_A_PROTO: NLA_U8, IPPROTO_TCP or
 *                                           IPPROTO_UDP
 *                 ...
 *         ...
 *     At most SLUICE_DEVICES_MAX devices, SLUICE_RANGES_MAX ranges each.
 *
 * SLUICE_CMD_CLIENT_HELLO  client -> relay, first message of a client
 *                          control connection, under the user's certificate.
 *     SLUICE_A_VERSION: NLA_U32
 *     SLUICE_A_NAME: NLA_STRING, user name, the certificate's CN
 *     SLUICE_A_PASSWORD: NLA_STRING, 1..SLUICE_PASSWORD_MAX bytes
 *     [SLUICE_A_TOTP]: NLA_STRING, the current TOTP code (6 digits), for
 *                      users with TOTP enabled
 *
 * SLUICE_CMD_HELLO_OK  relay -> agent or client, the HELLO was accepted.
 *     SLUICE_A_VERSION: NLA_U32, the relay's protocol version
 *     SLUICE_A_HEARTBEAT_MS: NLA_U32, interval at which both sides send
 *                            HEARTBEAT; a peer silent for three intervals
 *                            is dead
 *     [SLUICE_A_SECRET]: to an agent: its next secondary id, to present
 *                        at the next connect
 *     [SLUICE_A_STATE]: to an agent: enum sluice_agent_state
 *     [SLUICE_A_DOMAIN]: to an agent: its domain
 *
 * SLUICE_CMD_HEARTBEAT  both ways on control connections, no attributes.
 *
 * SLUICE_CMD_LIST  client -> relay: list agents and devices.  No attributes.
 *     relay -> client: one SLUICE_CMD_LIST message per agent with
 *     NLM_F_MULTI, then SLUICE_CMD_DONE, all with the request's seq.
 *     SLUICE_A_NAME: NLA_STRING, agent name
 *     [SLUICE_A_ADDR]: NLA_STRING, agent's address as the relay sees it
 *     [SLUICE_A_DEVICES]: NLA_NESTED, as in AGENT_HELLO
 *
 * SLUICE_CMD_DONE  relay -> client, ends a multi-part reply.  No attributes.
 *
 * SLUICE_CMD_OPEN  client -> relay: open a session to a device port.
 *     [SLUICE_A_AGENT]: NLA_STRING, agent name; absent: the device name
 *                       must be unique among connected agents
 *     SLUICE_A_DEVICE: NLA_STRING, device name
 *     SLUICE_A_PORT: NLA_U16, TCP port, >= 1
 *     Answered by OPEN_OK once the agent's data leg is attached, or ERROR.
 *
 * SLUICE_CMD_OPEN_OK  relay -> client: the device side is connected.
 *     SLUICE_A_SESSION_ID: NLA_U64
 *     SLUICE_A_TOKEN: NLA_BINARY, SLUICE_SESSION_TOKEN_LEN bytes, one-time
 *                     token for the client's ATTACH
 *     SLUICE_A_AGENT: NLA_STRING, the agent that serves the session
 *
 * SLUICE_CMD_CONNECT  relay -> agent: connect to a device port and attach a
 *                     data leg for the session.
 *     SLUICE_A_SESSION_ID: NLA_U64
 *     SLUICE_A_TOKEN: NLA_BINARY, SLUICE_SESSION_TOKEN_LEN bytes
 *     SLUICE_A_DEVICE: NLA_STRING
 *     SLUICE_A_PORT: NLA_U16
 *     The agent checks the port against its own rules.  If it refuses, it
 *     answers ERROR with SLUICE_A_SESSION_ID on the control connection; if
 *     the device cannot be reached, it still attaches and carries the error
 *     in the ATTACH.
 *
 * SLUICE_CMD_ATTACH  agent or client -> relay, first message of a data
 *                    connection.
 *     SLUICE_A_SESSION_ID: NLA_U64
 *     SLUICE_A_TOKEN: NLA_BINARY, the one-time token of this leg; it
 *                     expires SLUICE_ATTACH_TIMEOUT_MS after the OPEN
 *     [SLUICE_A_ERR_CODE, SLUICE_A_ERR_MSG]: from the agent only: the
 *                     device could not be reached; the relay fails the OPEN
 *
 * SLUICE_CMD_ATTACH_OK  relay -> agent or client on a data connection: the
 *                       leg is accepted, stream bytes follow.  No attributes.
 *
 * SLUICE_CMD_AGENT_UPDATE  agent -> relay on its control connection, after
 *     the agent reloaded its configuration and its device list changed.
 *     SLUICE_A_DEVICES: NLA_NESTED, the whole new list (as in AGENT_HELLO);
 *     it replaces the one the relay holds.  Sessions already open are the
 *     agent's business: it ends those its new rules no longer allow.  No
 *     answer; a list the relay refuses gets an ERROR and the old list stays.
 *
 * SLUICE_CMD_HEARTBEAT from an agent may also carry:
 *     [SLUICE_A_ENFORCEMENT]: NLA_U8, enum sluice_enforcement
 *     [SLUICE_A_DENIALS]: NLA_NESTED, array of denial nests (enum
 *         sluice_denial_attr, at most SLUICE_DENIALS_MAX): connection
 *         attempts the agent's kernel rules refused, counted since the agent
 *         started, per (device, port, protocol).  Counts only grow while the
 *         agent runs; a smaller total means the agent restarted.
 *
 * SLUICE_CMD_ERROR  any direction: a request was refused or failed.
 *     SLUICE_A_ERR_CODE: NLA_U32, enum sluice_err
 *     [SLUICE_A_ERR_MSG]: NLA_STRING, human-readable reason
 *     [SLUICE_A_SESSION_ID]: NLA_U64, the session it is about
 *     The seq is the refused request's.  An ERROR in answer to a HELLO or an
 *     ATTACH is followed by the relay closing the connection.
 */
#ifndef _UAPI_SLUICE_H
#define _UAPI_SLUICE_H

#include <linux/types.h>

#define SLUICE_GENL_NAME "sluice"
#define SLUICE_GENL_VERSION 1
#define SLUICE_PROTO_VERSION 1

/* nlmsg_type of every sluice message (>= NLMSG_MIN_TYPE). */
#define SLUICE_MSG_TYPE 0x53

/* Largest message, header included, that any side accepts. */
#define SLUICE_MSG_MAX 65536

#define SLUICE_NAME_MAX 63		/* agent, device and user names */
#define SLUICE_TOKEN_MAX 256		/* HELLO secrets */
#define SLUICE_SESSION_TOKEN_LEN 32	/* ATTACH one-time tokens */
#define SLUICE_ERR_MSG_MAX 512
#define SLUICE_ADDR_MAX 64
#define SLUICE_DEVICES_MAX 256		/* devices per agent */
#define SLUICE_RANGES_MAX 64		/* port ranges per device */
#define SLUICE_ATTACH_TIMEOUT_MS 10000	/* OPEN -> both legs attached */
#define SLUICE_DENIALS_MAX 256		/* denial counters per heartbeat */
#define SLUICE_SECRET_LEN 32		/* agent secondary id */
#define SLUICE_PASSWORD_MAX 1024
#define SLUICE_TOTP_MAX 10		/* TOTP code, digits */
#define SLUICE_CSR_MAX 4096		/* DER certificate request */
#define SLUICE_CERT_MAX 8192		/* DER certificate */
#define SLUICE_DOMAIN_MAX 255		/* "ROOT.acme.plant1" */

enum sluice_cmd {
	SLUICE_CMD_UNSPEC = 0,
	SLUICE_CMD_ERROR = 1,
	SLUICE_CMD_AGENT_HELLO = 2,
	SLUICE_CMD_CLIENT_HELLO = 3,
	SLUICE_CMD_HELLO_OK = 4,
	SLUICE_CMD_HEARTBEAT = 5,
	SLUICE_CMD_LIST = 6,
	SLUICE_CMD_DONE = 7,
	SLUICE_CMD_OPEN = 8,
	SLUICE_CMD_OPEN_OK = 9,
	SLUICE_CMD_CONNECT = 10,
	SLUICE_CMD_ATTACH = 11,
	SLUICE_CMD_ATTACH_OK = 12,
	SLUICE_CMD_AGENT_UPDATE = 13,
	SLUICE_CMD_ENROLL = 14,
	SLUICE_CMD_ENROLL_OK = 15,
	__SLUICE_CMD_MAX
};
#define SLUICE_CMD_MAX (__SLUICE_CMD_MAX - 1)

enum sluice_attr {
	SLUICE_A_UNSPEC = 0,
	SLUICE_A_VERSION = 1,		/* NLA_U32 */
	SLUICE_A_NAME = 2,		/* NLA_STRING */
	SLUICE_A_TOKEN = 3,		/* NLA_BINARY */
	SLUICE_A_HEARTBEAT_MS = 4,	/* NLA_U32 */
	SLUICE_A_DEVICES = 5,		/* NLA_NESTED, array of device nests */
	SLUICE_A_ADDR = 6,		/* NLA_STRING */
	SLUICE_A_AGENT = 7,		/* NLA_STRING */
	SLUICE_A_DEVICE = 8,		/* NLA_STRING */
	SLUICE_A_PORT = 9,		/* NLA_U16 */
	SLUICE_A_SESSION_ID = 10,	/* NLA_U64 */
	SLUICE_A_ERR_CODE = 11,		/* NLA_U32, enum sluice_err */
	SLUICE_A_ERR_MSG = 12,		/* NLA_STRING */
	SLUICE_A_ENFORCEMENT = 13,	/* NLA_U8, enum sluice_enforcement */
	SLUICE_A_DENIALS = 14,		/* NLA_NESTED, array of denial nests */
	SLUICE_A_CSR = 15,		/* NLA_BINARY, DER */
	SLUICE_A_CERT = 16,		/* NLA_BINARY, DER */
	SLUICE_A_SECRET = 17,		/* NLA_BINARY, SLUICE_SECRET_LEN */
	SLUICE_A_PASSWORD = 18,		/* NLA_STRING */
	SLUICE_A_TOTP = 19,		/* NLA_STRING, digits */
	SLUICE_A_SWITCH = 20,		/* NLA_U8, 0 off, 1 on */
	SLUICE_A_DOMAIN = 21,		/* NLA_STRING */
	SLUICE_A_STATE = 22,		/* NLA_U8, enum sluice_agent_state */
	__SLUICE_A_LAST
};
#define SLUICE_A_MAX (__SLUICE_A_LAST - 1)

enum sluice_device_attr {
	SLUICE_DEVICE_A_UNSPEC = 0,
	SLUICE_DEVICE_A_NAME = 1,	/* NLA_STRING */
	SLUICE_DEVICE_A_PORTS = 2,	/* NLA_NESTED, array of range nests */
	__SLUICE_DEVICE_A_LAST
};
#define SLUICE_DEVICE_A_MAX (__SLUICE_DEVICE_A_LAST - 1)

enum sluice_ports_attr {
	SLUICE_PORTS_A_UNSPEC = 0,
	SLUICE_PORTS_A_FIRST = 1,	/* NLA_U16 */
	SLUICE_PORTS_A_LAST = 2,	/* NLA_U16 */
	SLUICE_PORTS_A_PROTO = 3,	/* NLA_U8, IPPROTO_TCP or IPPROTO_UDP */
	__SLUICE_PORTS_A_LAST
};
#define SLUICE_PORTS_A_MAX (__SLUICE_PORTS_A_LAST - 1)

/*
 * One kernel denial counter.  DEVICE is absent when the refused address is
 * no device's at all.
 */
enum sluice_denial_attr {
	SLUICE_DENIAL_A_UNSPEC = 0,
	SLUICE_DENIAL_A_DEVICE = 1,	/* NLA_STRING */
	SLUICE_DENIAL_A_PORT = 2,	/* NLA_U16 */
	SLUICE_DENIAL_A_PROTO = 3,	/* NLA_U8, IPPROTO_TCP or IPPROTO_UDP */
	SLUICE_DENIAL_A_COUNT = 4,	/* NLA_U64 */
	__SLUICE_DENIAL_A_LAST
};
#define SLUICE_DENIAL_A_MAX (__SLUICE_DENIAL_A_LAST - 1)

/* SLUICE_A_ENFORCEMENT values: who holds the agent to its device rules. */
enum sluice_enforcement {
	SLUICE_ENFORCE_USERSPACE = 1,	/* the agent's own check only */
	SLUICE_ENFORCE_KERNEL = 2,	/* its check and eBPF in the kernel */
};

/* SLUICE_A_STATE values. */
enum sluice_agent_state {
	SLUICE_AGENT_PENDING = 1,	/* enrolled, waits for an operator */
	SLUICE_AGENT_ACTIVE = 2,
};

/* SLUICE_A_ERR_CODE values.  0 is never sent. */
enum sluice_err {
	SLUICE_E_PROTO = 1,		/* malformed or unexpected message */
	SLUICE_E_VERSION = 2,		/* protocol version not supported */
	SLUICE_E_AUTH = 3,		/* bad credentials */
	SLUICE_E_DUPLICATE = 4,		/* identity already connected */
	SLUICE_E_NO_AGENT = 5,		/* agent unknown or not connected */
	SLUICE_E_NO_DEVICE = 6,		/* device unknown */
	SLUICE_E_AMBIGUOUS = 7,		/* device name offered by several agents */
	SLUICE_E_PORT_DENIED = 8,	/* port outside the device's rules */
	SLUICE_E_UNREACHABLE = 9,	/* agent could not connect to the device */
	SLUICE_E_TIMEOUT = 10,		/* a leg did not attach in time */
	SLUICE_E_BAD_TOKEN = 11,	/* unknown session or wrong token */
	SLUICE_E_LIMIT = 12,		/* a resource limit was reached */
	SLUICE_E_AGENT_GONE = 13,	/* agent disconnected during the request */
	SLUICE_E_INTERNAL = 14,		/* failure inside the relay */
	SLUICE_E_LOCKED = 15,		/* account, source or agent locked */
	SLUICE_E_DISABLED = 16,		/* account or agent disabled */
	SLUICE_E_EXPIRED = 17,		/* account or certificate expired */
	SLUICE_E_FORBIDDEN = 18,	/* no grant, or outside its time window */
	SLUICE_E_SWITCH_OFF = 19,	/* the site turned remote access off */
	SLUICE_E_PENDING = 20,		/* agent waits for an operator's approval */
	__SLUICE_E_LAST
};
#define SLUICE_E_MAX (__SLUICE_E_LAST - 1)

#endif /* _UAPI_SLUICE_H */
