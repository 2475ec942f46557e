#!/bin/bash
# SPDX-License-Identifier: MIT
#
# make bench: sluice-relay against HAProxy and a direct TLS connection, on
# loopback, with sluice-bench as client, simulated agents and device.
#
#   scripts/bench/run.sh BINDIR [--reps N] [--agents "10000 50000"]
#                              [--bytes SIZE] [--seconds S] [--count N]
#                              [--real-agent] [--quick] [--fresh] [--out DIR]
#                              [--relay-set 'KEY = VALUE']...
#
#   make bench                                   # the full run (a few minutes)
#   make bench BENCH_ARGS='--agents 10000'       # skip the 50,000-agent run
#   scripts/bench/run.sh build/release/bin --quick   # seconds, for tests
#
# Layout (docs/benchmarks.md):
#
#   cpu0:  sluice-relay | haproxy (nbthread 1)        the system under test
#   cpu1:  sluice-bench (clients, simulated agents), sluice-agent, devices
#
#   sluice:  bench ==tls==> relay <==tls== device as a simulated agent
#            (--real-agent: relay <==tls== sluice-agent --tcp--> device)
#   haproxy: bench ==tls==> haproxy ==tls==> device (TLS)
#            (handshakes: bench ==tls==> haproxy --tcp--> device)
#   direct:  bench ==tls==> device (TLS)                    the ceiling
#
# All use the relay's ECDSA P-256 certificate and TLS 1.3 with OpenSSL's
# default suites and groups; the probe lines in the log show what each
# path negotiated.  Results: OUT/results.csv (one line per repetition),
# OUT/summary.csv (min/median/max, ratio to HAProxy) and the table on
# stdout.  OUT defaults to build/bench.
#
# Identities (docs/security.md): the relay's state (its key, CAs and
# state.db) and the identities sluice-bench enrolled (agents with their
# secondary ids, the bench user) live in OUT/state and are kept between
# runs, so that 50,000 agents enroll once; --fresh starts them anew.
# sluice-bench makes its join tokens and user itself through the operator
# commands (--relay-conf); the one operator action of this script, the
# join token of --real-agent's sluice-agent, goes through the same place
# (sluice-bench operator).
set -euo pipefail

usage() {
	sed -n '5,13p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

[ $# -ge 1 ] || usage
BIN=$(cd "$1" && pwd)
shift
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
REPS=3
AGENTS="10000 50000"
BYTES=256M
BYTES8=64M
SECONDS_HS=5
HS_CONC=32
SETUP_COUNT=500
PP_COUNT=10000
OUT=$ROOT/build/bench
REAL_AGENT=0
FRESH=0
RELAY_SET=""	# extra relay.conf lines, for A/B runs (handshake_threads = 0)
while [ $# -gt 0 ]; do
	case "$1" in
	--reps) REPS=$2; shift 2 ;;
	--agents) AGENTS=$2; shift 2 ;;
	--bytes) BYTES=$2; BYTES8=$2; shift 2 ;;
	--seconds) SECONDS_HS=$2; shift 2 ;;
	--count) SETUP_COUNT=$2; PP_COUNT=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--real-agent) REAL_AGENT=1; shift ;;
	--fresh) FRESH=1; shift ;;
	--relay-set) RELAY_SET+="$2"$'\n'; shift 2 ;;
	--quick) REPS=1; AGENTS=20; BYTES=8M; BYTES8=2M; SECONDS_HS=2
		 HS_CONC=4 SETUP_COUNT=20; PP_COUNT=200; shift ;;
	*) usage ;;
	esac
done

for p in sluice-relay sluice-agent sluice-bench; do
	[ -x "$BIN/$p" ] || { echo "bench: $BIN/$p is not built" >&2; exit 1; }
done
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
if [ ! -x "$HAPROXY" ]; then
	echo "bench: haproxy is not installed (scripts/deps.sh bench)" >&2
	exit 1
fi

# CPUs: the server on the first, the load on the second (the same one on a
# single-CPU machine).
ncpu=$(nproc)
CPU_SRV=0
CPU_LOAD=$((ncpu > 1 ? 1 : 0))
PIN_SRV=(taskset -c "$CPU_SRV")
PIN_LOAD=(taskset -c "$CPU_LOAD")

# File descriptors: N idle agents need N of them in the relay and in
# sluice-bench alike (both inherit this shell's limit).  Raising the hard
# limit needs CAP_SYS_RESOURCE; without it the hard limit caps the idle
# measurement (see below).
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
NOFILE=$(ulimit -n)

