// SPDX-License-Identifier: MIT
/*
 * One print helper for both outputs (iproute2's print_*(PRINT_ANY, ...)):
 * every command calls print_str/print_u64 with a JSON key, and the helper
 * writes either a JSON document or a table.  In a list (print_list_begin
 * with columns) each value is a cell of the row; outside a list it is a
 * "key: value" line.
 */
#include <stdio.h>
#include <string.h>

#include "sluicectl.h"

#define DEPTH_MAX 8

static bool json;
static int depth;
static bool first[DEPTH_MAX];		/* no member written yet at this depth */
static const struct col *cols;		/* table: columns of the current list */
static int ncols, cell;
static int list_depth = -1;		/* depth of the list's rows, -1: none */

void print_init(bool as_json)
{
	json = as_json;
}

bool print_json(void)
{
	return json;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* Comma and key before a JSON member; key NULL inside arrays. */
static void json_member(const char *key)
{
	if (!first[depth])
		putchar(',');
	first[depth] = false;
	if (key) {
		json_string(key);
		putchar(':');
	}
}

/* Opens an object or array: a member of the current one, or the document. */
static void json_open(const char *key, char ch)
{
	if (depth > 0)
		json_member(key);
	putchar(ch);
	if (depth < DEPTH_MAX - 1)
		depth++;
	first[depth] = true;
}

static void json_close(char ch)
{
	putchar(ch);
	if (depth > 0)
		depth--;
}

void print_list_begin(const char *key, const struct col *c, int n)
{
	int i;

	if (json) {
		json_open(key, '[');
		list_depth = depth;
		return;
	}
	cols = c;
	ncols = n;
	list_depth = depth;
	for (i = 0; i < n; i++)
		printf("%-*s%s", i == n - 1 ? 0 : c[i].width, c[i].name, i == n - 1 ? "\n" : " ");
}

void print_list_end(void)
{
	if (json)
		json_close(']');
	list_depth = -1;
	cols = NULL;
}

void print_obj_begin(const char *key)
{
	if (json) {
		json_open(depth == list_depth ? NULL : key, '{');
		return;
	}
	cell = 0;
}

void print_obj_end(void)
{
	if (json) {
		json_close('}');
		return;
	}
	if (cols && cell)
		putchar('\n');
	cell = 0;
}

static void text(const char *key, const char *v)
{
	if (cols) {
		bool last = cell >= ncols - 1;

		printf("%-*s%s", last ? 0 : cols[cell < ncols ? cell : 0].width,
		       v[0] ? v : "-", last ? "" : " ");
		cell++;
		return;
	}
	printf("%-18s %s\n", key, v);
}

void print_str(const char *key, const char *v)
{
	if (json) {
		json_member(key);
		json_string(v);
		return;
	}
	text(key, v);
}

void print_u64(const char *key, uint64_t v)
{
	char buf[24];

	if (json) {
		json_member(key);
		printf("%llu", (unsigned long long)v);
		return;
	}
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	text(key, buf);
}

/* The table shows t, under the key without its unit ("uptime_ms" -> "uptime"). */
void print_u64_text(const char *key, uint64_t raw, const char *t)
{
	char label[64];
	size_t n;

	if (json) {
		print_u64(key, raw);
		return;
	}
	snprintf(label, sizeof(label), "%s", key ? key : "");
	n = strlen(label);
	if (n > 3 && !strcmp(label + n - 3, "_ms"))
		label[n - 3] = '\0';
	text(label, t);
}

void print_bool(const char *key, bool v)
{
	if (json) {
		json_member(key);
		fputs(v ? "true" : "false", stdout);
		return;
	}
	text(key, v ? "yes" : "no");
}

void print_done(void)
{
	if (json)
		putchar('\n');
	fflush(stdout);
}

void fmt_ms(uint64_t ms, char *out, size_t len)
{
	uint64_t s = ms / 1000;

	if (s < 60)
		snprintf(out, len, "%llu.%01llus", (unsigned long long)s,
			 (unsigned long long)(ms % 1000) / 100);
	else if (s < 3600)
		snprintf(out, len, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(out, len, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else
		snprintf(out, len, "%llud%02lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600));
}

void fmt_bytes(uint64_t n, char *out, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	unsigned int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, len, "%llu B", (unsigned long long)n);
	else
		snprintf(out, len, "%.1f %s", v, units[u]);
}

const char *data_path_name(uint8_t path)
{
	switch (path) {
	case SLUICE_PATH_USERSPACE:
		return "userspace";
	case SLUICE_PATH_KTLS:
		return "ktls";
	default:
		return "unknown";
	}
}
