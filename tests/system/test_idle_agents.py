# SPDX-License-Identifier: MIT
"""10,000 idle agents on one relay (issue 4): they enroll, log in with
mutual TLS and heartbeat at the interval their HELLO_OK gives, and the
relay keeps every one of them through several intervals, within a bound.

    sluice-bench idle --hold (10,000 simulated agents, one epoll thread)
          | mutual TLS, AGENT_HELLO, HEARTBEAT every second
          v
    sluice-relay (heartbeat_interval = 1s: three silent seconds and it drops one)

The agents are sluice-bench's protocol-faithful ones (tools/sluice-bench/
idle.c): real processes, real certificates, real sockets, the real state
database.  The bound is generous (the sanitizer build enrolls and logs in about
150 agents a second on the development machine); nothing here is timed."""

import os
import resource
from pathlib import Path

import pytest

import harness

AGENTS = 10000
RELEASE_BENCH = str(Path(__file__).resolve().parents[2] / "build" / "release" / "bin" /
                    "sluice-bench")


def test_ten_thousand_idle_agents_heartbeat(sluice, bins, tmp_path):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < AGENTS + 500:
        pytest.skip("RLIMIT_NOFILE hard limit %d: %d agents need %d descriptors "
                    "in the relay and as many in sluice-bench"
                    % (hard, AGENTS, AGENTS + 500))
    # Leak and error detection stay on; unwinding the stack precisely at
    # every malloc (conftest's default, for exact leak reports) would make
    # 10,000 TLS logins take ten times as long.
    env = sluice.procs.env
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "").replace(
        "fast_unwind_on_malloc=0", "fast_unwind_on_malloc=1")
    relay = sluice.start_relay(heartbeat="1s",
                               extra="admission_rate = 0\nhandshake_timeout = 60s\n")
    # The relay is what is under test: the load generator may be the
    # release build where there is one, twice as fast as the sanitized one.
    bench = RELEASE_BENCH if os.access(RELEASE_BENCH, os.X_OK) else \
        str(Path(bins["sluice-relay"]).parent / "sluice-bench")
    proc = sluice.procs.start("bench", [
        bench, "idle", "--sluice", "127.0.0.1:%d" % relay.port,
        "--fingerprint", relay.fingerprint, "--state", str(tmp_path / "bench"),
        "--relay-conf", str(relay.conf), "--agents", str(AGENTS),
        "--concurrency", "64", "--source", "127.0.3.1", "--sources", "2",
        "--pid", str(relay.proc.pid), "--hold", "5", "--timeout", "60"])
    # Enrollment (one state.db transaction per agent) and the logins.
    proc.wait_log(r"idle: holding %d agents for 5 s, a heartbeat each every 1000 ms"
                  % AGENTS, timeout=900)
    m = harness.relay_metrics(relay)
    assert m["sluice_agents_connected"] == AGENTS
    assert m['sluice_heartbeat_misses_total{peer="agent"}'] == 0
    proc.wait_log(r"idle: the relay kept %d of %d agents for 5 s" % (AGENTS, AGENTS),
                  timeout=60)
    assert proc.wait_exit(60) == 0, harness.tail(proc.log())
    assert "result,idle_held,%d.000,conn,%d" % (AGENTS, AGENTS) in proc.out()
    # Five seconds on, with three silent seconds enough to be dropped: none was.
    m = harness.relay_metrics(relay)
    assert m['sluice_heartbeat_misses_total{peer="agent"}'] == 0
    assert m['sluice_auth_failures_total{reason="duplicate"}'] == 0
