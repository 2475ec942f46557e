// SPDX-License-Identifier: MIT
/*
 * The state store's database: open, schema migrations, transactions, the
 * statement helpers the other store_*.c files use, and change detection.
 *
 * Durability: journal_mode=WAL with synchronous=FULL.  WAL makes every
 * transaction atomic across a crash of the process or the machine (a
 * commit is one frame in the log, checked by checksum on recovery), so a
 * kill -9 in the middle of any write leaves the previous or the next state,
 * never a mix.  NORMAL would keep that consistency but not durability: after
 * a power loss the last transactions may be gone although the relay already
 * acknowledged them (an enrollment, a revocation).  FULL fsyncs the log at
 * every commit, so what a caller was told is committed survives.  The price
 * is one fsync per write transaction; writes are rare (operator actions,
 * logins, enrollments), reads take none.  The relay's loop groups the
 * writes of one turn (store_batch_*) and commits the group with NORMAL,
 * syncing the log itself off the loop before it tells anyone (commit.c).
 */
#include "store_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uthash.h>

#include <openssl/evp.h>

/*
 * Migrations, in order: migrations[i] takes the schema from version i to
 * i + 1.  Append only; never edit one that was released.  All pending ones
 * run in one transaction at open, so a crash leaves the old version.
 */
static const char *const migrations[] = {
	/* 0 -> 1: the first schema. */
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL);"
	"CREATE TABLE domains ("
	"  id INTEGER PRIMARY KEY,"
	"  path TEXT NOT NULL UNIQUE,"
	"  parent_id INTEGER REFERENCES domains(id) ON DELETE RESTRICT,"
	"  created INTEGER NOT NULL);"
	"INSERT INTO domains (path, parent_id, created)"
	"  VALUES ('" STORE_ROOT "', NULL, CAST(strftime('%s','now') AS INTEGER));"
	"CREATE TABLE agents ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE RESTRICT,"
	"  state INTEGER NOT NULL CHECK (state BETWEEN 1 AND 4),"
	"  serial TEXT UNIQUE,"
	"  fingerprint TEXT NOT NULL DEFAULT '',"
	"  secondary_hash BLOB,"
	"  created INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL DEFAULT 0,"
	"  last_addr TEXT NOT NULL DEFAULT '',"
	"  reason TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX agents_domain ON agents(domain_id);"
	"CREATE TABLE devices ("
	"  agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  reported INTEGER NOT NULL DEFAULT 0,"
	"  reported_host TEXT NOT NULL DEFAULT '',"
	"  reported_ports TEXT NOT NULL DEFAULT '',"
	"  reported_at INTEGER NOT NULL DEFAULT 0,"
	"  approved INTEGER NOT NULL DEFAULT 0,"
	"  approved_host TEXT NOT NULL DEFAULT '',"
	"  approved_ports TEXT NOT NULL DEFAULT '',"
	"  approved_by TEXT NOT NULL DEFAULT '',"
	"  approved_at INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (agent_id, name));"
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  phc TEXT NOT NULL,"
	"  totp_enc BLOB,"
	"  totp_last_step INTEGER NOT NULL DEFAULT 0,"
	"  disabled INTEGER NOT NULL DEFAULT 0,"
	"  expires_at INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE user_certs ("
	"  serial TEXT PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  fingerprint TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  not_after INTEGER NOT NULL,"
	"  revoked_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX user_certs_user ON user_certs(user_id);"
	"CREATE TABLE grants ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE RESTRICT,"
	"  role INTEGER NOT NULL CHECK (role IN (1, 2)),"
	"  time_window TEXT NOT NULL DEFAULT '',"
	"  created_by TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  UNIQUE (user_id, domain_id));"
	"CREATE INDEX grants_domain ON grants(domain_id);"
	"CREATE TABLE join_tokens ("
	"  hash BLOB PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE RESTRICT,"
	"  created_by TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  used_at INTEGER NOT NULL DEFAULT 0,"
	"  used_by TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE lockouts ("
	"  kind INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 3),"
	"  key TEXT NOT NULL,"
	"  failures INTEGER NOT NULL DEFAULT 0,"
	"  window_start INTEGER NOT NULL DEFAULT 0,"
	"  until INTEGER NOT NULL DEFAULT 0,"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY (kind, key));",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(NMIGRATIONS == STORE_SCHEMA_VERSION,
	       "one migration per schema version");

