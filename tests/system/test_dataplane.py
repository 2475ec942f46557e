# SPDX-License-Identifier: MIT
"""The relay's io_uring data plane under load and abuse: a thousand
sessions at once, a reader that does not keep up (backpressure, bounded
relay memory), and a reset data leg (the peer leg is closed).

    test --tcp--> sluice-client forward ==tls==> sluice-relay <==tls== sluice-agent --tcp--> device
                  127.0.0.1:L                    127.0.0.1:R    (data plane:            127.0.0.1:D
                                                                 io_uring workers)

The reset tests replace one side with a protocol-faithful peer written
here (sluice_proto), so that exactly one data leg can be reset (RST, via
SO_LINGER 0) while its control connection stays up:

    fake client (test) ==tls==> relay <==tls== sluice-agent --> device
    sluice-client      ==tls==> relay <==tls== fake agent (test)
"""

import hashlib
import resource
import selectors
import socket
import struct
import threading
import time

import harness
import sluice_proto as P


def raise_nofile(n=16384):
    """Programs started afterwards inherit the limit (a thousand sessions
    take about two thousand descriptors in the relay)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n if hard == resource.RLIM_INFINITY else min(n, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


metrics = harness.relay_metrics


def vm_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


def test_thousand_concurrent_sessions(sluice, echo_device):
    """1,000 sessions are open at the same time; each echoes its own
    payload intact; all are relayed by the data plane and end cleanly."""
    n = 1000
    raise_nofile()
    # Every session is two new connections from 127.0.0.1: lift the
    # per-source admission rate limit (100/s by default).
    relay = sluice.start_relay(extra="admission_rate = 1000000\n"
                                     "admission_burst = 1000000\n")
    sluice.start_agent(relay, devices={"plc": str(echo_device.port)})
    _, lport = sluice.forward(relay, "agent1/plc:%d" % echo_device.port)

    sel = selectors.DefaultSelector()
    payloads, got, socks = [], [], []
    # At most `window` sessions being set up at once (none is closed before
    # the end): a thousand OPENs at once could miss the 10 s attach limit
    # under ASan on two busy cores.
    window = 40
    done = 0
    try:
        deadline = time.monotonic() + 300
        while done < n:
            assert time.monotonic() < deadline, "%d sessions did not echo" % (n - done)
            while len(socks) < n and len(socks) - done < window:
                i = len(socks)
                s = harness.connect(lport, timeout=60)
                payload = ("session %d:" % i).encode() + harness.pattern_bytes(1024, i)
                s.sendall(payload)
                s.setblocking(False)
                sel.register(s, selectors.EVENT_READ, i)
                payloads.append(payload)
                got.append(bytearray())
                socks.append(s)
            for key, _ in sel.select(timeout=1.0):
                i = key.data
                d = key.fileobj.recv(65536)
                assert d, "session %d closed after %d bytes" % (i, len(got[i]))
                got[i] += d
                assert len(got[i]) <= len(payloads[i]), "session %d: too many bytes" % i
                if len(got[i]) == len(payloads[i]):
                    assert bytes(got[i]) == payloads[i], "session %d corrupted" % i
                    sel.unregister(key.fileobj)
                    done += 1
        # Every session is still open: they were all concurrent.
        m = metrics(relay)
        assert m["sluice_sessions_active"] == n
        assert len(relay.proc.lines(r"relaying client .*\(io_uring data plane\)")) == n
    finally:
        for s in socks:
            s.close()
        sel.close()
    relay.proc.wait_log(r"session \S+ closed \(finished\).*path userspace \(io_uring\)",
                        timeout=120, count=n)
    m = metrics(relay)
    assert m['sluice_sessions_relayed_total{path="userspace"}'] == n
    assert m['sluice_sessions_total{outcome="ok"}'] == n
    total = sum(len(p) for p in payloads)
    assert m['sluice_relayed_bytes_total{direction="to_device",path="userspace"}'] == total
    assert m['sluice_relayed_bytes_total{direction="to_client",path="userspace"}'] == total


BACKLOG = 256 << 20  # what the device tries to push at the slow reader
RSS_BOUND_KIB = 48 << 10


def test_slow_reader_backpressure(sluice, procs):
    """The device pushes 256 MiB at a client that first reads nothing and
    then reads slowly: the device is held back (TCP backpressure through
    the relay), the relay's resident memory stays within a bound far below
    what is in flight, and every byte arrives in order."""
    data = harness.pattern_bytes(1 << 20, "slow")  # repeated 256 times
    sent = {"n": 0}

    def source(conn, idx):
        for _ in range(BACKLOG // len(data)):
            conn.sendall(data)
            sent["n"] += len(data)
        conn.shutdown(socket.SHUT_WR)
        return sent["n"]

    dev = sluice.device(source)
    # ASan keeps freed memory in a quarantine (256 MiB by default), which
    # would count as resident: keep it small in the relay measured here.
    env = procs.env
    procs.env = dict(env)
    procs.env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + \
        ":quarantine_size_mb=4:thread_local_quarantine_size_kb=64"
    try:
        relay = sluice.start_relay()
    finally:
        procs.env = env
    sluice.start_agent(relay, devices={"plc": str(dev.port)})
    _, lport = sluice.forward(relay, "agent1/plc:%d" % dev.port)

    s = harness.connect(lport, timeout=120)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
    h = hashlib.sha256()
    first = harness.recv_exact(s, 64 << 10)
    h.update(first)
    n = len(first)
    base = vm_rss_kib(relay.proc.pid)

    # Read nothing until the device cannot send any more.
    last = {"n": -1, "same": 0}

    def stalled():
        cur = sent["n"]
        last["same"] = last["same"] + 1 if cur == last["n"] else 0
        last["n"] = cur
        return last["same"] >= 10

    harness.wait_until(stalled, 120, "the device to be held back", interval=0.2)
    held = sent["n"]
    assert held < BACKLOG, "the device sent everything: no backpressure"
    stall_rss = vm_rss_kib(relay.proc.pid)
    assert stall_rss - base < RSS_BOUND_KIB, \
        "relay grew by %d KiB with %d MiB held back" % (stall_rss - base, held >> 20)

    # Now read, slowly, and keep measuring.
    peak = stall_rss
    i = 0
    while True:
        d = s.recv(64 << 10)
        if not d:
            break
        h.update(d)
        n += len(d)
        i += 1
        if i % 64 == 0:
            peak = max(peak, vm_rss_kib(relay.proc.pid))
            time.sleep(0.01)  # a slow reader, not a timing assertion
    s.close()
    print("relay VmRSS: %d KiB at start, %d KiB with %d MiB held back, peak %d KiB"
          % (base, stall_rss, held >> 20, peak))
    assert n == BACKLOG
    expect = hashlib.sha256()
    for _ in range(BACKLOG // len(data)):
        expect.update(data)
    assert h.hexdigest() == expect.hexdigest(), "stream corrupted"
    assert peak - base < RSS_BOUND_KIB, "relay grew by %d KiB while relaying" % (peak - base)
    relay.proc.wait_log(r"session \S+ closed", timeout=60)


# ------------------------------------------------------------ fake peers


class FakePeer:
    """A client or agent speaking the wire protocol from the test."""

    def __init__(self, relay):
        self.relay = relay
        self.ctl = None
        self.seq = 0

    def _hello(self, cmd, name, identity, extra=()):
        """identity: the (certificate, key) PEM files to log in with."""
        s = harness.tls_connect(self.relay.port, timeout=20, identity=identity)
        self.ctl = P.Conn(s)
        self.ctl.send(P.encode(cmd, [P.u32(P.SLUICE_A_VERSION, P.SLUICE_PROTO_VERSION),
                                     P.string(P.SLUICE_A_NAME, name)]
                               + list(extra), seq=self.next_seq()))
        m = self.ctl.recv(20)
        assert m.cmd == P.SLUICE_CMD_HELLO_OK, m

    def next_seq(self):
        self.seq += 1
        return self.seq

    def attach(self, session_id, token):
        """A data leg; returns the TLS socket after ATTACH_OK."""
        leg = harness.tls_connect(self.relay.port, timeout=20)
        leg.sendall(P.encode(P.SLUICE_CMD_ATTACH, [P.u64(P.SLUICE_A_SESSION_ID, session_id),
                                                   P.binary(P.SLUICE_A_TOKEN, token)],
                             seq=self.next_seq()))
        # Exactly one message: stream bytes may follow at once.
        hdr = harness.recv_exact(leg, P.HDRLEN)
        m = P.decode(hdr + harness.recv_exact(leg, P.frame_len(hdr) - P.HDRLEN))
        assert m.cmd == P.SLUICE_CMD_ATTACH_OK, m
        return leg

    def close(self):
        if self.ctl:
            self.ctl.sock.close()


def reset(sock):
    """Closes with RST: SO_LINGER on, 0 s."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_reset_client_leg_closes_agent_leg(sluice):
    """The client's data leg is reset mid-stream: the relay ends the
    session and closes the agent's leg, so the device's connection ends."""
    closed = threading.Event()

    def device(conn, idx):
        conn.sendall(b"hello from the device\n")
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass
        closed.set()
        return idx

    dev = sluice.device(device)
    relay = sluice.start_relay()
    sluice.start_agent(relay, devices={"plc": str(dev.port)})
    client = FakePeer(relay)
    client._hello(P.SLUICE_CMD_CLIENT_HELLO, "tester", sluice.user_pem(relay),
                  [P.string(P.SLUICE_A_PASSWORD, sluice.PASSWORD)])
    try:
        seq = client.next_seq()
        client.ctl.send(P.encode(P.SLUICE_CMD_OPEN, [P.string(P.SLUICE_A_AGENT, "agent1"),
                                                    P.string(P.SLUICE_A_DEVICE, "plc"),
                                                    P.u16(P.SLUICE_A_PORT, dev.port)],
                                 seq=seq))
        ok = client.ctl.recv_until(lambda m: m.seq == seq, 30)
        assert ok.cmd == P.SLUICE_CMD_OPEN_OK, ok
        leg = client.attach(ok.u64(P.SLUICE_A_SESSION_ID), ok.get(P.SLUICE_A_TOKEN))
        leg.sendall(b"ping")
        assert harness.recv_exact(leg, 22) == b"hello from the device\n"
        reset(leg)
        assert closed.wait(30), "the device's connection stayed open"
        relay.proc.wait_log(r"session \S+ closed \(read on end 0: .*\).*path userspace",
                            timeout=30)
    finally:
        client.close()


