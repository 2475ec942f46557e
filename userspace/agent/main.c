// SPDX-License-Identifier: MIT
/*
 * sluice-agent: runs next to the devices, dials OUT to the relay over TLS,
 * stays connected, and connects to a device port only when the relay asks
 * for a session that the agent's own rules allow.
 *
 *   sluice-agent -f /etc/sluice/agent.conf
 *   sluice-agent -f agent.conf -n            check the configuration
 *   kill -HUP $(pidof sluice-agent)          reload the device rules
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "enforce.h"
#include "log.h"
#include "metrics.h"
#include "tls.h"
#include "version.h"
#include "workers.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sluice-agent [-f FILE] [-d] [-n] [-v] [-h]\n"
		"  -f FILE  configuration file (default /etc/sluice/agent.conf)\n"
		"  -d       debug logging\n"
		"  -n       check the configuration and exit\n"
		"  -v       print the version and exit\n"
		"  -h       this help\n"
		"Logs go to stderr.  SIGHUP reloads the configuration.\n"
		"See docs/configuration.md for the keys.\n");
}

int main(int argc, char **argv)
{
	const char *conf_path = "/etc/sluice/agent.conf";
	bool debug = false, check_only = false, stats_ready = false;
	static struct agent a;
	char err[1024];
	sigset_t mask;
	int opt, ret = 1;

	while ((opt = getopt(argc, argv, "f:dnvh")) != -1) {
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
			printf("sluice-agent %s\n", SLUICE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sluice-agent: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	sl_log_init("sluice-agent", debug, false);
	a.conf_path = conf_path;
	signal(SIGPIPE, SIG_IGN);
	agent_config_defaults(&a.cfg);
	if (agent_config_load(&a.cfg, conf_path, err, sizeof(err))) {
		fprintf(stderr, "sluice-agent: %s\n", err);
		goto out;
	}
	if (check_only) {
		printf("%s: configuration OK (%u device%s)\n", conf_path, a.cfg.ndevices,
		       a.cfg.ndevices == 1 ? "" : "s");
		ret = 0;
		goto out;
	}
	if (mkdir(a.cfg.state_dir, 0700) == -1 && errno != EEXIST) {
		sl_log_errno(errno, "cannot create state_dir %s", a.cfg.state_dir);
		goto out;
	}
	a.tls = sl_tls_client_ctx(err, sizeof(err));
	if (a.tls)
		a.data_tls = sl_tls_data_ctx(err, sizeof(err));
	if (!a.tls || !a.data_tls) {
		sl_log_err("%s", err);
		goto out;
	}
	/* Blocked before any thread starts, so only the signalfd sees them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	a.signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (a.signal_fd == -1) {
		sl_log_errno(errno, "signalfd");
		goto out;
	}
	ret = agent_enforce_start(&a, err, sizeof(err));
	if (ret && a.cfg.require_kernel_enforcement) {
		sl_log_err("kernel enforcement unavailable: %s; require_kernel_enforcement "
			   "is set, so the agent does not start", err);
		ret = 1;
		goto out;
	}
	if (ret)
		sl_log_warn("kernel enforcement unavailable: %s; devices are protected by "
			    "the agent's own port check only", err);
	ret = agent_stats_init(&a.stats);
	if (ret) {
		sl_log_errno(-ret, "cannot set up the counters");
		ret = 1;
		goto out;
	}
	stats_ready = true;
	agent_stats_devices(&a.stats, &a.cfg);
	ret = agent_http_start(&a, err, sizeof(err));
	if (ret) {
		sl_log_err("metrics_listen: %s", err);
		ret = 1;
		goto out;
	}
	ret = 1;
	sl_log_info("sluice-agent %s: %s, %u device%s, relay %s:%u", SLUICE_VERSION,
		    a.cfg.name, a.cfg.ndevices, a.cfg.ndevices == 1 ? "" : "s",
		    a.cfg.relay.host, a.cfg.relay.port);
	agent_run(&a);
	ret = a.exit_code;
	if (sl_workers_stop(5000))
		sl_log_warn("sessions still running at exit");
out:
	agent_http_stop(&a);
	agent_enforce_stop(&a);
	if (stats_ready)
		agent_stats_uninit(&a.stats);
	if (a.signal_fd > 0)
		close(a.signal_fd);
	SSL_CTX_free(a.tls);
	SSL_CTX_free(a.data_tls);
	agent_config_free(&a.cfg);
	return ret;
}