int store_err(struct store *s, int err, const char *fmt, ...)
{
	char buf[sizeof(s->why)];
	va_list ap;

	/* Through buf: the arguments may include s->why itself. */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	memcpy(s->why, buf, sizeof(buf));
	return err;
}

static int map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
	case SQLITE_CANTOPEN:
		return -EACCES;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_TOOBIG:
	case SQLITE_RANGE:
	case SQLITE_MISMATCH:
		return -EINVAL;
	default:
		return -EIO;	/* CORRUPT, NOTADB, IOERR, ... */
	}
}

int store_sqlerr(struct store *s, int rc, const char *what)
{
	return store_err(s, map_rc(rc), "%s: %s (%s)", what,
			 s->db ? sqlite3_errmsg(s->db) : "no database",
			 sqlite3_errstr(rc));
}

const char *store_why(const struct store *s)
{
	return s ? s->why : "no store";
}

static int bind_args(struct store *s, sqlite3_stmt *st, const char *fmt,
		     va_list ap)
{
	int i, rc = SQLITE_OK;

	for (i = 1; fmt && *fmt && rc == SQLITE_OK; fmt++, i++) {
		switch (*fmt) {
		case 't': {
			const char *t = va_arg(ap, const char *);

			rc = t ? sqlite3_bind_text(st, i, t, -1, SQLITE_TRANSIENT) :
				 sqlite3_bind_null(st, i);
			break;
		}
		case 'i':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'b': {
			const void *b = va_arg(ap, const void *);
			int len = va_arg(ap, int);

			rc = sqlite3_bind_blob(st, i, b, len, SQLITE_TRANSIENT);
			break;
		}
		default:
			rc = SQLITE_MISUSE;
		}
	}
	return rc == SQLITE_OK ? 0 : store_sqlerr(s, rc, "bind");
}

/*
 * Prepared statements are kept, by their SQL, and reset for the next use:
 * parsing the SQL again was a fifth of the control thread's time per agent
 * login.  A statement is the caller's from store_stmt() to store_done();
 * the same SQL wanted meanwhile (a nested query) gets one of its own.
 * SQLite prepares a kept statement again by itself after a schema change.
 */
struct store_cached {
	sqlite3_stmt *st;
	bool busy;
	UT_hash_handle hh;	/* by sql */
	char sql[];
};
#define STORE_CACHE_MAX 256	/* distinct statements; the SQL is ours, not built */

static sqlite3_stmt *prepare(struct store *s, const char *sql)
{
	struct store_cached *e;
	sqlite3_stmt *st = NULL;
	size_t len;
	int rc;

	HASH_FIND_STR(s->cache, sql, e);
	if (e && !e->busy) {
		e->busy = true;
		return e->st;
	}
	rc = sqlite3_prepare_v3(s->db, sql, -1, e ? 0 : SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		store_sqlerr(s, rc, "prepare");
		sqlite3_finalize(st);
		return NULL;
	}
	if (e || HASH_COUNT(s->cache) >= STORE_CACHE_MAX)
		return st;
	len = strlen(sql);
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return st;
	memcpy(e->sql, sql, len + 1);
	e->st = st;
	e->busy = true;
	HASH_ADD_KEYPTR(hh, s->cache, e->sql, (unsigned int)len, e);
	return st;
}

void store_done(struct store *s, sqlite3_stmt *st)
{
	struct store_cached *e;
	const char *sql;

	if (!st)
		return;
	sql = sqlite3_sql(st);
	HASH_FIND_STR(s->cache, sql ? sql : "", e);
	if (e && e->st == st) {
		/* Ends its read or write of the database now, not at the
		 * next use. */
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		e->busy = false;
		return;
	}
	sqlite3_finalize(st);
}

