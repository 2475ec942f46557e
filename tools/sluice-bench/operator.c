// SPDX-License-Identifier: MIT
/*
 * The operator's side of the bench, in one place.  Everything the bench
 * asks of the relay's operator (join tokens, the bench user, its
 * certificate and grant, resetting an agent) runs here as
 *
 *     sluicectl -c RELAY_CONF WORDS...
 *
 * against the running relay, with the program next to sluice-bench (the
 * same build), else from PATH.  scripts/bench/run.sh performs its own (the
 * join token of a real sluice-agent) through this function as well:
 *
 *     sluice-bench operator --relay-conf CONF -- token create ROOT
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static const char *const OPERATOR_CMD[] = { "sluicectl", "-c" };

#define OPERATOR_ARGS_MAX 16
#define OPERATOR_OUT_MAX (64u << 20)	/* 100,000 tokens are 7 MB */

/* The program: next to our own executable when it is there, else a name
 * for execvp to find in PATH. */
static void program(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	snprintf(out, len, "%s", OPERATOR_CMD[0]);
	if (n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return;
	*slash = '\0';
	if ((size_t)snprintf(out, len, "%s/%s", self, OPERATOR_CMD[0]) >= len ||
	    access(out, X_OK))
		snprintf(out, len, "%s", OPERATOR_CMD[0]);
}

/* Reads fd to EOF into a growing buffer.  0 or -errno. */
static int slurp(int fd, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *p;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (cap - len < 2) {
			if (cap >= OPERATOR_OUT_MAX) {
				free(buf);
				return -EFBIG;
			}
			p = realloc(buf, cap * 2);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(buf);
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int bench_operator(const struct bench_opts *o, const char *const *words, char **out)
{
	const char *argv[OPERATOR_ARGS_MAX + 4];
	char prog[PATH_MAX], line[512] = "";
	size_t i, n = 0, off = 0;
	char *text = NULL;
	int fds[2], st, ret;
	pid_t pid;

	if (out)
		*out = NULL;
	if (!o->relay_conf[0]) {
		bench_err("this needs an operator action on the relay (%s ...): give "
			  "--relay-conf RELAY_CONF", words[0]);
		return -EPERM;
	}
	program(prog, sizeof(prog));
	argv[n++] = prog;
	argv[n++] = OPERATOR_CMD[1];
	argv[n++] = o->relay_conf;
	for (i = 0; words[i]; i++) {
		if (i == OPERATOR_ARGS_MAX)
			return -E2BIG;
		argv[n++] = words[i];
		off += (size_t)snprintf(line + off, off < sizeof(line) ? sizeof(line) - off : 0,
					"%s%s", i ? " " : "", words[i]);
	}
	argv[n] = NULL;
	if (pipe2(fds, O_CLOEXEC) == -1)
		return -errno;
	pid = fork();
	if (pid == -1) {
		ret = -errno;
		close(fds[0]);
		close(fds[1]);
		return ret;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null == -1 || dup2(null, STDIN_FILENO) == -1 ||
		    dup2(fds[1], STDOUT_FILENO) == -1)
			_exit(127);
		execvp(prog, (char *const *)argv);
		fprintf(stderr, "sluice-bench: cannot run %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	ret = slurp(fds[0], &text);
	close(fds[0]);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			st = -1;
			break;
		}
	if (!ret && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		bench_err("operator command '%s' on %s failed (%s %d)%s", line,
			  o->relay_conf, WIFEXITED(st) ? "exit status" : "signal",
			  WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
			  WIFEXITED(st) && WEXITSTATUS(st) == 127 ? "" :
			  "; its message is above");
		ret = -EIO;
	} else if (ret) {
		bench_err("operator command '%s': reading its output: %s", line,
			  strerror(-ret));
	}
	if (!ret)
		bench_info("operator: %s", line);
	if (ret || !out)
		free(text);
	else
		*out = text;
	return ret;
}

/* sluice-bench operator: one operator command, its output on stdout. */
int operator_main(const struct bench_opts *o)
{
	char *out = NULL;

	if (!o->words || !o->words[0]) {
		bench_err("operator: which command? (sluice-bench operator --relay-conf "
			  "CONF -- WORDS...)");
		return 2;
	}
	if (bench_operator(o, o->words, &out))
		return 1;
	fputs(out, stdout);
	free(out);
	return 0;
}
