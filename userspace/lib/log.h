/* SPDX-License-Identifier: MIT */
/* Logging for the sluice programs: stderr (default) or syslog. */
#ifndef SL_LOG_H
#define SL_LOG_H

#include <stdbool.h>

enum sl_log_level {
	SL_LOG_ERR = 3,
	SL_LOG_WARN = 4,
	SL_LOG_INFO = 6,
	SL_LOG_DEBUG = 7,
};

/* ident prefixes every line; debug enables SL_LOG_DEBUG lines. */
void sl_log_init(const char *ident, bool debug, bool use_syslog);
bool sl_log_debug_enabled(void);
void sl_log(enum sl_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define sl_log_err(...) sl_log(SL_LOG_ERR, __VA_ARGS__)
#define sl_log_warn(...) sl_log(SL_LOG_WARN, __VA_ARGS__)
#define sl_log_info(...) sl_log(SL_LOG_INFO, __VA_ARGS__)
#define sl_log_debug(fmt, ...)                                                \
	do {                                                                  \
		if (sl_log_debug_enabled())                                   \
			sl_log(SL_LOG_DEBUG, "%s: " fmt, __func__,            \
			       ##__VA_ARGS__);                                \
	} while (0)

/* Logs msg followed by strerror(errnum) (errnum positive or negative). */
void sl_log_errno(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Logs msg followed by every queued OpenSSL error, and clears the queue. */
void sl_log_ssl(enum sl_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
