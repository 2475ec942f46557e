#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Runs cmocka unit test binaries, each under a timeout, prints their output
# and ends with one line "N passed, M failed" counting test cases.  Exits
# non-zero when a test failed, or a binary crashed, timed out or printed no
# cmocka summary.
#
#   scripts/run-unit.sh build/san/tests/test_wire build/san/tests/test_conf
set -uo pipefail

TIMEOUT=${UNIT_TIMEOUT:-60}
passed=0
failed=0

if [ $# -eq 0 ]; then
	echo "run-unit: no test binaries given" >&2
	echo "0 passed, 0 failed"
	exit 1
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT

for bin in "$@"; do
	name=$(basename "$bin")
	echo "=== $name"
	if [ ! -x "$bin" ]; then
		echo "run-unit: $bin: not an executable" >&2
		failed=$((failed + 1))
		continue
	fi
	timeout -k 5 "$TIMEOUT" "$bin" >"$out" 2>&1
	rc=$?
	cat "$out"

	# cmocka: "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s), ...";
	# the "[  FAILED  ] test_name" lines that follow carry no count.
	p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\..*/\1/p' "$out" |
	    awk '{ s += $1 } END { print s + 0 }')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s).*/\1/p' "$out" |
	    awk '{ s += $1 } END { print s + 0 }')
	summaries=$(grep -c '^\[==========\] [0-9][0-9]* test(s) run\.' "$out")

	if [ "$summaries" -eq 0 ]; then
		# Crashed, aborted by a sanitizer or timed out before cmocka
		# could count: count the tests that finished, plus one failure
		# for the test that never did.
		p=$(grep -c '^\[       OK \]' "$out")
		f=$(grep -c '^\[  FAILED  \] [^0-9]' "$out")
		f=$((f + 1))
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "run-unit: $name: timed out after ${TIMEOUT}s" >&2
		else
			echo "run-unit: $name: no cmocka summary, exit status $rc" >&2
		fi
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# Every test passed, then the binary failed (LeakSanitizer at
		# exit, or a timeout after the summary).
		f=1
		echo "run-unit: $name: exit status $rc after its tests passed" >&2
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
