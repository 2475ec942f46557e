// SPDX-License-Identifier: MIT
/*
 * Identity records (users, domains, grants, tokens, enrolled agents, audit
 * lines) arrive as SLUICE_A_RECORDS nests with the fields their object
 * has.  A command describes its columns once (struct rec_col) and these
 * helpers print a table, key: value lines or JSON from them.
 */
#include <stdio.h>
#include <time.h>

#include "sluicectl.h"

#define COLS_MAX 16

void fmt_time(uint64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, len, "%llu", (unsigned long long)t);
}

static void print_field(const struct rec_col *col, struct nlattr *a)
{
	char t[32];

	if (!a) {
		if (!print_json())
			print_str(col->key, "");	/* "-" in a table */
		return;
	}
	switch (col->kind) {
	case REC_TIME:
		fmt_time(nla_get_u64(a), t, sizeof(t));
		print_u64_text(col->key, nla_get_u64(a), t);
		break;
	case REC_U32:
		print_u64(col->key, nla_get_u32(a));
		break;
	case REC_BOOL:
		print_bool(col->key, nla_get_u8(a) != 0);
		break;
	default:
		print_str(col->key, nla_get_string(a));
	}
}

void print_fields(struct nlattr **tb, const struct rec_col *cols, int n)
{
	int i;

	for (i = 0; i < n; i++)
		print_field(&cols[i], tb[cols[i].attr]);
}

static int print_one(struct nlattr *nest, const struct rec_col *cols, int n)
{
	struct nlattr *tb[SLUICE_REC_A_MAX + 1];

	if (sl_wire_nest(SL_NEST_RECORD, nest, tb))
		return EXIT_PROTO;
	print_obj_begin(NULL);
	print_fields(tb, cols, n);
	print_obj_end();
	return EXIT_OK;
}

static int print_array(const struct nlattr *arr, const struct rec_col *cols, int n)
{
	struct nlattr *pos;
	int rem, ret;

	nla_for_each_nested(pos, arr, rem) {
		ret = print_one(pos, cols, n);
		if (ret)
			return ret;
	}
	return EXIT_OK;
}

int print_records(const struct sl_msg_in *m, const struct rec_col *cols, int n)
{
	return m->tb[SLUICE_A_RECORDS] ? print_array(m->tb[SLUICE_A_RECORDS], cols, n) : EXIT_OK;
}

/* A table header (or a JSON array under key) for these columns. */
static void list_begin(const char *key, const struct rec_col *cols, int n)
{
	struct col heads[COLS_MAX];
	int i;

	for (i = 0; i < n && i < COLS_MAX; i++) {
		heads[i].name = cols[i].head;
		heads[i].width = cols[i].width;
	}
	print_list_begin(key, heads, i);
}

int print_record_list(const char *key, const struct nlattr *arr, const struct rec_col *cols,
		      int n)
{
	int ret;

	list_begin(key, cols, n);
	ret = print_array(arr, cols, n);
	print_list_end();
	return ret;
}

struct rec_view {
	const struct rec_col *cols;
	int n;
};

static int records_part(const struct sl_msg_in *m, void *arg)
{
	const struct rec_view *v = arg;

	return print_records(m, v->cols, v->n);
}

int list_records(struct ctl *c, struct nl_msg *req, const struct rec_col *cols, int n)
{
	struct rec_view v = { cols, n };
	int ret;

	list_begin(NULL, cols, n);
	ret = ctl_call(c, req, records_part, &v);
	print_list_end();
	return ret;
}

int show_record(struct ctl *c, struct nl_msg *req, const struct rec_col *cols, int n)
{
	struct rec_view v = { cols, n };

	return ctl_call(c, req, records_part, &v);
}

struct echo_view {
	int attr;
	const char *key, *done_fmt;
};

static int echo_part(const struct sl_msg_in *m, void *arg)
{
	const struct echo_view *v = arg;
	const char *name = sl_wire_str(m, v->attr);

	if (!name)
		return EXIT_PROTO;
	if (print_json()) {
		print_obj_begin(NULL);
		print_str(v->key, name);
		print_bool("done", true);
		print_obj_end();
	} else {
		printf(v->done_fmt, name);
		putchar('\n');
	}
	return EXIT_OK;
}

int echo_done(struct ctl *c, struct nl_msg *req, int attr, const char *key,
	      const char *done_fmt)
{
	struct echo_view v = { attr, key, done_fmt };

	return ctl_call(c, req, echo_part, &v);
}
