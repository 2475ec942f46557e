// SPDX-License-Identifier: MIT
/*
 * Logging.  Lines go to stderr with an RFC 3339 UTC timestamp, the program
 * name and the level, or to syslog when asked.  Each line is written with a
 * single write(2) so that threads do not interleave.
 */
#include "log.h"

#include <errno.h>
#include <openssl/err.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *log_ident = "sluice";
static bool log_debug;
static bool log_syslog;
/* getpid() is a system call on every line otherwise (glibc caches it no
 * more); a forked child learns its own. */
static int log_pid;

static void log_forked(void)
{
	log_pid = (int)getpid();
}

static void log_watch_forks(void)
{
	pthread_atfork(NULL, NULL, log_forked);
}

void sl_log_init(const char *ident, bool debug, bool use_syslog)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	log_ident = ident;
	log_debug = debug;
	log_syslog = use_syslog;
	log_pid = (int)getpid();
	pthread_once(&once, log_watch_forks);
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

bool sl_log_debug_enabled(void)
{
	return log_debug;
}

static const char *level_name(enum sl_log_level level)
{
	switch (level) {
	case SL_LOG_ERR:
		return "error";
	case SL_LOG_WARN:
		return "warning";
	case SL_LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

static void log_line(enum sl_log_level level, const char *msg)
{
	char line[2048];
	struct timeval tv;
	struct tm tm;
	int n;

	if (level == SL_LOG_DEBUG && !log_debug)
		return;
	if (log_syslog) {
		syslog((int)level, "%s", msg);
		return;
	}
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
		     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%d]: %s: %s\n",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, (long)tv.tv_usec / 1000, log_ident,
		     log_pid ? log_pid : (int)getpid(), level_name(level), msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

void sl_log(enum sl_log_level level, const char *fmt, ...)
{
	char msg[1536];
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_line(level, msg);
	errno = saved;
}

void sl_log_errno(int errnum, const char *fmt, ...)
{
	char msg[1536];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	snprintf(msg + n, sizeof(msg) - n, ": %s",
		 strerror(errnum < 0 ? -errnum : errnum));
	log_line(SL_LOG_ERR, msg);
}

static int ssl_err_cb(const char *str, size_t len, void *u)
{
	char *msg = u;
	size_t n = strlen(msg);

	/* Keep only the reason part of each queued error. */
	while (len > 0 && (str[len - 1] == '\n'))
		len--;
	snprintf(msg + n, 1536 - n, "%s%.*s", n ? "; " : "", (int)len, str);
	return 1;
}

void sl_log_ssl(enum sl_log_level level, const char *fmt, ...)
{
	char msg[1536];
	char errs[1536] = "";
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ERR_print_errors_cb(ssl_err_cb, errs);
	n = strlen(msg);
	if (errs[0])
		snprintf(msg + n, sizeof(msg) - n, ": %.1024s", errs);
	log_line(level, msg);
}
