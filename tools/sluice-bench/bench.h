/* SPDX-License-Identifier: MIT */
/*
 * sluice-bench: options shared by every subcommand, the bench device's
 * little protocol, and the entry point of each subcommand.
 *
 * A "target" is whatever the load generator talks to in order to reach the
 * bench device:
 *   TARGET_SLUICE  a sluice-relay: a user's CLIENT_HELLO (certificate and
 *                  password) on a control connection, OPEN device:port,
 *                  then a data leg with ATTACH (the relay's agent,
 *                  sluice-agent or the bench device as a simulated agent,
 *                  provides the device); handshake and idle connect
 *                  enrolled simulated agents instead (auth.c);
 *   TARGET_TLS     a TLS port that leads to the device: HAProxy in front of
 *                  the TLS device, or the TLS device itself ("direct").
 */
#ifndef BENCH_H
#define BENCH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/types.h>

#include "../../include/uapi/sluice.h"
#include "peer.h"		/* userspace/lib: relay address, heartbeats */
#include "tls.h"		/* userspace/lib: SL_FP_STRLEN */
#include "wire.h"

enum bench_kind {
	TARGET_NONE = 0,
	TARGET_SLUICE = 1,
	TARGET_TLS = 2,
};

#define BENCH_LISTEN_MAX 16

struct bench_opts {
	enum bench_kind kind;
	char host[256];			/* relay, HAProxy or TLS device */
	uint16_t port;
	char fingerprint[SL_FP_STRLEN];	/* expected server SPKI pin, "" none */
	char user[SLUICE_NAME_MAX + 1];		/* sluice: CLIENT_HELLO name */
	char user_cert[1200];		/* sluice: the user's PKCS#12, "" cached */
	char password_file[1200];	/* sluice: its password, with user_cert */
	char password[SLUICE_PASSWORD_MAX + 1];	/* read by bench_user_ready */
	char state[1024];		/* sluice: identity cache directory */
	char relay_conf[1024];		/* sluice: operator access, "" none */
	char domain[SLUICE_DOMAIN_MAX + 1];	/* sluice: of tokens and grants */
	char agent[SLUICE_NAME_MAX + 1];	/* sluice: OPEN's AGENT, "" any */
	char device[SLUICE_NAME_MAX + 1];	/* sluice: OPEN's DEVICE */
	uint16_t device_port;			/* sluice: OPEN's PORT */

	struct in_addr source;		/* first local source address */
	unsigned int nsources;		/* consecutive source addresses */
	pid_t pid;			/* server process to sample, 0 none */
	int timeout_ms;			/* bound of every network wait */

	uint64_t bytes;			/* bulk: per session */
	unsigned int sessions;		/* bulk: concurrent sessions */
	double seconds;			/* handshake: measuring window */
	unsigned int concurrency;	/* handshake, idle: connections in flight */
	unsigned int count;		/* setup, pingpong: samples */
	unsigned int size;		/* pingpong: request and response bytes */
	unsigned int agents;		/* idle: connections to hold */
	char prefix[32];		/* idle: agent name prefix */
	unsigned int hold_s;		/* idle: seconds to keep them, heartbeating */

	const char *const *words;	/* operator: the command's words */

	/* device */
	char listen[BENCH_LISTEN_MAX][300];
	unsigned int nlisten;
	char cert[1024];
	char key[1024];
};

/*
 * The bench device's protocol, the same over plain TCP and TLS.  On a new
 * connection the device sends one greeting byte (so a client sees "the
 * first device byte" without sending anything), then reads commands of
 * BENCH_CMD_LEN bytes: an op byte and a native-endian u64 argument.
 *   'U' N  upload: the device reads N bytes, then answers N as a u64
 *   'D' N  download: the device sends N bytes
 *   'E' -  echo everything until EOF
 * EOF from the client ends the connection (the device closes too).
 */
#define BENCH_GREETING 'S'
#define BENCH_CMD_LEN 9
#define BENCH_OP_UPLOAD 'U'
#define BENCH_OP_DOWNLOAD 'D'
#define BENCH_OP_ECHO 'E'

/* Subcommands (one file each); each returns an exit status. */
int device_main(const struct bench_opts *o);
int probe_main(const struct bench_opts *o);
int bulk_main(const struct bench_opts *o);
int handshake_main(const struct bench_opts *o);
int setup_main(const struct bench_opts *o);
int pingpong_main(const struct bench_opts *o);
int idle_main(const struct bench_opts *o);
int operator_main(const struct bench_opts *o);

struct bench_usage;

/*
 * operator.c: every operator action of the bench, in one place: runs
 * "sluice-relay -f o->relay_conf WORDS..." (words NULL-terminated) and
 * returns 0 with its stdout in *out (malloc'd, NUL-terminated; out may be
 * NULL), or -errno (logged, its stderr passed through).
 */
int bench_operator(const struct bench_opts *o, const char *const *words,
		   char **out);

/*
 * auth.c: how the bench authenticates to the relay, in one place.
 *
 * A simulated agent's identity: its key and certificate (enrolled once
 * with a join token) and the secondary id the relay handed out at its last
 * connect, cached under o->state per relay (see auth.c).
 */
