/* SPDX-License-Identifier: MIT */
/* Internals shared by the store_*.c files; nothing outside them includes it. */
#ifndef RELAY_STORE_INT_H
#define RELAY_STORE_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct store {
	sqlite3 *db;
	char dir[1024];
	char why[512];
	unsigned int depth;		/* transaction nesting, 0: none */
	bool batch;			/* store_batch_begin(): group writes */
	bool batch_open;		/* ... and its transaction is open (depth 1) */
	bool batch_apart;		/* ... committed with NORMAL, log synced apart */
	int wal_fd;			/* STORE_DB_FILE-wal, read-only, or -1 */
	char wal_path[1120];
	int64_t data_version;		/* last PRAGMA data_version seen */
	bool dv_seen;
	unsigned char key[32];		/* secret.key, once loaded */
	bool key_loaded;
	struct store_cached *cache;	/* prepared statements, by SQL */
};

/* Sets the reason; returns err.  store_sqlerr also maps SQLite's code. */
int store_err(struct store *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int store_sqlerr(struct store *s, int rc, const char *what);

/*
 * Statements bound from a format: 't' text (NULL binds NULL), 'i' int64,
 * 'b' blob (pointer, then int length).  store_stmt returns a prepared and
 * bound statement or NULL; store_done gives it back (never
 * sqlite3_finalize: it may be the cache's); store_step gives 1 for a row,
 * 0 when done, -errno; store_run runs a statement to its end and returns
 * the number of rows changed or -errno.
 */
sqlite3_stmt *store_stmt(struct store *s, const char *sql, const char *fmt, ...);
void store_done(struct store *s, sqlite3_stmt *st);
int store_step(struct store *s, sqlite3_stmt *st);
int store_run(struct store *s, const char *sql, const char *fmt, ...);
/* Copies column i's text (or "" for NULL) into buf. */
void store_col(sqlite3_stmt *st, int i, char *buf, size_t len);

/* Transaction of one API call: joins the caller's, or is its own. */
int store_tx(struct store *s);
/* Commits (ret 0) or rolls back (ret < 0) and returns ret or the error. */
int store_tx_end(struct store *s, int ret);

/* Row id of a domain path, or -ENOENT / -errno. */
int64_t store_domain_id(struct store *s, const char *path);
/* Row id of a named agent or user, or -ENOENT / -errno. */
int64_t store_agent_id(struct store *s, const char *name);
int64_t store_user_id(struct store *s, const char *name);

/* Every row of st (NULL: -EIO), given back here, into a malloc'd array of
 * size-byte elements, each zeroed and filled by row(st, element): 0 with
 * *out and *n (the caller frees *out), or -errno with *out NULL, *n 0. */
int store_rows(struct store *s, sqlite3_stmt *st, size_t size,
	       void (*row)(sqlite3_stmt *st, void *el), void **out, size_t *n);

/* secret.key (store_secret.c): loads or makes it; 0 or -errno. */
int store_secret_key(struct store *s);
void store_sha256(const void *buf, size_t len, unsigned char out[32]);

#endif
