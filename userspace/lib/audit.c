// SPDX-License-Identifier: MIT
/*
 * The audit log writer (format in audit.h and docs/audit.md).
 *
 * Who may append: the relay holds the file open for its lifetime, and
 * operator subcommands of sluice-relay open it briefly to record what
 * they changed.  Every append happens under flock(LOCK_EX); a writer
 * that finds the file longer than where its own last line ended re-reads
 * the last line and chains to it, so two processes produce one chain.
 *
 * Durability: a record is one write() of the whole line to an O_APPEND
 * descriptor followed by fdatasync(); sl_audit_write() returns only then,
 * unless the caller groups records (sl_audit_defer_sync): then one
 * fdatasync() by the caller covers every record written since the last
 * (sl_audit_take_sync), and the caller acknowledges them only after it
 * (the relay's group commit).  A group also keeps the file lock from its
 * first record to its end, so its later records need no flock() and
 * fstat() each; another process's append waits for the group's end (one
 * turn of the relay's loop).
 * A short write is cut back with ftruncate(), so no half line is left
 * behind by a full disk.  A crash in the middle can still leave one; the
 * next open finds it and writes a recovery record (see sync_tail()).
 */
#include "audit_int.h"

#include <errno.h>
#include <openssl/evp.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define SECS_PER_DAY 86400

struct sl_audit {
	pthread_mutex_t lock;
	int fd;
	char *path;
	uint8_t head[AUDIT_HASH_LEN];	/* hash of the last line */
	off_t end;			/* file size after our last append */
	time_t last_time;		/* time of the last record */
	struct audit_fwd *fwd;
	bool defer_sync;		/* the caller does the fdatasync */
	bool unsynced;			/* records written since the last one */
	bool held;			/* the file lock, kept for the group */
	char line[SL_AUDIT_LINE_MAX];
};

static int64_t utc_day(time_t t)
{
	return t >= 0 ? (int64_t)t / SECS_PER_DAY :
			-(((int64_t)-t + SECS_PER_DAY - 1) / SECS_PER_DAY);
}

/*
 * Builds the line of r (without '\n') into a->line.  Returns its length
 * or -EINVAL / -E2BIG.
 */
static ssize_t build_line(struct sl_audit *a, const struct sl_audit_record *r,
			  const char time[AUDIT_TIME_LEN])
{
	struct abuf b = { .p = a->line, .cap = sizeof(a->line) - 1 };
	char prev[SL_AUDIT_HASH_HEX], num[24];
	unsigned int i;

	if (!audit_name_valid(r->event))
		return -EINVAL;
	for (i = 0; i < r->nfields; i++)
		if (!r->fields || !audit_name_valid(r->fields[i].key))
			return -EINVAL;
	audit_hex(a->head, prev);

	abuf_puts(&b, "{\"time\":\"");
	abuf_puts(&b, time);
	abuf_puts(&b, "\",\"event\":");
	abuf_json_str(&b, r->event);
	abuf_puts(&b, ",\"actor\":");
	abuf_json_str(&b, r->actor);
	abuf_puts(&b, ",\"object\":");
	abuf_json_str(&b, r->object);
	abuf_puts(&b, ",\"domain\":");
	abuf_json_str(&b, r->domain);
	abuf_puts(&b, ",\"source\":");
	abuf_json_str(&b, r->source);
	abuf_puts(&b, ",\"outcome\":");
	abuf_json_str(&b, r->outcome);
	abuf_puts(&b, ",\"details\":");
	if (r->nfields) {
		abuf_puts(&b, "{");
		for (i = 0; i < r->nfields; i++) {
			const struct sl_audit_field *f = &r->fields[i];

			if (i)
				abuf_puts(&b, ",");
			abuf_json_str(&b, f->key);
			abuf_puts(&b, ":");
			if (f->str) {
				abuf_json_str(&b, f->str);
			} else {
				snprintf(num, sizeof(num), "%lld",
					 (long long)f->num);
				abuf_puts(&b, num);
			}
		}
		abuf_puts(&b, "}");
	} else if (r->details_text) {
		abuf_json_str(&b, r->details_text);
	} else {
		abuf_puts(&b, "{}");
	}
	abuf_puts(&b, ",\"prev\":\"");
	abuf_puts(&b, prev);
	abuf_puts(&b, "\"}");
	if (b.overflow)
		return -E2BIG;
	return (ssize_t)b.len;
}

