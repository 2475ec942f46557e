/* SPDX-License-Identifier: MIT */
/*
 * Tamper-evident audit log (docs/audit.md).  One JSON object per line,
 * always these keys in this order:
 *
 *   {"time":"2026-11-23T12:51:23.123Z","event":"login","actor":"alice",
 *    "object":"plant1/plc1:502","domain":"ROOT.acme","source":"203.0.113.5",
 *    "outcome":"ok","details":{...} or "text","prev":"<64 hex>"}
 *
 * time is RFC 3339 UTC with milliseconds; actor, object, domain, source and
 * outcome are strings or null; prev is the lower-case hex SHA-256 of the
 * previous line's exact bytes (without its '\n').  The first line of a
 * file has prev = SHA-256 of the ASCII string SL_AUDIT_GENESIS.  Editing,
 * deleting, inserting or reordering lines breaks the chain at the next
 * line; the verifier reports where.  Removing lines at the end cannot be
 * seen from the file alone: the daily boundary record, the syslog copy and
 * sl_audit_head() (keep the head elsewhere) cover that.
 *
 * Strings are written as valid UTF-8 JSON: quote, backslash and control
 * characters escaped, bytes that are not valid UTF-8 replaced by U+FFFD
 * (written "\ufffd") so that an attacker-chosen name can still be audited.
 */
#ifndef SL_AUDIT_H
#define SL_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SL_AUDIT_GENESIS "sluice-audit-genesis-v1"
#define SL_AUDIT_LINE_MAX 16384		/* bytes per line, '\n' included */
#define SL_AUDIT_HASH_HEX 65		/* 64 hex digits and the NUL */

enum sl_audit_fwd {
	SL_AUDIT_FWD_NONE = 0,
	SL_AUDIT_FWD_LOCAL = 1,	/**< AF_UNIX datagram socket, /dev/log */
	SL_AUDIT_FWD_UDP = 2,	/**< RFC 5426 */
	SL_AUDIT_FWD_TCP = 3,	/**< RFC 6587 octet counting */
};

struct sl_audit_conf {
	const char *path;	/**< the log file, created 0600 if missing */
	enum sl_audit_fwd fwd;	/**< syslog copy of each record, RFC 5424 */
	/**
	 * LOCAL: socket path (NULL: /dev/log).  UDP, TCP: "host:port",
	 * "[v6addr]:port"; resolved once by sl_audit_open().
	 */
	const char *fwd_target;
	int facility;		/**< syslog facility 1..23; 0: 10 (authpriv) */
	const char *app_name;	/**< RFC 5424 APP-NAME; NULL: "sluice-relay" */
	const char *hostname;	/**< RFC 5424 HOSTNAME; NULL: gethostname() */
};

/* One detail of a record: a string (str set) or an integer (str NULL). */
struct sl_audit_field {
	const char *key;
	const char *str;
	int64_t num;
};

/*
 * A record to write.  event is required ([a-z0-9_.-], 1..64 bytes); NULL
 * strings are written as null.  details: nfields > 0 writes an object of
 * the fields, else details_text as a string, else {}.  when: the record's
 * time; {0, 0} means now (CLOCK_REALTIME).
 */
struct sl_audit_record {
	const char *event;
	const char *actor;	/**< who acted: user, agent or operator name */
	const char *object;	/**< what it acted on: device, user, token... */
	const char *domain;
	const char *source;	/**< network address of the actor */
	const char *outcome;	/**< "ok", "refused", "failed", ... */
	const struct sl_audit_field *fields;
	unsigned int nfields;
	const char *details_text;
	struct timespec when;
};

struct sl_audit;

/*
 * Opens (O_APPEND, creating it 0600) the log and continues its chain from
 * the last line.  When the last line is not a complete record (a crash in
 * the middle of a write, a damaged file), it is not silently continued: a
 * '\n' ends the damaged line if needed and an "audit_recovery" record with
 * outcome "chain_break" is written, chained to the damaged line's bytes
 * and saying what was found.  The verifier still reports the damaged
 * line.  Returns NULL with errno set on failure.
 */
struct sl_audit *sl_audit_open(const struct sl_audit_conf *c);

