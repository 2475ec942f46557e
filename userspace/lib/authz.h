/* SPDX-License-Identifier: MIT */
/*
 * Authorization helpers without state: domain paths and the time windows
 * of grants.  The relay combines them with its store (grants, agents) to
 * decide a session; see DESIGN.md "Authorization".
 */
#ifndef SL_AUTHZ_H
#define SL_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * Domains form a tree written as a dotted path from the root:
 * "ROOT", "ROOT.acme", "ROOT.acme.plant1".  Labels are [A-Za-z0-9_-],
 * 1..SL_DOMAIN_LABEL_MAX bytes; the first is exactly "ROOT"; the whole
 * path is at most SL_DOMAIN_MAX bytes.  Comparison is case-sensitive:
 * "ROOT.Acme" and "ROOT.acme" are two domains.
 */
#define SL_DOMAIN_ROOT "ROOT"
#define SL_DOMAIN_LABEL_MAX 63
#define SL_DOMAIN_MAX 255

bool sl_domain_valid(const char *d);

/*
 * True when a grant on grant_domain reaches an agent in agent_domain:
 * the two are equal, or grant_domain is an ancestor on a label boundary
 * ("ROOT.acme" covers "ROOT.acme.plant1" but "ROOT.ac" does not cover
 * "ROOT.acme").  False when either is not a valid domain.
 */
bool sl_domain_covers(const char *grant_domain, const char *agent_domain);

/*
 * Parent of a domain into out ("ROOT.acme.plant1" -> "ROOT.acme").
 * Returns 0, -ENOENT for "ROOT", -EINVAL for an invalid domain, or
 * -ENOSPC.
 */
int sl_domain_parent(const char *d, char *out, size_t outlen);

/*
 * Time windows of a grant, in the relay's local time (the process's TZ:
 * the relay sets TZ from its configuration and calls tzset() at start).
 *
 * Grammar (case-insensitive, spaces around tokens allowed):
 *
 *   spec    = "always" / window *( ";" window )
 *   window  = days SP+ time "-" time
 *   days    = dayspec *( "," dayspec )
 *   dayspec = day / day "-" day        ; a range may wrap: "fri-mon"
 *   day     = "mon" / "tue" / "wed" / "thu" / "fri" / "sat" / "sun"
 *   time    = HH ":" MM                ; 00:00..23:59, and 24:00 as an end
 *
 * Examples: "always", "mon-fri 07:00-18:00", "sat,sun 22:00-02:00",
 * "mon-fri 07:00-12:00; mon-fri 13:00-17:00", "sun 00:00-24:00".
 *
 * A window is [start, end) in minutes.  A window whose end is before its
 * start crosses midnight and belongs to the day it starts on: "sat
 * 22:00-02:00" is open from Saturday 22:00 to Sunday 02:00.  start == end
 * is refused as ambiguous (write 00:00-24:00 for a whole day).
 *
 * Daylight saving time: windows are wall-clock times, compared with the
 * local time of the instant (localtime_r).  On the spring-forward day a
 * wall-clock time that does not exist (02:30 in Europe/Berlin) simply does
 * not occur: a window 02:30-05:00 opens at 03:00, when the clock reads a
 * time inside it, and a window 02:00-03:00 does not open at all.  On the
 * fall-back day the repeated hour is inside a window twice.
 */
#define SL_TIMEWIN_MAX 8

struct sl_timewin_rule {
	uint8_t days;		/**< bit n = weekday n, 0 = Sunday (tm_wday) */
	uint16_t start;		/**< minutes after local midnight, 0..1439 */
	uint16_t end;		/**< 1..1440; end < start crosses midnight */
};

struct sl_timewin {
	bool always;
	unsigned int n;		/**< rules used (0 when always) */
	struct sl_timewin_rule r[SL_TIMEWIN_MAX];
};

/*
 * Parses spec into w.  Returns 0, or -EINVAL (or -E2BIG: more than
 * SL_TIMEWIN_MAX windows) with a reason quoting the offending token in
 * why.
 */
int sl_timewin_parse(const char *spec, struct sl_timewin *w, char *why,
		     size_t whylen);

/* True when instant t falls in w, by the local time of t. */
bool sl_timewin_allows(const struct sl_timewin *w, time_t t);

/*
 * Canonical spec of w ("mon-fri 07:00-18:00; sat,sun 22:00-02:00",
 * "always") into buf, always NUL-terminated; it parses back to w.
 */
void sl_timewin_format(const struct sl_timewin *w, char *buf, size_t len);

#endif
