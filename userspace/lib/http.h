/* SPDX-License-Identifier: MIT */
/*
 * A strict, bounded parser for the HTTP/1.x requests of a metrics scraper:
 * request line and headers only (no body), as Prometheus sends them.
 */
#ifndef SL_HTTP_H
#define SL_HTTP_H

#include <stdbool.h>
#include <stddef.h>


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

#endif
