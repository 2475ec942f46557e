#!/bin/bash
# SPDX-License-Identifier: MIT
#
# A guided run of sluice on this machine: relay, agent, client and a demo
# device (an echo server), all on 127.0.0.1 in a temporary directory.
# Every step says what happens; everything started here is stopped at the
# end, also when a step fails (then the log that explains it is shown).
#
#   scripts/demo.sh /abs/path/to/build/release/bin      (make demo does this)
set -euo pipefail

BIN=${1:-}
if [ -z "$BIN" ] || [ $# -ne 1 ]; then
	echo "usage: $0 BINDIR   (the directory holding sluice-relay, sluice-agent, sluice-client)" >&2
	exit 2
fi
for p in sluice-relay sluice-agent sluice-client; do
	if [ ! -x "$BIN/$p" ]; then
		echo "demo: $BIN/$p is missing; build it first with: make" >&2
		exit 1
	fi
done

PY=/usr/bin/python3		# Debian's python, standard library only
WAIT=15				# seconds: the bound of every wait
SIZE=$((8 << 20))		# bytes sent through the forward
REFUSED_PORT=23			# a port that is not in the device's rules

umask 077
DEMO=$(mktemp -d /tmp/sluice-demo.XXXXXX)
PIDS=()				# every process started here, in start order
SHOWN_FAILURE=0

# --------------------------------------------------------------- helpers

say() { printf '%s\n' "$*"; }
step() { printf '\n== %s\n\n' "$*"; }

# Log lines without timestamp and pid: "sluice-relay: info: message".
show_log() {
	sed -E 's/^[0-9T:.-]+Z ([a-z-]+)\[[0-9]+\]: /\1: /; s/^/    | /' "$@"
}

show_tail() {
	local f=$1
	if [ -s "$f" ]; then
		echo "---- last lines of $(basename "$f") ----" >&2
		tail -n 25 "$f" >&2
	fi
}

# fail MESSAGE [LOG...]: says what failed, shows the logs, exits non-zero.
fail() {
	local msg=$1 f
	shift
	echo >&2
	echo "demo FAILED: $msg" >&2
	for f in "$@"; do
		show_tail "$f"
	done
	SHOWN_FAILURE=1
	exit 1
}

stop_all() {
	local i pid n
	# One at a time, newest first: clients, agent, relay, device; each
	# gets 5 s to exit after SIGTERM, then SIGKILL.
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		pid=${PIDS[i]}
		kill -TERM "$pid" 2>/dev/null || true
		for ((n = 0; n < 50; n++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "demo: pid $pid did not stop within 5 s; killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	PIDS=()
}

on_exit() {
	local rc=$?
	trap - EXIT
	set +e
	if [ "$rc" -ne 0 ] && [ "$SHOWN_FAILURE" -eq 0 ]; then
		echo >&2
		echo "demo FAILED (exit status $rc); the logs so far:" >&2
		for f in "$DEMO"/*.log "$DEMO"/*.out; do
			[ -e "$f" ] && show_tail "$f"
		done
	fi
	stop_all
	rm -rf "$DEMO"
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_for FILE REGEX PID WHAT [LOG...]: waits until a line of FILE matches
# the extended REGEX; fails when PID exits first or after $WAIT seconds,
# showing FILE and the other LOGs.
wait_for() {
	local file=$1 re=$2 pid=$3 what=$4
	local deadline=$((SECONDS + WAIT))
	shift 4

	while :; do
		if grep -Eq -- "$re" "$file" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			sleep 0.2
			grep -Eq -- "$re" "$file" 2>/dev/null && return 0
			fail "$what: the process exited first" "$file" "$@"
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			fail "timed out after ${WAIT}s waiting for $what" "$file" "$@"
		fi
		sleep 0.1
	done
}

# The first line of FILE matching REGEX (empty when none).
first_line() {
	grep -E -m1 -- "$2" "$1" 2>/dev/null || true
}

free_port() {
	"$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

token() {
	openssl rand -hex 16
}

# Config files as shown on screen: secrets masked.
show_conf() {
	sed -E 's/^(join_token = sjt_).*/\1<64 hex digits, used once>/; s/^/    /' "$1"
}

# ------------------------------------------------------------- the demo

cat <<'EOF'
sluice demo
===========

sluice lets a technician reach a machine (a "device", for example a PLC)
that sits behind NAT or a firewall, without opening any inbound port at the
machine's site.  Three programs take part:

  sluice-relay   runs on a server that both sides can reach.  It is the only
                 program that listens on a port.  It checks the secrets of
                 agents and clients, checks every request against the
                 device's port rules, and copies the bytes of each session
                 between its two halves.
  sluice-agent   runs next to the devices.  It dials OUT to the relay, tells
                 it which devices and ports it offers, and connects to a
                 device only when the relay asks for an allowed session.
  sluice-client  runs on the technician's PC.  It lists the devices and
                 opens a local port; every connection to that local port is
                 carried through the relay and the agent to the device.

Every connection to the relay is TLS 1.3.  Here all of it runs on this
machine, on 127.0.0.1, with a small echo server standing in for the device.
EOF
say
say "Programs:          $BIN"
say "Working directory: $DEMO (removed at the end)"

# 1. The device ----------------------------------------------------------

step "1. Start the demo device (an echo server)"

DEVICE_PY='
import hashlib, socket, sys, threading

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(16)
print("device listening on 127.0.0.1:%d" % ls.getsockname()[1], flush=True)

def serve(c, addr):
    h = hashlib.sha256()
    n = 0
    try:
        while True:
            b = c.recv(65536)
            if not b:
                break
            h.update(b)
            n += len(b)
            c.sendall(b)
        c.shutdown(socket.SHUT_WR)
        print("connection from %s:%d: echoed %d bytes, sha256 %s"
              % (addr[0], addr[1], n, h.hexdigest()), flush=True)
    except OSError as e:
        print("connection from %s:%d: failed after %d bytes: %s"
              % (addr[0], addr[1], n, e), flush=True)
    finally:
        c.close()

while True:
    c, addr = ls.accept()
    threading.Thread(target=serve, args=(c, addr), daemon=True).start()
'
"$PY" -u -c "$DEVICE_PY" >"$DEMO/device.log" 2>&1 &
PIDS+=($!)
wait_for "$DEMO/device.log" '^device listening on' "${PIDS[-1]}" "the device to listen"
DEVICE_PORT=$(sed -nE 's/^device listening on 127\.0\.0\.1:([0-9]+)$/\1/p' "$DEMO/device.log")
say "The device listens on 127.0.0.1:$DEVICE_PORT.  It sends back every byte it"
say "receives and, at the end of each connection, logs how many bytes it got and"
say "their SHA-256."

# 2. The relay -----------------------------------------------------------

step "2. Start sluice-relay"

# A relay built with the metrics endpoint would otherwise take its default
# port 127.0.0.1:9464, which another relay on this host may hold.
METRICS=0
printf 'metrics_listen = off\n' \
	>"$DEMO/probe.conf"
if "$BIN/sluice-relay" -n -f "$DEMO/probe.conf" >/dev/null 2>&1; then
	METRICS=1
fi
rm -f "$DEMO/probe.conf"
RELAY_PID=
for attempt in 1 2 3; do
	RELAY_PORT=$(free_port)
	cat >"$DEMO/relay.conf" <<EOF
# sluice-relay configuration for the demo
listen = 127.0.0.1:$RELAY_PORT
state_dir = $DEMO/relay-state
# Agents enroll with a one-time join token and then use a certificate of
# the relay's agent CA; users log in with a certificate of its user CA and
# a password.  Both CAs, the state store and the audit log live in state_dir.
heartbeat_interval = 10s
# sluicectl's netlink port id; not the default, which a relay on this host
# may hold.
control_port_id = $(((RANDOM << 15 | RANDOM) + 1073741824))
EOF
	if [ "$METRICS" -eq 1 ]; then
		METRICS_PORT=$(free_port)
		printf '%s\n' "# Counters for a monitoring system, plain HTTP (step 8)." \
			"metrics_listen = 127.0.0.1:$METRICS_PORT" >>"$DEMO/relay.conf"
	fi
	chmod 600 "$DEMO/relay.conf"
	"$BIN/sluice-relay" -f "$DEMO/relay.conf" >"$DEMO/relay.log" 2>&1 &
	RELAY_PID=$!
	PIDS+=("$RELAY_PID")
	# Until it logs that it is ready (after all its listeners) or exits.
	# The ports were free a moment ago; if someone took one since, retry.
	deadline=$((SECONDS + WAIT))
	while kill -0 "$RELAY_PID" 2>/dev/null &&
	      ! grep -q ' ready ' "$DEMO/relay.log" &&
	      [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.1
	done
	if ! kill -0 "$RELAY_PID" 2>/dev/null &&
	   grep -Eq 'another process holds the port|control_port_id .* is already taken' \
		"$DEMO/relay.log" && [ "$attempt" -lt 3 ]; then
		wait "$RELAY_PID" 2>/dev/null || true
		unset 'PIDS[-1]'
		continue
	fi
	break
done
wait_for "$DEMO/relay.log" 'relay fingerprint sha256:[0-9a-f]{64}' "$RELAY_PID" "the relay's fingerprint"
wait_for "$DEMO/relay.log" 'listening on ' "$RELAY_PID" "the relay to listen"
kill -0 "$RELAY_PID" 2>/dev/null || fail "sluice-relay exited during its start" "$DEMO/relay.log"

say "Its configuration ($DEMO/relay.conf, mode 600 because it holds secrets):"
show_conf "$DEMO/relay.conf"
say
say "Its log so far:"
show_log "$DEMO/relay.log"
FP=$(grep -oE -m1 'sha256:[0-9a-f]{64}' "$DEMO/relay.log")
say
say "On its first start the relay made itself a key pair (ECDSA P-256) and a"
say "self-signed certificate in $DEMO/relay-state/.  Its identity is the"
say "fingerprint, the SHA-256 of its public key:"
say
say "    $FP"
say
if command -v openssl >/dev/null; then
	OWN=$(openssl x509 -in "$DEMO/relay-state/relay.crt" -noout -pubkey |
	      openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
	if [ "sha256:$OWN" = "$FP" ]; then
		say "(The same value, computed with openssl from relay.crt:"
		say "   openssl x509 -in relay.crt -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)"
	else
		fail "openssl computes sha256:$OWN for relay.crt, the relay logged $FP" "$DEMO/relay.log"
	fi
fi
say "Agents and clients check this fingerprint on every connection, so nobody"
say "else can pose as the relay."

# 3. The agent -----------------------------------------------------------

step "3. Start sluice-agent (the site side)"

say "An operator makes a one-time join token for the agent, a user with a"
say "certificate and a password, and a grant of the whole tree to that user:"
say "\$ sluice-relay -f relay.conf token create ROOT"
JOIN_TOKEN=$("$BIN/sluice-relay" -f "$DEMO/relay.conf" token create ROOT --ttl 1h \
	2>"$DEMO/admin.log" | sed -n 's/^  join_token = //p')
[ -n "$JOIN_TOKEN" ] || fail "token create failed" "$DEMO/admin.log"
printf 'demo-password-1\n' >"$DEMO/password"
chmod 600 "$DEMO/password"
say "\$ sluice-relay -f relay.conf user add demo-user --password-file password"
say "\$ sluice-relay -f relay.conf user cert-issue demo-user --out demo-user.p12 --password-file password"
say "\$ sluice-relay -f relay.conf grant add demo-user ROOT"
for cmd in "user add demo-user" "user cert-issue demo-user --out $DEMO/demo-user.p12" \
	"grant add demo-user ROOT"; do
	# shellcheck disable=SC2086 # word splitting of cmd is wanted
	"$BIN/sluice-relay" -f "$DEMO/relay.conf" $cmd --password-file "$DEMO/password" \
		>>"$DEMO/admin.log" 2>&1 || fail "sluice-relay $cmd failed" "$DEMO/admin.log"
done

cat >"$DEMO/agent.conf" <<EOF
# sluice-agent configuration for the demo
name = demo-site
relay = 127.0.0.1:$RELAY_PORT
join_token = $JOIN_TOKEN
state_dir = $DEMO/agent-state
# No relay_fingerprint here: the agent pins the first fingerprint it sees
# (trust on first use) in state_dir/known_relays.

[device plc1]
host = 127.0.0.1
ports = $DEVICE_PORT
EOF
chmod 600 "$DEMO/agent.conf"
say "Its configuration ($DEMO/agent.conf):"
show_conf "$DEMO/agent.conf"
say
say "The agent offers one device, plc1, and allows only TCP port $DEVICE_PORT on it."
"$BIN/sluice-agent" -f "$DEMO/agent.conf" >"$DEMO/agent.log" 2>&1 &
AGENT_PID=$!
PIDS+=("$AGENT_PID")
wait_for "$DEMO/agent.log" 'connected to relay ' "$AGENT_PID" "the agent to connect to the relay" \
	"$DEMO/relay.log"
wait_for "$DEMO/relay.log" 'agent demo-site offers device plc1' "$RELAY_PID" "the relay to register the agent"
say
say "Agent log:"
show_log "$DEMO/agent.log"
say
say "Relay log (new lines):"
grep -E 'agent demo-site' "$DEMO/relay.log" | show_log
say
say "The agent dialled out to the relay; nothing listens at the site."

# 4. List ----------------------------------------------------------------

step "4. sluice-client list (the technician's view)"

cat >"$DEMO/client.conf" <<EOF
# sluice-client configuration for the demo
relay = 127.0.0.1:$RELAY_PORT
user = demo-user
certificate = $DEMO/demo-user.p12
password_file = $DEMO/password
state_dir = $DEMO/client-state
EOF
chmod 600 "$DEMO/client.conf"
say "Its configuration ($DEMO/client.conf):"
show_conf "$DEMO/client.conf"
say
say "\$ sluice-client -f client.conf list"
if ! timeout "$WAIT" "$BIN/sluice-client" -f "$DEMO/client.conf" list \
	>"$DEMO/list.out" 2>"$DEMO/list.log"; then
	fail "sluice-client list failed" "$DEMO/list.log" "$DEMO/relay.log"
fi
sed 's/^/    /' "$DEMO/list.out"
grep -Eq "^demo-site +plc1 +$DEVICE_PORT\$" "$DEMO/list.out" ||
	fail "the list does not show demo-site/plc1 port $DEVICE_PORT" "$DEMO/list.out"
say
say "One row per device: the agent that offers it, its name, the ports allowed."

# 5. The pins ------------------------------------------------------------

step "5. Trust on first use: the pinned relay fingerprint"

for who in agent client; do
	pins="$DEMO/$who-state/known_relays"
	[ -s "$pins" ] || fail "$pins is missing or empty" "$DEMO/$who.log" "$DEMO/list.log"
	say "$who-state/known_relays:"
	sed 's/^/    /' "$pins"
	grep -qF "127.0.0.1:$RELAY_PORT $FP" "$pins" ||
		fail "$pins does not hold the relay's fingerprint $FP" "$pins"
done
say
say "Both the agent and the client recorded the relay's fingerprint the first"
say "time they connected, and it is the one the relay logged.  From now on a"
say "relay at 127.0.0.1:$RELAY_PORT with any other key is refused, with an error"
say "that prints both fingerprints.  In real use, put the fingerprint in the"
say "configuration instead (relay_fingerprint = $FP)"
say "so that even the first connection is checked."

# 6. Forward and 8 MiB ---------------------------------------------------

step "6. sluice-client forward plc1:$DEVICE_PORT, and 8 MiB through it"

say "\$ sluice-client -f client.conf forward plc1:$DEVICE_PORT"
"$BIN/sluice-client" -f "$DEMO/client.conf" forward "plc1:$DEVICE_PORT" \
	>"$DEMO/forward.out" 2>"$DEMO/forward.log" &
FWD_PID=$!
PIDS+=("$FWD_PID")
wait_for "$DEMO/forward.out" '^listening on 127\.0\.0\.1:[0-9]+$' "$FWD_PID" "the forward to listen" \
	"$DEMO/forward.log" "$DEMO/relay.log"
LOCAL_PORT=$(sed -nE 's/^listening on 127\.0\.0\.1:([0-9]+)$/\1/p' "$DEMO/forward.out")
sed 's/^/    /' "$DEMO/forward.out"
say
say "The client opened 127.0.0.1:$LOCAL_PORT.  Each connection to it becomes one"
say "session: the relay asks the agent to connect to plc1 port $DEVICE_PORT, then"
say "both the agent and the client open a data connection to the relay, and the"
say "relay copies bytes between the two."
say
say "Now a test program sends $SIZE bytes ($((SIZE >> 20)) MiB) of random data to"
say "127.0.0.1:$LOCAL_PORT, closes its sending side, and reads what comes back"
say "until the end of the stream."
say

SEND_PY='
import hashlib, os, socket, sys, threading, time

port, size = int(sys.argv[1]), int(sys.argv[2])
data = os.urandom(size)
s = socket.create_connection(("127.0.0.1", port), timeout=15)
s.settimeout(15)
err = []

def writer():
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)   # half-close: "no more data from me"
    except OSError as e:
        err.append("send: %s" % e)

t0 = time.monotonic()
t = threading.Thread(target=writer, daemon=True)
t.start()
got = bytearray()
try:
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        got += b
except OSError as e:
    err.append("receive: %s" % e)
elapsed = time.monotonic() - t0
t.join(15)
s.close()
sent_sha = hashlib.sha256(data).hexdigest()
got_sha = hashlib.sha256(got).hexdigest()
mib = size / float(1 << 20)
print("    sent      %9d bytes  sha256 %s" % (size, sent_sha))
print("    received  %9d bytes  sha256 %s" % (len(got), got_sha))
if err:
    print("    error: " + "; ".join(err))
    sys.exit(1)
if bytes(got) != data:
    print("    MISMATCH: the data that came back differs from the data sent")
    sys.exit(1)
print("    identical, byte for byte")
print("    elapsed   %.3f s: %.1f MiB each way, %.1f MiB/s each way"
      % (elapsed, mib, mib / elapsed if elapsed > 0 else float("inf")))
'
if ! timeout $((4 * WAIT)) "$PY" -c "$SEND_PY" "$LOCAL_PORT" "$SIZE" >"$DEMO/transfer.out" 2>&1; then
	cat "$DEMO/transfer.out"
	fail "the transfer through the forward failed" \
		"$DEMO/forward.log" "$DEMO/relay.log" "$DEMO/agent.log" "$DEMO/device.log"
fi
cat "$DEMO/transfer.out"

wait_for "$DEMO/relay.log" 'session [0-9a-f]{16} closed \(' "$RELAY_PID" "the relay to close the session" \
	"$DEMO/agent.log" "$DEMO/forward.log"
wait_for "$DEMO/device.log" '^connection from .*echoed' "${PIDS[0]}" "the device to log the connection"
CLOSED=$(first_line "$DEMO/relay.log" 'session [0-9a-f]{16} closed \(')
SID=$(sed -nE 's/.*session ([0-9a-f]{16}) closed.*/\1/p' <<<"$CLOSED")
TO_DEV=$(sed -nE 's/.* ([0-9]+) bytes to device.*/\1/p' <<<"$CLOSED")
TO_CLI=$(sed -nE 's/.* ([0-9]+) bytes to client.*/\1/p' <<<"$CLOSED")
DEV_SHA=$(sed -nE 's/.*sha256 ([0-9a-f]{64})$/\1/p' "$DEMO/device.log" | head -n1)
SENT_SHA=$(sed -nE 's/^ *sent .*sha256 ([0-9a-f]{64})$/\1/p' "$DEMO/transfer.out")
say
say "The device's own log:"
grep -E '^connection from' "$DEMO/device.log" | sed 's/^/    | /'
[ "$DEV_SHA" = "$SENT_SHA" ] ||
	fail "the device received data with sha256 $DEV_SHA, the sender sent $SENT_SHA" "$DEMO/device.log"
say "so the device received exactly the bytes that were sent."
say
say "Relay log for this session:"
grep -E "session $SID" "$DEMO/relay.log" | show_log
if [ "$TO_DEV" != "$SIZE" ] || [ "$TO_CLI" != "$SIZE" ]; then
	fail "the relay counted $TO_DEV bytes to the device and $TO_CLI to the client, expected $SIZE each" \
		"$DEMO/relay.log"
fi
say
say "Session id $SID: the relay carried $TO_DEV bytes from the client to the"
say "device and $TO_CLI bytes back.  The agent and the client log the same session:"
grep -E "session $SID" "$DEMO/agent.log" "$DEMO/forward.log" | sed -E 's/^[^:]*\.log://' | show_log
say
say "The time covers the whole path on this one machine: TLS encryption and"
say "decryption on both hops (client<->relay and relay<->agent) in both"
say "directions, with all five processes sharing the CPUs.  It is a smoke"
say "figure, not a benchmark."

# 7. A refused session ---------------------------------------------------

step "7. A refused session: port $REFUSED_PORT is not in plc1's rules"

say "\$ sluice-client -f client.conf forward plc1:$REFUSED_PORT"
"$BIN/sluice-client" -f "$DEMO/client.conf" forward "plc1:$REFUSED_PORT" \
	>"$DEMO/refused.out" 2>"$DEMO/refused.log" &
REF_PID=$!
PIDS+=("$REF_PID")
wait_for "$DEMO/refused.out" '^listening on 127\.0\.0\.1:[0-9]+$' "$REF_PID" "the second forward to listen" \
	"$DEMO/refused.log" "$DEMO/relay.log"
REF_LOCAL=$(sed -nE 's/^listening on 127\.0\.0\.1:([0-9]+)$/\1/p' "$DEMO/refused.out")
sed 's/^/    /' "$DEMO/refused.out"
say
say "The client does not know the rules; it listens, and asks the relay when a"
say "connection arrives.  A test program connects to 127.0.0.1:$REF_LOCAL:"

REFUSE_PY='
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
s.settimeout(15)
try:
    b = s.recv(1)
except ConnectionResetError:
    b = b""
except socket.timeout:
    print("    the connection stayed open for 15 s: it should have been closed")
    sys.exit(1)
if b:
    print("    unexpected data from a refused session")
    sys.exit(1)
print("    the connection was closed at once; no byte reached the device")
'
if ! timeout $((2 * WAIT)) "$PY" -c "$REFUSE_PY" "$REF_LOCAL" >"$DEMO/refuse.out" 2>&1; then
	cat "$DEMO/refuse.out"
	fail "the refused connection was not closed" "$DEMO/refused.log" "$DEMO/relay.log"
fi
cat "$DEMO/refuse.out"
wait_for "$DEMO/refused.log" 'refused' "$REF_PID" "the client to log the refusal" \
	"$DEMO/relay.log"
wait_for "$DEMO/relay.log" "refused session: .*port $REFUSED_PORT is not allowed" "$RELAY_PID" "the relay to log the refusal"
say
say "Client log:"
grep -E 'refused' "$DEMO/refused.log" | show_log
say
say "Relay log:"
grep -E 'refused session' "$DEMO/relay.log" | show_log
say
say "The relay checked port $REFUSED_PORT against the rules the agent reported for"
say "plc1, refused the session with the reason above, and the client closed the"
say "local connection.  The agent was never asked (it would have refused too:"
say "it checks every request against its own configuration)."
if grep -q "port $REFUSED_PORT" "$DEMO/agent.log"; then
	fail "the agent was asked for port $REFUSED_PORT" "$DEMO/agent.log"
fi
if [ "$(grep -c '^connection from' "$DEMO/device.log")" -ne 1 ]; then
	fail "the device saw a connection for the refused session" "$DEMO/device.log"
fi

# 8. Metrics -------------------------------------------------------------

if [ "$METRICS" -eq 1 ]; then
	step "8. The relay's metrics"

	say "The relay also counts what it did, for a monitoring system (Prometheus)"
	say "to collect over HTTP.  Some of the lines of"
	say "http://127.0.0.1:$METRICS_PORT/metrics now:"
	METRICS_PY='
import sys, urllib.request
with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=15) as r:
    sys.stdout.write(r.read().decode())
'
	if ! timeout "$WAIT" "$PY" -c "$METRICS_PY" "$METRICS_PORT" >"$DEMO/metrics.out" 2>&1; then
		fail "cannot read the relay's metrics" "$DEMO/metrics.out" "$DEMO/relay.log"
	fi
	grep -E '^sluice_(agents_connected|clients_connected|sessions_total|relayed_bytes_total)' \
		"$DEMO/metrics.out" | sed 's/^/    /'
	if ! grep -qx 'sluice_sessions_total{outcome="ok"} 1' "$DEMO/metrics.out" ||
	   ! grep -qx 'sluice_sessions_total{outcome="refused"} 1' "$DEMO/metrics.out"; then
		fail "the metrics do not count one finished and one refused session" "$DEMO/metrics.out"
	fi
	say
	say "One session ended normally (ok), one was refused; the byte counters"
	say "match the session above."
fi

# 9. Stop ----------------------------------------------------------------

step "$([ "$METRICS" -eq 1 ] && echo 9 || echo 8). Stop everything"

stop_all
say "Stopped, one after the other: the two clients, the agent, the relay and the"
say "device.  The relay's last lines:"
tail -n 4 "$DEMO/relay.log" | show_log
say
say "Summary: device reached through the relay, $((SIZE >> 20)) MiB each way intact"
say "(session $SID), relay fingerprint pinned by agent and client, port"
say "$REFUSED_PORT refused.  Next: README.md (quick start), docs/architecture.md,"
say "docs/protocol.md, docs/configuration.md, docs/examples/."
say
say "demo OK"
