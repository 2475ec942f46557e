# SPDX-License-Identifier: MIT
"""sluice-bench and make bench in a tiny configuration: they run, speak the
protocol, log in with real identities (enrolled agents with their secondary
ids, a user with certificate and password), and measure something.  No
timing is asserted: the figures only have to be there, well formed and
above zero.

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


def identity_args(relay, tmp_path):
    """sluice-bench's identity cache and operator access to relay."""
    return ["--state", str(tmp_path / "bench-state"), "--relay-conf", str(relay.conf)]


def agents_dir(tmp_path, relay):
    fp = relay.fingerprint[len("sha256:"):][:16]
    return tmp_path / "bench-state" / ("relay-" + fp) / "agents"


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


def run_idle(sluice, bench, relay, tmp_path, n=20):
    return sluice.procs.run("bench-idle",
                            [bench, "idle", "--sluice", "127.0.0.1:%d" % relay.port,
                             "--fingerprint", relay.fingerprint,
                             *identity_args(relay, tmp_path), "--agents", str(n),
                             "--concurrency", "4", "--pid", str(relay.proc.pid),
                             "--source", "127.0.4.1", "--sources", "2"], timeout=120)


def test_bench_through_relay(sluice, bench, tmp_path):
    """A real sluice-agent, and a user the test made (certificate and
    password given to sluice-bench)."""
    dev_port = start_device(sluice, bench)
    relay = sluice.start_relay(extra="admission_rate = 0\n")
    sluice.start_agent(relay, devices={"dev": str(dev_port)},
                       fingerprint=relay.fingerprint)
    p12 = sluice.user(relay, "tester")
    target = ["--sluice", "127.0.0.1:%d" % relay.port, "--fingerprint",
              relay.fingerprint, *identity_args(relay, tmp_path),
              "--user", "tester", "--user-cert", str(p12),
              "--password-file", str(sluice.password_file()),
              "--agent", "agent1", "--device", "dev", "--device-port", str(dev_port)]
    got = measure(sluice, bench, target, relay.proc.pid)
    check_stream_results(got)
    # The relay's CPU per login by thread: the handshakes on the handshake
    # threads (2 by default on this 2-CPU host, 1 at least), the rest of
    # the login on the control thread.
    assert got["login_cpu_control"][1] == "us"
    assert got["login_cpu_control"][0] > 0, got
    assert got["login_cpu_handshake"][0] > 0, got
    # The streams logged in as tester; handshake logged in simulated agents
    # it enrolled itself.
    relay.proc.wait_log(r"user tester logged in from", timeout=10)
    agents = sluice.admin(relay, "agent", "list", "--all").stdout
    assert re.search(r"^bench-hs-000000\s+ROOT\s+active", agents, re.M), agents

    # Simulated agents: enrolled (join tokens made through the operator
    # commands), then each a mutual TLS connection with an AGENT_HELLO.
    r = run_idle(sluice, bench, relay, tmp_path)
    got = results(r)
    assert "enrolling 20 simulated agents" in r.stderr, r.stderr
    assert got["idle_connect_20"][0] > 0
    assert got["idle_rss_20"][1] == "B/conn"
    agents = sluice.admin(relay, "agent", "list", "--all").stdout
    assert re.search(r"^idle-000019\s+ROOT\s+active", agents, re.M), agents


def test_bench_agents_reuse_identities(sluice, bench, tmp_path):
    """A second run logs the same agents in again, without enrolling: each
    presents the secondary id its last HELLO_OK gave (a missing or stale one
    would lock it).  A stale one is refused and the agent is reset on the
    next run."""
    relay = sluice.start_relay(extra="admission_rate = 0\n")
    results(run_idle(sluice, bench, relay, tmp_path, n=6))
    r = run_idle(sluice, bench, relay, tmp_path, n=6)
    assert "enrolling" not in r.stderr, r.stderr
    assert results(r)["idle_connect_6"][0] > 0

    # A copy of agent 2 with an old secondary id: the relay locks it.
    secret = agents_dir(tmp_path, relay) / "idle-000002.secret"
    secret.write_bytes(bytes(32))
    r = run_idle(sluice, bench, relay, tmp_path, n=6)
    assert r.returncode == 1
    assert "locked" in r.stderr, r.stderr
    agents = sluice.admin(relay, "agent", "list", "--all").stdout
    assert re.search(r"^idle-000002\s+ROOT\s+locked", agents, re.M), agents
    # The next run resets it (an operator command) and logs it in.
    r = run_idle(sluice, bench, relay, tmp_path, n=6)
    assert "operator: agent reset idle-000002" in r.stderr, r.stderr
    assert results(r)["idle_connect_6"][0] > 0
    agents = sluice.admin(relay, "agent", "list", "--all").stdout
    assert re.search(r"^idle-000002\s+ROOT\s+active", agents, re.M), agents


