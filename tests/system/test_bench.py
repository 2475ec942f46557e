# SPDX-License-Identifier: MIT
"""sluice-bench and make bench in a tiny configuration: they run, speak the
protocol, and measure something.  No timing is asserted: the figures only
have to be there, well formed and above zero.

    sluice-bench (client, simulated agents) ==tls==> sluice-relay (127.0.0.1:P)
                                                           ^
                                                          tls
                                                           |
    sluice-bench device (plain, 127.0.0.1:D) <--tcp-- sluice-agent

    sluice-bench (client) ==tls==> sluice-bench device --cert (direct)

The last test runs scripts/bench/run.sh --quick (HAProxy included) when
haproxy and taskset are installed (scripts/deps.sh bench), and skips
otherwise.
"""

import csv
import os
import re
import shutil
from pathlib import Path

import pytest

import harness

REPO = Path(__file__).resolve().parents[2]
RESULT_RE = re.compile(r"^result,([a-z0-9_]+),([0-9.]+),([A-Za-z/]+),(\d+),"
                       r"([0-9.]*),([0-9.]*),([0-9.]*)$")


@pytest.fixture
def bench(bins):
    path = Path(bins["sluice-relay"]).parent / "sluice-bench"
    assert os.access(path, os.X_OK), "%s is not built" % path
    return str(path)


def results(r):
    """{metric: (value, unit)} of a finished sluice-bench run."""
    assert r.returncode == 0, ("sluice-bench exited %d\nstdout:\n%s\nstderr:\n%s"
                               % (r.returncode, r.stdout, r.stderr))
    out = {}
    for ln in r.stdout.splitlines():
        if ln.startswith("result,"):
            m = RESULT_RE.match(ln)
            assert m, "malformed result line %r" % ln
            out[m.group(1)] = (float(m.group(2)), m.group(3))
    return out


def start_device(sluice, bench, *extra):
    dev = sluice.procs.start("bench-device", [bench, "device", "--listen",
                                              "127.0.0.1:0", *extra])
    return int(dev.wait_out(r"listening on 127\.0\.0\.1:(\d+)\n").group(1))


def measure(sluice, bench, target, pid):
    """Runs every stream measurement against target (argv); returns the
    merged results."""
    runs = [
        ("probe",),
        ("bulk", "--bytes", "1M"),
        ("bulk", "--bytes", "256K", "--sessions", "4"),
        ("handshake", "--seconds", "1", "--concurrency", "4",
         "--source", "127.0.4.1", "--sources", "2"),
        ("setup", "--count", "5"),
        ("pingpong", "--count", "50", "--size", "64"),
    ]
    got = {}
    for args in runs:
        r = sluice.procs.run("bench-" + args[0],
                             [bench, *args, *target, "--pid", str(pid),
                              "--timeout", "20"], timeout=60)
        got.update(results(r))
        if args[0] == "probe":
            assert re.search(r"^tls,stream,TLSv1\.3,", r.stdout, re.M), r.stdout
    return got


def check_stream_results(got):
    want = {"bulk_1": "MiB/s", "bulk_4": "MiB/s", "handshake": "conn/s",
            "setup_p50": "ms", "setup_p99": "ms", "pingpong_p50": "us",
            "pingpong_p99": "us"}
    for metric, unit in want.items():
        assert metric in got, "no %s in %s" % (metric, got)
        assert got[metric][1] == unit
        assert got[metric][0] > 0, "%s is %s" % (metric, got[metric][0])
    assert got["setup_p50"][0] <= got["setup_p99"][0]
    assert got["pingpong_p50"][0] <= got["pingpong_p99"][0]


def test_bench_through_relay(sluice, bench):
    dev_port = start_device(sluice, bench)
    relay = sluice.start_relay(extra="admission_rate = 0\n")
    sluice.start_agent(relay, devices={"dev": str(dev_port)},
                       fingerprint=relay.fingerprint)
    target = ["--sluice", "127.0.0.1:%d" % relay.port, "--fingerprint",
              relay.fingerprint, "--token", sluice.CLIENT_TOKEN,
              "--device", "dev", "--device-port", str(dev_port)]
    got = measure(sluice, bench, target, relay.proc.pid)
    check_stream_results(got)

    # Simulated agents: each a TLS connection with an AGENT_HELLO.
    r = sluice.procs.run("bench-idle",
                         [bench, "idle", "--sluice", "127.0.0.1:%d" % relay.port,
                          "--fingerprint", relay.fingerprint,
                          "--token", sluice.AGENT_TOKEN, "--agents", "20",
                          "--concurrency", "4", "--pid", str(relay.proc.pid),
                          "--source", "127.0.4.1", "--sources", "2"], timeout=60)
    got = results(r)
    assert got["idle_connect_20"][0] > 0
    assert got["idle_rss_20"][1] == "B/conn"
    relay.proc.wait_log(r"agent idle-000019 connected|idle-000019", timeout=10)


