/* SPDX-License-Identifier: MIT */
/*
 * The configuration file format shared by every sluice program:
 *
 *     # comment (whole lines only)
 *     key = value
 *     [section argument]
 *     key = value
 *
 * One streaming parser (sl_conf_init / sl_conf_line / sl_conf_finish) feeds
 * the program's handler; errors carry the file, the line and the token.
 */
#ifndef SL_CONF_H
#define SL_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_CONF_LINE_MAX 1024
#define SL_CONF_FILE_MAX (1 << 20)

struct sl_conf;

/*
 * Called for every "[section arg]" (key == NULL, value == arg) and every
 * "key = value".  Returns 0, or a negative errno after sl_conf_error().
 */
typedef int (*sl_conf_fn)(struct sl_conf *c, const char *section,
			  const char *key, const char *value, void *ctx);

struct sl_conf {
	const char *file;
	unsigned int line;
	char section[32];
	sl_conf_fn fn;
	void *ctx;
	char err[640];
};

void sl_conf_init(struct sl_conf *c, const char *file, sl_conf_fn fn,
		  void *ctx);
/* line is modified in place.  Returns 0 or a negative errno (see c->err). */
int sl_conf_line(struct sl_conf *c, char *line);
/* Reads a whole file through sl_conf_line.  0 or a negative errno. */
int sl_conf_load(struct sl_conf *c);

/* Records "FILE:LINE: message" in c->err and returns -EINVAL. */
int sl_conf_error(struct sl_conf *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Value parsers: 0 or -EINVAL.  All are strict (no trailing garbage). */
int sl_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* "250ms", "10s", "2m", "1h"; a bare number is seconds. */
int sl_parse_duration_ms(const char *s, uint64_t *ms);
int sl_parse_bool(const char *s, bool *out);
/* "host:port", "[v6addr]:port", or "host" with default_port (0: required). */
int sl_parse_hostport(const char *s, uint16_t default_port, char *host,
		      size_t hostlen, uint16_t *port);

#endif