WORK=$OUT/work
STATE=$OUT/state
rm -rf "$WORK" "$OUT/idle-substituted.csv"
[ "$FRESH" = 0 ] || rm -rf "$STATE"
mkdir -p "$WORK" "$STATE"
chmod 700 "$STATE"
RESULTS=$OUT/results.csv
echo "target,metric,unit,rep,value,count,server_cpu_pct,cpu0_pct,cpu1_pct" > "$RESULTS.tmp"

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }

# Starts a program in the background, output to WORK/NAME.{out,err};
# sets $LAST_PID.
start() {
	local name=$1
	shift
	"$@" > "$WORK/$name.out" 2> "$WORK/$name.err" &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
}

stop_pid() {
	local p=$1 i
	kill "$p" 2>/dev/null || true
	for i in $(seq 50); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	local keep=()
	for i in "${PIDS[@]}"; do
		[ "$i" = "$p" ] || keep+=("$i")
	done
	PIDS=("${keep[@]}")
}

# wait_file FILE REGEX WHAT: polls (bounded) until FILE has a line matching
# REGEX and prints the first match of its group \1 (sed -E syntax).
wait_match() {
	local file=$1 re=$2 what=$3 i v
	for i in $(seq 200); do
		v=$(sed -nE "s/.*$re.*/\\1/p" "$file" 2>/dev/null | head -n1)
		if [ -n "$v" ]; then
			echo "$v"
			return 0
		fi
		sleep 0.05
	done
	log "timed out waiting for $what ($file):"
	tail -n 20 "$file" >&2 || true
	return 1
}

