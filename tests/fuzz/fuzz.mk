# SPDX-License-Identifier: MIT
#
# libFuzzer targets of the sluice parsers.  Run from the repository root:
#
#   make -f tests/fuzz/fuzz.mk run FUZZ_RUN_TIME=60
#
# builds build/fuzz/fuzz_<target> with clang -fsanitize=fuzzer,address,
# undefined (the library sources compiled into each target), seeds the
# working corpus build/fuzz/corpus-<target> from tests/fuzz/corpus/<target>/
# and, for wire, from the messages build/fuzz/gen_corpus makes, then runs
# each target for FUZZ_RUN_TIME seconds.  Any crash, leak, sanitizer report
# or timeout fails the run; the reproducer stays in
# build/fuzz/fuzz_<target>-crash-* (or -leak-, -timeout-, -oom-), the log in
# build/fuzz/fuzz_<target>.log.  Reproduce with build/fuzz/fuzz_<target> FILE.
#
#   make -f tests/fuzz/fuzz.mk [all]        build the targets only
#   make -f tests/fuzz/fuzz.mk run-wire     run one target (wire: the codec,
#                                           conf, http, ctl: the relay's
#                                           operator request checks)
#   V=1                                     show full commands

FUZZ_RUN_TIME ?= 60
FUZZ_CC ?= clang
FD := build/fuzz
TARGETS := wire conf http csr ctl audit

PKGS := libnl-3.0 libnl-genl-3.0 openssl libbpf libargon2 liburing
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# The main Makefile's flags, with clang's sanitizers.  CFLAGS is not used:
# it may hold gcc-only options.
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	-Wno-format-nonliteral -D_GNU_SOURCE -Iinclude -Iuserspace/lib \
	$(PKG_CFLAGS) -fno-omit-frame-pointer
SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
LIBS := $(PKG_LIBS) -lpthread

LIB_SRC := $(wildcard userspace/lib/*.c)
LIB_DEPS := $(LIB_SRC) $(wildcard userspace/lib/*.h) include/uapi/sluice.h

# Sources a target needs beyond the library.
SRC_ctl := userspace/relay/ctl_parse.c

# Per-target libFuzzer options.
ARGS_wire := -max_len=70000
ARGS_conf := -max_len=4096 -dict=tests/fuzz/conf.dict
ARGS_http := -max_len=9000
ARGS_csr := -max_len=4096
ARGS_ctl := -max_len=70000
ARGS_audit := -max_len=20000 -dict=tests/fuzz/audit.dict

export ASAN_OPTIONS ?= abort_on_error=1:detect_leaks=1:symbolize=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1

ifneq ($(V),1)
Q := @
msg = @printf '  %-6s %s\n' $(1) $(2)
else
Q :=
msg =
endif

.PHONY: all run $(TARGETS:%=run-%) clean-fuzz
.DELETE_ON_ERROR:

all: $(TARGETS:%=$(FD)/fuzz_%)

.SECONDEXPANSION:
$(TARGETS:%=$(FD)/fuzz_%): $(FD)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_DEPS) \
		tests/fuzz/fuzz.mk $$(SRC_$$*) userspace/relay/ctl.h
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(SAN) -fsanitize=fuzzer -o $@ $< \
		$(SRC_$*) $(LIB_SRC) $(LIBS)

$(FD)/gen_corpus: tests/fuzz/gen_corpus.c $(LIB_DEPS) tests/fuzz/fuzz.mk
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(SAN) -o $@ $< $(LIB_SRC) $(LIBS)

# Seeds: the checked-in files of each target, and generated messages.
$(FD)/seeds-wire: $(FD)/gen_corpus
	$(call msg,GEN,$@)
	$(Q)rm -rf $@ $@.tmp && mkdir -p $@.tmp
	$(Q)$(FD)/gen_corpus $@.tmp
	$(Q)mv $@.tmp $@

$(FD)/seeds-conf: $(wildcard tests/fuzz/corpus/conf/*)
	$(call msg,GEN,$@)
	$(Q)rm -rf $@ && mkdir -p $@
	$(Q)cp tests/fuzz/corpus/conf/* $@/

$(FD)/seeds-http: $(wildcard tests/fuzz/corpus/http/*)
	$(call msg,GEN,$@)
	$(Q)rm -rf $@ && mkdir -p $@
	$(Q)cp tests/fuzz/corpus/http/* $@/

$(FD)/seeds-csr: $(wildcard tests/fuzz/corpus/csr/*)
	$(call msg,GEN,$@)
	$(Q)rm -rf $@ && mkdir -p $@
	$(Q)cp tests/fuzz/corpus/csr/* $@/
$(FD)/seeds-ctl: $(wildcard tests/fuzz/corpus/ctl/*)
	$(call msg,GEN,$@)
	$(Q)rm -rf $@ && mkdir -p $@
	$(Q)cp tests/fuzz/corpus/ctl/* $@/
$(FD)/seeds-audit: $(wildcard tests/fuzz/corpus/audit/*)
	$(call msg,GEN,$@)
	$(Q)rm -rf $@ && mkdir -p $@
	$(Q)cp tests/fuzz/corpus/audit/* $@/

run: $(TARGETS:%=run-%)

# Static pattern: the run-* targets are phony, which implicit rules skip.
$(TARGETS:%=run-%): run-%: $(FD)/fuzz_% $(FD)/seeds-%
	$(Q)mkdir -p $(FD)/corpus-$*
	$(Q)cp -n $(FD)/seeds-$*/* $(FD)/corpus-$*/
	$(Q)log=$(FD)/fuzz_$*.log; \
	if $(FD)/fuzz_$* -max_total_time=$(FUZZ_RUN_TIME) -timeout=10 \
		$(ARGS_$*) -artifact_prefix=$(FD)/fuzz_$*- \
		-print_final_stats=1 $(FD)/corpus-$* >$$log 2>&1; then \
		runs=$$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' $$log | tail -n 1); \
		n=$$(ls $(FD)/corpus-$* | wc -l); \
		echo "fuzz_$*: $${runs:-?} runs in $(FUZZ_RUN_TIME)s, corpus $$n inputs, no crash"; \
	else \
		tail -n 60 $$log; \
		echo "fuzz_$*: FAILED, see $$log and $(FD)/fuzz_$*-*"; \
		exit 1; \
	fi

clean-fuzz:
	rm -rf $(FD)
