#!/bin/sh
# SPDX-License-Identifier: MIT
#
# What `make check-vm` runs inside the guest, in one boot:
#   1. build/vm/ktls_probe   kTLS on a loopback pair (TLS version x cipher)
#   2. tests/vm/relay_e2e.py relay, agent, client and device end to end
#                            (the kernel TLS splice path, 4 MiB each way)
#   3. tests/vm/relay_records.py  a non-data TLS record ends a kernel TLS
#                            session with its type in the reason
# Exits with the first failure's status (the probe's 77 included).
#
#   scripts/vm/run.sh tests/vm/suite.sh
set -u
cd "$(dirname "$0")/../.." || exit 1
build/vm/ktls_probe || exit $?
/usr/bin/python3 tests/vm/relay_e2e.py build/release/bin || exit $?
/usr/bin/python3 tests/vm/relay_records.py build/release/bin || exit $?
exit 0
