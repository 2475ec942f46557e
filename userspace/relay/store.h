/* SPDX-License-Identifier: MIT */
/*
 * The relay's state store: one SQLite database, state_dir/state.db, holding
 * domains, agents, devices, users, user certificates, grants, join tokens and
 * lockouts (docs/state.md has the schema and the secret handling).
 *
 * Several processes open it at once: the relay, and operator commands that
 * change it while the relay runs.  SQLite serialises writers (busy_timeout
 * waits for the lock); the relay notices other processes' commits with
 * store_changed() and re-reads what it caches.
 *
 * Conventions of every function below:
 *  - returns 0 or -errno; on failure store_why() says why in words.
 *    -ENOENT   the named object does not exist
 *    -EEXIST   it exists already (create)
 *    -EINVAL   a bad argument (name, domain path, ports, role...)
 *    -ENOTEMPTY a domain still has children, agents, grants or tokens
 *    -EBUSY    the database stayed locked past the busy timeout
 *    -EIO      SQLite failed otherwise (corrupt file, disk full...)
 *  - "now" is Unix time in seconds, passed in so that tests can move it.
 *  - each call is one transaction by itself; between store_begin() and
 *    store_commit() calls join the caller's transaction (enrollment:
 *    consume the token and create the agent, all or nothing).
 *  - list functions return a malloc'd array in *out (free() it, NULL when
 *    *n is 0) and the count in *n.
 *  - a handle belongs to one thread.
 */
#ifndef RELAY_STORE_H
#define RELAY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../include/uapi/sluice.h"
#include "ca.h"
#include "tls.h"

#define STORE_SCHEMA_VERSION 1	/* the newest schema this binary knows */
#define STORE_DB_FILE "state.db"
#define STORE_KEY_FILE "secret.key"	/* 32-byte AES-256-GCM key, 0600 */

#define STORE_DOMAIN_MAX 255	/* "ROOT.acme.plant1" */
#define STORE_ROOT "ROOT"
#define STORE_HOST_MAX 255
#define STORE_PORTS_MAX 1024	/* sl_ports_format() text */
#define STORE_WINDOW_MAX 255	/* grant time window spec, opaque here */
#define STORE_REASON_MAX 255
#define STORE_SECONDARY_LEN 32	/* agent secondary id, bytes */
#define STORE_TOKEN_STRLEN 69	/* "sjt_" + 64 hex digits + NUL */
#define STORE_TOKEN_ID_STRLEN 17 /* 16 hex digits of the token's hash + NUL */
#define STORE_TOTP_SECRET_MAX 64 /* bytes */
#define STORE_PHC_MAX 255	/* Argon2id PHC string */

struct store;

/*
 * Opens (creating if needed) state_dir/state.db: WAL, foreign keys,
 * synchronous=FULL, busy timeout busy_ms (0: 5000), then runs the pending
 * migrations in one transaction.  A database whose schema is newer than
 * STORE_SCHEMA_VERSION is refused with -EPROTO.  NULL + -errno in *err and
 * a reason in why on failure.  Close with store_close().
 */
struct store *store_open(const char *state_dir, unsigned int busy_ms, int *err,
			 char *why, size_t whylen);
void store_close(struct store *s);	/* NULL-safe */
/* The reason of the last failure of a call on s; NULL-safe. */
const char *store_why(const struct store *s);
/* PRAGMA user_version of the open database. */
int store_schema_version(struct store *s);

