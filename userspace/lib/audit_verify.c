// SPDX-License-Identifier: MIT
/*
 * The audit log verifier: reads the file as a stream of lines, checks
 * each line's shape and that its prev is the hash of the line before, and
 * reports every break.  After a break it goes on chained to the broken
 * line's bytes, which is also what the writer's recovery record does, so
 * one damaged line gives one report, not one for every line after it.
 *
 *   sluice-relay audit-verify /var/lib/sluice-relay/audit.log
 */
#include "audit_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct verifier {
	EVP_MD_CTX *md;
	uint8_t prev[AUDIT_HASH_LEN];	/* hash of the line before */
	char *line;			/* the first SL_AUDIT_LINE_MAX bytes */
	size_t len;			/* bytes of the current line so far */
	bool started;
	struct sl_audit_verify_result *res;
	sl_audit_break_fn fn;
	void *arg;
};

static void report(struct verifier *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void report(struct verifier *v, const char *fmt, ...)
{
	char why[sizeof(v->res->why)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (!v->res->breaks++) {
		v->res->line = v->res->lines;
		memcpy(v->res->why, why, sizeof(why));
	}
	if (v->fn)
		v->fn(v->res->lines, why, v->arg);
}

static int start_line(struct verifier *v)
{
	v->len = 0;
	v->started = true;
	return EVP_DigestInit_ex(v->md, EVP_sha256(), NULL) ? 0 : -ENOMEM;
}

/* The current line is complete (complete: it ended with '\n'). */
static void end_line(struct verifier *v, bool complete)
{
	char want[SL_AUDIT_HASH_HEX], prev[SL_AUDIT_HASH_HEX], why[128];
	uint8_t h[AUDIT_HASH_LEN];
	uint64_t n = ++v->res->lines;

	EVP_DigestFinal_ex(v->md, h, NULL);
	v->started = false;
	audit_hex(v->prev, want);
	if (!complete)
		report(v, "truncated: the last line has no newline");
	else if (v->len > SL_AUDIT_LINE_MAX - 1)
		report(v, "line longer than %d bytes", SL_AUDIT_LINE_MAX - 1);
	else if (sl_audit_parse_line(v->line, v->len, prev, NULL, why,
				     sizeof(why)))
		report(v, "not a record: %s", why);
	else if (strcmp(prev, want) && n == 1)
		report(v, "prev is not the genesis hash: lines were removed "
			  "before this one, or it was edited");
	else if (strcmp(prev, want))
		report(v, "prev does not match line %llu: line %llu was "
			  "edited, or lines were removed, added or reordered "
			  "before this one", (unsigned long long)(n - 1),
			  (unsigned long long)(n - 1));
	memcpy(v->prev, h, sizeof(h));
}

static int feed(struct verifier *v, const char *buf, size_t n)
{
	while (n) {
		const char *nl = memchr(buf, '\n', n);
		size_t k = nl ? (size_t)(nl - buf) : n;

		if (!v->started && start_line(v))
			return -ENOMEM;
		EVP_DigestUpdate(v->md, buf, k);
		if (v->len < SL_AUDIT_LINE_MAX) {
			size_t c = SL_AUDIT_LINE_MAX - v->len;

			memcpy(v->line + v->len, buf, k < c ? k : c);
		}
		v->len += k;
		if (nl) {
			end_line(v, true);
			k++;
		}
		buf += k;
		n -= k;
	}
	return 0;
}

static int verifier_init(struct verifier *v, struct sl_audit_verify_result *res,
			 sl_audit_break_fn fn, void *arg)
{
	memset(v, 0, sizeof(*v));
	memset(res, 0, sizeof(*res));
	v->res = res;
	v->fn = fn;
	v->arg = arg;
	audit_genesis(v->prev);
	v->md = EVP_MD_CTX_new();
	v->line = malloc(SL_AUDIT_LINE_MAX);
	if (!v->md || !v->line) {
		EVP_MD_CTX_free(v->md);
		free(v->line);
		return -ENOMEM;
	}
	return 0;
}

static int verifier_finish(struct verifier *v)
{
	if (v->started)
		end_line(v, false);
	audit_hex(v->prev, v->res->head);
	EVP_MD_CTX_free(v->md);
	free(v->line);
	return v->res->breaks ? -EBADMSG : 0;
}

int sl_audit_verify_buf(const char *buf, size_t len,
			struct sl_audit_verify_result *res,
			sl_audit_break_fn fn, void *arg)
{
	struct verifier v;
	int err;

	err = verifier_init(&v, res, fn, arg);
	if (err)
		return err;
	err = feed(&v, buf, len);
	if (err) {
		verifier_finish(&v);
		return err;
	}
	return verifier_finish(&v);
}

int sl_audit_verify(const char *path, struct sl_audit_verify_result *res,
		    sl_audit_break_fn fn, void *arg)
{
	struct verifier v;
	char buf[65536];
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		memset(res, 0, sizeof(*res));
		return -errno;
	}
	err = verifier_init(&v, res, fn, arg);
	if (err)
		goto out_close;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n == -1 ? -errno : 0;
			break;
		}
		err = feed(&v, buf, (size_t)n);
		if (err)
			break;
	}
	if (err)
		verifier_finish(&v);
	else
		err = verifier_finish(&v);
out_close:
	close(fd);
	return err;
}

#define PRINT_MAX 20	/* breaks printed one by one */

struct cli {
	const char *path;
	bool quiet;
	uint64_t printed;
};

static void print_break(uint64_t line, const char *why, void *arg)
{
	struct cli *c = arg;

	if (c->printed++ < PRINT_MAX)
		printf("%s:%llu: %s\n", c->path, (unsigned long long)line, why);
}

int sl_audit_verify_main(int argc, char **argv)
{
	const char *prog = argc > 0 ? argv[0] : "audit-verify";
	struct sl_audit_verify_result res;
	struct cli c = { 0 };
	int i, err;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-q") == 0) {
			c.quiet = true;
		} else if (strcmp(argv[i], "-h") == 0 ||
			   strcmp(argv[i], "--help") == 0) {
			printf("usage: %s [-q] FILE\n"
			       "Checks the hash chain of an audit log. Exit "
			       "status 0: intact, 1: broken, 2: error.\n",
			       prog);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "%s: unknown option \"%s\"\n", prog,
				argv[i]);
			goto usage;
		} else if (c.path) {
			fprintf(stderr, "%s: unexpected argument \"%s\"\n",
				prog, argv[i]);
			goto usage;
		} else {
			c.path = argv[i];
		}
	}
	if (!c.path)
		goto usage;

	err = sl_audit_verify(c.path, &res, c.quiet ? NULL : print_break, &c);
	if (err == 0) {
		if (!c.quiet)
			printf("%s: intact, %llu records, head %s\n", c.path,
			       (unsigned long long)res.lines, res.head);
		return 0;
	}
	if (err == -EBADMSG) {
		if (c.printed > PRINT_MAX)
			printf("%s: ... %llu more\n", c.path,
			       (unsigned long long)(c.printed - PRINT_MAX));
		printf("%s: BROKEN: %llu of %llu lines fail, the first at line "
		       "%llu: %s\n", c.path, (unsigned long long)res.breaks,
		       (unsigned long long)res.lines,
		       (unsigned long long)res.line, res.why);
		return 1;
	}
	fprintf(stderr, "%s: %s: %s\n", prog, c.path, strerror(-err));
	return 2;

usage:
	fprintf(stderr, "usage: %s [-q] FILE\n", prog);
	return 2;
}
