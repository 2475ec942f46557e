// SPDX-License-Identifier: MIT
/*
 * sluice-bench: load generator and measurement tool for sluice-relay, and
 * for HAProxy or a direct TLS connection as baselines.  It speaks the
 * sluice protocol itself (ENROLL, AGENT_HELLO, CLIENT_HELLO, OPEN, ATTACH
 * over TLS 1.3, with the codec and TLS settings of libsluice), logs in as
 * the identity model wants (enrolled agents with mutual TLS and a
 * secondary id, a user with certificate and password: auth.c), and it is
 * also the device at the far end of every stream.  Given --relay-conf it
 * makes what it needs on the relay (join tokens, the bench user and its
 * grant) through the operator commands (operator.c); the identities are
 * kept in --state and reused by later runs.  scripts/bench/run.sh (make bench)
 * starts the programs, pins them to CPUs and runs every measurement; see
 * docs/benchmarks.md.
 *
 * Examples (the fingerprint is the server certificate's SPKI SHA-256):
 *
 *   # the device: plain TCP behind sluice-agent, TLS behind HAProxy, or a
 *   # simulated agent of a relay serving the device on its data legs
 *   sluice-bench device --listen 127.0.0.1:0
 *   sluice-bench device --listen 127.0.0.1:9000 --cert bench.crt --key bench.key
 *   ID="--state bench-state --relay-conf /etc/sluice/relay.conf"
 *   sluice-bench device --sluice 127.0.0.1:11444 --fingerprint sha256:... \
 *       $ID --agent bench-agent --device dev --device-port 9000
 *
 *   # through the relay to device "dev" port 9000 of agent bench-agent, as
 *   # user "bench" (made on the relay and cached in bench-state)
 *   T="--sluice 127.0.0.1:11444 --fingerprint sha256:... $ID
 *      --agent bench-agent --device dev --device-port 9000"
 *   # or as an existing user:
 *   #  --user alice --user-cert alice.p12 --password-file alice.pw
 *   sluice-bench probe $T
 *   sluice-bench bulk $T --bytes 256M
 *   sluice-bench bulk $T --bytes 64M --sessions 8
 *   sluice-bench handshake $T --seconds 5 --concurrency 32 \
 *       --source 127.1.0.1 --sources 64
 *   sluice-bench setup $T --count 500
 *   sluice-bench pingpong $T --count 10000 --size 64
 *   sluice-bench idle --sluice 127.0.0.1:11444 --fingerprint sha256:... \
 *       $ID --agents 10000 --pid $(pidof sluice-relay) \
 *       --source 127.2.0.1 --sources 16
 *
 *   # the same against HAProxy, or the TLS device itself
 *   sluice-bench bulk --tls 127.0.0.1:8443 --fingerprint sha256:... --bytes 256M
 *
 * Results go to stdout, one line each:
 *   result,METRIC,VALUE,UNIT,COUNT,SERVER_CPU_PCT,CPU0_PCT,CPU1_PCT
 * and probe prints "tls,CONNECTION,VERSION,CIPHER,GROUP,KEY".  Everything
 * else goes to stderr.  Exit status: 0 ok, 1 a measurement failed, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "conf.h"

struct command {
	const char *name;
	int (*fn)(const struct bench_opts *o);
	bool target;		/* needs --sluice or --tls */
	bool session;		/* sluice: needs --device-port */
	const char *description;
};