/*
 * Explicit transaction (BEGIN IMMEDIATE: takes the write lock at once, so
 * a read-modify-write never fails half-way with SQLITE_BUSY).  Calls in
 * between join it.  store_rollback() is NULL-safe and quiet.
 */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/*
 * Group commit (the relay's loop, one group per turn): after
 * store_batch_begin() the first write opens one transaction that every
 * later call joins (each call's own transaction becomes a savepoint, so a
 * failed call still undoes only itself), and store_batch_end() commits it:
 * one fsync for the whole group.  Until then nothing written is durable,
 * so the caller holds back every answer that depends on it; on an error
 * from store_batch_end() all of the group is gone.  store_batch_dirty():
 * a write is waiting for store_batch_end().
 *
 * With synced non-NULL the commit does not wait for the disk where it can
 * be synced apart: *synced is then false, and the group is durable only
 * once fdatasync(store_sync_fd()) has returned (the write-ahead log, which
 * the caller may sync on another thread or the ring).  Later commits do
 * not undo that: the log only grows until a checkpoint, which syncs it
 * first.  *synced is true when nothing is owed (nothing written, or the
 * commit synced itself).
 */
void store_batch_begin(struct store *s);
bool store_batch_dirty(const struct store *s);
int store_batch_end(struct store *s, bool *synced);
/*
 * The write-ahead log's descriptor, for that fdatasync; -1 when there is
 * no log file (SQLite removes it only after a checkpoint has written all
 * of it to the synced database: nothing is owed then).
 */
int store_sync_fd(struct store *s);

/*
 * 1 when another connection (another process: an operator command) has
 * committed since the previous call on s, 0 when not, -errno.  Cheap
 * (PRAGMA data_version): poll it once a second and re-read on 1.  The
 * first call returns 0.
 */
int store_changed(struct store *s);

/*
 * Key/value settings of the relay, e.g. "agent_ca_fingerprint",
 * "user_ca_fingerprint" (the CA references).  get: -ENOENT if unset.
 */
int store_meta_set(struct store *s, const char *key, const char *value);
int store_meta_get(struct store *s, const char *key, char *value, size_t len);

/* ---- domains (store_domains.c) ---- */

/*
 * Domain paths are dot-separated names under ROOT ("ROOT", "ROOT.acme",
 * "ROOT.acme.plant1"), each label as sl_domain_valid() (authz.h) checks.
 * ROOT always exists.  create: the parent must exist (-ENOENT).  delete:
 * -ENOTEMPTY while children, agents, grants or unused tokens refer to it.
 */
struct store_domain {
	char path[STORE_DOMAIN_MAX + 1];
	int64_t created;
};

int store_domain_create(struct store *s, const char *path, int64_t now);
int store_domain_delete(struct store *s, const char *path);
int store_domain_exists(struct store *s, const char *path); /* 1, 0, -errno */
int store_domain_list(struct store *s, struct store_domain **out, size_t *n);

/* ---- agents (store_agents.c) ---- */

enum store_agent_state {
	STORE_AGENT_PENDING = 1,	/* enrolled, waits for an operator */
	STORE_AGENT_ACTIVE = 2,
	STORE_AGENT_LOCKED = 3,		/* clone suspected: operator resets */
	STORE_AGENT_DISABLED = 4,
};

struct store_agent {
	char name[SLUICE_NAME_MAX + 1];
	char domain[STORE_DOMAIN_MAX + 1];
	enum store_agent_state state;
	char serial[SL_CA_SERIAL_STRLEN];	/* certificate, lower-case hex */
	char fingerprint[SL_FP_STRLEN];		/* its SPKI SHA-256 */
	bool has_secondary;			/* a secondary id is set */
	int64_t created;
	int64_t last_seen;			/* 0: never connected */
	char last_addr[SLUICE_ADDR_MAX + 1];
	char reason[STORE_REASON_MAX + 1];	/* why locked/disabled */
};

const char *store_agent_state_name(enum store_agent_state st);
int store_agent_state_parse(const char *s, enum store_agent_state *st);

/* serial and fingerprint as sl_cert_info gives them. */
int store_agent_create(struct store *s, const char *name, const char *domain,
		       enum store_agent_state state, const char *serial,
		       const char *fingerprint, int64_t now);
int store_agent_get(struct store *s, const char *name, struct store_agent *out);
/* The agent whose certificate has this serial (mTLS peer lookup). */
int store_agent_get_by_serial(struct store *s, const char *serial,
			      struct store_agent *out);