# wait_listen PORT WHAT: polls (bounded) until 127.0.0.1:PORT accepts.
wait_listen() {
	local i
	for i in $(seq 200); do
		if (exec 3<> "/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	log "timed out waiting for $2 to listen on 127.0.0.1:$1"
	return 1
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

RELAY_PORT=$(free_port)
# Never the default control port id, which another relay on this host may
# hold.
CTL_PORT_ID=$((4194305 + ((RANDOM << 15) | RANDOM) % 1000000000))
relay_conf() {
	cat > "$WORK/relay.conf" <<-EOF
	# generated by scripts/bench/run.sh
	listen = 127.0.0.1:$RELAY_PORT
	state_dir = $STATE/relay
	control_port_id = $CTL_PORT_ID
	heartbeat_interval = 1h
	handshake_timeout = 60s
	max_sessions = 100000
	metrics_listen = off
	admission_rate = 0
	source_lockout_failures = 0
	EOF
	printf '%s' "$RELAY_SET" >> "$WORK/relay.conf"
	chmod 600 "$WORK/relay.conf"
}

RELAY_PID=
start_relay() {
	local n=$((${RELAY_STARTS:-0} + 1))
	RELAY_STARTS=$n
	start "relay-$n" "${PIN_SRV[@]}" "$BIN/sluice-relay" -f "$WORK/relay.conf"
	RELAY_PID=$LAST_PID
	FP=$(wait_match "$WORK/relay-$n.err" 'relay fingerprint (sha256:[0-9a-f]{64})' \
		"the relay's fingerprint")
	wait_match "$WORK/relay-$n.err" "listening on (127\\.0\\.0\\.1:$RELAY_PORT)" \
		"the relay to listen" > /dev/null
}

# ------------------------------------------------------------------ setup

relay_conf
start_relay
KEY=$STATE/relay/relay.key
CRT=$STATE/relay/relay.crt
# How sluice-bench logs in: identities cached in STATE/bench, made on the
# relay through its operator commands where missing.
IDENT=(--state "$STATE/bench" --relay-conf "$WORK/relay.conf")
cat "$CRT" "$KEY" > "$WORK/haproxy.pem"
chmod 600 "$WORK/haproxy.pem"

# The devices: plain TCP behind sluice-agent and for HAProxy's handshake
# frontend, TLS (the relay's certificate) behind HAProxy and reached directly.
start device-plain "${PIN_LOAD[@]}" "$BIN/sluice-bench" device --listen 127.0.0.1:0
DEV_PORT=$(wait_match "$WORK/device-plain.out" 'listening on 127\.0\.0\.1:([0-9]+)' \
	"the plain device")
start device-tls "${PIN_LOAD[@]}" "$BIN/sluice-bench" device --listen 127.0.0.1:0 \
	--cert "$CRT" --key "$KEY"
DEV_TLS_PID=$LAST_PID
DEV_TLS_PORT=$(wait_match "$WORK/device-tls.out" 'listening on 127\.0\.0\.1:([0-9]+)' \
	"the TLS device")

# The agent of the sluice path: by default the bench device itself as a
# simulated agent (agent.c, enrolled once), one TLS hop like the TLS device
# behind HAProxy; with --real-agent sluice-agent in front of the plain
# device, enrolled once with a join token into STATE/agent.
SIM_PORT=9000
JOIN_TOKEN=
if [ "$REAL_AGENT" = 1 ]; then
	SLUICE_DEV_PORT=$DEV_PORT
	AGENT_NAME=bench-real-agent
	if [ ! -e "$STATE/agent/agent.crt" ]; then
		JOIN_TOKEN=$("$BIN/sluice-bench" operator --relay-conf "$WORK/relay.conf" \
			-- token create ROOT --ttl 1h --count 1 2>> "$WORK/bench.log" |
			grep -m1 '^sjt_')
	fi
else
	SLUICE_DEV_PORT=$SIM_PORT
	AGENT_NAME=bench-agent
fi
cat > "$WORK/agent.conf" <<-EOF
# generated by scripts/bench/run.sh
name = $AGENT_NAME
relay = 127.0.0.1:$RELAY_PORT
${JOIN_TOKEN:+join_token = $JOIN_TOKEN}
relay_fingerprint = $FP
state_dir = $STATE/agent
connect_timeout = 10s
reconnect_max = 1s

[device dev]
host = 127.0.0.1
ports = $DEV_PORT
EOF
chmod 600 "$WORK/agent.conf"
start_agent() {
	if [ "$REAL_AGENT" = 1 ]; then
		start agent "${PIN_LOAD[@]}" "$BIN/sluice-agent" -f "$WORK/agent.conf"
		AGENT_PID=$LAST_PID
		wait_match "$WORK/agent.err" '(connected to relay)' \
			"the agent to connect" > /dev/null
	else
		start agent "${PIN_LOAD[@]}" "$BIN/sluice-bench" device \
			--sluice "127.0.0.1:$RELAY_PORT" --fingerprint "$FP" \
			"${IDENT[@]}" --agent "$AGENT_NAME" --device dev \
			--device-port "$SIM_PORT"
		AGENT_PID=$LAST_PID
		wait_match "$WORK/agent.out" "(agent $AGENT_NAME connected)" \
			"the simulated agent to connect" > /dev/null
	fi
}
start_agent

HAP_PORT=$(free_port)
HAP_HS_PORT=$(free_port)
# The client certificate of the handshake runs against HAProxy: the device's
# agent's (enrolled by now).  HAProxy's handshake frontend verifies it
# against the relay's agent CA, so that it does the mutual TLS work of an
# agent login (the relay's login then adds its store and audit writes).
if [ "$REAL_AGENT" = 1 ]; then
	HS_CRT=$STATE/agent/agent.crt
	HS_KEY=$STATE/agent/agent.key
else
	HS_DIR=$STATE/bench/relay-$(printf '%s' "${FP#sha256:}" | cut -c1-16)/agents
	HS_CRT=$HS_DIR/$AGENT_NAME.crt
	HS_KEY=$HS_DIR/$AGENT_NAME.key
fi
# One thread, mode tcp, TLS 1.3 on both sides with the relay's certificate
# and OpenSSL's default suites and groups, no tickets (sluice offers none),
# no session reuse towards the device (the device has no cache either).
cat > "$WORK/haproxy.cfg" <<-EOF
# generated by scripts/bench/run.sh
global
	nbthread 1
	maxconn $((NOFILE / 2 - 100))
	ssl-default-bind-options ssl-min-ver TLSv1.3 no-tls-tickets
	ssl-default-server-options ssl-min-ver TLSv1.3 no-tls-tickets
	tune.ssl.default-dh-param 2048

defaults
	mode tcp
	timeout connect 10s
	timeout client 1h
	timeout server 1h

frontend relay
	bind 127.0.0.1:$HAP_PORT ssl crt $WORK/haproxy.pem
	default_backend device_tls

frontend handshake
	bind 127.0.0.1:$HAP_HS_PORT ssl crt $WORK/haproxy.pem ca-file $STATE/relay/agent-ca.crt verify required
	default_backend device_plain

backend device_tls
	server dev 127.0.0.1:$DEV_TLS_PORT ssl verify none no-ssl-reuse

backend device_plain
	server dev 127.0.0.1:$DEV_PORT
EOF
"$HAPROXY" -c -q -f "$WORK/haproxy.cfg"
start haproxy "${PIN_SRV[@]}" "$HAPROXY" -db -f "$WORK/haproxy.cfg"
HAP_PID=$LAST_PID
wait_listen "$HAP_PORT" haproxy
wait_listen "$HAP_HS_PORT" haproxy

BENCH=("${PIN_LOAD[@]}" "$BIN/sluice-bench")
# Per target: how sluice-bench reaches it, and whose CPU it reports.
target_args() {
	case "$1" in
	sluice) echo "--sluice 127.0.0.1:$RELAY_PORT ${IDENT[*]} --agent $AGENT_NAME" \
		"--device dev --device-port $SLUICE_DEV_PORT --pid $RELAY_PID" ;;
	haproxy) echo "--tls 127.0.0.1:$HAP_PORT --pid $HAP_PID" ;;
	haproxy-hs) echo "--tls 127.0.0.1:$HAP_HS_PORT --pid $HAP_PID" ;;
	direct) echo "--tls 127.0.0.1:$DEV_TLS_PORT --pid $DEV_TLS_PID" ;;
	esac
}

