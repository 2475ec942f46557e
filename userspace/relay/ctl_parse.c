// SPDX-License-Identifier: MIT
/*
 * Checks of sluicectl requests that need no relay state, kept apart so that
 * tests/fuzz/fuzz_ctl.c runs them on arbitrary bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int relay_ctl_parse(void *buf, size_t len, struct sl_msg_in *m, uint32_t *seq,
		    char *why, size_t whylen)
{
	const struct nlmsghdr *nlh = buf;
	int flen;

	*seq = 0;
	if (len < SL_WIRE_HDRLEN) {
		snprintf(why, whylen, "%zu bytes, shorter than a header", len);
		return -EBADMSG;
	}
	*seq = nlh->nlmsg_seq;
	flen = sl_wire_frame_len(buf, why, whylen);
	if (flen < 0)
		return -EBADMSG;
	if ((size_t)flen != len) {
		snprintf(why, whylen, "datagram of %zu bytes holds a message of %d: one "
			 "message per datagram", len, flen);
		return -EBADMSG;
	}
	if (!(nlh->nlmsg_flags & NLM_F_REQUEST)) {
		snprintf(why, whylen, "not a request (no NLM_F_REQUEST)");
		return -EBADMSG;
	}
	if (nlh->nlmsg_flags & NLM_F_MULTI) {
		snprintf(why, whylen, "a request cannot be multi-part");
		return -EBADMSG;
	}
	return sl_wire_parse(buf, len, m, why, whylen);
}

/* The first number after "Key:" on its line, or -1. */
static int field(const char *status, size_t len, const char *key,
		       const char **rest)
{
	size_t klen = strlen(key);
	const char *p = status, *end = status + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > klen && !memcmp(p, key, klen)) {
			*rest = p + klen;
			return 0;
		}
		p = eol + 1;
	}
	return -1;
}

/* Parses unsigned decimal numbers separated by blanks until the line ends;
 * calls back on each; false on anything else. */
static bool numbers(const char *p, const char *end, unsigned long long want,
		    bool first_only, bool *found)
{
	*found = false;
	while (p < end && *p != '\n') {
		unsigned long long v = 0;
		int digits = 0;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end || *p == '\n')
			break;
		while (p < end && *p >= '0' && *p <= '9' && digits < 11) {
			v = v * 10 + (unsigned long long)(*p - '0');
			p++;
			digits++;
		}
		if (!digits || digits >= 11 ||
		    (p < end && *p != ' ' && *p != '\t' && *p != '\n'))
			return false;
		if (v == want)
			*found = true;
		if (first_only)
			return true;
	}
	return true;
}

bool relay_ctl_status_has_group(const char *status, size_t len, uid_t uid,
				gid_t gid)
{
	const char *end = status + len, *rest;
	bool found;

	if (field(status, len, "Uid:", &rest) ||
	    !numbers(rest, end, uid, true, &found) || !found)
		return false;
	if (!field(status, len, "Gid:", &rest) &&
	    numbers(rest, end, gid, true, &found) && found)
		return true;
	if (field(status, len, "Groups:", &rest))
		return false;
	return numbers(rest, end, gid, false, &found) && found;
}