/* domain NULL: every agent; otherwise those in domain and below. */
int store_agent_list(struct store *s, const char *domain,
		     struct store_agent **out, size_t *n);
/* reason may be NULL; it is kept for LOCKED and DISABLED only. */
/* Enrolled agents per (domain, state), for the metrics. */
struct store_agent_count {
	char domain[STORE_DOMAIN_MAX + 1];
	enum store_agent_state state;
	uint64_t count;
};
int store_agent_counts(struct store *s, struct store_agent_count **out, size_t *n);
int store_agent_set_state(struct store *s, const char *name,
			  enum store_agent_state state, const char *reason);
int store_agent_set_domain(struct store *s, const char *name,
			   const char *domain);
/* Re-enrollment: a new certificate; clears the secondary id. */
int store_agent_set_cert(struct store *s, const char *name, const char *serial,
			 const char *fingerprint);
int store_agent_seen(struct store *s, const char *name, const char *addr,
		     int64_t now);
int store_agent_delete(struct store *s, const char *name);

/*
 * Secondary id (clone detection, DESIGN.md).  rotate: makes a fresh random
 * secret, stores its SHA-256 and returns the secret once in out.  check:
 * 0 when presented matches, 1 when the agent has none yet (first connect
 * after enrollment or an operator reset: accept, then rotate), -EKEYREJECTED
 * when it does not match (stale: the caller locks the agent and audits).
 * reset: operator action, clears the secret and unlocks (state ACTIVE).
 */
int store_agent_secondary_rotate(struct store *s, const char *name,
				 unsigned char out[STORE_SECONDARY_LEN]);
int store_agent_secondary_check(struct store *s, const char *name,
				const unsigned char *presented, size_t len);
int store_agent_reset(struct store *s, const char *name);

/* ---- devices (store_devices.c) ---- */

/*
 * A device as the agent reports it and as an operator approved it.  The
 * relay offers the approved host and ports; reported ones are what the
 * agent's configuration says.  Ports are sl_ports text ("502,udp/161").
 */
struct store_device {
	char agent[SLUICE_NAME_MAX + 1];
	char name[SLUICE_NAME_MAX + 1];
	bool reported;			/* in the agent's last report */
	char reported_host[STORE_HOST_MAX + 1];
	char reported_ports[STORE_PORTS_MAX + 1];
	int64_t reported_at;
	bool approved;
	char approved_host[STORE_HOST_MAX + 1];
	char approved_ports[STORE_PORTS_MAX + 1];
	char approved_by[SLUICE_NAME_MAX + 1];
	int64_t approved_at;
};

/*
 * Replaces the agent's reported devices by devs[0..n) (only the name,
 * reported_host and reported_ports of each are read).  Devices no longer
 * reported keep their approval but lose reported.
 */
int store_device_report(struct store *s, const char *agent,
			const struct store_device *devs, size_t n, int64_t now);
/* host/ports NULL: approve what the agent reported. */
int store_device_approve(struct store *s, const char *agent, const char *name,
			 const char *host, const char *ports, const char *by,
			 int64_t now);
int store_device_unapprove(struct store *s, const char *agent,
			   const char *name);
int store_device_list(struct store *s, const char *agent,
		      struct store_device **out, size_t *n);

/* ---- users (store_users.c) ---- */

struct store_user {
	char name[SLUICE_NAME_MAX + 1];
	bool disabled;
	bool totp_enabled;
	int64_t expires_at;		/* 0: never */
	int64_t created;
	unsigned int failed;		/* failed logins in the current window */
	int64_t locked_until;		/* 0 or past: not locked */
};

/* phc: Argon2id PHC string made by the caller (never a password). */
int store_user_create(struct store *s, const char *name, const char *phc,
		      int64_t expires_at, int64_t now);
