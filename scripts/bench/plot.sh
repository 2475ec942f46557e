#!/bin/bash
# SPDX-License-Identifier: MIT
#
# make bench-plot: a PNG chart of the last make bench.
#
#   scripts/bench/plot.sh [SUMMARY.csv] [OUT.png]
#
# Defaults: build/bench/summary.csv -> build/bench/bench.png.  Four panels
# (throughput, handshakes, setup latency, ping-pong latency), one bar per
# target (sluice, HAProxy, direct) at the median, with min-max error bars.
# Needs gnuplot (scripts/deps.sh bench installs gnuplot-nox).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUMMARY=${1:-$ROOT/build/bench/summary.csv}
PNG=${2:-$ROOT/build/bench/bench.png}

if [ ! -r "$SUMMARY" ]; then
	echo "bench-plot: $SUMMARY not found; run make bench first" >&2
	exit 1
fi
if ! command -v gnuplot > /dev/null; then
	echo "bench-plot: gnuplot is not installed (scripts/deps.sh bench)" >&2
	exit 1
fi

DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT

# panel NAME METRIC...: one line per metric, "metric s_med s_min s_max
# h_med h_min h_max d_med d_min d_max" ("-" where a target has no value).
panel() {
	local name=$1
	shift
	awk -F, -v list="$*" '
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	{ key = $col["metric"] SUBSEP $col["target"]
	  med[key] = $col["median"]; lo[key] = $col["min"]; hi[key] = $col["max"] }
	END {
		n = split(list, ms, " "); split("sluice haproxy direct", ts, " ")
		for (i = 1; i <= n; i++) {
			line = ms[i]
			for (j = 1; j <= 3; j++) {
				k = ms[i] SUBSEP ts[j]
				if (k in med) line = line " " med[k] " " lo[k] " " hi[k]
				else line = line " - - -"
			}
			print line
		}
	}' "$SUMMARY" > "$DATA/$name.dat"
}

panel bulk bulk_1 bulk_8
panel handshake handshake
panel setup setup_p50 setup_p99
panel pingpong pingpong_p50 pingpong_p99

mkdir -p "$(dirname "$PNG")"
gnuplot <<-EOF
	set terminal pngcairo size 1400,900 font ",11" noenhanced
	set output "$PNG"
	set datafile missing "-"
	set style data histogram
	set style histogram errorbars gap 1 lw 1
	set style fill solid 0.8 border -1
	set boxwidth 0.9
	set grid ytics
	set yrange [0:*]
	set key top left
	set multiplot layout 2,2 title "sluice-relay vs HAProxy vs direct TLS (median, min-max) — $(basename "$(dirname "$SUMMARY")")"
	set title "bulk throughput (MiB/s, higher is better)"
	plot "$DATA/bulk.dat" using 2:3:4:xtic(1) title "sluice", \
	     "" using 5:6:7 title "haproxy", "" using 8:9:10 title "direct"
	set title "full TLS handshakes; sluice: agent logins (conn/s, higher is better)"
	plot "$DATA/handshake.dat" using 2:3:4:xtic(1) title "sluice", \
	     "" using 5:6:7 title "haproxy", "" using 8:9:10 title "direct"
	set title "session setup (ms, lower is better)"
	plot "$DATA/setup.dat" using 2:3:4:xtic(1) title "sluice", \
	     "" using 5:6:7 title "haproxy", "" using 8:9:10 title "direct"
	set title "64-byte ping-pong round trip (us, lower is better)"
	plot "$DATA/pingpong.dat" using 2:3:4:xtic(1) title "sluice", \
	     "" using 5:6:7 title "haproxy", "" using 8:9:10 title "direct"
	unset multiplot
EOF
echo "bench-plot: wrote $PNG"
