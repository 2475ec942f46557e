// SPDX-License-Identifier: MIT
#include "ports.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sl_name_valid(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];

		if (n >= SLUICE_NAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return n > 0;
}

int sl_ports_add(struct sl_ports *p, uint8_t proto, unsigned int first,
		 unsigned int last)
{
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return -EINVAL;
	if (first < 1 || last > 65535 || first > last)
		return -EINVAL;
	if (p->n >= SLUICE_RANGES_MAX)
		return -E2BIG;
	p->r[p->n].first = (uint16_t)first;
	p->r[p->n].last = (uint16_t)last;
	p->r[p->n].proto = proto;
	p->n++;
	return 0;
}

/* Strict decimal port: digits only, 1..65535. */
static int parse_port(const char *s, size_t len, unsigned int *out)
{
	unsigned int v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_token(const char *tok, size_t len, struct sl_ports *p,
		       char *why, size_t whylen)
{
	uint8_t proto = IPPROTO_TCP;
	const char *dash;
	unsigned int first, last;
	const char *s = tok;
	size_t n = len;
	int ret;

	if (n > 4 && !strncmp(s, "tcp/", 4)) {
		s += 4;
		n -= 4;
	} else if (n > 4 && !strncmp(s, "udp/", 4)) {
		proto = IPPROTO_UDP;
		s += 4;
		n -= 4;
	}
	dash = memchr(s, '-', n);
	if (dash) {
		if (parse_port(s, (size_t)(dash - s), &first) ||
		    parse_port(dash + 1, n - (size_t)(dash - s) - 1, &last))
			goto bad;
		if (first > last) {
			snprintf(why, whylen,
				 "port range '%.*s' runs backwards", (int)len,
				 tok);
			return -EINVAL;
		}
	} else {
		if (parse_port(s, n, &first))
			goto bad;
		last = first;
	}
	ret = sl_ports_add(p, proto, first, last);
	if (ret == -E2BIG) {
		snprintf(why, whylen, "more than %d port ranges",
			 SLUICE_RANGES_MAX);
		return ret;
	}
	return ret;
bad:
	snprintf(why, whylen,
		 "bad port '%.*s': expected a port 1-65535, a range like "
		 "8000-8010, optionally prefixed by tcp/ or udp/",
		 (int)len, tok);
	return -EINVAL;
}

int sl_ports_parse(const char *s, struct sl_ports *p, char *why, size_t whylen)
{
	const char *tok = s;
	int ret;

	for (;;) {
		const char *end = strchr(tok, ',');
		size_t len = end ? (size_t)(end - tok) : strlen(tok);
		const char *t = tok;

		while (len && (*t == ' ' || *t == '\t')) {
			t++;
			len--;
		}
		while (len && (t[len - 1] == ' ' || t[len - 1] == '\t'))
			len--;
		if (len == 0) {
			snprintf(why, whylen, "empty entry in port list '%s'",
				 s);
			return -EINVAL;
		}
		ret = parse_token(t, len, p, why, whylen);
		if (ret)
			return ret;
		if (!end)
			return 0;
		tok = end + 1;
	}
}

bool sl_ports_allows(const struct sl_ports *p, uint8_t proto, uint16_t port)
{
	unsigned int i;

	for (i = 0; i < p->n; i++)
		if (p->r[i].proto == proto && port >= p->r[i].first &&
		    port <= p->r[i].last)
			return true;
	return false;
}

void sl_ports_format(const struct sl_ports *p, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int i;

	if (!len)
		return;
	buf[0] = '\0';
	for (i = 0; i < p->n && off < len; i++) {
		const struct sl_port_range *r = &p->r[i];
		const char *pfx = r->proto == IPPROTO_UDP ? "udp/" : "";
		const char *sep = i ? "," : "";
		int w;

		if (r->first == r->last)
			w = snprintf(buf + off, len - off, "%s%s%u", sep, pfx,
				     r->first);
		else
			w = snprintf(buf + off, len - off, "%s%s%u-%u", sep,
				     pfx, r->first, r->last);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}
