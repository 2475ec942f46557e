# SPDX-License-Identifier: MIT
"""Relayed sessions end to end: bulk data both ways, half-close, many
sessions at once, the relay's session log, and stopping each program
(SIGTERM) while sessions are busy.

    test --tcp--> sluice-client forward ==tls==> sluice-relay <==tls== sluice-agent --tcp--> device
                  127.0.0.1:L                    127.0.0.1:R                                  127.0.0.1:D
"""

import hashlib
import socket
import threading

import pytest

import harness

BULK = 64 << 20  # 64 MiB each way


def test_bulk_both_directions_concurrently(sluice):
    """64 MiB up and 64 MiB down at the same time arrive intact (SHA-256)."""
    up = harness.pattern_bytes(BULK, "up")
    down = harness.pattern_bytes(BULK, "down")
    dev = sluice.device(harness.sink_source_handler(down))
    relay = sluice.start_relay()
    sluice.start_agent(relay, devices={"plc": str(dev.port)})
    _, lport = sluice.forward(relay, "agent1/plc:%d" % dev.port)

    sock = harness.connect(lport, timeout=120)
    got = {}

    def rx():
        try:
            got["sha"], got["len"] = harness.hash_until_eof(sock)
        except Exception as e:  # reported below
            got["err"] = repr(e)

    t = threading.Thread(target=rx, daemon=True)
    t.start()
    harness.send_all(sock, up)
    sock.shutdown(socket.SHUT_WR)
    t.join(300)
    assert not t.is_alive(), "client side: no EOF after the device's 64 MiB"
    sock.close()
    assert "err" not in got, got
    assert got["len"] == BULK
    assert got["sha"] == hashlib.sha256(down).hexdigest(), "device -> client data corrupted"

    harness.wait_until(lambda: dev.results or dev.errors, 60, "the device to finish")
    assert not dev.errors, dev.errors
    assert dev.results[0]["rx_len"] == BULK
    assert dev.results[0]["rx_sha"] == hashlib.sha256(up).hexdigest(), \
        "client -> device data corrupted"
    assert dev.accepted == 1

    # "session ID closed" with the bytes of each way.
    m = relay.proc.wait_log(r"session \S+ closed.*", timeout=30)
    assert str(BULK) in m.group(0), "byte counts missing from: " + m.group(0)


def test_half_close_reply_after_eof(sluice):
    """The client shuts down its sending side; the device sees EOF, and only
    then sends its reply, which reaches the client whole, then EOF."""
    request = harness.pattern_bytes(300 * 1024, "request")
    seen = {}

    def reply_after_eof(conn, idx):
        data = harness.recv_all(conn)  # to EOF: needs the propagated SHUT_WR
        seen["request"] = data
        reply = hashlib.sha256(data).digest() + harness.pattern_bytes(512 * 1024, "reply")
        harness.send_all(conn, reply)
        conn.shutdown(socket.SHUT_WR)
        return len(reply)

    dev = sluice.device(reply_after_eof)
    relay = sluice.start_relay()
    sluice.start_agent(relay, devices={"plc": str(dev.port)})
    _, lport = sluice.forward(relay, "agent1/plc:%d" % dev.port)

    sock = harness.connect(lport, timeout=60)
    harness.send_all(sock, request)
    sock.shutdown(socket.SHUT_WR)
    reply = harness.recv_all(sock)  # to EOF
    sock.close()

    harness.wait_until(lambda: dev.results or dev.errors, 30, "the device to finish")
    assert not dev.errors, dev.errors
    assert seen["request"] == request
    expected = hashlib.sha256(request).digest() + harness.pattern_bytes(512 * 1024, "reply")
    assert len(reply) == len(expected), "reply truncated: %d of %d bytes" % (
        len(reply), len(expected))
    assert reply == expected
    relay.proc.wait_log(r"session \S+ closed", timeout=30)


def test_fifty_concurrent_sessions(sluice, echo_device):
    """50 sessions open at once, each echoes its own payload."""
    n = 50
    relay = sluice.start_relay()
    sluice.start_agent(relay, devices={"plc": str(echo_device.port)})
    _, lport = sluice.forward(relay, "agent1/plc:%d" % echo_device.port)

    barrier = threading.Barrier(n, timeout=60)
    results = [None] * n

    def one(i):
        payload = ("session %d: " % i).encode() + harness.pattern_bytes(8192 + i, i)
        try:
            with harness.connect(lport, timeout=60) as s:
                barrier.wait()  # all 50 connected before anyone sends
                results[i] = harness.echo_roundtrip(s, payload) == payload
        except Exception as e:
            results[i] = repr(e)

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "some sessions hung"
    bad = {i: r for i, r in enumerate(results) if r is not True}
    assert not bad, "sessions that failed: %r" % bad
    assert echo_device.accepted == n
    relay.proc.wait_log(r"session \S+ closed", timeout=30, count=n)


def test_session_closed_is_logged(session_setup):
    """One short session; the relay logs its end."""
    relay = session_setup["relay"]
    mark = relay.proc.mark()
    with harness.connect(session_setup["port"]) as s:
        assert harness.echo_roundtrip(s, b"ping\n") == b"ping\n"
    relay.proc.wait_log(r"session \S+ closed", timeout=30, since=mark)


@pytest.mark.parametrize("victim", ["client", "agent", "relay"])
def test_sigterm_with_open_sessions(sluice, victim):
    """SIGTERM stops a program while sessions are open and busy: it exits,
    the sessions end (the local connections are closed), and it leaves no
    sanitizer report (leaks included: LeakSanitizer runs at exit)."""
    stop = threading.Event()

    def source(conn, idx):  # streams until the connection breaks
        chunk = harness.pattern_bytes(1 << 16, idx)
        try:
            while not stop.is_set():
                conn.sendall(chunk)
        except OSError:
            pass
        return idx

    dev = sluice.device(source)
    relay = sluice.start_relay()
    agent = sluice.start_agent(relay, devices={"plc": str(dev.port)})
    client, lport = sluice.forward(relay, "agent1/plc:%d" % dev.port)
    proc = {"client": client, "agent": agent, "relay": relay.proc}[victim]

    socks = [harness.connect(lport) for _ in range(4)]
    try:
        for s in socks:  # every session is flowing
            harness.recv_exact(s, 1 << 16)
        rc = proc.stop(timeout=15)
        assert rc is not None, "%s did not exit within 15s of SIGTERM" % victim
        for s in socks:
            harness.wait_closed(s, timeout=30)
    finally:
        stop.set()
        for s in socks:
            s.close()
    proc.sanitizer_checked = True  # reported here, not again at teardown
    assert not harness.SANITIZER_RE.search(proc.log()), \
        "sanitizer report at exit:\n" + harness.sanitizer_summary(proc.log())
