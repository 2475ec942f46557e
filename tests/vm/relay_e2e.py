# SPDX-License-Identifier: MIT
"""Relay end to end inside the qemu guest (Debian's stock kernel): relay,
agent, device and client as on the host, 4 MiB each way through one
session, checked byte for byte, and the data path the relay took.

    python (client side) --tcp--> sluice-client ==tls 1.2==> sluice-relay <==tls 1.2== sluice-agent --tcp--> python device
                                                 (kTLS)        (kTLS splice)      (kTLS)

Run by tests/vm/suite.sh in the guest (make check-vm), or on the host:

    python3 tests/vm/relay_e2e.py [BINDIR]      # default build/release/bin

What it asserts, where the kernel has TLS (/proc/net/tls_stat exists or
appears; in the guest it must): the relay found kernel TLS send and
receive on both legs and took the kernel path ("kernel TLS: client tx+rx,
agent tx+rx", "path ktls (io_uring splice)"); while the session runs,
/proc/net/tls_stat counts 4 more sockets with software kernel TLS in each
direction (TlsCurrTxSw/TlsCurrRxSw: the relay's two legs, the agent's and
the client's), back to where they were afterwards, with TlsTxSw/TlsRxSw
totals 4 higher and no TlsDecryptError; 4 MiB each way intact (SHA-256),
half-close both ways (the session ends "finished"), and the relay's
metrics count the session and its bytes under path="ktls".  On a kernel
without TLS (the development host) the same run must take the userspace
io_uring path instead.  Functional only: no timings.
"""

import hashlib
import json
import os
import re
import socket
import sys
import tempfile
import threading
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "system"))

import harness  # noqa: E402
import urllib.request  # noqa: E402

SIZE = 4 << 20


def tls_stat():
    try:
        text = Path("/proc/net/tls_stat").read_text()
    except OSError:
        return {}
    return {k: int(v) for k, v in (ln.split() for ln in text.splitlines() if ln.strip())}


def metrics(relay):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % relay.metrics_port,
                                timeout=60) as r:
        text = r.read().decode()
    return {k: float(v) for k, v in (ln.rsplit(" ", 1) for ln in text.splitlines()
                                      if ln and not ln.startswith("#"))}


def delta(after, before, key):
    return after.get(key, 0) - before.get(key, 0)


def main():
    bindir = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "build" / "release" / "bin").resolve()
    bins = {p: str(bindir / p) for p in ("sluice-relay", "sluice-agent", "sluice-client",
                                                "sluicectl")}
    for p in bins.values():
        if not os.access(p, os.X_OK):
            print("relay_e2e: %s missing (make all first)" % p)
            return 1
    tmp = Path(tempfile.mkdtemp(prefix="sluice-e2e-"))
    (tmp / "logs").mkdir()
    procs = harness.Procs(tmp / "logs", dict(os.environ, HOME=str(tmp)))
    sl = harness.Sluice(bins, procs, tmp)
    before = tls_stat()
    ok = False
    try:
        up = harness.pattern_bytes(SIZE, "up")
        down = harness.pattern_bytes(SIZE, "down")
        dev = sl.device(harness.sink_source_handler(down))
        relay = sl.start_relay(extra="data_threads = 2\n", timeout=120)
        relay.proc.wait_log(r"data plane: ", timeout=60)
        sl.start_agent(relay, devices={"plc": str(dev.port)}, timeout=120)
        _, lport = sl.forward(relay, "agent1/plc:%d" % dev.port, timeout=120)

        mark = relay.proc.mark()
        sock = harness.connect(lport, timeout=300)
        got = {}
        # Nothing is sent before the sockets are counted: the session
        # cannot end while this side has not closed.
        start = relay.proc.wait_log(r"session \S+: relaying .*\((.*)\), (kernel TLS: .*)",
                                    timeout=120, since=mark)
        print("relay_e2e: %s" % start.group(0))
        ktls = Path("/proc/net/tls_stat").exists()
        assert ktls or os.environ.get("SLUICE_VM") != "1", "no kernel TLS in the guest"
        mid = tls_stat()
        print("relay_e2e: tls_stat during %s" % mid)
        # What the relay found at startup, as sluicectl status reports it.
        st = json.loads(sl.admin(relay, "-j", "status").stdout)
        print("relay_e2e: sluicectl status data_path %s" % st["data_path"])
        assert st["data_path"] == ("ktls" if ktls else "userspace"), st
        if ktls:
            assert start.group(2) == "kernel TLS: client tx+rx, agent tx+rx", start.group(0)
            for k in ("TlsCurrTxSw", "TlsCurrRxSw"):
                assert delta(mid, before, k) == 4, (k, before, mid)

        def rx():
            got["sha"], got["len"] = harness.hash_until_eof(sock)

        t = threading.Thread(target=rx, daemon=True)
        t.start()
        harness.send_all(sock, up)
        sock.shutdown(socket.SHUT_WR)
        t.join(300)
        assert not t.is_alive(), "no EOF after the device's bytes"
        sock.close()
        assert got.get("len") == SIZE, got
        assert got["sha"] == hashlib.sha256(down).hexdigest(), "device -> client corrupted"
        harness.wait_until(lambda: dev.results or dev.errors, 120, "the device to finish")
        assert not dev.errors, dev.errors
        assert dev.results[0]["rx_len"] == SIZE
        assert dev.results[0]["rx_sha"] == hashlib.sha256(up).hexdigest(), \
            "client -> device corrupted"

        m = relay.proc.wait_log(r"session \S+ closed \((\S+)\).*, (\d+) bytes to device, "
                                r"(\d+) bytes to client, .* path (\S+) \(([^)]*)\)", timeout=120)
        print("relay_e2e: %s" % m.group(0))
        print("relay_e2e: %s" % relay.proc.lines(r"data plane: .*")[0].strip())
        assert m.group(1) == "finished", m.group(0)
        assert int(m.group(2)) == SIZE and int(m.group(3)) == SIZE, m.group(0)
        if ktls:
            assert (m.group(4), m.group(5)) == ("ktls", "io_uring splice"), m.group(0)
            met = metrics(relay)
            print("relay_e2e: metrics %s" % {k: v for k, v in met.items() if "path=" in k})
            assert met['sluice_sessions_relayed_total{path="ktls"}'] == 1, met
            assert met['sluice_sessions_started_total{path="ktls"}'] == 1, met
            for d in ("to_device", "to_client"):
                assert met['sluice_relayed_bytes_total{direction="%s",path="ktls"}' % d] \
                    == SIZE, met
                assert met['sluice_relayed_bytes_total{direction="%s",path="userspace"}'
                           % d] == 0, met
            # Sockets closed: the current counts drop back (the agent and
            # the client close their legs at their own pace).
            harness.wait_until(lambda: all(delta(tls_stat(), before, k) == 0
                                           for k in ("TlsCurrTxSw", "TlsCurrRxSw")),
                               120, "kernel TLS sockets to close")
            after = tls_stat()
            for k in ("TlsTxSw", "TlsRxSw"):
                assert delta(after, before, k) == 4, (k, before, after)
            assert delta(after, before, "TlsDecryptError") == 0, (before, after)
        else:
            assert (m.group(4), m.group(5)) == ("userspace", "io_uring"), m.group(0)
        ok = True
    except Exception:  # reported with the logs
        print("relay_e2e: FAIL:\n%s" % traceback.format_exc())
    finally:
        sl.close()
        after = tls_stat()
        print("relay_e2e: tls_stat before %s" % before)
        print("relay_e2e: tls_stat after  %s" % after)
        if not ok:
            print(procs.dump())
    print("relay_e2e: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
