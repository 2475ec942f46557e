// SPDX-License-Identifier: MIT
/*
 * sluice-relay: the only sluice component with open ports.  Terminates TLS
 * for agents and clients, authenticates them, authorizes sessions against
 * the devices' port rules, pairs the two legs of a session and moves bytes.
 *
 *   sluice-relay -f /etc/sluice/relay.conf      run
 *   sluice-relay -f relay.conf -n               check the configuration
 *
 * Startup order: configuration (nothing is touched on error), state
 * directory and identity, TLS context, listeners, then the event loop.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "admission.h"
#include "log.h"
#include "relay.h"
#include "tls.h"
#include "version.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sluice-relay [-f FILE] [-d] [-n] [-v] [-h] [COMMAND ...]\n"
		"  -f FILE  configuration file (default /etc/sluice/relay.conf)\n"
		"  -d       debug logging\n"
		"  -n       check the configuration and exit\n"
		"  -v       print the version and exit\n"
		"  -h       this help\n"
		"Without a command the relay runs; logs go to stderr.  See\n"
		"docs/configuration.md for the keys.\n"
		"Command:\n"
		"  audit-verify [FILE]  check the audit log's hash chain (default: the\n"
		"                       configured audit_log); works with the relay stopped\n"
		"Users, agents, domains, grants and join tokens are managed with\n"
		"sluicectl(8) while the relay runs.\n");
}

static int prepare_state(struct relay *r, char *key, char *cert, size_t len)
{
	char why[1024], fp[SL_FP_STRLEN];
	int ret;

	if (mkdir(r->cfg.state_dir, 0700) == -1 && errno != EEXIST) {
		sl_log_errno(errno, "cannot create state_dir %s", r->cfg.state_dir);
		return -1;
	}
	ret = sl_tls_identity_ensure(r->cfg.state_dir, why, sizeof(why));
	if (ret < 0) {
		sl_log_err("%s", why);
		return -1;
	}
	snprintf(key, len, "%s/relay.key", r->cfg.state_dir);
	snprintf(cert, len, "%s/relay.crt", r->cfg.state_dir);
	if (access(key, R_OK) || access(cert, R_OK)) {
		sl_log_errno(errno, "cannot read %s", access(key, R_OK) ? key : cert);
		sl_log_err("the relay must run as the user that owns %s", r->cfg.state_dir);
		return -1;
	}
	if (ret == 1)
		sl_log_info("created relay identity %s (ECDSA P-256, self-signed)", cert);
	if (sl_key_perms_check(key, why, sizeof(why))) {
		sl_log_err("%s", why);
		return -1;
	}
	if (sl_tls_fingerprint_file(cert, fp)) {
		sl_log_err("cannot read the certificate %s", cert);
		return -1;
	}
	sl_log_info("relay fingerprint %s", fp);
	r->cert_not_after = sl_tls_cert_not_after(cert);
	return 0;
}

/*
 * Every agent holds a descriptor and every session four, but services
 * start with a soft limit of 1024 (kept low for select(), which the relay
 * does not use): take the hard limit, as a relay of many agents must.
 */
static void raise_nofile(void)
{
	struct rlimit rl;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	was = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl)) {
			sl_log_errno(errno, "cannot raise RLIMIT_NOFILE to %llu",
				     (unsigned long long)rl.rlim_max);
			rl.rlim_cur = was;
		}
	}
	if (rl.rlim_cur < 4096)
		sl_log_warn("only %llu file descriptors (RLIMIT_NOFILE): at most about %llu "
			    "agents and clients can connect; raise the hard limit "
			    "(LimitNOFILE= in a systemd unit, ulimit -Hn in a shell)",
			    (unsigned long long)rl.rlim_cur,
			    (unsigned long long)(rl.rlim_cur > 64 ? rl.rlim_cur - 64 : 0));
	else
		sl_log_info("up to %llu file descriptors (RLIMIT_NOFILE%s)",
			    (unsigned long long)rl.rlim_cur,
			    rl.rlim_cur != was ? ", raised to the hard limit" : "");
}

