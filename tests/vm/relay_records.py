# SPDX-License-Identifier: MIT
"""How kernel TLS sessions end, inside the qemu guest: non-data TLS
records, a reset leg, a cancel from the control thread.

A test client (Python's ssl on OpenSSL with SSL_OP_ENABLE_KTLS, TLS 1.2)
logs in, opens a session to a real agent's device and attaches its data
leg; once the relay relays the session on the kernel path (both legs
kTLS both ways, splice), the client writes a record that is not
application data straight through its kernel TLS socket (sendmsg with a
TLS_SET_RECORD_TYPE control message).  The relay must end the session,
naming the record in the logged reason, and close both legs (so the
device's connection ends too).

    test client ==tls 1.2, kTLS==> sluice-relay <==tls 1.2, kTLS== sluice-agent --tcp--> python device

While a session is idle, no io-wq thread of the relay waits in a splice
(each direction waits in a poll).  Cases: a handshake record (type 22, a HelloRequest), a fatal alert
(type 21, handshake_failure), then as on the userspace path: the test's
leg reset (RST) mid-session ("read on end 0: Connection reset by peer"),
and the test client's control connection closed, which makes the control
thread cancel the session ("client disconnected"): once while the session
is idle, once while the test's leg reads nothing of what the device floods
it with, where the relay must wait for room in a poll, not with an io-wq
thread blocked in a splice.  The half-close alert
(close_notify) is relay_e2e.py's.  Run by tests/vm/suite.sh; needs kernel TLS (exits 77
without it, e.g. on the development host).  Functional only: no timings.

    python3 tests/vm/relay_records.py [BINDIR]
"""

import os
import re
import socket
import ssl
import struct
import sys
import tempfile
import threading
import traceback
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "system"))

import harness  # noqa: E402
import sluice_proto as P  # noqa: E402

SOL_TLS = 282               # <linux/socket.h>
TLS_SET_RECORD_TYPE = 1     # <linux/tls.h>
TCP_ULP = 31                # <linux/tcp.h>
SSL_OP_ENABLE_KTLS = 1 << 3  # <openssl/ssl.h>; Python 3.11 has no name for it

def send_record(rtype, payload):
    def act(relay, client, leg, raw):
        raw.sendmsg([payload], [(SOL_TLS, TLS_SET_RECORD_TYPE, bytes([rtype]))])
    return act


def reset_leg(relay, client, leg, raw):
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()
    leg.close()


def close_control(relay, client, leg, raw):
    client.close()


def close_control_stalled(relay, client, leg, raw):
    """The device floods a leg that reads nothing: once the test's socket
    is full, the direction waits for room in a poll, and no io-wq thread
    waits in a splice (one per stalled reader otherwise); then the control
    connection goes, and the cancel must still end the session."""
    key = 'sluice_relayed_bytes_total{direction="to_client",path="ktls"}'
    seen = {}

    def stalled():
        # Bytes moved, then none since the last look.
        n = relayed(relay, key)
        still = n > (1 << 20) and n == seen.get("n")
        seen.update(n=n)
        return still

    leg.sendall(b"flood")
    harness.wait_until(stalled, 120, "the flood to fill the test's leg, which reads "
                       "nothing", interval=0.5)
    harness.wait_until(lambda: not io_wq_busy(relay.proc.pid), 60,
                       "no io-wq thread of the relay to wait for the stalled reader "
                       "(%s)" % io_wq_busy(relay.proc.pid))
    print("relay_records: stalled at %d bytes to the client; no io-wq thread waits"
          % seen["n"])
    client.close()


