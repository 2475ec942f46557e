# SPDX-License-Identifier: MIT
"""The relay's handshake threads (handshake_threads, userspace/relay/
handshake.c): each has a listener of its own on the relay port
(SO_REUSEPORT), the kernel spreads connections over them, they run the TLS
handshakes and hand the connections to the control loop.  With
handshake_threads = 0 the control loop accepts and handshakes itself.  Both
ways: sessions relay, silent and non-TLS connections are closed and
counted, and a reloaded handshake_timeout reaches the threads.

    test --tcp--> sluice-client forward ==tls==> sluice-relay <==tls== sluice-agent --tcp--> device
                                                 hs threads: accept + TLS
                                                 control loop: the rest
"""

import os
import re
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

import harness


metrics = harness.relay_metrics


def thread_names(pid):
    out = []
    for task in (Path("/proc/%d/task" % pid)).iterdir():
        try:
            out.append((task / "comm").read_text().strip())
        except OSError:
            pass
    return out


def listeners(port):
    """Listening TCP sockets on 127.0.0.1:port, from /proc/net/tcp."""
    want = "0100007F:%04X" % port
    n = 0
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1] == want and fields[3] == "0A":  # TCP_LISTEN
                n += 1
    return n


def tls_handshake(port, host="127.0.0.1"):
    """A full TLS handshake with the relay (no certificate: it asks for one
    but requires none), then close."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=20) as raw:
        with ctx.wrap_socket(raw) as s:
            return s.version()


def relays_a_session(sluice, relay, echo_device, payload):
    sluice.start_agent(relay, devices={"plc": str(echo_device.port)})
    _, lport = sluice.forward(relay, "agent1/plc:%d" % echo_device.port)
    with harness.connect(lport) as s:
        assert harness.echo_roundtrip(s, payload) == payload


def wait_metric(relay, key, want, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        got = metrics(relay).get(key, 0)
        if got >= want or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def test_threads_share_the_port(sluice, echo_device):
    """handshake_threads = 3: three named threads, three listeners on the
    port, connections spread over more than one, and a session relays."""
    relay = sluice.start_relay(extra="handshake_threads = 3\n")
    relay.proc.wait_log(r"listening on 127\.0\.0\.1:%d \(3 handshake threads, "
                        r"SO_REUSEPORT\)" % relay.port)
    relay.proc.wait_log(r"control loop: io_uring \(.*\), 3 handshake threads")
    names = thread_names(relay.proc.pid)
    assert sorted(n for n in names if n.startswith("sluice-hs/")) == \
        ["sluice-hs/0", "sluice-hs/1", "sluice-hs/2"], names
    assert listeners(relay.port) == 3

    before = metrics(relay)["sluice_handshakes_total"]
    for _ in range(60):
        assert tls_handshake(relay.port).startswith("TLSv1.")
    m = metrics(relay)
    per_thread = [m['sluice_handshake_thread_connections_total{thread="%d"}' % k]
                  for k in range(3)]
    assert sum(per_thread) >= 60
    # 60 connections from as many source ports all hashing to one
    # listener of three: probability 3^-59.
    assert sum(1 for n in per_thread if n > 0) >= 2, per_thread
    assert wait_metric(relay, "sluice_handshakes_total", before + 60) >= before + 60

    relays_a_session(sluice, relay, echo_device, harness.pattern_bytes(200 * 1024, "hs"))


def test_every_listen_address(sluice):
    """Each thread listens on every listen address: IPv4 and IPv6 alike."""
    v6 = harness.free_port()
    relay = sluice.start_relay(extra="handshake_threads = 2\nlisten = [::1]:%d\n" % v6)
    relay.proc.wait_log(r"listening on \[::1\]:%d \(2 handshake threads, SO_REUSEPORT\)"
                        % v6)
    assert listeners(relay.port) == 2
    before = metrics(relay)["sluice_handshakes_total"]
    for _ in range(10):
        assert tls_handshake(v6, "::1").startswith("TLSv1.")
        assert tls_handshake(relay.port).startswith("TLSv1.")
    assert wait_metric(relay, "sluice_handshakes_total", before + 20) >= before + 20


@pytest.mark.parametrize("threads", [0, 2])
def test_silent_and_garbage_connections(sluice, echo_device, threads):
    """A connection that says nothing is closed at handshake_timeout and
    counted as a timeout; bytes that are not TLS are closed and counted as
    a TLS failure; meanwhile both are pending.  Logins go on."""
    relay = sluice.start_relay(extra="handshake_threads = %d\nhandshake_timeout = 1500ms\n"
                               % threads)
    if threads == 0:
        relay.proc.wait_log(r"control loop: io_uring \(.*\), handshakes in the control loop")
        assert "sluice_handshake_thread_connections_total" not in \
            " ".join(metrics(relay))
    silent = socket.create_connection(("127.0.0.1", relay.port), timeout=20)
    garbage = socket.create_connection(("127.0.0.1", relay.port), timeout=20)
    try:
        assert wait_metric(relay, "sluice_connections_pending", 2) == 2
        garbage.sendall(b"GET / HTTP/1.0\r\n\r\n" + b"x" * 200)
        harness.wait_closed(garbage, timeout=10)
        assert wait_metric(relay, 'sluice_handshake_failures_total{reason="tls"}', 1) == 1
        # Closed by the 1.5 s timeout (the wait's deadline, not a timing
        # measurement: the same 5 s bound as before), and counted as one.
        harness.wait_closed(silent, timeout=5)
        assert wait_metric(relay, 'sluice_handshake_failures_total{reason="timeout"}', 1) == 1
        assert metrics(relay)["sluice_connections_pending"] == 0
    finally:
        silent.close()
        garbage.close()
    relays_a_session(sluice, relay, echo_device, b"after the failures")


def test_reloaded_timeout_reaches_the_threads(sluice):
    """handshake_timeout is applied live: the threads close a silent
    connection at the new value, not the old 60 s."""
    relay = sluice.start_relay(extra="handshake_threads = 2\nhandshake_timeout = 60s\n")
    text = Path(relay.conf).read_text()
    Path(relay.conf).write_text(text.replace("handshake_timeout = 60s",
                                                     "handshake_timeout = 1s"))
    r = subprocess.run([sluice.bins["sluicectl"], "-c", relay.conf, "reload"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "handshake_timeout" in r.stdout
    with socket.create_connection(("127.0.0.1", relay.port), timeout=20) as s:
        # Within 10 s, where the old 60 s would not have closed it, and as
        # a handshake timeout.
        harness.wait_closed(s, timeout=10)
    assert wait_metric(relay, 'sluice_handshake_failures_total{reason="timeout"}', 1) == 1


@pytest.mark.parametrize("threads", [0, 2])
def test_out_of_descriptors(sluice, echo_device, threads):
    """Connections beyond the relay's descriptor limit: it says so, pauses
    accepting instead of spinning or dying, and takes connections again
    once descriptors are free; a login works after, under the same limit."""
    extra = "handshake_threads = %d\nhandshake_timeout = 60s\n" % threads
    # What the relay holds with one agent, measured on a first one (the
    # limit must be there from the start: io_uring's accept takes the
    # limit in force when it is posted).
    probe = sluice.start_relay(extra=extra)
    sluice.start_agent(probe, devices={"plc": str(echo_device.port)})
    used = len(os.listdir("/proc/%d/fd" % probe.proc.pid))
    probe.proc.stop()
    limit = used + 8
    sluice.prefix = ["prlimit", "--nofile=%d:%d" % (limit, limit), "--"]
    try:
        relay = sluice.start_relay(extra=extra)
    finally:
        sluice.prefix = []
    sluice.start_agent(relay, devices={"plc": str(echo_device.port)}, name="agent2")
    mark = relay.proc.mark()
    held = [socket.create_connection(("127.0.0.1", relay.port), timeout=20)
            for _ in range(24)]
    try:
        relay.proc.wait_log(r"accept: Too many open files; pausing new connections",
                            timeout=30, since=mark)
        assert relay.proc.alive()
    finally:
        for s in held:
            s.close()
    _, lport = sluice.forward(relay, "agent2/plc:%d" % echo_device.port)
    with harness.connect(lport) as s:
        assert harness.echo_roundtrip(s, b"after the limit") == b"after the limit"


def test_descriptor_limit_raised_at_start(sluice):
    """A service's soft RLIMIT_NOFILE is often 1024 under a far higher hard
    limit: the relay takes the hard limit and says so, and warns when even
    that is too low for many agents."""
    sluice.prefix = ["prlimit", "--nofile=1024:8192", "--"]
    try:
        relay = sluice.start_relay()
    finally:
        sluice.prefix = []
    relay.proc.wait_log(r"up to 8192 file descriptors \(RLIMIT_NOFILE, raised to the hard limit\)")
    limits = Path("/proc/%d/limits" % relay.proc.pid).read_text()
    assert re.search(r"^Max open files\s+8192\s+8192\s", limits, re.M), limits
    relay.proc.stop()

    sluice.prefix = ["prlimit", "--nofile=512:512", "--"]
    try:
        relay = sluice.start_relay()
    finally:
        sluice.prefix = []
    relay.proc.wait_log(r"warning: only 512 file descriptors \(RLIMIT_NOFILE\): at most "
                        r"about 448 agents and clients can connect; raise the hard limit")