int main(int argc, char **argv)
{
	const char *conf_path = "/etc/sluice/relay.conf";
	char err[1024], key[1100], cert[1100];
	bool debug = false, check_only = false;
	static struct relay r;
	int opt, ret = 1;

	while ((opt = getopt(argc, argv, "+f:dnvh")) != -1) {
		switch (opt) {
		case 'f':
			conf_path = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case 'n':
			check_only = true;
			break;
		case 'v':
			printf("sluice-relay %s\n", SLUICE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc && strcmp(argv[optind], "audit-verify")) {
		static const char *const moved[] = { "domain", "token", "agent", "user", "grant" };
		size_t i;

		for (i = 0; i < sizeof(moved) / sizeof(moved[0]); i++)
			if (!strcmp(argv[optind], moved[i])) {
				fprintf(stderr, "sluice-relay: '%s' is a sluicectl command: run "
					"sluicectl -c %s %s ... (with the relay running)\n",
					moved[i], conf_path, moved[i]);
				return 2;
			}
		fprintf(stderr, "sluice-relay: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	sl_log_init("sluice-relay", debug, false);
	signal(SIGPIPE, SIG_IGN);
	relay_config_defaults(&r.cfg);
	if (relay_config_load(&r.cfg, conf_path, err, sizeof(err))) {
		fprintf(stderr, "sluice-relay: %s\n", err);
		return 1;
	}
	if (r.cfg.timezone[0]) {
		/* Grant time windows are wall-clock times of this zone. */
		setenv("TZ", r.cfg.timezone, 1);
		tzset();
	}
	if (optind != argc) {
		char *vargv[3] = { argv[optind],
				   optind + 1 < argc ? argv[optind + 1] : r.cfg.audit_log, NULL };

		if (optind + 2 < argc) {
			fprintf(stderr, "sluice-relay: audit-verify takes one FILE\n");
			return 2;
		}
		return sl_audit_verify_main(2, vargv);
	}
	if (check_only) {
		printf("%s: configuration OK\n", conf_path);
		return 0;
	}
	raise_nofile();
	r.metrics_fd = -1;
	r.conf_path = conf_path;
	r.started = time(NULL);
	if (prepare_state(&r, key, cert, sizeof(key)))
		return 1;
	r.tls = sl_tls_server_ctx(key, cert, err, sizeof(err));
	if (!r.tls) {
		sl_log_err("%s", err);
		return 1;
	}
	if (sl_tls_server_allow_data_legs(r.tls, err, sizeof(err))) {
		sl_log_err("%s", err);
		goto out;
	}
	if (relay_identity_init(&r, err, sizeof(err))) {
		sl_log_err("%s", err);
		goto out;
	}
	if (relay_loop_init(&r, err, sizeof(err))) {
		sl_log_err("%s", err);
		goto out;
	}
	if (relay_passwork_start(&r, err, sizeof(err))) {
		sl_log_err("%s", err);
		goto out;
	}
	if (relay_admission_start(&r, err, sizeof(err)))
		sl_log_warn("kernel admission filter unavailable: %s; blocklist and lockouts "
			    "are enforced after accept(), connection rates are not limited", err);
	else
		sl_log_info("kernel admission filter on: sk_lookup, %llu new connections/s per "
			    "source (burst %llu), %u blocklist entries",
			    (unsigned long long)r.cfg.admission_rate,
			    (unsigned long long)r.cfg.admission_burst, r.cfg.nblocklist);
	/* After the admission filter, which the handshake threads consult. */
	if (relay_hs_start(&r, err, sizeof(err))) {
		sl_log_err("%s", err);
		goto out;
	}
	sl_log_info("sluice-relay %s ready (heartbeat %llu ms)", SLUICE_VERSION,
		    (unsigned long long)r.cfg.heartbeat_ms);
	ret = relay_loop_run(&r) ? 1 : 0;
out:
	relay_hs_stop(&r);
	relay_admission_stop(&r);
	relay_passwork_stop(&r);
	relay_loop_uninit(&r);
	relay_identity_uninit(&r);
	SSL_CTX_free(r.tls);
	SSL_CTX_free(r.tls_spare);
	return ret;
}
