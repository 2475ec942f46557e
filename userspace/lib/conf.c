// SPDX-License-Identifier: MIT
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sl_conf_init(struct sl_conf *c, const char *file, sl_conf_fn fn,
		  void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->file = file;
	c->fn = fn;
	c->ctx = ctx;
}

int sl_conf_error(struct sl_conf *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, sizeof(c->err), "%s:%u: %s", c->file, c->line, msg);
	return -EINVAL;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	*e = '\0';
	return s;
}

static bool key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
}

static int section_line(struct sl_conf *c, char *s)
{
	char *end = strchr(s, ']');
	char *name, *arg;
	size_t n;

	if (!end || end[1] != '\0')
		return sl_conf_error(c, "section header '%s' must be '[name argument]'", s);
	*end = '\0';
	name = trim(s + 1);
	arg = name;
	while (*arg && *arg != ' ' && *arg != '\t')
		arg++;
	n = (size_t)(arg - name);
	if (*arg)
		*arg++ = '\0';
	arg = trim(arg);
	if (n == 0 || n >= sizeof(c->section))
		return sl_conf_error(c, "empty or overlong section name");
	for (size_t i = 0; i < n; i++)
		if (!key_char(name[i]))
			return sl_conf_error(c, "bad section name '%s'", name);
	memcpy(c->section, name, n + 1);
	return c->fn(c, c->section, NULL, arg, c->ctx);
}

int sl_conf_line(struct sl_conf *c, char *line)
{
	char *s, *eq, *key, *value;

	c->line++;
	s = trim(line);
	if (*s == '\0' || *s == '#')
		return 0;
	if (*s == '[')
		return section_line(c, s);
	eq = strchr(s, '=');
	if (!eq)
		return sl_conf_error(c, "expected 'key = value', got '%s'", s);
	*eq = '\0';
	key = trim(s);
	value = trim(eq + 1);
	if (*key == '\0')
		return sl_conf_error(c, "missing key before '='");
	for (char *k = key; *k; k++)
		if (!key_char(*k))
			return sl_conf_error(c, "bad key '%s' (keys are lower case letters, digits, '_')", key);
	if (*value == '\0')
		return sl_conf_error(c, "key '%s' has no value", key);
	return c->fn(c, c->section[0] ? c->section : NULL, key, value, c->ctx);
}

int sl_conf_load(struct sl_conf *c)
{
	char *line = NULL;
	size_t cap = 0, total = 0;
	ssize_t n;
	FILE *f;
	int ret = 0;

	f = fopen(c->file, "re");
	if (!f) {
		int err = errno;

		snprintf(c->err, sizeof(c->err), "%s: cannot open: %s%s",
			 c->file, strerror(err),
			 err == ENOENT ? " (create it, or name another file with -f)" : "");
		return -err;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		total += (size_t)n;
		if (total > SL_CONF_FILE_MAX) {
			ret = sl_conf_error(c, "file larger than %d bytes",
					    SL_CONF_FILE_MAX);
			break;
		}
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > SL_CONF_LINE_MAX || memchr(line, '\0', (size_t)n)) {
			c->line++;
			ret = sl_conf_error(c, n > SL_CONF_LINE_MAX ?
						       "line longer than %d bytes" :
						       "NUL byte in line (limit %d)",
					    SL_CONF_LINE_MAX);
			break;
		}
		ret = sl_conf_line(c, line);
		if (ret)
			break;
	}
	if (!ret && ferror(f)) {
		snprintf(c->err, sizeof(c->err), "%s: read error", c->file);
		ret = -EIO;
	}
	free(line);
	fclose(f);
	return ret;
}

int sl_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > UINT64_MAX / 10 ||
		    (v == UINT64_MAX / 10 &&
		     (uint64_t)(*s - '0') > UINT64_MAX % 10))
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int sl_parse_duration_ms(const char *s, uint64_t *ms)
{
	static const struct {
		const char *sfx;
		uint64_t mult;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		      { "h", 3600000 }, { "", 1000 } };
	char num[24];
	size_t n = 0;
	uint64_t v;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	if (sl_parse_uint(num, 0, UINT32_MAX, &v))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(s + n, units[i].sfx)) {
			*ms = v * units[i].mult;
			return 0;
		}
	}
	return -EINVAL;
}

int sl_parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "on") ||
	    !strcmp(s, "1")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "off") ||
	    !strcmp(s, "0")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

int sl_parse_hostport(const char *s, uint16_t default_port, char *host,
		      size_t hostlen, uint16_t *port)
{
	const char *h = s, *colon, *p = NULL;
	size_t hl;
	uint64_t v;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close == s + 1)
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(close - h);
		if (close[1] == ':')
			p = close + 2;
		else if (close[1] != '\0')
			return -EINVAL;
	} else {
		colon = strrchr(s, ':');
		if (colon && strchr(s, ':') != colon)
			return -EINVAL; /* bare IPv6 needs brackets */
		hl = colon ? (size_t)(colon - s) : strlen(s);
		if (colon)
			p = colon + 1;
	}
	if (hl == 0 || hl >= hostlen)
		return -EINVAL;
	for (size_t i = 0; i < hl; i++)
		if (isspace((unsigned char)h[i]) || h[i] == '/' || h[i] == '[' ||
		    h[i] == ']')
			return -EINVAL;
	if (p) {
		if (sl_parse_uint(p, 1, 65535, &v))
			return -EINVAL;
		*port = (uint16_t)v;
	} else if (default_port) {
		*port = default_port;
	} else {
		return -EINVAL;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	return 0;
}
