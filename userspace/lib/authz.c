// SPDX-License-Identifier: MIT
#include "authz.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool sl_domain_valid(const char *d)
{
	size_t n, label = 0, i;

	if (!d)
		return false;
	n = strnlen(d, SL_DOMAIN_MAX + 1);
	if (n > SL_DOMAIN_MAX)
		return false;
	if (strncmp(d, SL_DOMAIN_ROOT, 4) || (d[4] && d[4] != '.'))
		return false;
	for (i = 0; i < n; i++) {
		if (d[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (!label_char(d[i]) || ++label > SL_DOMAIN_LABEL_MAX) {
			return false;
		}
	}
	return label > 0;
}

bool sl_domain_covers(const char *grant_domain, const char *agent_domain)
{
	size_t n;

	if (!sl_domain_valid(grant_domain) || !sl_domain_valid(agent_domain))
		return false;
	n = strlen(grant_domain);
	/* Equal, or a prefix that ends where a label of the agent's ends. */
	return strncmp(grant_domain, agent_domain, n) == 0 &&
	       (agent_domain[n] == '\0' || agent_domain[n] == '.');
}

int sl_domain_parent(const char *d, char *out, size_t outlen)
{
	const char *dot;
	size_t n;

	if (!sl_domain_valid(d))
		return -EINVAL;
	dot = strrchr(d, '.');
	if (!dot)
		return -ENOENT;
	n = (size_t)(dot - d);
	if (n >= outlen)
		return -ENOSPC;
	memcpy(out, d, n);
	out[n] = '\0';
	return 0;
}

/* Time windows. */

static const char *const day_names[7] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat",
};

static void set_why(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Length of the token at s: up to a space, ';' or the end. */
static size_t token_len(const char *s)
{
	size_t n = 0;

	while (s[n] && s[n] != ' ' && s[n] != '\t' && s[n] != ';')
		n++;
	return n;
}

static int parse_day(const char *s, size_t n)
{
	int i;

	if (n != 3)
		return -1;
	for (i = 0; i < 7; i++)
		if (strncasecmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

/* "mon-fri,sun" (n bytes at s) into a tm_wday bit mask. */
static int parse_days(const char *s, size_t n, uint8_t *mask)
{
	const char *end = s + n;

	*mask = 0;
	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *item_end = comma ? comma : end;
		const char *dash = memchr(s, '-', (size_t)(item_end - s));
		int a, b;

		if (dash) {
			a = parse_day(s, (size_t)(dash - s));
			b = parse_day(dash + 1, (size_t)(item_end - dash - 1));
		} else {
			a = b = parse_day(s, (size_t)(item_end - s));
		}
		if (a < 0 || b < 0)
			return -EINVAL;
		/* Ranges go forward through the week and may wrap. */
		for (;;) {
			*mask |= (uint8_t)(1u << a);
			if (a == b)
				break;
			a = (a + 1) % 7;
		}
		if (!comma)
			break;
		s = comma + 1;
		if (s == end)
			return -EINVAL;
	}
	return 0;
}

/* "HH:MM" exactly; 24:00 only when allow_24 (as an end). */
static int parse_hhmm(const char *s, bool allow_24, uint16_t *min)
{
	unsigned int h, m;

	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return -EINVAL;
	h = (unsigned int)(s[0] - '0') * 10 + (unsigned int)(s[1] - '0');
	m = (unsigned int)(s[3] - '0') * 10 + (unsigned int)(s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && (m || !allow_24)))
		return -EINVAL;
	*min = (uint16_t)(h * 60 + m);
	return 0;
}

/* "HH:MM-HH:MM" (n bytes at s). */
static int parse_range(const char *s, size_t n, struct sl_timewin_rule *r)
{
	if (n != 11 || s[5] != '-')
		return -EINVAL;
	if (parse_hhmm(s, false, &r->start) || parse_hhmm(s + 6, true, &r->end))
		return -EINVAL;
	if (r->start == r->end)
		return -EINVAL;
	return 0;
}

int sl_timewin_parse(const char *spec, struct sl_timewin *w, char *why,
		     size_t whylen)
{
	const char *s;
	size_t n;

	memset(w, 0, sizeof(*w));
	if (!spec) {
		set_why(why, whylen, "no time window");
		return -EINVAL;
	}
	s = skip_space(spec);
	n = token_len(s);
	if (n == 6 && strncasecmp(s, "always", 6) == 0 &&
	    *skip_space(s + n) == '\0') {
		w->always = true;
		return 0;
	}
	for (;;) {
		struct sl_timewin_rule *r;

		s = skip_space(s);
		n = token_len(s);
		if (n == 0) {
			set_why(why, whylen, "missing window at \"%s\"", s);
			return -EINVAL;
		}
		if (w->n == SL_TIMEWIN_MAX) {
			set_why(why, whylen, "more than %d windows",
				SL_TIMEWIN_MAX);
			return -E2BIG;
		}
		r = &w->r[w->n];
		if (parse_days(s, n, &r->days)) {
			set_why(why, whylen, "bad days \"%.*s\"", (int)n, s);
			return -EINVAL;
		}
		s = skip_space(s + n);
		n = token_len(s);
		if (parse_range(s, n, r)) {
			set_why(why, whylen, "bad hours \"%.*s\" (HH:MM-HH:MM)",
				(int)n, s);
			return -EINVAL;
		}
		w->n++;
		s = skip_space(s + n);
		if (*s == '\0')
			return 0;
		if (*s != ';') {
			set_why(why, whylen, "unexpected \"%.*s\"",
				(int)token_len(s), s);
			return -EINVAL;
		}
		s++;
	}
}

static bool rule_allows(const struct sl_timewin_rule *r, int wday,
			unsigned int min)
{
	int yday = (wday + 6) % 7;

	if (r->start < r->end)
		return (r->days & (1u << wday)) && min >= r->start &&
		       min < r->end;
	/* Crosses midnight: the evening of a listed day, or the morning
	 * after one. */
	return ((r->days & (1u << wday)) && min >= r->start) ||
	       ((r->days & (1u << yday)) && min < r->end);
}

bool sl_timewin_allows(const struct sl_timewin *w, time_t t)
{
	struct tm tm;
	unsigned int i, min;

	if (w->always)
		return true;
	if (!localtime_r(&t, &tm))
		return false;
	min = (unsigned int)(tm.tm_hour * 60 + tm.tm_min);
	for (i = 0; i < w->n && i < SL_TIMEWIN_MAX; i++)
		if (rule_allows(&w->r[i], tm.tm_wday, min))
			return true;
	return false;
}

/* Appends to buf, keeping what fits; *o never passes len - 1. */
static void appendf(char *buf, size_t len, size_t *o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void appendf(char *buf, size_t len, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *o, len - *o, fmt, ap);
	va_end(ap);
	if (n > 0)
		*o += (size_t)n < len - *o ? (size_t)n : len - *o - 1;
}

/* Days as runs from Monday on: "mon-fri", "sat,sun", "mon,wed". */
static void format_days(uint8_t days, char *buf, size_t len, size_t *o)
{
	static const int order[7] = { 1, 2, 3, 4, 5, 6, 0 };
	bool first = true;
	int i = 0, j, k;

	while (i < 7) {
		if (!(days & (1u << order[i]))) {
			i++;
			continue;
		}
		for (j = i; j + 1 < 7 && (days & (1u << order[j + 1])); j++)
			;
		if (j - i >= 2) {
			appendf(buf, len, o, "%s%s-%s", first ? "" : ",",
				day_names[order[i]], day_names[order[j]]);
			first = false;
		} else {
			for (k = i; k <= j; k++) {
				appendf(buf, len, o, "%s%s", first ? "" : ",",
					day_names[order[k]]);
				first = false;
			}
		}
		i = j + 1;
	}
}

void sl_timewin_format(const struct sl_timewin *w, char *buf, size_t len)
{
	size_t o = 0;
	unsigned int i;

	if (!len)
		return;
	buf[0] = '\0';
	if (w->always) {
		appendf(buf, len, &o, "always");
		return;
	}
	for (i = 0; i < w->n && i < SL_TIMEWIN_MAX; i++) {
		const struct sl_timewin_rule *r = &w->r[i];

		if (i)
			appendf(buf, len, &o, "; ");
		format_days(r->days, buf, len, &o);
		appendf(buf, len, &o, " %02u:%02u-%02u:%02u", r->start / 60,
			r->start % 60, r->end / 60, r->end % 60);
	}
}
