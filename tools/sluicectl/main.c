// SPDX-License-Identifier: MIT
/*
 * sluicectl: the operator's tool for a running sluice-relay, over the
 * relay's netlink control socket (include/uapi/sluice.h, "Operator
 * commands").  Object before verb; no command means status.
 *
 *   sluicectl                          status of the relay
 *   sluicectl -j agent list            connected agents as JSON
 *   sluicectl agent detach plant1      drop an agent (it reconnects)
 *   sluicectl session kill 3f2a09c1d4e5b6a7
 *   sluicectl -c /etc/sluice/relay.conf reload
 *
 * Adding a command: a handler in the object's file and one line in its
 * verb table (or in objects[] below for a new object); the usage text,
 * --help and the bash completion's word list follow from the tables.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluicectl.h"
#include "version.h"

#define DEFAULT_CONF "/etc/sluice/relay.conf"

static const struct ctl_object objects[] = {
	{ "status", "version, uptime, listeners, data path and counts of the relay",
	  NULL, status_main, "" },
	{ "agent", "connected agents", agent_verbs, NULL, NULL },
	{ "device", "devices the agents offer", device_verbs, NULL, NULL },
	{ "session", "relayed sessions", session_verbs, NULL, NULL },
	{ "reload", "re-read relay.conf; list what changed and what needs a restart",
	  NULL, reload_main, "" },
	{ "cert", "the relay's certificate", cert_verbs, NULL, NULL },
};
#define NOBJECTS (sizeof(objects) / sizeof(objects[0]))

static void usage(FILE *f)
{
	unsigned int i;
	const struct ctl_subcmd *v;

	fprintf(f, "usage: sluicectl [-c FILE] [-j] [-t SECONDS] [COMMAND [ARGS]]\n"
		   "commands (no command: status):\n");
	for (i = 0; i < NOBJECTS; i++) {
		if (!objects[i].verbs) {
			fprintf(f, "  %-28s %s\n", objects[i].name, objects[i].help);
			continue;
		}
		for (v = objects[i].verbs; v->name; v++) {
			char cmd[64];

			snprintf(cmd, sizeof(cmd), "%s %s%s%s", objects[i].name, v->name,
				 v->args[0] ? " " : "", v->args);
			fprintf(f, "  %-28s %s\n", cmd, v->help);
		}
	}
	fprintf(f,
		"options:\n"
		"  -c FILE     the relay's configuration, for control_port_id and state_dir\n"
		"              (default " DEFAULT_CONF "; defaults apply when it is\n"
		"              missing or unreadable)\n"
		"  -j          JSON output\n"
		"  -t SECONDS  wait at most this long for each reply (default 10)\n"
		"  -v          print the version and exit\n"
		"  -h, --help  this help; COMMAND --help for one command\n"
		"exit status:\n"
		"  0 done   1 the relay refused or failed   2 usage\n"
		"  3 no relay on the port id, or no answer   4 permission denied\n"
		"  5 the port id is held by a process that is not the relay\n"
		"  6 malformed or unexpected reply\n");
}

static void object_usage(FILE *f, const struct ctl_object *o)
{
	const struct ctl_subcmd *v;

	if (!o->verbs) {
		fprintf(f, "usage: sluicectl [-c FILE] [-j] %s%s%s\n  %s\n", o->name,
			o->args[0] ? " " : "", o->args, o->help);
		return;
	}
	fprintf(f, "usage: sluicectl [-c FILE] [-j] %s VERB ...\n%s:\n", o->name, o->help);
	for (v = o->verbs; v->name; v++) {
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "%s%s%s", v->name, v->args[0] ? " " : "", v->args);
		fprintf(f, "  %-16s %s\n", cmd, v->help);
	}
}

static bool wants_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

/* Finds the handler for argv (object [verb] args); prints help or errors. */
static int dispatch(struct ctl *c, int argc, char **argv, bool *ran,
		    int (**fn)(struct ctl *, int, char **), int *skip)
{
	const struct ctl_object *o = NULL;
	const struct ctl_subcmd *v;
	unsigned int i;

	*ran = false;
	(void)c;
	for (i = 0; i < NOBJECTS; i++)
		if (!strcmp(objects[i].name, argv[0]))
			o = &objects[i];
	if (!o) {
		fprintf(stderr, "sluicectl: unknown command '%s'\n", argv[0]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!o->verbs) {
		if (wants_help(argc - 1, argv + 1)) {
			object_usage(stdout, o);
			*ran = true;
			return EXIT_OK;
		}
		*fn = o->fn;
		*skip = 1;
		return EXIT_OK;
	}
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		object_usage(argc < 2 ? stderr : stdout, o);
		*ran = true;
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	for (v = o->verbs; v->name; v++) {
		if (strcmp(v->name, argv[1]))
			continue;
		if (wants_help(argc - 2, argv + 2)) {
			printf("usage: sluicectl [-c FILE] [-j] %s %s%s%s\n  %s\n", o->name,
			       v->name, v->args[0] ? " " : "", v->args, v->help);
			*ran = true;
			return EXIT_OK;
		}
		*fn = v->fn;
		*skip = 2;
		return EXIT_OK;
	}
	fprintf(stderr, "sluicectl: unknown %s command '%s'\n", o->name, argv[1]);
	object_usage(stderr, o);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static char *status_argv[] = { "status", NULL };
	struct ctl c = { .fd = -1, .timeout_ms = 10000 };
	int (*fn)(struct ctl *, int, char **) = NULL;
	const char *conf = DEFAULT_CONF;
	bool explicit_conf = false, json = false, ran;
	int opt, ret, skip = 0;
	char *end;
	long t;

	while ((opt = getopt_long(argc, argv, "+c:f:jt:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
		case 'f':
			conf = optarg;
			explicit_conf = true;
			break;
		case 'j':
			json = true;
			break;
		case 't':
			t = strtol(optarg, &end, 10);
			if (*end || t < 1 || t > 3600) {
				fprintf(stderr, "sluicectl: -t: '%s' is not 1 to 3600 seconds\n",
					optarg);
				return EXIT_USAGE;
			}
			c.timeout_ms = (int)t * 1000;
			break;
		case 'v':
			printf("sluicectl %s\n", SLUICE_VERSION);
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		argc = 1;
		argv = status_argv;
	}
	ret = dispatch(&c, argc, argv, &ran, &fn, &skip);
	if (ret || ran)
		return ret;
	print_init(json);
	ret = ctl_target(&c, conf, explicit_conf);
	if (!ret)
		ret = ctl_open(&c);
	if (!ret)
		ret = fn(&c, argc - skip, argv + skip);
	print_done();
	ctl_close(&c);
	return ret;
}