def test_reset_agent_leg_closes_client_leg(sluice):
    """The agent's data leg is reset mid-stream: the relay ends the session
    and closes the client's leg, so the local connection ends."""
    relay = sluice.start_relay()
    agent = FakePeer(relay)
    devices = [("plc", [(502, 502, P.IPPROTO_TCP)])]
    agent._hello(P.SLUICE_CMD_AGENT_HELLO, "fake-agent",
                 sluice.enroll_pem(relay, "fake-agent"), [P.devices_attr(devices)])
    try:
        _, lport = sluice.forward(relay, "fake-agent/plc:502")
        local = harness.connect(lport, timeout=30)
        conn = agent.ctl.recv_until(lambda m: m.cmd == P.SLUICE_CMD_CONNECT, 30)
        leg = agent.attach(conn.u64(P.SLUICE_A_SESSION_ID), conn.get(P.SLUICE_A_TOKEN))
        local.sendall(b"from the client\n")
        assert harness.recv_exact(leg, 16) == b"from the client\n"
        leg.sendall(b"from the device\n")
        assert harness.recv_exact(local, 16) == b"from the device\n"
        reset(leg)
        harness.wait_closed(local, 30)
        local.close()
        relay.proc.wait_log(r"session \S+ closed \(read on end 1: .*\).*path userspace",
                            timeout=30)
    finally:
        agent.close()


def test_control_loop_fallback(sluice, echo_device):
    """data_threads = 0 keeps the control loop's pump (also what a host
    without io_uring gets): sessions still relay, half-close included, and
    say which loop moved them."""
    relay = sluice.start_relay(extra="data_threads = 0\n")
    relay.proc.wait_log(r"data plane unavailable|no data-plane threads", timeout=20)
    sluice.start_agent(relay, devices={"plc": str(echo_device.port)})
    _, lport = sluice.forward(relay, "agent1/plc:%d" % echo_device.port)
    payload = harness.pattern_bytes(300 * 1024, "fallback")
    with harness.connect(lport) as s:
        harness.send_all(s, payload)
        s.shutdown(socket.SHUT_WR)
        assert harness.recv_all(s) == payload
    relay.proc.wait_log(r"session \S+ closed \(finished\).*path userspace \(control loop\)", timeout=30)
    assert metrics(relay)['sluice_sessions_relayed_total{path="userspace"}'] == 1
