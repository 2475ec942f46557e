# qemu guest tests (kTLS and, later, kernel-module tests).
#
#   make -f tests/vm/vm.mk check-vm    build the kTLS probe and the programs, boot
#                                      Debian's stock kernel in qemu, run
#                                      tests/vm/suite.sh inside (the probe, then
#                                      the relay end to end on the kernel TLS path:
#                                      relay_e2e.py, relay_records.py)
#   make -f tests/vm/vm.mk vm-prepare  only fetch/unpack the kernel, build the initramfs
#   make -f tests/vm/vm.mk vm-clean    drop build/vm (kernel cache included)
#
# Safe to include from the top Makefile: every name here starts with VM_ or vm-
# except the check-vm target.  See tests/vm/README.md.

VM_TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))../..)
VM_OUT := $(VM_TOP)/build/vm
VM_RUN := $(VM_TOP)/scripts/vm/run.sh
VM_PROBE := $(VM_OUT)/ktls_probe

VM_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wformat=2 -D_GNU_SOURCE \
	$(shell pkg-config --cflags openssl 2>/dev/null)
VM_LIBS := $(shell pkg-config --libs openssl 2>/dev/null) -lpthread

ifneq ($(V),1)
VM_Q := @
else
VM_Q :=
endif

.PHONY: check-vm vm-prepare vm-clean

$(VM_PROBE): $(VM_TOP)/tests/vm/ktls_probe.c
	@printf '  %-6s %s\n' CC $(patsubst $(VM_TOP)/%,%,$@)
	@mkdir -p $(@D)
	$(VM_Q)pkg-config --exists openssl || { echo 'ktls_probe needs OpenSSL 3 (libssl-dev)' >&2; exit 1; }
	$(VM_Q)$(CC) $(VM_CFLAGS) -o $@.tmp $< $(VM_LIBS) && mv $@.tmp $@

# deps.sh exits 77 with a "SKIP: ..." line when qemu cannot be installed: that
# is a skip (exit 0).  With qemu present, anything but the probe's 0 inside the
# guest fails, including its own 77 (the guest kernel must have kTLS) and the
# harness's 124 (timeout) / 125 (guest never reported).
check-vm:
	$(VM_Q)$(VM_TOP)/scripts/vm/deps.sh; rc=$$?; \
	if [ $$rc -eq 77 ]; then echo 'check-vm: SKIP (qemu harness unavailable)'; exit 0; fi; \
	[ $$rc -eq 0 ] || exit $$rc; \
	$(MAKE) --no-print-directory -f $(VM_TOP)/tests/vm/vm.mk $(VM_PROBE) || exit 1; \
	$(MAKE) --no-print-directory -C $(VM_TOP) B=build/release SANITIZE= all || exit 1; \
	$(VM_RUN) $(VM_TOP)/tests/vm/suite.sh; rc=$$?; \
	case $$rc in \
	0) echo 'check-vm: PASS' ;; \
	77) echo 'check-vm: FAIL: the probe skipped inside the guest (no kTLS there?)' ;; \
	124) echo 'check-vm: FAIL: guest timed out' ;; \
	125) echo 'check-vm: FAIL: guest never reported (boot, panic or harness failure)' ;; \
	*) echo "check-vm: FAIL: the guest suite exited $$rc (tests/vm/suite.sh)" ;; \
	esac; \
	exit $$rc

vm-prepare:
	$(VM_Q)$(VM_TOP)/scripts/vm/prepare.sh >/dev/null

vm-clean:
	rm -rf $(VM_OUT)