CASES = [
    # (what, action, reason the relay must log); close_control* close the
    # client, which the next case makes again.
    ("a handshake record (type 22)", send_record(22, b"\x00\x00\x00\x00"),
     r"end 0 sent a TLS handshake record \(type 22\), which kernel TLS sessions do not relay"),
    ("a fatal alert (type 21)", send_record(21, bytes([2, 40])),
     r"end 0 sent TLS alert record \(type 21\): fatal handshake failure"),
    ("a reset of the client's leg", reset_leg,
     r"read on end 0: Connection reset by peer"),
    ("the client's control connection closed (idle session)", close_control,
     r"client disconnected"),
    ("the client's control connection closed (a stalled reader, waited for in a poll)",
     close_control_stalled, r"client disconnected"),
]
FLOOD = 32 << 20    # more than the sockets on the way hold


def ktls_leg(port):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
    ctx.options |= SSL_OP_ENABLE_KTLS
    raw = socket.create_connection(("127.0.0.1", port), timeout=120)
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    s.settimeout(120)
    return s


class Client:
    """The client side of the protocol, by hand (tests/system/sluice_proto)."""

    def __init__(self, sluice, relay):
        s = harness.tls_connect(relay.port, timeout=120, identity=sluice.user_pem(relay))
        self.ctl = P.Conn(s)
        self.seq = 1
        self.ctl.send(P.encode(P.SLUICE_CMD_CLIENT_HELLO,
                               [P.u32(P.SLUICE_A_VERSION, P.SLUICE_PROTO_VERSION),
                                P.string(P.SLUICE_A_NAME, "tester"),
                                P.string(P.SLUICE_A_PASSWORD, sluice.PASSWORD)], seq=1))
        m = self.ctl.recv(120)
        assert m.cmd == P.SLUICE_CMD_HELLO_OK, m
        self.relay = relay

    def open_leg(self, port):
        """OPEN, then a kTLS data leg attached; returns the TLS socket."""
        self.seq += 1
        seq = self.seq
        self.ctl.send(P.encode(P.SLUICE_CMD_OPEN, [P.string(P.SLUICE_A_AGENT, "agent1"),
                                                  P.string(P.SLUICE_A_DEVICE, "plc"),
                                                  P.u16(P.SLUICE_A_PORT, port)], seq=seq))
        ok = self.ctl.recv_until(lambda m: m.seq == seq, 120)
        assert ok.cmd == P.SLUICE_CMD_OPEN_OK, ok
        leg = ktls_leg(self.relay.port)
        leg.sendall(P.encode(P.SLUICE_CMD_ATTACH,
                             [P.u64(P.SLUICE_A_SESSION_ID, ok.u64(P.SLUICE_A_SESSION_ID)),
                              P.binary(P.SLUICE_A_TOKEN, ok.get(P.SLUICE_A_TOKEN))], seq=1))
        hdr = harness.recv_exact(leg, P.HDRLEN)
        m = P.decode(hdr + harness.recv_exact(leg, P.frame_len(hdr) - P.HDRLEN))
        assert m.cmd == P.SLUICE_CMD_ATTACH_OK, m
        return leg

    def close(self):
        self.ctl.sock.close()


def relayed(relay, key):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % relay.metrics_port,
                                timeout=60) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(key + " "):
                return int(float(line.rsplit(" ", 1)[1]))
    raise AssertionError("no %s in the metrics" % key)


def io_wq_busy(pid):
    """The relay's io_uring worker threads (iou-wrk-*) that wait anywhere
    but in io-wq's own idle loop, as (tid, wchan): a splice waiting for a
    record shows as wait_woken."""
    busy = []
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            comm = Path("/proc/%d/task/%s/comm" % (pid, tid)).read_text().strip()
            wchan = Path("/proc/%d/task/%s/wchan" % (pid, tid)).read_text().strip()
        except OSError:
            continue
        if comm.startswith("iou-wrk") and wchan != "io_wq_worker":
            busy.append((tid, wchan))
    return busy


def wait_leg_closed(raw, timeout):
    """Reads the plain side of a kTLS socket until EOF or an error."""
    raw.settimeout(timeout)
    while True:
        try:
            if not raw.recv(65536):
                return "EOF"
        except socket.timeout:
            raise AssertionError("the relay left the test's leg open")
        except OSError as e:
            return e.strerror or str(e)