static void cache_free(struct store *s)
{
	struct store_cached *e, *tmp;

	HASH_ITER(hh, s->cache, e, tmp) {
		HASH_DEL(s->cache, e);
		sqlite3_finalize(e->st);
		free(e);
	}
}

static sqlite3_stmt *vstmt(struct store *s, const char *sql, const char *fmt,
			   va_list ap)
{
	sqlite3_stmt *st = prepare(s, sql);

	if (!st)
		return NULL;
	if (bind_args(s, st, fmt, ap)) {
		store_done(s, st);
		return NULL;
	}
	return st;
}

sqlite3_stmt *store_stmt(struct store *s, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;

	va_start(ap, fmt);
	st = vstmt(s, sql, fmt, ap);
	va_end(ap);
	return st;
}

int store_step(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_sqlerr(s, rc, "step");
}

static int batch_join(struct store *s);

int store_run(struct store *s, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int ret;

	ret = batch_join(s);	/* a write outside store_tx joins the group */
	if (ret)
		return ret;
	va_start(ap, fmt);
	st = vstmt(s, sql, fmt, ap);
	va_end(ap);
	if (!st)
		return -EIO;
	while ((ret = store_step(s, st)) == 1)
		;
	if (!ret)
		ret = sqlite3_changes(s->db);
	store_done(s, st);
	return ret;
}

void store_col(sqlite3_stmt *st, int i, char *buf, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(buf, len, "%s", t ? (const char *)t : "");
}

int store_rows(struct store *s, sqlite3_stmt *st, size_t size,
	       void (*row)(sqlite3_stmt *st, void *el), void **out, size_t *n)
{
	char *arr = NULL, *p;
	size_t cap = 0;
	int ret;

	*out = NULL;
	*n = 0;
	if (!st)
		return -EIO;
	while ((ret = store_step(s, st)) == 1) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			p = realloc(arr, cap * size);
			if (!p) {
				ret = store_err(s, -ENOMEM, "out of memory");
				break;
			}
			arr = p;
		}
		p = arr + (*n)++ * size;
		memset(p, 0, size);
		row(st, p);
	}
	store_done(s, st);
	if (ret < 0) {
		free(arr);
		*n = 0;
		return ret;
	}
	*out = arr;
	return 0;
}

