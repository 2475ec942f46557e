// SPDX-License-Identifier: MIT
#include "bpf_log.h"

#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static int libbpf_to_log(enum libbpf_print_level level, const char *fmt,
			 va_list ap)
{
	char line[512];

	if (level == LIBBPF_DEBUG || !sl_log_debug_enabled())
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	sl_log_debug("libbpf: %s", line);
	return 0;
}

void sl_bpf_log_init(void)
{
	libbpf_set_print(libbpf_to_log);
}