/*
 * Appends line + '\n' at the end of the file and syncs it.  On a short
 * write the file is cut back to where it was.
 */
static int append_line(struct sl_audit *a, off_t size, const char *line,
		       size_t len)
{
	ssize_t n;
	int err;

	a->line[len] = '\n';
	do {
		n = write(a->fd, line, len + 1);
	} while (n == -1 && errno == EINTR);
	if (n != (ssize_t)(len + 1)) {
		err = n == -1 ? -errno : -ENOSPC;
		if (n > 0 && ftruncate(a->fd, size) == -1)
			sl_log_errno(errno, "audit: %s: cannot cut back a "
				     "partial record", a->path);
		a->end = -1;
		return err;
	}
	if (a->defer_sync) {
		a->unsynced = true;
	} else if (fdatasync(a->fd) == -1) {
		err = -errno;
		a->end = -1;
		return err;
	}
	audit_hash(line, len, a->head);
	a->end = size + n;
	return 0;
}

static int write_locked(struct sl_audit *a, off_t size,
			const struct sl_audit_record *r)
{
	struct timespec ts = r->when;
	char time[AUDIT_TIME_LEN];
	ssize_t len;
	int err;

	if (!ts.tv_sec && !ts.tv_nsec)
		clock_gettime(CLOCK_REALTIME, &ts);
	audit_format_time(&ts, time);
	len = build_line(a, r, time);
	if (len < 0)
		return (int)len;
	err = append_line(a, size, a->line, (size_t)len);
	if (err) {
		sl_log_errno(err, "audit: %s: cannot write a record", a->path);
		return err;
	}
	a->last_time = ts.tv_sec;
	if (a->fwd)
		audit_fwd_send(a->fwd, a->line, (size_t)len, r->event,
			       r->outcome, time);
	return 0;
}

