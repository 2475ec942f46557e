/* SPDX-License-Identifier: MIT */
/*
 * A strict, bounded parser for the HTTP/1.x requests of a metrics scraper:
 * request line and headers only (no body), as Prometheus sends them.
 */
#ifndef SL_HTTP_H
#define SL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct sockaddr;

#define SL_HTTP_REQ_MAX 8192
#define SL_HTTP_PATH_MAX 256

enum sl_http_method {
	SL_HTTP_OTHER = 0,
	SL_HTTP_GET = 1,
	SL_HTTP_HEAD = 2,
};

struct sl_http_req {
	enum sl_http_method method;
	char path[SL_HTTP_PATH_MAX];	/* without the query string */
};

/*
 * Parses the first len bytes received.  Returns the request's length once
 * the blank line that ends the headers is there, 0 when more bytes are
 * needed, or a negative HTTP status to answer with: -400 malformed, -414
 * target too long, -431 headers too large, -505 not HTTP/1.x.
 */
int sl_http_parse(const char *buf, size_t len, struct sl_http_req *req);

/* Reason phrase of a status code ("Not Found"). */
const char *sl_http_reason(int status);

/*
 * A whole answer, header and body, in one malloc'd buffer (the caller
 * frees it), ready to send before the connection is closed: status line,
 * Content-Type, Content-Length, Connection: close, and Allow for a 405.
 * With head the body is left out (the length still says its size).
 * NULL when out of memory.
 */
char *sl_http_answer(int status, const char *ctype, const char *body,
		     size_t len, bool head, size_t *out_len);

/* An address prefix of a metrics allow-list ("10.0.0.0/8", "::1"). */
struct sl_http_prefix {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned int bits;
};

#define SL_HTTP_ALLOW_MAX 32

/*
 * Parses a list of addresses and prefixes separated by commas or blanks,
 * appending to list[*n] (at most SL_HTTP_ALLOW_MAX in all).  0, or -EINVAL
 * with the reason, quoting the bad entry, in why.
 */
int sl_http_allow_parse(const char *value, struct sl_http_prefix *list,
			unsigned int *n, char *why, size_t whylen);
/* Whether sa (IPv4, IPv6, IPv4-mapped IPv6) falls in one of list[n]. */
bool sl_http_allow_match(const struct sl_http_prefix *list, unsigned int n,
			 const struct sockaddr *sa);

#endif
