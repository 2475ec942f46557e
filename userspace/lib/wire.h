/* SPDX-License-Identifier: MIT */
/*
 * The sluice message codec: builds and parses the netlink messages of
 * include/uapi/sluice.h with libnl, against one attribute policy and a
 * per-command list of required attributes.
 */
#ifndef SL_WIRE_H
#define SL_WIRE_H

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../include/uapi/sluice.h"
#include "ports.h"

/* Size of the fixed header that starts every message on a stream. */
#define SL_WIRE_HDRLEN (NLMSG_HDRLEN + GENL_HDRLEN)

/* A parsed message.  tb points into the buffer given to sl_wire_parse. */
struct sl_msg_in {
	uint8_t cmd;
	uint16_t flags;
	uint32_t seq;
	struct nlattr *tb[SLUICE_A_MAX + 1];
};

/* A device as the protocol carries it. */
struct sl_device_info {
	char name[SLUICE_NAME_MAX + 1];
	struct sl_ports ports;
};

/* A kernel denial counter as the agent reports it in its heartbeat. */
struct sl_denial {
	char device[SLUICE_NAME_MAX + 1];	/* "" when no device's address */
	uint16_t port;
	uint8_t proto;
	uint64_t count;
};

/*
 * Checks the first SL_WIRE_HDRLEN bytes of a message read from a stream and
 * returns the total message length to read, or -EBADMSG with a reason in why
 * (length out of bounds, foreign type or version).
 */
int sl_wire_frame_len(const void *hdr, char *why, size_t whylen);

/*
 * Validates a whole message of len bytes: header, command, attribute policy,
 * required attributes, names, and the nested device list.  Returns 0, or
 * -EBADMSG with a reason in why.  m->tb points into buf.
 */
int sl_wire_parse(void *buf, size_t len, struct sl_msg_in *m, char *why,
		  size_t whylen);

/* Starts a message; NULL on allocation failure. Free with nlmsg_free(). */
struct nl_msg *sl_wire_new(uint8_t cmd, uint32_t seq, uint16_t flags);
/* The bytes of a built message. */
const void *sl_wire_bytes(struct nl_msg *msg, size_t *len);

/* Appends one device to an open SLUICE_A_DEVICES nest; 0 or -EMSGSIZE. */
int sl_wire_put_device(struct nl_msg *msg, const struct sl_device_info *dev);

/*
 * Decodes a SLUICE_A_DEVICES attribute already checked by sl_wire_parse into
 * a new array (caller frees).  Returns the count, or a negative errno.
 */
int sl_wire_get_devices(const struct nlattr *devices,
			struct sl_device_info **out);

/* Adds a SLUICE_A_DENIALS list of n counters; 0 or -EMSGSIZE. */
int sl_wire_put_denials(struct nl_msg *msg, const struct sl_denial *d,
			unsigned int n);
/*
 * Decodes a SLUICE_A_DENIALS attribute already checked by sl_wire_parse into
 * out[SLUICE_DENIALS_MAX].  Returns the count, or -EBADMSG.
 */
int sl_wire_get_denials(const struct nlattr *denials, struct sl_denial *out);
/* The nests of operator replies (include/uapi/sluice.h). */
enum sl_nest {
	SL_NEST_STATUS = 0,	/* SLUICE_A_STATUS, enum sluice_status_attr */
	SL_NEST_AGENT = 1,	/* elements of SLUICE_A_AGENTS */
	SL_NEST_SESSION = 2,	/* elements of SLUICE_A_SESSIONS */
	SL_NEST_CERT = 3,	/* elements of SLUICE_A_CERTS */
	SL_NEST_CHANGE = 4,	/* elements of SLUICE_A_CHANGES */
};

/*
 * Splits one operator nest of a message that sl_wire_parse accepted into tb,
 * which has room for the nest's enum: ..._A_MAX + 1 entries.  0 or -EBADMSG.
 */
int sl_wire_nest(enum sl_nest kind, const struct nlattr *nest,
		 struct nlattr **tb);

/* Shorthands for building ERROR messages and reading common attributes. */
struct nl_msg *sl_wire_error(uint32_t seq, enum sluice_err code,
			     uint64_t session_id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
const char *sl_wire_str(const struct sl_msg_in *m, int attr);
const char *sl_err_name(uint32_t code);
const char *sl_cmd_name(uint8_t cmd);

#endif
