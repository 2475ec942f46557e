/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the audit log's files: the line builder and JSON
 * escaping (audit_json.c), hashing, and syslog forwarding (audit_fwd.c).
 * Not for use outside audit*.c.
 */
#ifndef SL_AUDIT_INT_H
#define SL_AUDIT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "audit.h"

#define AUDIT_HASH_LEN 32

/* A bounded output buffer; overflow sticks until reset. */
struct abuf {
	char *p;
	size_t len;
	size_t cap;
	bool overflow;
};

void abuf_put(struct abuf *b, const char *s, size_t n);
void abuf_puts(struct abuf *b, const char *s);
/*
 * s as a JSON string with quotes: '"', '\\' and control characters
 * escaped, invalid UTF-8 bytes replaced by \ufffd.  NULL gives null.
 */
void abuf_json_str(struct abuf *b, const char *s);

/* "2026-11-23T12:51:23.123Z" (24 characters and the NUL). */
#define AUDIT_TIME_LEN 25
void audit_format_time(const struct timespec *ts, char out[AUDIT_TIME_LEN]);

/* Event names and detail keys: [a-z0-9_.-], 1..64 bytes. */
bool audit_name_valid(const char *s);

void audit_hash(const void *p, size_t n, uint8_t out[AUDIT_HASH_LEN]);
void audit_hex(const uint8_t h[AUDIT_HASH_LEN], char hex[SL_AUDIT_HASH_HEX]);
/* SHA-256 of SL_AUDIT_GENESIS. */
void audit_genesis(uint8_t out[AUDIT_HASH_LEN]);

/* Syslog forwarding (audit_fwd.c); every call is non-blocking. */
struct audit_fwd;

/* NULL with errno set; conf->fwd must not be SL_AUDIT_FWD_NONE. */
struct audit_fwd *audit_fwd_open(const struct sl_audit_conf *conf);
/* Sends one record line (without '\n') as an RFC 5424 message. */
void audit_fwd_send(struct audit_fwd *f, const char *line, size_t len,
		    const char *event, const char *outcome,
		    const char time[AUDIT_TIME_LEN]);
/* Flushes queued TCP data and reconnects when due. */
void audit_fwd_poll(struct audit_fwd *f);
void audit_fwd_close(struct audit_fwd *f);

#endif