struct bench_ident {
	char name[SLUICE_NAME_MAX + 1];
	EVP_PKEY *key;
	X509 *cert;
	bool has_secret;
	unsigned char secret[SLUICE_SECRET_LEN];
};

/* "PREFIX000042" into out (SLUICE_NAME_MAX + 1 bytes). */
void bench_agent_name(const char *prefix, unsigned int i, char *out);
/*
 * Makes sure the n agents named by names[] are enrolled, with their
 * identity in the cache: enrolls those missing (join tokens from one
 * "token create --count"), resets those whose secondary id is uncertain.
 * Both need o->relay_conf.  0 or -errno (logged).
 */
int bench_agents_ready(const struct bench_opts *o, char (*names)[SLUICE_NAME_MAX + 1],
		       unsigned int n);
/* Loads one cached identity: 0 or -errno (logged).  Free with
 * bench_ident_free (NULL-safe, keeps the name). */
int bench_ident_load(const struct bench_opts *o, const char *name,
		     struct bench_ident *id);
void bench_ident_free(struct bench_ident *id);
/* Remembers the next secondary id from a HELLO_OK.  0 or -errno (logged). */
int bench_ident_secret_save(const struct bench_opts *o, struct bench_ident *id,
			    const unsigned char *secret);
/* The HELLO of name went out but its answer was not read: the relay may
 * have rotated the secret.  Marked, the next bench_agents_ready resets it. */
void bench_ident_unsure(const struct bench_opts *o, const char *name);
/* AGENT_HELLO for id with one device, o->device TCP o->device_port. */
struct nl_msg *bench_agent_hello(const struct bench_opts *o,
				 const struct bench_ident *id);

/*
 * The user the client side logs in as: o->user with o->user_cert and
 * o->password_file, or without them a user the bench made through the
 * operator (cached, with a grant on o->domain).  Reads the password into
 * o->password.  0 or -errno (logged).
 */
int bench_user_ready(struct bench_opts *o);
/* Presents the user's certificate on ctx.  0 or -errno (logged). */
int bench_user_use(const struct bench_opts *o, SSL_CTX *ctx);
/* A whole CLIENT_HELLO (NULL on allocation failure). */
struct nl_msg *bench_client_hello(const struct bench_opts *o);

/* agent.c: a simulated agent (device --sluice) named o->agent. */
struct bench_agent {
	const struct bench_opts *o;
	struct bench_ident id;
	SSL_CTX *ctx;
	SSL_CTX *leg_ctx;		/* data legs: no certificate */
	SSL *ctl;			/* control connection, blocking */
	struct sl_relay_addr relay;	/* where legs are attached */
	struct sl_heartbeat hb;
	char *buf;			/* one message, SLUICE_MSG_MAX */
};

/* Called with each attached leg (non-blocking; the callee owns it). */
typedef void (*bench_leg_fn)(void *arg, SSL *ssl);

/* Enrolls if needed, dials the relay and says HELLO as agent o->agent.
 * 0 or -errno (logged). */
int bench_agent_open(struct bench_agent *a, const struct bench_opts *o);
void bench_agent_close(struct bench_agent *a);
int bench_agent_fd(const struct bench_agent *a);
/* Milliseconds until bench_agent_tick() has work. */
int bench_agent_timeout(const struct bench_agent *a);
/* Sends a due HEARTBEAT; -ETIMEDOUT when the relay went silent. */
int bench_agent_tick(struct bench_agent *a);
/* Reads what the relay sent (the fd is readable) and attaches a leg for
 * each CONNECT.  0, or -errno when the control connection is gone. */
int bench_agent_read(struct bench_agent *a, bench_leg_fn leg, void *arg);

/* proc.c: raises RLIMIT_NOFILE's soft limit to the hard one; returns it. */
unsigned long bench_raise_nofile(void);
/* conn.c: the i-th source address, wrapping over o->nsources. */
struct in_addr bench_source(const struct bench_opts *o, unsigned int i);

/* tls.c: TLS glue.  A client context as the agent and client make it. */
SSL_CTX *bench_client_ctx(void);
/* The device's server context: the relay's settings, this cert and key. */
SSL_CTX *bench_server_ctx(const char *cert, const char *key);
/* Checks the server's SPKI fingerprint against fp, as agents and clients
 * do on every connection.  0 or -EPERM with the reason in why. */
int bench_pin_check(SSL *ssl, const char *fp, char *why, size_t whylen);
/* "TLSv1.3,TLS_AES_256_GCM_SHA384,X25519,EC-256" for a connection. */
void bench_tls_describe(SSL *ssl, char *buf, size_t len);

/* report.c: messages on stderr ("sluice-bench: ..."), results on stdout. */
void bench_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bench_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * One result line: "result,METRIC,VALUE,UNIT,COUNT,SERVER_CPU,CPU0,CPU1",
 * the last three in percent, empty where unknown (usage may be NULL).
 */
void bench_result(const char *metric, double value, const char *unit,
		  unsigned long count, const struct bench_usage *usage);

#endif
