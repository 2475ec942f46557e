/* SPDX-License-Identifier: MIT */
/* sluicectl internals: the relay connection (nl.c), output (print.c) and
 * the subcommand handlers (one file per object). */
#ifndef SLUICECTL_H
#define SLUICECTL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "wire.h"

/* Exit codes (documented in sluicectl(8) and `sluicectl --help`). */
enum ctl_exit {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* the relay refused or could not do it */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_UNREACHABLE = 3,	/* no relay on the port id, or no answer */
	EXIT_DENIED = 4,	/* the relay refused this uid */
	EXIT_IMPOSTOR = 5,	/* the port id's holder is not the relay */
	EXIT_PROTO = 6,		/* malformed or unexpected reply */
};

/* Where the relay is and whose replies to believe. */
struct ctl {
	int fd;
	uint32_t port;		/* relay's control_port_id */
	uid_t relay_uid;	/* owner of its state_dir; root always passes */
	const char *conf;	/* relay.conf it came from */
	int timeout_ms;
	uint32_t seq;
	uint32_t err_code;	/* SLUICE_E_* of the last ERROR reply */
	char audit_log[1024];	/* from relay.conf, for audit verify */
};

/* One reply message; return 0 to go on, or an exit code to stop. */
typedef int (*ctl_reply_fn)(const struct sl_msg_in *m, void *arg);

/* nl.c */
int ctl_target(struct ctl *c, const char *conf, bool explicit_conf);
int ctl_open(struct ctl *c);
void ctl_close(struct ctl *c);
/* A request for cmd (NLM_F_DUMP when dump); NULL on allocation failure. */
struct nl_msg *ctl_request(struct ctl *c, uint8_t cmd, bool dump);
/*
 * Sends req (consumed) and hands every reply message to fn: one for a
 * plain command, each part of a dump.  Returns an exit code; errors are
 * printed to stderr.
 */
int ctl_call(struct ctl *c, struct nl_msg *req, ctl_reply_fn fn, void *arg);

/* print.c: one set of calls prints a table or, with -j, JSON. */
struct col {
	const char *name;	/* header (table) */
	int width;
};
void print_init(bool json);
bool print_json(void);
void print_list_begin(const char *key, const struct col *cols, int ncols);
void print_list_end(void);
void print_obj_begin(const char *key);
void print_obj_end(void);
void print_str(const char *key, const char *v);
void print_u64(const char *key, uint64_t v);
void print_bool(const char *key, bool v);
/* Table only: v in text; JSON gets raw under key. */
void print_u64_text(const char *key, uint64_t raw, const char *text);
void print_done(void);
void fmt_ms(uint64_t ms, char *out, size_t len);
void fmt_bytes(uint64_t n, char *out, size_t len);
/* enum sluice_data_path as sluicectl prints it: "userspace", "ktls". */
const char *data_path_name(uint8_t path);

/* Subcommands: argc/argv start at the verb's arguments; exit code. */
struct ctl_subcmd {
	const char *name;
	const char *args;	/* usage after the verb, "" for none */
	const char *help;
	int (*fn)(struct ctl *c, int argc, char **argv);
};

struct ctl_object {
	const char *name;
	const char *help;
	const struct ctl_subcmd *verbs;	/* NULL-terminated; NULL: no verbs */
	int (*fn)(struct ctl *c, int argc, char **argv);	/* no verbs */
	const char *args;
};

extern const struct ctl_subcmd agent_verbs[], device_verbs[], session_verbs[],
	cert_verbs[], domain_verbs[], token_verbs[], user_verbs[], grant_verbs[],
	audit_verbs[];
int status_main(struct ctl *c, int argc, char **argv);
int reload_main(struct ctl *c, int argc, char **argv);

/* Prints the relay's ERROR and returns the exit code for it. */
int ctl_error_exit(struct ctl *c, const struct sl_msg_in *m);

/* records.c: identity records (SLUICE_A_RECORDS) as rows or key: value. */
enum rec_kind { REC_STR, REC_TIME, REC_U32, REC_BOOL };
struct rec_col {
	int attr;		/* enum sluice_rec_attr */
	const char *key;	/* JSON key */
	const char *head;	/* table header */
	int width;
	enum rec_kind kind;
};
/* The columns' fields of one record split into tb (absent: "-"). */
void print_fields(struct nlattr **tb, const struct rec_col *cols, int n);
/* Prints every record of m's SLUICE_A_RECORDS with these columns. */
int print_records(const struct sl_msg_in *m, const struct rec_col *cols, int n);
/* A nested array of records (a user's certificates) as a list under key. */
int print_record_list(const char *key, const struct nlattr *arr, const struct rec_col *cols,
		      int n);
/*
 * A listing: sends req (a dump) and prints every record as a table row or
 * a JSON array element.
 */
int list_records(struct ctl *c, struct nl_msg *req, const struct rec_col *cols, int n);
/* A change answered with one record: prints it as key: value lines. */
int show_record(struct ctl *c, struct nl_msg *req, const struct rec_col *cols, int n);
/* A change answered with an echo: prints "done" (table) or {"key": v}. */
int echo_done(struct ctl *c, struct nl_msg *req, int attr, const char *key,
	      const char *done_fmt);
void fmt_time(uint64_t t, char *out, size_t len);

/* args.c: verb arguments and secrets. */
struct opt {
	const char *name;	/* "--ttl" */
	const char **value;	/* set when given */
};
/*
 * Splits argv into options (anywhere, each with a value) and positional
 * words; want_min..want_max positional words.  Usage errors are printed
 * with usage, the verb's argument text.  Returns EXIT_OK or EXIT_USAGE.
 */
int take_args(int argc, char **argv, const struct opt *opts, int nopts, char **pos,
	      int want_min, int want_max, const char *verb, const char *usage);
/* A request for cmd with a string attribute; NULL on allocation failure. */
struct nl_msg *req_str(struct ctl *c, uint8_t cmd, int attr, const char *v);
/*
 * Reads a secret: from file when set, else one line of stdin when it is
 * not a terminal, else a prompt without echo (twice when confirm).
 */
int read_secret(const char *file, const char *prompt, bool confirm, char *out,
		size_t len);

#endif
