#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Installs the Debian 12 packages that sluice's build, tests and demo need,
# only those that are missing.  Idempotent; prints one line.
#
#   scripts/deps.sh          build, tests, demo (make check, make demo)
#   scripts/deps.sh bench    the same and the BENCH list (make bench)
#
# libclang-rt-14-dev is only a Recommends of clang-14, and we install
# without recommends: it carries libFuzzer and the sanitizer runtimes that
# "clang -fsanitize=fuzzer,address,undefined" links.
set -euo pipefail

PKGS=(
	build-essential		# gcc, make, libc6-dev
	pkg-config
	libssl-dev openssl
	libargon2-dev		# Argon2id password hashes
	libnl-3-dev libnl-genl-3-dev
	uthash-dev
	libsqlite3-dev		# relay state store (state.db)
	liburing-dev		# the relay's io_uring data plane
	libbpf-dev bpftool	# agent eBPF enforcement: libbpf, skeletons
	libcmocka-dev		# unit tests
	clang llvm		# fuzzers; llvm-symbolizer for sanitizer reports
	libclang-rt-14-dev	# libFuzzer and clang's sanitizer runtimes
	python3 python3-pytest	# system tests (/usr/bin/python3)
	procps iproute2		# system tests and demo: ps/pkill, ip netns
	coreutils		# timeout(1) in scripts/run-unit.sh
	prometheus		# promtool and a real server for the metrics tests
)

# Only for make bench and make bench-plot (docs/benchmarks.md), so that
# make check stays lean.
BENCH=(
	haproxy			# the baseline TLS->TLS relay
	gnuplot-nox		# make bench-plot: the PNG chart
	util-linux		# taskset(1): relay on one CPU, load on the other
)

case "${1:-}" in
"") ;;
bench) PKGS+=("${BENCH[@]}") ;;
*) echo "usage: $0 [bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${PKGS[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	if [ "$status" != "install ok installed" ]; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run as root (sudo $0) or install them with:" \
	     "apt-get install --no-install-recommends ${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends \
	"${missing[@]}"; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "deps: apt-get failed installing: ${missing[*]}" >&2
	exit 1
fi
echo "deps: installed ${missing[*]}"
