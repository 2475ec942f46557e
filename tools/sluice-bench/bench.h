/* SPDX-License-Identifier: MIT */
/*
 * sluice-bench: options shared by every subcommand, the bench device's
 * little protocol, and the entry point of each subcommand.
 *
 * A "target" is whatever the load generator talks to in order to reach the
 * bench device:
 *   TARGET_SLUICE  a sluice-relay: CLIENT_HELLO on a control connection,
 *                  OPEN device:port, then a data leg with ATTACH (the
 *                  relay's agent, sluice-agent or the bench device as a
 *                  simulated agent, provides the device);
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
	char token[SLUICE_TOKEN_MAX + 1];	/* sluice: client or agent token */
	char user[SLUICE_NAME_MAX + 1];		/* sluice: CLIENT_HELLO name */
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

struct bench_usage;

/*
 * auth.c: the relay's authentication as the bench uses it (static tokens
 * today), in one place.  Puts the HELLO's credentials into msg: 0 or
 * -NLE_*.  bench_client_hello builds a whole CLIENT_HELLO (NULL on
 * allocation failure).
 */
int bench_auth_put(struct nl_msg *msg, const struct bench_opts *o);
struct nl_msg *bench_client_hello(const struct bench_opts *o);

/*
 * agent.c: a simulated agent (device --sluice).  bench_agent_hello builds
 * an AGENT_HELLO named name with one device, o->device TCP o->device_port.
 */
struct bench_agent {
	const struct bench_opts *o;
	SSL_CTX *ctx;
	SSL *ctl;			/* control connection, blocking */
	struct sl_relay_addr relay;	/* where legs are attached */
	struct sl_heartbeat hb;
	char *buf;			/* one message, SLUICE_MSG_MAX */
};

/* Called with each attached leg (non-blocking; the callee owns it). */
typedef void (*bench_leg_fn)(void *arg, SSL *ssl);

struct nl_msg *bench_agent_hello(const struct bench_opts *o, const char *name);
/* Dials the relay and says HELLO as agent o->agent.  0 or -errno (logged). */
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