/* pread() all of n bytes at off. */
static int pread_all(int fd, void *buf, size_t n, off_t off)
{
	while (n) {
		ssize_t r = pread(fd, buf, n, off);

		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -errno;
		if (r == 0)
			return -EIO;
		buf = (char *)buf + r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

/* Offset where the line that ends at stop starts. */
static int last_line_start(int fd, off_t stop, off_t *start)
{
	char buf[4096];
	off_t pos = stop;	/* [0, pos) is not scanned yet */

	while (pos > 0) {
		size_t n = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
		off_t base = pos - (off_t)n;
		int err = pread_all(fd, buf, n, base);

		if (err)
			return err;
		while (n--) {
			if (buf[n] == '\n') {
				*start = base + (off_t)n + 1;
				return 0;
			}
		}
		pos = base;
	}
	*start = 0;
	return 0;
}

/* SHA-256 of the file's bytes [start, end). */
static int hash_range(int fd, off_t start, off_t end,
		      uint8_t out[AUDIT_HASH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char buf[4096];
	int err = 0;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
		return -ENOMEM;
	}
	while (start < end) {
		size_t n = sizeof(buf);

		if (end - start < (off_t)n)
			n = (size_t)(end - start);

		err = pread_all(fd, buf, n, start);
		if (err)
			break;
		EVP_DigestUpdate(ctx, buf, n);
		start += (off_t)n;
	}
	if (!err)
		EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
	return err;
}

/*
 * The last line [start, stop) is not a complete record: a crash in the
 * middle of a write, or damage.  Continuing silently would hide it, and
 * refusing to open would stop the relay from auditing at all.  Instead
 * end the damaged line with '\n' if needed and write an "audit_recovery"
 * record with outcome "chain_break" that says what was found, chained to
 * the damaged bytes as they are (so they cannot be changed unseen later
 * either).  The verifier still reports the damaged line.
 */
static int recover(struct sl_audit *a, off_t size, bool terminated,
		   off_t start, off_t stop, const char *problem)
{
	struct sl_audit_field f[] = {
		{ .key = "reason", .str = problem },
		{ .key = "offset", .num = (int64_t)start },
		{ .key = "length", .num = (int64_t)(stop - start) },
	};
	struct sl_audit_record r = {
		.event = "audit_recovery",
		.outcome = "chain_break",
		.fields = f,
		.nfields = 3,
	};
	ssize_t n;

	sl_log_warn("audit: %s: %s (line at byte %lld); writing a "
		    "chain_break record", a->path, problem, (long long)start);
	if (!terminated) {
		do {
			n = write(a->fd, "\n", 1);
		} while (n == -1 && errno == EINTR);
		if (n != 1)
			return n == -1 ? -errno : -EIO;
		size++;
	}
	return write_locked(a, size, &r);
}

/*
 * Reads the last line of the file (size bytes) to continue the chain
 * from it: a->head, a->last_time and a->end.  Only the shape of that line
 * is checked here, not the whole chain (that is the verifier's job).
 */
static int sync_tail(struct sl_audit *a, off_t size)
{
	char why[128], last;
	off_t start, stop;
	time_t t;
	int err;

	if (size == 0) {
		audit_genesis(a->head);
		a->end = 0;
		return 0;
	}
	err = pread_all(a->fd, &last, 1, size - 1);
	if (err)
		return err;
	stop = last == '\n' ? size - 1 : size;
	err = last_line_start(a->fd, stop, &start);
	if (!err)
		err = hash_range(a->fd, start, stop, a->head);
	if (err)
		return err;
	a->end = size;
	if (last != '\n')
		return recover(a, size, false, start, stop,
			       "last line truncated (no newline at the end)");
	if (stop - start > SL_AUDIT_LINE_MAX - 1)
		return recover(a, size, true, start, stop,
			       "last line longer than the limit");
	err = pread_all(a->fd, a->line, (size_t)(stop - start), start);
	if (err)
		return err;
	if (sl_audit_parse_line(a->line, (size_t)(stop - start), NULL, &t, why,
				sizeof(why)))
		return recover(a, size, true, start, stop, why);
	a->last_time = t;
	return 0;
}

static void unlock_file(struct sl_audit *a)
{
	flock(a->fd, LOCK_UN);
}

/*
 * Takes the file lock and catches up with what other processes appended.
 * On success the lock is held and *size is the file's size.
 */
static int lock_file(struct sl_audit *a, off_t *size)
{
	struct stat st;
	int err;

	while (flock(a->fd, LOCK_EX) == -1)
		if (errno != EINTR)
			return -errno;
	if (fstat(a->fd, &st) == -1) {
		err = -errno;
		goto err_unlock;
	}
	if (st.st_size != a->end) {
		err = sync_tail(a, st.st_size);
		if (err)
			goto err_unlock;
	}
	*size = a->end;
	return 0;

err_unlock:
	unlock_file(a);
	return err;
}

/* Makes a new file's directory entry durable. */
static void sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (!copy)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

struct sl_audit *sl_audit_open(const struct sl_audit_conf *c)
{
	struct sl_audit *a;
	bool created = false;
	off_t size;
	int err;

	if (!c || !c->path) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	pthread_mutex_init(&a->lock, NULL);
	a->fd = -1;
	a->end = -1;
	a->last_time = -1;
	a->path = strdup(c->path);
	if (!a->path) {
		err = -ENOMEM;
		goto err_free;
	}
	a->fd = open(c->path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC,
		     0600);
	if (a->fd >= 0)
		created = true;
	else if (errno == EEXIST)
		a->fd = open(c->path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (a->fd == -1) {
		err = -errno;
		sl_log_errno(err, "audit: cannot open %s", c->path);
		goto err_free;
	}
	if (created)
		sync_dir(c->path);
	if (c->fwd != SL_AUDIT_FWD_NONE) {
		a->fwd = audit_fwd_open(c);
		if (!a->fwd) {
			err = -errno;
			sl_log_errno(err, "audit: syslog forwarding to %s",
				     c->fwd_target ?: "/dev/log");
			goto err_free;
		}
	}
	err = lock_file(a, &size);
	if (err) {
		sl_log_errno(err, "audit: cannot read %s", c->path);
		goto err_free;
	}
	unlock_file(a);
	/* An empty log counts from today for the boundary records. */
	if (a->last_time < 0)
		a->last_time = time(NULL);
	return a;

err_free:
	sl_audit_close(a);
	errno = -err;
	return NULL;
}

void sl_audit_close(struct sl_audit *a)
{
	if (!a)
		return;
	audit_fwd_close(a->fwd);
	if (a->fd >= 0)
		close(a->fd);
	pthread_mutex_destroy(&a->lock);
	free(a->path);
	free(a);
}

/* The file lock for one record: taken now, or kept from an earlier record
 * of the caller's group, so that nobody appended since. */
static int acquire(struct sl_audit *a, off_t *size)
{
	int err;

	if (a->held) {
		*size = a->end;
		return 0;
	}
	err = lock_file(a, size);
	if (!err && a->defer_sync)
		a->held = true;
	return err;
}

/* After the record: a group keeps the lock, unless the write failed (the
 * next record then reads the file's end again). */
static void release(struct sl_audit *a, int err)
{
	if (a->held && a->defer_sync && !err)
		return;
	a->held = false;
	unlock_file(a);
}

int sl_audit_write(struct sl_audit *a, const struct sl_audit_record *r)
{
	off_t size;
	int err;

	if (!a || !r)
		return -EINVAL;
	pthread_mutex_lock(&a->lock);
	err = acquire(a, &size);
	if (!err) {
		err = write_locked(a, size, r);
		release(a, err);
	}
	pthread_mutex_unlock(&a->lock);
	return err;
}

void sl_audit_defer_sync(struct sl_audit *a, bool on)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->defer_sync = on;
	if (!on && a->held) {
		a->held = false;
		unlock_file(a);
	}
	pthread_mutex_unlock(&a->lock);
}

bool sl_audit_unsynced(struct sl_audit *a)
{
	bool ret;

	if (!a)
		return false;
	pthread_mutex_lock(&a->lock);
	ret = a->unsynced;
	pthread_mutex_unlock(&a->lock);
	return ret;
}

bool sl_audit_take_sync(struct sl_audit *a)
{
	bool ret;

	if (!a)
		return false;
	pthread_mutex_lock(&a->lock);
	ret = a->unsynced;
	a->unsynced = false;
	pthread_mutex_unlock(&a->lock);
	return ret;
}

int sl_audit_fd(const struct sl_audit *a)
{
	return a ? a->fd : -1;
}

int sl_audit_tick(struct sl_audit *a, time_t now)
{
	char last[AUDIT_TIME_LEN];
	struct timespec ts = { .tv_sec = now };
	off_t size;
	int err = 0;

	if (!a)
		return -EINVAL;
	pthread_mutex_lock(&a->lock);
	if (a->fwd)
		audit_fwd_poll(a->fwd);
	if (utc_day(now) <= utc_day(a->last_time))
		goto out;
	err = acquire(a, &size);
	if (err)
		goto out;
	/* Another process may have written today meanwhile. */
	if (utc_day(now) > utc_day(a->last_time)) {
		struct timespec lt = { .tv_sec = a->last_time };
		struct sl_audit_field f = { .key = "last", .str = last };
		struct sl_audit_record r = {
			.event = "boundary",
			.outcome = "ok",
			.fields = &f,
			.nfields = 1,
			.when = ts,
		};

		audit_format_time(&lt, last);
		if (!now)
			r.when.tv_nsec = 1;	/* {0, 0} would mean "now" */
		err = write_locked(a, size, &r);
	}
	release(a, err);
out:
	pthread_mutex_unlock(&a->lock);
	return err;
}

void sl_audit_head(struct sl_audit *a, char hex[SL_AUDIT_HASH_HEX])
{
	pthread_mutex_lock(&a->lock);
	audit_hex(a->head, hex);
	pthread_mutex_unlock(&a->lock);
}