def run_case(relay, client, dev, closed, action, reason):
    mark = relay.proc.mark()
    leg = client.open_leg(dev.port)
    assert leg.version() == "TLSv1.2", leg.version()
    ulp = leg.getsockopt(socket.IPPROTO_TCP, TCP_ULP, 16).rstrip(b"\0")
    assert ulp == b"tls", "the test's leg has no kernel TLS (ULP %r)" % ulp
    start = relay.proc.wait_log(r"session (\S+): relaying .*\((.*)\), (kernel TLS: .*)",
                                timeout=120, since=mark)
    assert start.group(2) == "io_uring data plane, kernel TLS splice", start.group(0)
    assert start.group(3) == "kernel TLS: client tx+rx, agent tx+rx", start.group(0)
    # Stream bytes both ways through the kernel path first.
    leg.sendall(b"ping")
    assert harness.recv_exact(leg, 22) == b"hello from the device\n"
    # Idle now: each direction waits in a poll, not in an io-wq thread.
    harness.wait_until(lambda: not io_wq_busy(relay.proc.pid), 60,
                       "the relay's io-wq threads to go idle")
    closed.clear()
    raw = socket.socket(fileno=os.dup(leg.fileno()))
    try:
        action(relay, client, leg, raw)
        end = relay.proc.wait_log(r"session %s closed \((.*)\): .*path (\S+) \((.*)\)"
                                  % start.group(1), timeout=120, since=mark)
        print("relay_records: %s" % end.group(0))
        assert re.fullmatch(reason, end.group(1)), end.group(0)
        assert (end.group(2), end.group(3)) == ("ktls", "io_uring splice"), end.group(0)
        if raw.fileno() >= 0:
            print("relay_records: the test's leg: %s" % wait_leg_closed(raw, 120))
        assert closed.wait(120), "the device's connection stayed open"
    finally:
        raw.close()
        leg.close()


def main():
    bindir = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "build" / "release" / "bin").resolve()
    if not Path("/proc/net/tls_stat").exists():
        print("relay_records: SKIP: kernel has no TLS ULP (/proc/net/tls_stat missing)")
        return 77
    bins = {p: str(bindir / p) for p in ("sluice-relay", "sluice-agent", "sluice-client",
                                                "sluicectl")}
    tmp = Path(tempfile.mkdtemp(prefix="sluice-records-"))
    (tmp / "logs").mkdir()
    procs = harness.Procs(tmp / "logs", dict(os.environ, HOME=str(tmp)))
    sl = harness.Sluice(bins, procs, tmp)
    closed = threading.Event()

    def device(conn, idx):
        try:
            conn.sendall(b"hello from the device\n")
            while True:
                d = conn.recv(65536)
                if not d:
                    break
                if b"flood" in d:
                    chunk = b"x" * (1 << 20)
                    for _ in range(FLOOD // len(chunk)):
                        conn.sendall(chunk)
        except OSError:
            pass
        closed.set()
        return idx

    ok = False
    client = None
    try:
        dev = sl.device(device)
        relay = sl.start_relay(extra="data_threads = 1\n", heartbeat="60s", timeout=120)
        sl.start_agent(relay, devices={"plc": str(dev.port)}, timeout=120)
        for what, action, reason in CASES:
            if client is None:
                client = Client(sl, relay)
            run_case(relay, client, dev, closed, action, reason)
            print("relay_records: ok   %s ends the kernel TLS session" % what)
            if action in (close_control, close_control_stalled):
                client = None
        ok = True
    except Exception:  # reported with the logs
        print("relay_records: FAIL:\n%s" % traceback.format_exc())
    finally:
        if client:
            client.close()
        sl.close()
        if not ok:
            print(procs.dump())
    print("relay_records: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
