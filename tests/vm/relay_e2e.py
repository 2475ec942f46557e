# SPDX-License-Identifier: MIT
"""Relay end to end inside the qemu guest (Debian's stock kernel): relay,
agent, device and client as on the host, 4 MiB each way through one
session, checked byte for byte, and the data path the relay took.

    python (client side) --tcp--> sluice-client ==tls==> sluice-relay <==tls== sluice-agent --tcp--> python device

Run by tests/vm/suite.sh in the guest (make check-vm), or on the host:

    python3 tests/vm/relay_e2e.py [BINDIR]      # default build/release/bin

What it asserts today: the session went through the relay's io_uring data
plane on this kernel (setup flags, multishot receive and provided buffers
of the guest's io_uring, not the development host's) and ended
"finished" with both byte counts.  It prints /proc/net/tls_stat before and
after.  The kernel TLS path (docs/datapath.md) is not built yet; when it is,
this test is where "path ktls" and the TlsCurrTxSw/RxSw deltas get asserted.
Functional only: no timings.
"""

import hashlib
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

SIZE = 4 << 20


def tls_stat():
    try:
        text = Path("/proc/net/tls_stat").read_text()
    except OSError:
        return {}
    return {k: int(v) for k, v in (ln.split() for ln in text.splitlines() if ln.strip())}


def main():
    bindir = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "build" / "release" / "bin").resolve()
    bins = {p: str(bindir / p) for p in ("sluice-relay", "sluice-agent", "sluice-client")}
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

        sock = harness.connect(lport, timeout=300)
        got = {}

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
                                r"(\d+) bytes to client, .* path (\S+) \((\S+)\)", timeout=120)
        print("relay_e2e: %s" % m.group(0))
        print("relay_e2e: %s" % relay.proc.lines(r"data plane: .*")[0].strip())
        assert m.group(1) == "finished", m.group(0)
        assert int(m.group(2)) == SIZE and int(m.group(3)) == SIZE, m.group(0)
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
