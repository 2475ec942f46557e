// SPDX-License-Identifier: MIT
/* Verb arguments (options anywhere after the verb) and secrets. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "sluicectl.h"

int take_args(int argc, char **argv, const struct opt *opts, int nopts, char **pos,
	      int want_min, int want_max, const char *verb, const char *usage)
{
	int i, k, npos = 0;

	for (i = 0; i < argc; i++) {
		for (k = 0; k < nopts; k++)
			if (!strcmp(argv[i], opts[k].name))
				break;
		if (k == nopts) {
			if (argv[i][0] == '-' && argv[i][1]) {
				fprintf(stderr, "sluicectl: %s: unknown option '%s'\n"
					"usage: sluicectl %s %s\n", verb, argv[i], verb, usage);
				return EXIT_USAGE;
			}
			if (npos == want_max) {
				fprintf(stderr, "sluicectl: %s: too many arguments\n"
					"usage: sluicectl %s %s\n", verb, verb, usage);
				return EXIT_USAGE;
			}
			pos[npos++] = argv[i];
			continue;
		}
		if (i + 1 == argc) {
			fprintf(stderr, "sluicectl: %s: %s needs a value\n", verb, argv[i]);
			return EXIT_USAGE;
		}
		*opts[k].value = argv[++i];
	}
	if (npos < want_min) {
		fprintf(stderr, "sluicectl: %s: missing arguments\nusage: sluicectl %s %s\n",
			verb, verb, usage);
		return EXIT_USAGE;
	}
	for (i = npos; i < want_max; i++)
		pos[i] = NULL;
	return EXIT_OK;
}

struct nl_msg *req_str(struct ctl *c, uint8_t cmd, int attr, const char *v)
{
	struct nl_msg *req = ctl_request(c, cmd, false);

	if (req && nla_put_string(req, attr, v)) {
		nlmsg_free(req);
		return NULL;
	}
	return req;
}

static int read_line(FILE *f, char *out, size_t len)
{
	size_t n;

	if (!fgets(out, (int)len, f))
		return -1;
	n = strcspn(out, "\r\n");
	if (out[n] == '\0' && n == len - 1)
		return -E2BIG;	/* no line end within the buffer */
	out[n] = '\0';
	return 0;
}

static int prompt(const char *text, char *out, size_t len)
{
	struct termios old, quiet;
	int ret;

	fprintf(stderr, "%s: ", text);
	tcgetattr(STDIN_FILENO, &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	ret = read_line(stdin, out, len);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return ret;
}

int read_secret(const char *file, const char *what, bool confirm, char *out, size_t len)
{
	char again[1100];
	FILE *f;
	int ret;

	if (file) {
		f = fopen(file, "re");
		if (!f) {
			fprintf(stderr, "sluicectl: cannot open %s: %s\n", file, strerror(errno));
			return -1;
		}
		ret = read_line(f, out, len);
		fclose(f);
	} else if (!isatty(STDIN_FILENO)) {
		ret = read_line(stdin, out, len);
	} else {
		ret = prompt(what, out, len);
		if (!ret && confirm) {
			ret = prompt("again", again, sizeof(again));
			if (!ret && strcmp(out, again)) {
				fprintf(stderr, "sluicectl: the two entries differ\n");
				ret = -1;
			}
			memset(again, 0, sizeof(again));
		}
	}
	if (ret == -E2BIG) {
		fprintf(stderr, "sluicectl: %s: longer than %zu bytes\n", what, len - 2);
		return -1;
	}
	if (ret || !out[0]) {
		fprintf(stderr, "sluicectl: no %s read (--password-file FILE, one line on "
			"stdin, or a terminal to prompt on)\n", what);
		return -1;
	}
	return 0;
}