static const struct command commands[] = {
	{ "device", device_main, false, false,
	  "run the bench device (plain TCP, TLS with --cert/--key, or behind a relay\n"
	  "             as a simulated agent with --sluice) until SIGTERM" },
	{ "probe", probe_main, true, true,
	  "open one stream; print the TLS version, suite, group and key negotiated" },
	{ "bulk", bulk_main, true, true,
	  "upload --bytes through each of --sessions streams at once: MiB/s" },
	{ "handshake", handshake_main, true, false,
	  "new connections with a full TLS handshake and first exchange (sluice:\n"
	  "             an enrolled agent's mutual TLS and HELLO): conn/s; with --pid,\n"
	  "             sluice: the relay's CPU per login by thread, us" },
	{ "setup", setup_main, true, true,
	  "--count streams one by one: OPEN (or connect) to the first device byte, ms" },
	{ "pingpong", pingpong_main, true, true,
	  "--count round trips of --size bytes on one stream: us" },
	{ "operator", operator_main, false, false,
	  "-- WORDS...: run one operator command on the relay of --relay-conf\n"
	  "             (sluicectl -c CONF WORDS...), as sluice-bench does for its\n"
	  "             join tokens and user" },
	{ "idle", idle_main, true, false,
	  "hold --agents idle connections (sluice: enrolled agents): RSS of --pid\n"
	  "             per connection, bytes" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: sluice-bench COMMAND [options]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].description);
	fprintf(f,
		"\ntarget (every command but device):\n"
		"  --sluice HOST:PORT    a sluice-relay; the stream goes to an agent's device\n"
		"  --tls HOST:PORT       a TLS port leading to the bench device (HAProxy, or the\n"
		"                        device itself)\n"
		"  --fingerprint FP      the server certificate's SPKI SHA-256 (required)\n"
		"  --state DIR           sluice: where the simulated agents' identities (key,\n"
		"                        certificate, secondary id) and the bench user are\n"
		"                        kept, per relay, for later runs\n"
		"  --relay-conf FILE     sluice: the relay's configuration; lets sluice-bench\n"
		"                        make join tokens, the bench user and its grant\n"
		"                        (sluicectl -c FILE token|user|grant|agent ...)\n"
		"  --domain PATH         sluice: domain of the agents and of the user's grant\n"
		"                        (default ROOT)\n"
		"  --user NAME           sluice: the user logging in (default bench)\n"
		"  --user-cert FILE      sluice: that user's PKCS#12 (default: made and cached)\n"
		"  --password-file FILE  sluice: its password (with --user-cert)\n"
		"  --agent NAME          sluice: OPEN names this agent (default: any)\n"
		"  --device NAME         sluice: device name (default dev)\n"
		"  --device-port PORT    sluice: device port to OPEN (idle: the port announced)\n"
		"\nload:\n"
		"  --source ADDR         first local IPv4 source address (default 127.0.0.1)\n"
		"  --sources N           handshake, idle: spread connections over N consecutive\n"
		"                        source addresses (default 1)\n"
		"  --pid PID             server process whose CPU time (and for idle, RSS)\n"
		"                        is reported\n"
		"  --timeout SEC         bound of every network wait (default 10)\n"
		"  --bytes SIZE          bulk: bytes per session, K/M/G suffixes (default 256M)\n"
		"  --sessions N          bulk: concurrent sessions (default 1)\n"
		"  --seconds S           handshake: length of the run (default 5)\n"
		"  --concurrency N       handshake, idle: connections in flight (default 32)\n"
		"  --count N             setup: streams (default 500); pingpong: round trips\n"
		"                        (default 10000)\n"
		"  --size N              pingpong: bytes each way (default 64)\n"
		"  --agents N            idle: connections to hold (default 10000)\n"
		"  --prefix STR          idle: agent name prefix (default idle-)\n"
		"  --hold S              idle, sluice: then keep the agents S seconds more,\n"
		"                        each sending HEARTBEAT at the interval its HELLO_OK\n"
		"                        gave; fails if the relay drops any (default 0)\n"
		"\ndevice:\n"
		"  --listen HOST:PORT    listen here (port 0: any; repeatable, up to %d);\n"
		"                        prints \"listening on ADDR\" for each\n"
		"  --cert FILE --key FILE  device: serve TLS with the relay's settings;\n"
		"                        handshake --tls: present this client certificate\n"
		"  --sluice HOST:PORT    be agent --agent (default bench-agent) of this relay\n"
		"                        with device --device, TCP port --device-port, and\n"
		"                        serve the legs it attaches (--fingerprint, --state,\n"
		"                        --relay-conf to enroll); prints \"agent NAME connected\"\n"
		"\n  -h, --help            this help\n"
		"\nOutput: result,METRIC,VALUE,UNIT,COUNT,SERVER_CPU_PCT,CPU0_PCT,CPU1_PCT\n"
		"lines on stdout.  See docs/benchmarks.md and scripts/bench/run.sh.\n",
		BENCH_LISTEN_MAX);
}

