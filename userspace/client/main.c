// SPDX-License-Identifier: MIT
/*
 * sluice-client: the technician's tool.  Logs in to the relay, lists the
 * devices it offers, and forwards local ports to device ports through it.
 *
 *   sluice-client list
 *   sluice-client forward plc1:502                 local port chosen
 *   sluice-client forward site-a/plc1:80 --local 127.0.0.1:8080
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "tls.h"
#include "version.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sluice-client [-f FILE] [-t CODE] [-d] [-v] [-h] COMMAND\n"
		"commands:\n"
		"  list                                  agents and devices you may reach\n"
		"  forward [AGENT/]DEVICE:PORT [--local HOST:PORT]\n"
		"                                        forward a local port (default\n"
		"                                        127.0.0.1:0, a free port) to the device\n"
		"options:\n"
		"  -f FILE  configuration (default ~/.config/sluice/client.conf)\n"
		"  -t CODE  TOTP code, for accounts with TOTP (or $SLUICE_TOTP)\n"
		"The password comes from password_file in the configuration,\n"
		"$SLUICE_PASSWORD, or a prompt on the terminal.\n"
		"  -d       debug logging\n"
		"  -v       print the version and exit\n"
		"  -h       this help\n");
}

static int mkdir_p(const char *path)
{
	char tmp[1024];
	char *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) == -1 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) == -1 && errno != EEXIST)
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	char conf_path[1100], err[1024];
	const char *local = "127.0.0.1:0";
	static struct client c;
	bool debug = false;
	sigset_t mask;
	int opt, ret = 1;

	client_config_default_path(conf_path, sizeof(conf_path));
	if (getenv("SLUICE_TOTP"))
		snprintf(c.totp, sizeof(c.totp), "%s", getenv("SLUICE_TOTP"));
	while ((opt = getopt(argc, argv, "+f:t:dvh")) != -1) {
		switch (opt) {
		case 't':
			snprintf(c.totp, sizeof(c.totp), "%s", optarg);
			break;
		case 'f':
			snprintf(conf_path, sizeof(conf_path), "%s", optarg);
			break;
		case 'd':
			debug = true;
			break;
		case 'v':
			printf("sluice-client %s\n", SLUICE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[optind], "forward")) {
		if (argc - optind == 4 && !strcmp(argv[optind + 2], "--local"))
			local = argv[optind + 3];
		else if (argc - optind != 2) {
			usage(stderr);
			return 2;
		}
	} else if (strcmp(argv[optind], "list") || argc - optind != 1) {
		fprintf(stderr, "sluice-client: unknown command or extra arguments: '%s'\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	sl_log_init("sluice-client", debug, false);
	signal(SIGPIPE, SIG_IGN);
	if (client_config_load(&c.cfg, conf_path, err, sizeof(err))) {
		fprintf(stderr, "sluice-client: %s\n", err);
		return 1;
	}
	if (mkdir_p(c.cfg.state_dir)) {
		sl_log_errno(errno, "cannot create %s", c.cfg.state_dir);
		return 1;
	}
	c.tls = sl_tls_client_ctx(err, sizeof(err));
	if (c.tls)
		c.data_tls = sl_tls_data_ctx(err, sizeof(err));
	if (!c.tls || !c.data_tls) {
		sl_log_err("%s", err);
		SSL_CTX_free(c.tls);
		return 1;
	}
	if (client_identity_load(&c))
		goto out;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	c.signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (c.signal_fd == -1) {
		sl_log_errno(errno, "signalfd");
		goto out;
	}
	if (!strcmp(argv[optind], "list"))
		ret = client_list_main(&c);
	else
		ret = client_forward_main(&c, argv[optind + 1], local);
	close(c.signal_fd);
out:
	client_identity_clear(&c);
	SSL_CTX_free(c.tls);
	SSL_CTX_free(c.data_tls);
	return ret;
}