int store_user_get(struct store *s, const char *name, struct store_user *out);
int store_user_list(struct store *s, struct store_user **out, size_t *n);
/* Deletes the user with certificates and grants. */
int store_user_delete(struct store *s, const char *name);
int store_user_set_password(struct store *s, const char *name,
			    const char *phc);
int store_user_get_password(struct store *s, const char *name, char *phc,
			    size_t len);
int store_user_set_disabled(struct store *s, const char *name, bool disabled);
int store_user_set_expiry(struct store *s, const char *name,
			  int64_t expires_at);

/*
 * TOTP secret, encrypted with AES-256-GCM under state_dir/secret.key (made
 * on first use, 0600) with a fresh nonce per record and the user name as
 * associated data.  set: enables TOTP and resets the replay guard.  get:
 * decrypts into secret (len bytes), -ENOENT when TOTP is off, -EBADMSG when
 * the record does not decrypt (wrong key, edited row).
 */
int store_user_totp_set(struct store *s, const char *name,
			const unsigned char *secret, size_t len);
int store_user_totp_clear(struct store *s, const char *name);
int store_user_totp_get(struct store *s, const char *name,
			unsigned char secret[STORE_TOTP_SECRET_MAX], size_t *len);
/*
 * Replay guard: records step (the 30 s counter a code matched) when it is
 * later than the last one used; -EALREADY when it is not (code reused).
 */
int store_user_totp_use(struct store *s, const char *name, int64_t step);

/* ---- lockouts (store_lockouts.c) ---- */

enum store_lock_kind {
	STORE_LOCK_ACCOUNT = 1,		/* key: user name */
	STORE_LOCK_SOURCE = 2,		/* key: source address */
	STORE_LOCK_AGENT = 3,		/* key: agent name */
};

struct store_lockout {
	enum store_lock_kind kind;
	char key[SLUICE_ADDR_MAX + 1];
	unsigned int failures;
	int64_t window_start;
	int64_t until;			/* 0: counting, not locked */
	char reason[STORE_REASON_MAX + 1];
};

const char *store_lock_kind_name(enum store_lock_kind kind);

/*
 * Counts one failure of (kind, key).  Failures older than window_s start a
 * new count.  At limit failures the key is locked until now + lock_s and
 * the count restarts; *locked_now (may be NULL) says whether this call
 * locked it.  limit 0 counts without ever locking.
 */
int store_lockout_fail(struct store *s, enum store_lock_kind kind,
		       const char *key, unsigned int limit, int64_t window_s,
		       int64_t lock_s, const char *reason, int64_t now,
		       bool *locked_now);
/* 1 and *until (may be NULL) when locked at now, 0 when not, -errno. */
int store_lockout_check(struct store *s, enum store_lock_kind kind,
			const char *key, int64_t now, int64_t *until);
/*
 * Operator actions: lock until a time (0: until cleared), and clear, which
 * unlocks and forgets the failure count.
 */
int store_lockout_set(struct store *s, enum store_lock_kind kind,
		      const char *key, int64_t until, const char *reason);
int store_lockout_clear(struct store *s, enum store_lock_kind kind,
			const char *key);
/* Keys locked at now (kind 0: every kind). */
int store_lockout_list(struct store *s, enum store_lock_kind kind, int64_t now,
		       struct store_lockout **out, size_t *n);
/* Forgets expired locks and stale counts; returns how many, or -errno. */
int store_lockout_expire(struct store *s, int64_t window_s, int64_t now);

/* Account wrappers: kind STORE_LOCK_ACCOUNT, key the user name. */
int store_user_login_failed(struct store *s, const char *name,
			    unsigned int limit, int64_t window_s,
			    int64_t lock_s, int64_t now, bool *locked_now);
int store_user_login_ok(struct store *s, const char *name);

/* ---- user certificates (store_certs.c) ---- */

struct store_cert {
	char user[SLUICE_NAME_MAX + 1];
	char serial[SL_CA_SERIAL_STRLEN];
	char fingerprint[SL_FP_STRLEN];
	int64_t created;
	int64_t not_after;
	int64_t revoked_at;		/* 0: not revoked */
};