def test_bench_needs_operator_to_enroll(sluice, bench, tmp_path):
    relay = sluice.start_relay()
    r = sluice.procs.run("bench-idle",
                         [bench, "idle", "--sluice", "127.0.0.1:%d" % relay.port,
                          "--fingerprint", relay.fingerprint,
                          "--state", str(tmp_path / "bench-state"), "--agents", "2",
                          "--pid", str(relay.proc.pid)], timeout=60)
    assert r.returncode == 1
    assert "give --relay-conf" in r.stderr, r.stderr
    assert "result," not in r.stdout


def test_bench_direct_tls(sluice, bench, tmp_path):
    # The relay is started only to make an identity (relay.key/relay.crt).
    relay = sluice.start_relay()
    key = Path(relay.state_dir) / "relay.key"
    crt = Path(relay.state_dir) / "relay.crt"
    dev_port = start_device(sluice, bench, "--cert", str(crt), "--key", str(key))
    dev = sluice.procs.procs[-1]
    target = ["--tls", "127.0.0.1:%d" % dev_port, "--fingerprint", relay.fingerprint]
    check_stream_results(measure(sluice, bench, target, dev.pid))


def test_bench_wrong_pin_fails(sluice, bench, tmp_path):
    relay = sluice.start_relay()
    r = sluice.procs.run("bench-probe",
                         [bench, "probe", "--sluice", "127.0.0.1:%d" % relay.port,
                          "--fingerprint", "sha256:" + "00" * 32,
                          "--state", str(tmp_path / "bench-state"),
                          "--user", "tester", "--user-cert", str(sluice.user(relay)),
                          "--password-file", str(sluice.password_file()),
                          "--device-port", "1",
                          "--timeout", "10"], timeout=30)
    assert r.returncode == 1
    assert "sha256:" + "00" * 32 in r.stderr, r.stderr
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
    # The identities stay for the next run: the relay's state and what
    # sluice-bench enrolled on it, each agent with its secondary id.
    assert (out / "state/relay/state.db").exists()
    cached = list((out / "state/bench").glob("relay-*/agents"))
    assert len(cached) == 1, cached
    for name in ("bench-agent", "bench-hs-000000", "idle-000019"):
        assert (cached[0] / (name + ".crt")).exists(), name
        assert (cached[0] / (name + ".secret")).stat().st_size == 32, name


def test_bench_simulated_agent(sluice, bench, tmp_path):
    """device --sluice: the device as an enrolled agent of the relay,
    serving the legs it attaches; the streams measured through it as
    through a real agent, by a user sluice-bench made itself."""
    relay = sluice.start_relay(extra="admission_rate = 0\n")
    ident = identity_args(relay, tmp_path)
    agent = sluice.procs.start("bench-agent", [
        bench, "device", "--sluice", "127.0.0.1:%d" % relay.port,
        "--fingerprint", relay.fingerprint, *ident,
        "--agent", "simagent", "--device", "dev", "--device-port", "9000"])
    agent.wait_out(r"agent simagent connected\n")
    assert "simagent" in sluice.listed_agents(relay)
    assert (agents_dir(tmp_path, relay) / "simagent.secret").stat().st_size == 32
    target = ["--sluice", "127.0.0.1:%d" % relay.port, "--fingerprint",
              relay.fingerprint, *ident, "--agent", "simagent",
              "--device", "dev", "--device-port", "9000"]
    check_stream_results(measure(sluice, bench, target, relay.proc.pid))
    # The user sluice-bench made through the operator commands, with a grant.
    assert re.search(r"^bench\s", sluice.admin(relay, "user", "list").stdout, re.M)
    assert re.search(r"\sbench\s+ROOT\s", sluice.admin(relay, "grant", "list").stdout)
    # A port the agent does not serve is refused by the relay, as for a
    # real agent.
    r = sluice.procs.run("bench-probe", [bench, "probe", *target[:-1], "9001",
                                         "--timeout", "10"], timeout=30)
    assert r.returncode == 1 and "OPEN dev:9001 refused" in r.stderr, r.stderr
    assert agent.alive()