def test_bench_direct_tls(sluice, bench, tmp_path):
    # The relay is started only to make an identity (relay.key/relay.crt).
    relay = sluice.start_relay()
    key = Path(relay.state_dir) / "relay.key"
    crt = Path(relay.state_dir) / "relay.crt"
    dev_port = start_device(sluice, bench, "--cert", str(crt), "--key", str(key))
    dev = sluice.procs.procs[-1]
    target = ["--tls", "127.0.0.1:%d" % dev_port, "--fingerprint", relay.fingerprint]
    check_stream_results(measure(sluice, bench, target, dev.pid))


def test_bench_wrong_pin_fails(sluice, bench):
    relay = sluice.start_relay()
    r = sluice.procs.run("bench-probe",
                         [bench, "probe", "--sluice", "127.0.0.1:%d" % relay.port,
                          "--fingerprint", "sha256:" + "00" * 32,
                          "--token", sluice.CLIENT_TOKEN, "--device-port", "1",
                          "--timeout", "10"], timeout=30)
    assert r.returncode == 1
    assert "result," not in r.stdout


@pytest.mark.skipif(not (shutil.which("haproxy") or os.access("/usr/sbin/haproxy",
                                                               os.X_OK))
                    or not shutil.which("taskset"),
                    reason="haproxy or taskset not installed (scripts/deps.sh bench)")
def test_make_bench_quick(bins, bench, sluice, tmp_path):
    out = tmp_path / "bench"
    r = sluice.procs.run("run.sh", [REPO / "scripts/bench/run.sh",
                                    Path(bench).parent, "--quick", "--out", out],
                         timeout=300)
    assert r.returncode == 0, "run.sh failed:\n%s\n%s" % (r.stdout, r.stderr)
    with open(out / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
        cols = f.name and rows and list(rows[0].keys())
    assert cols == ["target", "metric", "unit", "rep", "value", "count",
                    "server_cpu_pct", "cpu0_pct", "cpu1_pct"]
    seen = {(row["target"], row["metric"]) for row in rows}
    for t in ("sluice", "haproxy", "direct"):
        for m in ("bulk_1", "bulk_8", "handshake", "setup_p50", "setup_p99",
                  "pingpong_p50", "pingpong_p99"):
            assert (t, m) in seen, "no %s for %s" % (m, t)
    assert any(m.startswith("idle_rss_") for _, m in seen)
    for row in rows:
        if not row["metric"].startswith("idle_rss_"):
            assert float(row["value"]) > 0, row
    with open(out / "summary.csv", newline="") as f:
        header = next(csv.reader(f))
    assert header == ["metric", "target", "unit", "n", "min", "median", "max",
                      "ratio_haproxy", "server_cpu_pct"]
    assert "issue 4 targets" in r.stdout


def test_bench_simulated_agent(sluice, bench):
    """device --sluice: the device as an agent of the relay, serving the
    legs it attaches; the streams measured through it as through a real
    agent."""
    relay = sluice.start_relay(extra="admission_rate = 0\n")
    agent = sluice.procs.start("bench-agent", [
        bench, "device", "--sluice", "127.0.0.1:%d" % relay.port,
        "--fingerprint", relay.fingerprint, "--token", sluice.AGENT_TOKEN,
        "--agent", "simagent", "--device", "dev", "--device-port", "9000"])
    agent.wait_out(r"agent simagent connected\n")
    assert "simagent" in sluice.listed_agents(relay)
    target = ["--sluice", "127.0.0.1:%d" % relay.port, "--fingerprint",
              relay.fingerprint, "--token", sluice.CLIENT_TOKEN,
              "--device", "dev", "--device-port", "9000"]
    check_stream_results(measure(sluice, bench, target, relay.proc.pid))
    # A port the agent does not serve is refused by the relay, as for a
    # real agent.
    r = sluice.procs.run("bench-probe", [bench, "probe", *target[:-1], "9001",
                                         "--timeout", "10"], timeout=30)
    assert r.returncode == 1 and "OPEN dev:9001 refused" in r.stderr, r.stderr
    assert agent.alive()