int store_cert_add(struct store *s, const char *user, const char *serial,
		   const char *fingerprint, int64_t not_after, int64_t now);
int store_cert_get(struct store *s, const char *serial, struct store_cert *out);
/* user NULL: every certificate. */
int store_cert_list(struct store *s, const char *user, struct store_cert **out,
		    size_t *n);
/* -EALREADY when already revoked. */
int store_cert_revoke(struct store *s, const char *serial, int64_t now);
/* Revokes every live certificate of user; returns how many or -errno. */
int store_cert_revoke_user(struct store *s, const char *user, int64_t now);
/*
 * Login check of a verified peer certificate: 0 when serial is known,
 * belongs to user (NULL: any; the owner goes to out if not NULL), has
 * fingerprint, and is neither revoked (-EKEYREVOKED) nor past not_after
 * (-EKEYEXPIRED).  Unknown serial or wrong owner/fingerprint: -ENOENT.
 */
int store_cert_check(struct store *s, const char *serial,
		     const char *fingerprint, const char *user, int64_t now,
		     struct store_cert *out);

/* ---- grants (store_grants.c) ---- */

enum store_role {
	STORE_ROLE_ADMIN = 1,
	STORE_ROLE_USER = 2,
};

struct store_grant {
	int64_t id;
	char user[SLUICE_NAME_MAX + 1];
	char domain[STORE_DOMAIN_MAX + 1];
	enum store_role role;
	char window[STORE_WINDOW_MAX + 1];	/* "" : always */
	char created_by[SLUICE_NAME_MAX + 1];
	int64_t created;
};

const char *store_role_name(enum store_role role);	/* "administrator" */
int store_role_parse(const char *s, enum store_role *role);

/* One grant per (user, domain): -EEXIST.  *id (may be NULL) gets its id. */
int store_grant_add(struct store *s, const char *user, const char *domain,
		    enum store_role role, const char *window,
		    const char *created_by, int64_t now, int64_t *id);
int store_grant_delete(struct store *s, int64_t id);
/* All grants of user (the authz input). */
int store_grant_list_user(struct store *s, const char *user,
			  struct store_grant **out, size_t *n);
/* domain NULL: every grant; otherwise grants on exactly that domain. */
int store_grant_list_domain(struct store *s, const char *domain,
			    struct store_grant **out, size_t *n);

/* ---- join tokens (store_tokens.c) ---- */

struct store_token {
	char id[STORE_TOKEN_ID_STRLEN];	/* names the token in lists */
	char domain[STORE_DOMAIN_MAX + 1];
	char created_by[SLUICE_NAME_MAX + 1];
	int64_t created;
	int64_t expires_at;
	int64_t used_at;			/* 0: unused */
	char used_by[SLUICE_NAME_MAX + 1];	/* the agent it enrolled */
};

/*
 * Makes a one-time join token for domain, valid ttl_s seconds, and returns
 * it once in out ("sjt_" + 64 hex digits); only its SHA-256 is stored.
 * *id (may be NULL) gets the list id.
 */
int store_token_create(struct store *s, const char *domain, int64_t ttl_s,
		       const char *created_by, int64_t now,
		       char out[STORE_TOKEN_STRLEN],
		       char id[STORE_TOKEN_ID_STRLEN]);
/*
 * Marks token used by used_by, atomically: of two concurrent consumers
 * exactly one gets 0.  domain (may be NULL) receives its domain.
 * -ENOENT unknown, -EALREADY used before, -EKEYEXPIRED past its expiry.
 */
int store_token_consume(struct store *s, const char *token,
			const char *used_by, int64_t now,
			char domain[STORE_DOMAIN_MAX + 1]);
int store_token_list(struct store *s, struct store_token **out, size_t *n);
int store_token_delete(struct store *s, const char *id);

#endif
