// SPDX-License-Identifier: MIT
/*
 * JSON for the audit log: the escaping writer and the strict line parser
 * the verifier runs on untrusted file bytes (fuzzed by
 * tests/fuzz/fuzz_audit.c).  The parser allocates nothing, bounds its
 * recursion and accepts only valid UTF-8, so a record means one thing to
 * every reader of the log.
 */
#include "audit_int.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define JSON_DEPTH_MAX 16

void abuf_put(struct abuf *b, const char *s, size_t n)
{
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void abuf_puts(struct abuf *b, const char *s)
{
	abuf_put(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	/* No overlong forms, no surrogates, nothing above U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

void abuf_json_str(struct abuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t n, k;

	if (!s) {
		abuf_puts(b, "null");
		return;
	}
	n = strlen(s);
	abuf_put(b, "\"", 1);
	while (n) {
		unsigned char c = *p;
		char esc[7];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			abuf_put(b, esc, 2);
			k = 1;
		} else if (c < 0x20 || c == 0x7f) {
			const char *short_esc = c == '\n' ? "\\n" :
						c == '\r' ? "\\r" :
						c == '\t' ? "\\t" : NULL;

			if (short_esc) {
				abuf_puts(b, short_esc);
			} else {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				abuf_put(b, esc, 6);
			}
			k = 1;
		} else {
			k = utf8_len(p, n);
			if (k) {
				abuf_put(b, (const char *)p, k);
			} else {
				abuf_puts(b, "\\ufffd");
				k = 1;
			}
		}
		p += k;
		n -= k;
	}
	abuf_put(b, "\"", 1);
}

void audit_format_time(const struct timespec *ts, char out[AUDIT_TIME_LEN])
{
	char base[32] = "";
	struct tm tm;
	time_t t = ts->tv_sec;

	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, AUDIT_TIME_LEN, "%.19s.%03uZ", base,
		 (unsigned int)(ts->tv_nsec / 1000000) % 1000u);
}

bool audit_name_valid(const char *s)
{
	size_t n;

	if (!s)
		return false;
	for (n = 0; s[n]; n++) {
		char c = s[n];

		if (n >= 64)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return n > 0;
}

void audit_hash(const void *p, size_t n, uint8_t out[AUDIT_HASH_LEN])
{
	unsigned int len = AUDIT_HASH_LEN;

	EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

void audit_hex(const uint8_t h[AUDIT_HASH_LEN], char hex[SL_AUDIT_HASH_HEX])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < AUDIT_HASH_LEN; i++) {
		hex[2 * i] = digits[h[i] >> 4];
		hex[2 * i + 1] = digits[h[i] & 15];
	}
	hex[2 * AUDIT_HASH_LEN] = '\0';
}

void audit_genesis(uint8_t out[AUDIT_HASH_LEN])
{
	audit_hash(SL_AUDIT_GENESIS, strlen(SL_AUDIT_GENESIS), out);
}

/* The parser. */

struct jp {
	const unsigned char *s;
	size_t n;
	size_t i;
	const char *err;
};

static int jp_fail(struct jp *p, const char *err)
{
	if (!p->err)
		p->err = err;
	return -EINVAL;
}

static void jp_ws(struct jp *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
			       p->s[p->i] == '\r' || p->s[p->i] == '\n'))
		p->i++;
}

static int jp_hex4(struct jp *p, unsigned int *v)
{
	unsigned int i, x = 0;

	if (p->n - p->i < 4)
		return jp_fail(p, "short \\u escape");
	for (i = 0; i < 4; i++) {
		unsigned char c = p->s[p->i++];

		x <<= 4;
		if (c >= '0' && c <= '9')
			x |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x |= (unsigned int)(c - 'A' + 10);
		else
			return jp_fail(p, "bad \\u escape");
	}
	*v = x;
	return 0;
}

/* Appends code point cp as UTF-8 to out (cap bytes), noting overflow. */
static void put_utf8(char *out, size_t cap, size_t *len, unsigned int cp,
		     bool *full)
{
	char u[4];
	size_t k;

	if (cp < 0x80) {
		u[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	if (!out || *len + k >= cap) {
		*full = true;
		return;
	}
	memcpy(out + *len, u, k);
	*len += k;
}

/*
 * A string at p->i (on its opening quote).  When out is given, its
 * decoded value is stored there NUL-terminated, and *full tells that it
 * did not fit.
 */
static int jp_string(struct jp *p, char *out, size_t cap, bool *full)
{
	size_t len = 0;

	*full = false;
	if (out && cap)
		out[0] = '\0';
	p->i++;
	for (;;) {
		unsigned char c;
		unsigned int cp;
		size_t k;

		if (p->i >= p->n)
			return jp_fail(p, "unterminated string");
		c = p->s[p->i];
		if (c == '"') {
			p->i++;
			break;
		}
		if (c < 0x20)
			return jp_fail(p, "control character in string");
		if (c != '\\') {
			k = utf8_len(p->s + p->i, p->n - p->i);
			if (!k)
				return jp_fail(p, "invalid UTF-8");
			if (out && len + k < cap) {
				memcpy(out + len, p->s + p->i, k);
				len += k;
			} else {
				*full = true;
			}
			p->i += k;
			continue;
		}
		if (++p->i >= p->n)
			return jp_fail(p, "unterminated string");
		c = p->s[p->i++];
		switch (c) {
		case '"': cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/': cp = '/'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (jp_hex4(p, &cp))
				return -EINVAL;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return jp_fail(p, "lone low surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				unsigned int lo;

				if (p->n - p->i < 2 || p->s[p->i] != '\\' ||
				    p->s[p->i + 1] != 'u')
					return jp_fail(p,
						       "lone high surrogate");
				p->i += 2;
				if (jp_hex4(p, &lo))
					return -EINVAL;
				if (lo < 0xdc00 || lo > 0xdfff)
					return jp_fail(p, "bad surrogate pair");
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
			}
			if (cp == 0)
				return jp_fail(p, "NUL in string");
			break;
		default:
			return jp_fail(p, "bad escape");
		}
		put_utf8(out, cap, &len, cp, full);
	}
	if (out && cap)
		out[len < cap ? len : cap - 1] = '\0';
	return 0;
}

static int jp_digits(struct jp *p)
{
	size_t start = p->i;

	while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
		p->i++;
	return p->i > start ? 0 : jp_fail(p, "bad number");
}

static int jp_number(struct jp *p)
{
	if (p->s[p->i] == '-')
		p->i++;
	if (p->i < p->n && p->s[p->i] == '0')
		p->i++;
	else if (jp_digits(p))
		return -EINVAL;
	if (p->i < p->n && p->s[p->i] == '.') {
		p->i++;
		if (jp_digits(p))
			return -EINVAL;
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (jp_digits(p))
			return -EINVAL;
	}
	return 0;
}

static int jp_literal(struct jp *p, const char *lit)
{
	size_t n = strlen(lit);

	if (p->n - p->i < n || memcmp(p->s + p->i, lit, n))
		return jp_fail(p, "bad literal");
	p->i += n;
	return 0;
}

static int jp_value(struct jp *p, int depth);

/* An object or array at p->i; close is '}' or ']'. */
static int jp_container(struct jp *p, int depth, bool object)
{
	char close = object ? '}' : ']';
	bool full;

	if (depth >= JSON_DEPTH_MAX)
		return jp_fail(p, "nested too deep");
	p->i++;
	jp_ws(p);
	if (p->i < p->n && p->s[p->i] == close) {
		p->i++;
		return 0;
	}
	for (;;) {
		if (object) {
			jp_ws(p);
			if (p->i >= p->n || p->s[p->i] != '"')
				return jp_fail(p, "expected a key");
			if (jp_string(p, NULL, 0, &full))
				return -EINVAL;
			jp_ws(p);
			if (p->i >= p->n || p->s[p->i] != ':')
				return jp_fail(p, "expected ':'");
			p->i++;
		}
		if (jp_value(p, depth + 1))
			return -EINVAL;
		jp_ws(p);
		if (p->i >= p->n)
			return jp_fail(p, "unterminated object or array");
		if (p->s[p->i] == close) {
			p->i++;
			return 0;
		}
		if (p->s[p->i] != ',')
			return jp_fail(p, "expected ',' or end");
		p->i++;
	}
}

static int jp_value(struct jp *p, int depth)
{
	bool full;

	jp_ws(p);
	if (p->i >= p->n)
		return jp_fail(p, "missing value");
	switch (p->s[p->i]) {
	case '{':
		return jp_container(p, depth, true);
	case '[':
		return jp_container(p, depth, false);
	case '"':
		return jp_string(p, NULL, 0, &full);
	case 't':
		return jp_literal(p, "true");
	case 'f':
		return jp_literal(p, "false");
	case 'n':
		return jp_literal(p, "null");
	default:
		if (p->s[p->i] == '-' ||
		    (p->s[p->i] >= '0' && p->s[p->i] <= '9'))
			return jp_number(p);
		return jp_fail(p, "unexpected character");
	}
}

/* The record's keys, in the order the writer puts them. */
enum {
	K_TIME, K_EVENT, K_ACTOR, K_OBJECT, K_DOMAIN, K_SOURCE, K_OUTCOME,
	K_DETAILS, K_PREV, K_COUNT,
};

static const char *const key_names[K_COUNT] = {
	"time", "event", "actor", "object", "domain", "source", "outcome",
	"details", "prev",
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

static int num2(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" exactly, into seconds since the epoch. */
static int parse_time(const char *s, time_t *out)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	struct tm tm = { 0 };
	int i;

	if (strlen(s) != sizeof(shape) - 1)
		return -EINVAL;
	for (i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') :
				      s[i] != shape[i])
			return -EINVAL;
	tm.tm_year = num2(s) * 100 + num2(s + 2) - 1900;
	tm.tm_mon = num2(s + 5) - 1;
	tm.tm_mday = num2(s + 8);
	tm.tm_hour = num2(s + 11);
	tm.tm_min = num2(s + 14);
	tm.tm_sec = num2(s + 17);
	if (tm.tm_year < 70 || tm.tm_mon > 11 || tm.tm_mon < 0 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return -EINVAL;
	*out = timegm(&tm);
	return 0;
}

static bool hex64(const char *s)
{
	int i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\0';
}

/* The value of key k at p->i, checked for its type. */
static int record_value(struct jp *p, int k, char prev_hex[SL_AUDIT_HASH_HEX],
			time_t *t, char *why, size_t whylen)
{
	char buf[80];
	bool full;
	unsigned char c;

	jp_ws(p);
	c = p->i < p->n ? p->s[p->i] : 0;
	switch (k) {
	case K_TIME:
	case K_EVENT:
	case K_PREV:
		if (c != '"')
			break;
		if (jp_string(p, buf, sizeof(buf), &full))
			return -EINVAL;
		if (k == K_TIME && (full || parse_time(buf, t))) {
			set_why(why, whylen, "bad \"time\" (want "
				"YYYY-MM-DDTHH:MM:SS.mmmZ)");
			return -EINVAL;
		}
		if (k == K_EVENT && (full || !audit_name_valid(buf))) {
			set_why(why, whylen, "bad \"event\" name");
			return -EINVAL;
		}
		if (k == K_PREV) {
			if (full || !hex64(buf)) {
				set_why(why, whylen, "bad \"prev\" (want 64 "
					"lower-case hex digits)");
				return -EINVAL;
			}
			memcpy(prev_hex, buf, SL_AUDIT_HASH_HEX);
		}
		return 0;
	case K_DETAILS:
		if (c != '{' && c != '"')
			break;
		return jp_value(p, 1);
	default:
		if (c == 'n')
			return jp_literal(p, "null");
		if (c != '"')
			break;
		return jp_string(p, NULL, 0, &full);
	}
	set_why(why, whylen, "\"%s\" has the wrong type", key_names[k]);
	return -EINVAL;
}

int sl_audit_parse_line(const char *line, size_t len,
			char prev_hex[SL_AUDIT_HASH_HEX], time_t *time_out,
			char *why, size_t whylen)
{
	struct jp p = { .s = (const unsigned char *)line, .n = len };
	char key[16], prev[SL_AUDIT_HASH_HEX] = "";
	unsigned int seen = 0;
	time_t t = 0;
	bool full;
	int k;

	if (why && whylen)
		why[0] = '\0';
	jp_ws(&p);
	if (p.i >= p.n || p.s[p.i] != '{') {
		set_why(why, whylen, "not a JSON object");
		return -EINVAL;
	}
	p.i++;
	jp_ws(&p);
	if (p.i < p.n && p.s[p.i] == '}') {
		p.i++;		/* {}: reported as a missing key below */
		goto closed;
	}
	for (;;) {
		jp_ws(&p);
		if (p.i >= p.n || p.s[p.i] != '"') {
			jp_fail(&p, "expected a key");
			goto bad_json;
		}
		if (jp_string(&p, key, sizeof(key), &full))
			goto bad_json;
		for (k = 0; k < K_COUNT; k++)
			if (!full && strcmp(key, key_names[k]) == 0)
				break;
		if (k == K_COUNT) {
			set_why(why, whylen, "unknown key \"%.15s\"", key);
			return -EINVAL;
		}
		if (seen & (1u << k)) {
			set_why(why, whylen, "duplicate key \"%s\"", key);
			return -EINVAL;
		}
		seen |= 1u << k;
		jp_ws(&p);
		if (p.i >= p.n || p.s[p.i] != ':') {
			jp_fail(&p, "expected ':'");
			goto bad_json;
		}
		p.i++;
		if (record_value(&p, k, prev, &t, why, whylen)) {
			if (p.err)
				goto bad_json;
			return -EINVAL;
		}
		jp_ws(&p);
		if (p.i < p.n && p.s[p.i] == ',') {
			p.i++;
			continue;
		}
		if (p.i < p.n && p.s[p.i] == '}') {
			p.i++;
			break;
		}
		jp_fail(&p, "expected ',' or '}'");
		goto bad_json;
	}
closed:
	jp_ws(&p);
	if (p.i != p.n) {
		set_why(why, whylen, "data after the record at byte %zu",
			p.i + 1);
		return -EINVAL;
	}
	for (k = 0; k < K_COUNT; k++) {
		if (!(seen & (1u << k))) {
			set_why(why, whylen, "missing key \"%s\"",
				key_names[k]);
			return -EINVAL;
		}
	}
	if (prev_hex)
		memcpy(prev_hex, prev, SL_AUDIT_HASH_HEX);
	if (time_out)
		*time_out = t;
	return 0;

bad_json:
	set_why(why, whylen, "bad JSON at byte %zu: %s",
		(p.i < p.n ? p.i : p.n) + 1, p.err ? p.err : "syntax error");
	return -EINVAL;
}