enum {
	OPT_SLUICE = 256, OPT_TLS, OPT_FP, OPT_STATE, OPT_RELAY_CONF, OPT_DOMAIN,
	OPT_USER, OPT_USER_CERT, OPT_PASSWORD_FILE, OPT_AGENT,
	OPT_DEVICE, OPT_DEVICE_PORT, OPT_SOURCE, OPT_SOURCES, OPT_PID,
	OPT_TIMEOUT, OPT_BYTES, OPT_SESSIONS, OPT_SECONDS, OPT_CONCURRENCY,
	OPT_COUNT, OPT_SIZE, OPT_AGENTS, OPT_PREFIX, OPT_LISTEN, OPT_CERT,
	OPT_KEY, OPT_HOLD,
};

static const struct option long_opts[] = {
	{ "sluice", required_argument, NULL, OPT_SLUICE },
	{ "tls", required_argument, NULL, OPT_TLS },
	{ "fingerprint", required_argument, NULL, OPT_FP },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "relay-conf", required_argument, NULL, OPT_RELAY_CONF },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "user", required_argument, NULL, OPT_USER },
	{ "user-cert", required_argument, NULL, OPT_USER_CERT },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "agent", required_argument, NULL, OPT_AGENT },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "device-port", required_argument, NULL, OPT_DEVICE_PORT },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "sources", required_argument, NULL, OPT_SOURCES },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "bytes", required_argument, NULL, OPT_BYTES },
	{ "sessions", required_argument, NULL, OPT_SESSIONS },
	{ "seconds", required_argument, NULL, OPT_SECONDS },
	{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "agents", required_argument, NULL, OPT_AGENTS },
	{ "prefix", required_argument, NULL, OPT_PREFIX },
	{ "hold", required_argument, NULL, OPT_HOLD },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* "256M", "1G", "4096": bytes.  0 or -EINVAL. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	else if (*end)
		return -EINVAL;
	if (shift && end[1])
		return -EINVAL;
	if (v == 0 || v > (1ull << 40) >> shift)
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_num(const char *opt, const char *s, uint64_t min, uint64_t max,
		     uint64_t *out)
{
	if (sl_parse_uint(s, min, max, out)) {
		fprintf(stderr, "sluice-bench: %s '%s': expected %llu to %llu\n", opt,
			s, (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	return 0;
}

static int set_str(const char *opt, char *dst, size_t len, const char *s)
{
	if (strlen(s) >= len || !s[0]) {
		fprintf(stderr, "sluice-bench: %s '%s': empty or too long\n", opt, s);
		return -EINVAL;
	}
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int set_target(struct bench_opts *o, enum bench_kind kind, const char *s)
{
	if (o->kind) {
		fprintf(stderr, "sluice-bench: give one of --sluice and --tls\n");
		return -EINVAL;
	}
	if (sl_parse_hostport(s, 0, o->host, sizeof(o->host), &o->port)) {
		fprintf(stderr, "sluice-bench: target '%s': expected HOST:PORT\n", s);
		return -EINVAL;
	}
	o->kind = kind;
	return 0;
}

static int parse_opt(struct bench_opts *o, int opt, const char *arg)
{
	const char *name = "option";
	uint64_t v;
	double d;
	char *end;
	int i;

	for (i = 0; long_opts[i].name; i++)
		if (long_opts[i].val == opt)
			name = long_opts[i].name;
	switch (opt) {
	case OPT_SLUICE:
		return set_target(o, TARGET_SLUICE, arg);
	case OPT_TLS:
		return set_target(o, TARGET_TLS, arg);
	case OPT_FP:
		if (sl_tls_fingerprint_parse(arg, o->fingerprint)) {
			fprintf(stderr, "sluice-bench: --fingerprint '%s': expected "
				"sha256: and 64 hex digits\n", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_STATE:
		return set_str(name, o->state, sizeof(o->state), arg);
	case OPT_RELAY_CONF:
		return set_str(name, o->relay_conf, sizeof(o->relay_conf), arg);
	case OPT_DOMAIN:
		return set_str(name, o->domain, sizeof(o->domain), arg);
	case OPT_USER:
		return set_str(name, o->user, sizeof(o->user), arg);
	case OPT_USER_CERT:
		return set_str(name, o->user_cert, sizeof(o->user_cert), arg);
	case OPT_PASSWORD_FILE:
		return set_str(name, o->password_file, sizeof(o->password_file), arg);
	case OPT_AGENT:
		return set_str(name, o->agent, sizeof(o->agent), arg);
	case OPT_DEVICE:
		return set_str(name, o->device, sizeof(o->device), arg);
	case OPT_PREFIX:
		return set_str(name, o->prefix, sizeof(o->prefix) - 8, arg);
	case OPT_CERT:
		return set_str(name, o->cert, sizeof(o->cert), arg);
	case OPT_KEY:
		return set_str(name, o->key, sizeof(o->key), arg);
	case OPT_LISTEN:
		if (o->nlisten == BENCH_LISTEN_MAX) {
			fprintf(stderr, "sluice-bench: at most %d --listen\n",
				BENCH_LISTEN_MAX);
			return -EINVAL;
		}
		return set_str(name, o->listen[o->nlisten++], sizeof(o->listen[0]), arg);
	case OPT_SOURCE:
		if (inet_pton(AF_INET, arg, &o->source) != 1) {
			fprintf(stderr, "sluice-bench: --source '%s': expected an IPv4 "
				"address\n", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_DEVICE_PORT:
		if (parse_num(name, arg, 1, 65535, &v))
			return -EINVAL;
		o->device_port = (uint16_t)v;
		return 0;
	case OPT_SOURCES:
		if (parse_num(name, arg, 1, 65536, &v))
			return -EINVAL;
		o->nsources = (unsigned int)v;
		return 0;
	case OPT_PID:
		if (parse_num(name, arg, 1, 1u << 30, &v))
			return -EINVAL;
		o->pid = (pid_t)v;
		return 0;
	case OPT_TIMEOUT:
		if (parse_num(name, arg, 1, 3600, &v))
			return -EINVAL;
		o->timeout_ms = (int)v * 1000;
		return 0;
	case OPT_BYTES:
		if (parse_size(arg, &o->bytes)) {
			fprintf(stderr, "sluice-bench: --bytes '%s': expected a size "
				"such as 4096, 64K, 256M or 1G\n", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_SESSIONS:
		if (parse_num(name, arg, 1, 1024, &v))
			return -EINVAL;
		o->sessions = (unsigned int)v;
		return 0;
	case OPT_SECONDS:
		d = strtod(arg, &end);
		if (*end || !(d >= 0.1 && d <= 3600)) {
			fprintf(stderr, "sluice-bench: --seconds '%s': expected 0.1 to "
				"3600\n", arg);
			return -EINVAL;
		}
		o->seconds = d;
		return 0;
	case OPT_CONCURRENCY:
		if (parse_num(name, arg, 1, 100000, &v))
			return -EINVAL;
		o->concurrency = (unsigned int)v;
		return 0;
	case OPT_COUNT:
		if (parse_num(name, arg, 1, 10000000, &v))
			return -EINVAL;
		o->count = (unsigned int)v;
		return 0;
	case OPT_SIZE:
		if (parse_num(name, arg, 1, 1u << 20, &v))
			return -EINVAL;
		o->size = (unsigned int)v;
		return 0;
	case OPT_AGENTS:
		if (parse_num(name, arg, 1, 10000000, &v))
			return -EINVAL;
		o->agents = (unsigned int)v;
		return 0;
	case OPT_HOLD:
		if (parse_num(name, arg, 0, 86400, &v))
			return -EINVAL;
		o->hold_s = (unsigned int)v;
		return 0;
	default:
		return -EINVAL;
	}
}

static void defaults(struct bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	strcpy(o->user, "bench");
	strcpy(o->domain, "ROOT");
	strcpy(o->device, "dev");
	strcpy(o->prefix, "idle-");
	inet_pton(AF_INET, "127.0.0.1", &o->source);
	o->nsources = 1;
	o->timeout_ms = 10000;
	o->bytes = 256ull << 20;
	o->sessions = 1;
	o->seconds = 5;
	o->concurrency = 32;
	o->size = 64;
	o->agents = 10000;
}

/* What the command needs that no default gives. */
static int check(const struct command *cmd, struct bench_opts *o)
{
	if (cmd->fn == device_main && o->kind == TARGET_SLUICE) {
		if (!o->fingerprint[0] || !o->state[0] || !o->device_port) {
			fprintf(stderr, "sluice-bench: device --sluice needs --fingerprint, "
				"--state and --device-port\n");
			return -EINVAL;
		}
		if (!o->agent[0])
			strcpy(o->agent, "bench-agent");
		return 0;
	}
	if (cmd->fn == device_main && o->kind == TARGET_TLS) {
		fprintf(stderr, "sluice-bench: device takes --sluice, not --tls\n");
		return -EINVAL;
	}
	if (!cmd->target)
		return 0;
	if (!o->kind) {
		fprintf(stderr, "sluice-bench: %s needs --sluice HOST:PORT or --tls "
			"HOST:PORT\n", cmd->name);
		return -EINVAL;
	}
	if (!o->fingerprint[0]) {
		fprintf(stderr, "sluice-bench: %s needs --fingerprint (the server "
			"certificate's SPKI SHA-256)\n", cmd->name);
		return -EINVAL;
	}
	if (o->kind == TARGET_SLUICE && !o->state[0] &&
	    (!cmd->session || !o->user_cert[0])) {
		fprintf(stderr, "sluice-bench: %s through sluice needs --state DIR (%s)\n",
			cmd->name, cmd->session ? "or --user-cert and --password-file" :
			"the simulated agents' identities");
		return -EINVAL;
	}
	if (!o->user_cert[0] != !o->password_file[0]) {
		fprintf(stderr, "sluice-bench: give --user-cert and --password-file "
			"together\n");
		return -EINVAL;
	}
	if (o->kind == TARGET_SLUICE && cmd->session && !o->device_port) {
		fprintf(stderr, "sluice-bench: %s through sluice needs --device-port\n",
			cmd->name);
		return -EINVAL;
	}
	if (!o->device_port)
		o->device_port = 502;
	if (!o->count)
		o->count = cmd->fn == setup_main ? 500 : 10000;
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	struct bench_opts o;
	size_t i;
	int opt, ret;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, "sluice-bench: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	defaults(&o);
	while ((opt = getopt_long(argc - 1, argv + 1, "h", long_opts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		if (opt == '?' || parse_opt(&o, opt, optarg))
			return 2;
	}
	if (cmd->fn == operator_main) {
		o.words = (const char *const *)argv + 1 + optind;
		optind = argc - 1;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "sluice-bench: unexpected argument '%s'\n",
			argv[optind + 1]);
		return 2;
	}
	if (check(cmd, &o))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	/* The commands that open streams log in as the user. */
	if (o.kind == TARGET_SLUICE && cmd->session && bench_user_ready(&o))
		return 1;
	ret = cmd->fn(&o);
	OPENSSL_cleanse(o.password, sizeof(o.password));
	return ret;
}