/* Flushes what forwarding can without blocking and frees; NULL-safe. */
void sl_audit_close(struct sl_audit *a);

/*
 * Appends one record and fdatasync()s it before returning: acknowledge
 * the action only after 0.  Thread-safe; other processes appending to the
 * same file (operator subcommands) are serialised with flock() and the
 * chain continues from whatever they wrote.  Forwarding never blocks and
 * never fails the write: a record that cannot be sent is dropped from the
 * syslog copy and logged (rate-limited).  Returns 0, -EINVAL (bad event
 * or details key), -E2BIG (line longer than SL_AUDIT_LINE_MAX), or the
 * -errno of write/fdatasync (nothing is left half-written).
 */
int sl_audit_write(struct sl_audit *a, const struct sl_audit_record *r);

/*
 * Group commit.  With defer on, sl_audit_write() leaves out its fdatasync()
 * and one sync covers every record written since the last:
 * sl_audit_unsynced() says whether it is owed, sl_audit_take_sync() says
 * so too and hands the duty to the caller, who fdatasyncs sl_audit_fd()
 * (the relay: on its ring) and acknowledges the actions of those records
 * only after that returned.
 */
void sl_audit_defer_sync(struct sl_audit *a, bool on);
bool sl_audit_unsynced(struct sl_audit *a);
bool sl_audit_take_sync(struct sl_audit *a);
int sl_audit_fd(const struct sl_audit *a);

/*
 * Call from a timer (once a minute is plenty).  When the UTC day of now is
 * later than the day of the last record, writes a "boundary" record (time
 * now, details {"last": time of the last record}), so every day the relay
 * runs has at least one record and removed days show as gaps.  Also
 * retries pending syslog forwarding.  Returns 0 or the -errno of the
 * write.
 */
int sl_audit_tick(struct sl_audit *a, time_t now);

/* Hex SHA-256 of the last line written (the next record's prev). */
void sl_audit_head(struct sl_audit *a, char hex[SL_AUDIT_HASH_HEX]);

/*
 * Verification.  Each line must be a record of the shape above and its
 * prev must be the hash of the line before it (the genesis hash for line
 * 1); the file must end with '\n'.  After a broken line the check goes on,
 * chained to the broken line's bytes, so every break is found.
 *
 * line is the first line whose check fails.  For a prev mismatch at line
 * N, the change lies at line N-1 (edited) or between N-1 and N (lines
 * deleted, inserted or reordered).
 */
struct sl_audit_verify_result {
	uint64_t lines;		/**< lines read */
	uint64_t breaks;	/**< broken lines found */
	uint64_t line;		/**< first broken line (1-based), 0: intact */
	char why[160];		/**< reason for line */
	char head[SL_AUDIT_HASH_HEX];	/**< hash of the last line */
};

/* Called for every broken line when given (may be NULL). */
typedef void (*sl_audit_break_fn)(uint64_t line, const char *why, void *arg);

/*
 * Verifies the file at path.  Returns 0 when intact, -EBADMSG when broken
 * (res says where and why), or -errno when it cannot be read.
 */
int sl_audit_verify(const char *path, struct sl_audit_verify_result *res,
		    sl_audit_break_fn fn, void *arg);
/* The same over a buffer (the fuzz target's entry). */
int sl_audit_verify_buf(const char *buf, size_t len,
			struct sl_audit_verify_result *res,
			sl_audit_break_fn fn, void *arg);

/*
 * Checks one line (without '\n') against the record shape.  Returns 0
 * with its prev in prev_hex (and its time, when time_out is not NULL,
 * as seconds since the epoch) or -EINVAL with a reason in why.
 */
int sl_audit_parse_line(const char *line, size_t len,
			char prev_hex[SL_AUDIT_HASH_HEX], time_t *time_out,
			char *why, size_t whylen);

/*
 * "audit-verify [-q] FILE": prints every break, or that the file is
 * intact with its record count and head.  argv[0] is the subcommand
 * name.  Exit status: 0 intact, 1 broken, 2 usage or I/O error.
 */
int sl_audit_verify_main(int argc, char **argv);

#endif
