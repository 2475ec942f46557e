// SPDX-License-Identifier: MIT
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sl_http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

static const char *find_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 3 < len; i++)
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' &&
		    buf[i + 3] == '\n')
			return buf + i + 4;
	return NULL;
}

/* Visible ASCII without spaces: what a request target may hold. */
static int target_char(char c)
{
	return c > 0x20 && c < 0x7f;
}

int sl_http_parse(const char *buf, size_t len, struct sl_http_req *req)
{
	const char *end, *p, *sp1, *sp2, *eol, *q;
	size_t n;

	memset(req, 0, sizeof(*req));
	if (len > SL_HTTP_REQ_MAX)
		len = SL_HTTP_REQ_MAX;
	end = find_end(buf, len);
	if (!end) {
		if (memchr(buf, '\0', len))
			return -400;
		return len >= SL_HTTP_REQ_MAX ? -431 : 0;
	}
	eol = memchr(buf, '\r', (size_t)(end - buf));
	if (!eol || eol[1] != '\n')
		return -400;
	sp1 = memchr(buf, ' ', (size_t)(eol - buf));
	if (!sp1 || sp1 == buf)
		return -400;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1)
		return -400;
	for (p = buf; p < sp1; p++)
		if (*p < 'A' || *p > 'Z')
			return -400;
	n = (size_t)(sp1 - buf);
	if (n == 3 && !memcmp(buf, "GET", 3))
		req->method = SL_HTTP_GET;
	else if (n == 4 && !memcmp(buf, "HEAD", 4))
		req->method = SL_HTTP_HEAD;
	if ((size_t)(eol - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7))
		return -505;
	if (sp2[8] != '0' && sp2[8] != '1')
		return -505;
	for (p = sp1 + 1; p < sp2; p++)
		if (!target_char(*p))
			return -400;
	q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
	n = (size_t)((q ? q : sp2) - (sp1 + 1));
	if (n >= SL_HTTP_PATH_MAX)
		return -414;
	if (sp1[1] != '/')
		return -400;
	memcpy(req->path, sp1 + 1, n);
	req->path[n] = '\0';
	/* Header lines: "Name: value", no NULs, no bare LF. */
	for (p = eol + 2; p < end - 2;) {
		const char *le = memchr(p, '\r', (size_t)(end - p));

		if (!le || le[1] != '\n' || !memchr(p, ':', (size_t)(le - p)) || *p == ':')
			return -400;
		for (q = p; q < le; q++)
			if (*q == '\0' || *q == '\n')
				return -400;
		p = le + 2;
	}
	return (int)(end - buf);
}

char *sl_http_answer(int status, const char *ctype, const char *body,
		     size_t len, bool head, size_t *out_len)
{
	char hdr[512], *out;
	int n;

	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n%s\r\n",
		     status, sl_http_reason(status), ctype, len,
		     status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return NULL;
	out = malloc((size_t)n + (head ? 0 : len) + 1);
	if (!out)
		return NULL;
	memcpy(out, hdr, (size_t)n);
	if (!head && len)
		memcpy(out + n, body, len);
	*out_len = (size_t)n + (head ? 0 : len);
	return out;
}
