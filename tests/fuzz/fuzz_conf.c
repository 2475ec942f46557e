// SPDX-License-Identifier: MIT
/*
 * libFuzzer target of the configuration parser (userspace/lib/conf.c) and
 * the value parsers the programs apply to what it hands them
 * (sl_ports_parse, sl_parse_duration_ms, sl_parse_hostport, ...).
 *
 * The input is split at '\n' into lines, each fed to sl_conf_line() from a
 * buffer of its exact size.  A broken promise aborts:
 *   - the handler gets a non-empty key and value, a valid section;
 *   - an error message starts with "FILE:LINE: ";
 *   - accepted values are in range, and port lists survive
 *     sl_ports_format() and a second sl_ports_parse() unchanged.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "ports.h"

#define FILE_NAME "fuzz.conf"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static void check_ports(const char *value)
{
	struct sl_ports p, again;
	char why[256], buf[2048];
	unsigned int i;

	memset(&p, 0, sizeof(p));
	why[0] = '\0';
	if (sl_ports_parse(value, &p, why, sizeof(why))) {
		check(why[0] != '\0');
		return;
	}
	check(p.n >= 1 && p.n <= SLUICE_RANGES_MAX);
	for (i = 0; i < p.n; i++) {
		check(p.r[i].first >= 1 && p.r[i].first <= p.r[i].last);
		check(p.r[i].proto == IPPROTO_TCP || p.r[i].proto == IPPROTO_UDP);
		check(sl_ports_allows(&p, p.r[i].proto, p.r[i].first));
		check(sl_ports_allows(&p, p.r[i].proto, p.r[i].last));
	}
	sl_ports_format(&p, buf, sizeof(buf));
	memset(&again, 0, sizeof(again));
	check(sl_ports_parse(buf, &again, why, sizeof(why)) == 0);
	check(again.n == p.n);
	check(!memcmp(again.r, p.r, p.n * sizeof(p.r[0])));
	/* A short buffer is truncated, never overrun. */
	sl_ports_format(&p, buf, 5);
	check(strlen(buf) < 5);
}

static void check_values(const char *value)
{
	char host[256], tiny[4];
	uint16_t port;
	uint64_t v;
	bool b;

	if (sl_parse_duration_ms(value, &v) == 0)
		check(v <= (uint64_t)UINT32_MAX * 3600000);
	if (sl_parse_hostport(value, 11444, host, sizeof(host), &port) == 0) {
		check(host[0] != '\0' && strlen(host) < sizeof(host));
		check(port != 0);
	}
	if (sl_parse_hostport(value, 0, tiny, sizeof(tiny), &port) == 0)
		check(tiny[0] != '\0' && strlen(tiny) < sizeof(tiny) && port);
	if (sl_parse_uint(value, 1, 65535, &v) == 0)
		check(v >= 1 && v <= 65535);
	if (sl_parse_uint(value, 0, UINT64_MAX, &v) == 0)
		check(value[0] >= '0' && value[0] <= '9');
	sl_parse_bool(value, &b);
	if (sl_name_valid(value))
		check(strlen(value) <= SLUICE_NAME_MAX);
	check_ports(value);
}

static int handler(struct sl_conf *c, const char *section, const char *key,
		   const char *value, void *ctx)
{
	unsigned int *calls = ctx;

	(*calls)++;
	check(value != NULL);
	if (!key) {
		/* "[section arg]": the section is recorded for what follows. */
		check(section != NULL && section[0] != '\0');
		check(!strcmp(section, c->section));
		check_values(value);
		return 0;
	}
	check(key[0] != '\0' && value[0] != '\0');
	check(!section || !strcmp(section, c->section));
	check_values(value);
	if (!strcmp(key, "fail"))
		return sl_conf_error(c, "key '%s' refused", key);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_conf c;
	unsigned int calls = 0;
	size_t off = 0;

	sl_conf_init(&c, FILE_NAME, handler, &calls);
	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t len = nl ? (size_t)(nl - (data + off)) : size - off;
		char *line = malloc(len + 1);
		char prefix[64];
		int ret;

		if (!line)
			return 0;
		memcpy(line, data + off, len);
		line[len] = '\0';
		c.err[0] = '\0';
		ret = sl_conf_line(&c, line);
		check(ret <= 0);
		check(memchr(c.section, '\0', sizeof(c.section)) != NULL);
		if (ret) {
			snprintf(prefix, sizeof(prefix), "%s:%u: ", FILE_NAME,
				 c.line);
			check(!strncmp(c.err, prefix, strlen(prefix)));
		}
		free(line);
		off += len + 1;
	}
	return 0;
}
