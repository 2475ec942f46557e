# sluice top-level build (GNU make, non-recursive).
#
#   make                  build the programs into build/release/bin
#   make check            install deps, build with and without ASan/UBSan,
#                         run unit tests, fuzz smoke runs and system tests
#                         (tests run against the sanitizer build)
#   make demo             install deps, build, run scripts/demo.sh
#   make fuzz FUZZ_TIME=600   run every fuzz target for FUZZ_TIME seconds
#   make install PREFIX=/usr/local DESTDIR=
#   make SANITIZE=1       build the sanitizer variant into build/san
#   V=1                   show full commands

PREFIX ?= /usr/local
DESTDIR ?=
FUZZ_TIME ?= 60
FUZZ_SMOKE_TIME ?= 5

CC ?= cc
PKGS := libnl-3.0 libnl-genl-3.0 openssl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ifeq ($(SANITIZE),1)
B ?= build/san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT := -O1 -g
else
B ?= build/release
SAN_FLAGS :=
OPT := -O2 -g
endif

CFLAGS_ALL := -std=gnu11 $(OPT) -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	-Wno-format-nonliteral -MMD -MP -D_GNU_SOURCE -Iinclude -Iuserspace/lib \
	$(PKG_CFLAGS) $(SAN_FLAGS) $(CFLAGS)
LDFLAGS_ALL := $(SAN_FLAGS) $(LDFLAGS)
LIBS := $(PKG_LIBS) -lpthread

ifneq ($(V),1)
Q := @
msg = @printf '  %-6s %s\n' $(1) $(2)
else
Q :=
msg =
endif

LIB_SRC := $(wildcard userspace/lib/*.c)
RELAY_SRC := $(wildcard userspace/relay/*.c)
AGENT_SRC := $(wildcard userspace/agent/*.c)
CLIENT_SRC := $(wildcard userspace/client/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
LIB_OBJ := $(call obj,$(LIB_SRC))
PROGS := $(B)/bin/sluice-relay $(B)/bin/sluice-agent $(B)/bin/sluice-client
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))

.PHONY: all check check-unit check-fuzz check-system demo fuzz install clean deps
.DELETE_ON_ERROR:

all: $(PROGS)

$(B)/obj/%.o: %.c
	$(call msg,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(B)/lib/libsluice.a: $(LIB_OBJ)
	$(call msg,AR,$@)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/bin/sluice-relay: $(call obj,$(RELAY_SRC)) $(B)/lib/libsluice.a
$(B)/bin/sluice-agent: $(call obj,$(AGENT_SRC)) $(B)/lib/libsluice.a
$(B)/bin/sluice-client: $(call obj,$(CLIENT_SRC)) $(B)/lib/libsluice.a
$(PROGS):
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

$(B)/tests/test_%: $(B)/obj/tests/unit/test_%.o $(B)/lib/libsluice.a
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS) -lcmocka

deps:
	$(Q)scripts/deps.sh

# Every test runs against the sanitizer build; the release build is built
# too so that -Werror holds for both.
check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 all check-unit
	$(Q)$(MAKE) --no-print-directory check-fuzz
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 check-system

check-unit: $(UNIT_BINS)
	$(Q)scripts/run-unit.sh $(UNIT_BINS)

check-system: all
	$(Q)SLUICE_BIN=$(abspath $(B)/bin) /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/system

check-fuzz:
	$(Q)$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk run FUZZ_RUN_TIME=$(FUZZ_SMOKE_TIME)

fuzz:
	$(Q)$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk run FUZZ_RUN_TIME=$(FUZZ_TIME)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh $(abspath $(B)/bin)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/doc/sluice/examples
	install -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 docs/examples/*.conf $(DESTDIR)$(PREFIX)/share/doc/sluice/examples/

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