static int exec(struct store *s, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

	if (rc == SQLITE_OK)
		return 0;
	store_err(s, map_rc(rc), "%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return map_rc(rc);
}

/* One statement, kept prepared: the transaction control of every write,
 * which sqlite3_exec() would parse every time. */
static int exec1(struct store *s, const char *sql)
{
	sqlite3_stmt *st = prepare(s, sql);
	int rc;

	if (!st)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		store_err(s, map_rc(rc), "%s: %s", sql, sqlite3_errmsg(s->db));
	store_done(s, st);
	return rc == SQLITE_DONE ? 0 : map_rc(rc);
}

/* Back to syncing every commit, as outside a group. */
static void batch_full(struct store *s)
{
	if (s->batch_apart)
		exec1(s, "PRAGMA synchronous = FULL");
	s->batch_apart = false;
}

/*
 * The group's transaction, opened at its first write.  Its commit does not
 * sync the log (NORMAL; SQLite takes no change of it inside a
 * transaction): store_batch_end() or its caller does.
 */
static int batch_join(struct store *s)
{
	int ret;

	if (!s->batch || s->batch_open)
		return 0;
	/* A log to sync apart exists; which file it is now, store_sync_fd()
	 * finds when the sync is due (one fstat per group, not two). */
	s->batch_apart = (s->wal_fd >= 0 || store_sync_fd(s) >= 0) &&
			 !exec1(s, "PRAGMA synchronous = NORMAL");
	ret = exec1(s, "BEGIN IMMEDIATE");
	if (ret) {
		batch_full(s);
		return ret;
	}
	s->batch_open = true;
	s->depth = 1;
	return 0;
}

void store_batch_begin(struct store *s)
{
	s->batch = true;
}

bool store_batch_dirty(const struct store *s)
{
	return s->batch_open;
}

int store_batch_end(struct store *s, bool *synced)
{
	bool apart = s->batch_apart;
	int ret, fd;

	if (synced)
		*synced = true;
	s->batch = false;
	if (!s->batch_open)
		return 0;
	s->batch_open = false;
	s->depth = 0;
	/* SQLite rolls a transaction back by itself on some errors (disk
	 * full, I/O): then what the group wrote is gone. */
	if (sqlite3_get_autocommit(s->db)) {
		batch_full(s);
		return store_err(s, -EIO, "the group's transaction was rolled back "
				 "after an error");
	}
	ret = exec1(s, "COMMIT");
	if (ret)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	batch_full(s);
	if (ret || !apart)
		return ret;
	if (synced)
		*synced = false;	/* the caller syncs the log */
	else if ((fd = store_sync_fd(s)) >= 0 && fdatasync(fd) == -1)
		return store_err(s, -errno, "cannot sync the write-ahead log: %s",
				 strerror(errno));
	return 0;
}

int store_sync_fd(struct store *s)
{
	struct stat st;

	/* A log removed and made anew (another process's checkpoint when
	 * this one had none open) is another file: open it again. */
	if (s->wal_fd >= 0 && (fstat(s->wal_fd, &st) || !st.st_nlink)) {
		close(s->wal_fd);
		s->wal_fd = -1;
	}
	if (s->wal_fd < 0)
		s->wal_fd = open(s->wal_path, O_RDONLY | O_CLOEXEC);
	return s->wal_fd;
}

int store_tx(struct store *s)
{
	int ret;

	ret = batch_join(s);
	if (ret)
		return ret;
	ret = exec1(s, s->depth ? "SAVEPOINT sl" : "BEGIN IMMEDIATE");
	if (ret)
		return ret;
	s->depth++;
	s->why[0] = '\0';
	return 0;
}

int store_tx_end(struct store *s, int ret)
{
	char why[sizeof(s->why)];
	int err;

	if (s->depth <= (unsigned int)s->batch_open)
		return ret;	/* the group's own level ends in store_batch_end */
	s->depth--;
	if (ret < 0) {
		memcpy(why, s->why, sizeof(why));
		if (s->depth) {
			exec1(s, "ROLLBACK TO sl");
			exec1(s, "RELEASE sl");
		} else {
			exec1(s, "ROLLBACK");
		}
		memcpy(s->why, why, sizeof(why));
		return ret;
	}
	err = exec1(s, s->depth ? "RELEASE sl" : "COMMIT");
	if (err) {
		if (!s->depth)
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return err;
	}
	return ret;
}

int store_begin(struct store *s)
{
	return store_tx(s);
}

int store_commit(struct store *s)
{
	if (s->depth <= (unsigned int)s->batch_open)
		return store_err(s, -EINVAL, "commit without a transaction");
	return store_tx_end(s, 0);
}

void store_rollback(struct store *s)
{
	if (s && s->depth > (unsigned int)s->batch_open)
		store_tx_end(s, -ECANCELED);
}

static int pragma_int(struct store *s, const char *sql, int64_t *v)
{
	sqlite3_stmt *st = store_stmt(s, sql, NULL);
	int ret;

	if (!st)
		return -EIO;
	ret = store_step(s, st);
	if (ret == 1) {
		*v = sqlite3_column_int64(st, 0);
		ret = 0;
	} else if (!ret) {
		ret = store_err(s, -EIO, "%s returned nothing", sql);
	}
	store_done(s, st);
	return ret;
}

int store_schema_version(struct store *s)
{
	int64_t v;
	int ret = pragma_int(s, "PRAGMA user_version", &v);

	return ret ? ret : (int)v;
}

int store_changed(struct store *s)
{
	int64_t v;
	int ret = pragma_int(s, "PRAGMA data_version", &v);

	if (ret)
		return ret;
	ret = s->dv_seen && v != s->data_version;
	s->data_version = v;
	s->dv_seen = true;
	return ret;
}

static int migrate(struct store *s)
{
	char sql[64];
	int64_t v;
	int ret;

	/* BEGIN IMMEDIATE: two processes opening a new file migrate once. */
	ret = store_tx(s);
	if (ret)
		return ret;
	ret = pragma_int(s, "PRAGMA user_version", &v);
	if (ret)
		goto out;
	if (v > STORE_SCHEMA_VERSION) {
		ret = store_err(s, -EPROTO,
				"%s/" STORE_DB_FILE " has schema version %lld, "
				"this sluice-relay knows up to %d: upgrade "
				"sluice-relay or restore a backup",
				s->dir, (long long)v, STORE_SCHEMA_VERSION);
		goto out;
	}
	for (; v < STORE_SCHEMA_VERSION; v++) {
		ret = exec(s, migrations[v]);
		if (ret) {
			store_err(s, ret, "migration to schema version %lld "
				  "failed: %s", (long long)v + 1, s->why);
			goto out;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		 STORE_SCHEMA_VERSION);
	ret = exec(s, sql);
out:
	return store_tx_end(s, ret);
}

struct store *store_open(const char *state_dir, unsigned int busy_ms, int *err,
			 char *why, size_t whylen)
{
	struct store *s = calloc(1, sizeof(*s));
	char path[1100];
	int rc, ret, fd;

	if (!s) {
		*err = -ENOMEM;
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	s->wal_fd = -1;
	snprintf(s->dir, sizeof(s->dir), "%s", state_dir);
	snprintf(path, sizeof(path), "%s/" STORE_DB_FILE, state_dir);
	snprintf(s->wal_path, sizeof(s->wal_path), "%s-wal", path);
	/*
	 * The database holds password hashes: owner only.  Made here, not by
	 * SQLite (which follows the umask); its -wal and -shm files take the
	 * database file's mode.
	 */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1 || fchmod(fd, 0600) == -1) {
		ret = store_err(s, -errno, "cannot open %s: %s", path,
				strerror(errno));
		if (fd != -1)
			close(fd);
		goto err;
	}
	close(fd);
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
			     SQLITE_OPEN_EXRESCODE, NULL);
	if (rc != SQLITE_OK) {
		ret = store_err(s, map_rc(rc), "cannot open %s: %s", path,
				s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto err;
	}
	sqlite3_busy_timeout(s->db, busy_ms ? (int)busy_ms : 5000);
	ret = exec(s, "PRAGMA journal_mode = WAL");
	if (!ret)
		ret = exec(s, "PRAGMA synchronous = FULL");
	if (!ret)
		ret = exec(s, "PRAGMA foreign_keys = ON");
	if (!ret)
		ret = exec(s, "PRAGMA secure_delete = ON");
	if (ret) {
		store_err(s, ret, "cannot set up %s: %s", path, s->why);
		goto err;
	}
	ret = migrate(s);
	if (ret) {
		if (ret != -EPROTO)
			store_err(s, ret, "%s: %s", path, s->why);
		goto err;
	}
	s->why[0] = '\0';
	*err = 0;
	return s;
err:
	*err = ret;
	snprintf(why, whylen, "%s", s->why);
	store_close(s);
	return NULL;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	cache_free(s);
	sqlite3_close(s->db);
	if (s->wal_fd >= 0)
		close(s->wal_fd);
	OPENSSL_cleanse(s->key, sizeof(s->key));
	free(s);
}

int store_meta_set(struct store *s, const char *key, const char *value)
{
	int ret;

	s->why[0] = '\0';
	ret = store_run(s, "INSERT INTO meta (key, value) VALUES (?, ?) "
			"ON CONFLICT (key) DO UPDATE SET value = excluded.value",
			"tt", key, value);
	return ret < 0 ? ret : 0;
}

int store_meta_get(struct store *s, const char *key, char *value, size_t len)
{
	sqlite3_stmt *st;
	int ret;

	s->why[0] = '\0';
	st = store_stmt(s, "SELECT value FROM meta WHERE key = ?", "t", key);
	if (!st)
		return -EIO;
	ret = store_step(s, st);
	if (ret == 1) {
		store_col(st, 0, value, len);
		ret = 0;
	} else if (!ret) {
		ret = store_err(s, -ENOENT, "no setting %s", key);
	}
	store_done(s, st);
	return ret;
}

void store_sha256(const void *buf, size_t len, unsigned char out[32])
{
	unsigned int n = 32;

	EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL);
}
