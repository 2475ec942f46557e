// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the metrics endpoint's HTTP request parser.  Besides
 * the sanitizers it checks the parser's promises: a length within the
 * input, a NUL-terminated path that starts with '/' and has no query, and
 * only the statuses the header lists.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_http_req req;
	char *copy = malloc(size ? size : 1);
	int ret;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	ret = sl_http_parse(copy, size, &req);
	if (ret > 0) {
		size_t n = strnlen(req.path, sizeof(req.path));

		if ((size_t)ret > size || (size_t)ret > SL_HTTP_REQ_MAX ||
		    n == sizeof(req.path) || req.path[0] != '/' ||
		    strchr(req.path, '?'))
			abort();
	} else if (ret < 0 && ret != -400 && ret != -414 && ret != -431 &&
		   ret != -505) {
		abort();
	}
	free(copy);
	return 0;
}
