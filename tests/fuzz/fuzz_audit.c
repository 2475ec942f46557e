// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the audit log verifier, which reads files an
 * attacker may have written.  Besides the sanitizers it checks the
 * verifier's promises: it counts every line, a first break lies within
 * them and has a reason, and the head is 64 hex digits.  The input's
 * first line also goes through sl_audit_parse_line() on its own (no
 * trailing NUL, so overreads show), and a line it accepts must verify the
 * same way inside a file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

static void check_result(const uint8_t *data, size_t size, int ret,
			 const struct sl_audit_verify_result *res)
{
	uint64_t lines = 0;
	size_t i;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (size && data[size - 1] != '\n')
		lines++;
	if (res->lines != lines || strlen(res->head) != 64)
		abort();
	if (ret == 0 && (res->breaks || res->line))
		abort();
	if (ret == -EBADMSG &&
	    (!res->breaks || !res->line || res->line > lines || !res->why[0]))
		abort();
	if (ret != 0 && ret != -EBADMSG)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_audit_verify_result res;
	char prev[SL_AUDIT_HASH_HEX], why[128];
	const uint8_t *nl = memchr(data, '\n', size);
	size_t first = nl ? (size_t)(nl - data) : size;
	char *copy;
	time_t t;
	int ret;

	ret = sl_audit_verify_buf((const char *)data, size, &res, NULL, NULL);
	check_result(data, size, ret, &res);

	copy = malloc(first ? first : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, first);
	if (sl_audit_parse_line(copy, first, prev, &t, why, sizeof(why)) == 0) {
		if (strlen(prev) != 64)
			abort();
		/* Accepted alone, so in a file only its prev can fail. */
		if (nl && first < SL_AUDIT_LINE_MAX && res.line == 1 &&
		    !strstr(res.why, "genesis"))
			abort();
	} else if (!why[0]) {
		abort();
	}
	free(copy);
	return 0;
}