# run TARGET REP NAME ARGS...: one sluice-bench measurement; its result
# lines go to the CSV.
run() {
	local target=$1 rep=$2 name=$3 tag=$1
	shift 3
	[ "$target" = haproxy-hs ] && tag=haproxy
	# shellcheck disable=SC2046
	if ! "${BENCH[@]}" "$name" --fingerprint "$FP" $(target_args "$target") "$@" \
		> "$WORK/run.out" 2> "$WORK/run.err"; then
		log "$name against $tag failed:"
		cat "$WORK/run.err" >&2
		return 1
	fi
	cat "$WORK/run.err" >> "$WORK/bench.log"
	awk -F, -v t="$tag" -v r="$rep" '$1 == "result" {
		print t "," $2 "," $4 "," r "," $3 "," $5 "," $6 "," $7 "," $8 }' \
		"$WORK/run.out" >> "$RESULTS.tmp"
}

for t in sluice haproxy direct; do
	# shellcheck disable=SC2046
	"${BENCH[@]}" probe --fingerprint "$FP" $(target_args "$t") \
		> "$WORK/probe-$t.out" 2>> "$WORK/bench.log"
	sed "s/^/bench: $t: /" "$WORK/probe-$t.out" >&2
done

log "$REPS repetitions; relay and haproxy on cpu$CPU_SRV, load on cpu$CPU_LOAD;" \
	"sluice through $([ "$REAL_AGENT" = 1 ] && echo sluice-agent || echo a simulated agent)"
for rep in $(seq "$REPS"); do
	for t in sluice haproxy direct; do
		log "rep $rep: $t"
		run "$t" "$rep" bulk --bytes "$BYTES"
		run "$t" "$rep" bulk --bytes "$BYTES8" --sessions 8
		if [ "$t" = haproxy ]; then
			run haproxy-hs "$rep" handshake --seconds "$SECONDS_HS" \
				--concurrency "$HS_CONC" --source 127.0.2.1 --sources 8 \
				--cert "$HS_CRT" --key "$HS_KEY"
		else
			run "$t" "$rep" handshake --seconds "$SECONDS_HS" \
				--concurrency "$HS_CONC" --source 127.0.2.1 --sources 8
		fi
		run "$t" "$rep" setup --count "$SETUP_COUNT"
		run "$t" "$rep" pingpong --count "$PP_COUNT" --size 64
	done
done

# Idle agents: a fresh relay for each count, so that its RSS before the
# agents is that of an empty relay.
stop_pid "$HAP_PID"
for n in $AGENTS; do
	stop_pid "$AGENT_PID"
	stop_pid "$RELAY_PID"
	if [ $((n + 500)) -gt "$NOFILE" ]; then
		# Raising the hard limit needs CAP_SYS_RESOURCE.  Measure the
		# most this host allows instead, under its own count.
		m=$(((NOFILE - 500) / 1000 * 1000))
		log "idle: $n agents need $((n + 500)) file descriptors in the" \
			"relay; RLIMIT_NOFILE is $NOFILE here and cannot be raised:" \
			"measuring $m agents instead"
		echo "$n,$m,RLIMIT_NOFILE $NOFILE" >> "$OUT/idle-substituted.csv"
		n=$m
		[ "$n" -gt 0 ] || continue
	fi
	start_relay
	nsrc=$((n / 20000 + 2))
	# One set of names for every count: the 10,000 agents are the first
	# of the 50,000, enrolled once (the first run enrolls them, which
	# takes a while; later runs only log in).
	log "idle: $n simulated agents from $nsrc source addresses"
	run sluice 1 idle --agents "$n" --concurrency 64 \
		--source 127.0.3.1 --sources "$nsrc" --prefix idle- \
		--timeout 60
done

mv "$RESULTS.tmp" "$RESULTS"
python3 "$HERE/table.py" "$RESULTS" "$OUT/summary.csv"
log "wrote $RESULTS and $OUT/summary.csv; logs in $WORK"
