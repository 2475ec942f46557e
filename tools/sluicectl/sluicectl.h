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
	cert_verbs[];
int status_main(struct ctl *c, int argc, char **argv);
int reload_main(struct ctl *c, int argc, char **argv);

/* Prints the relay's ERROR and returns the exit code for it. */
int ctl_error_exit(struct ctl *c, const struct sl_msg_in *m);

#endif
