# SPDX-License-Identifier: MIT
"""The relay's Prometheus endpoint, checked with Prometheus' own tools.

    python client -> sluice-client -> sluice-relay <- sluice-agent -> echo device
                                          |
                          GET /metrics    |   (127.0.0.1:M, its own free port)
          promtool check metrics  <-------+-------> prometheus (scrapes every 1 s,
                                                    queried over its HTTP API)
"""

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

import harness

PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")


http = harness.http
get = harness.http_get
samples = harness.samples


def run_sessions(port, n, size):
    for i in range(n):
        with harness.connect(port) as s:
            payload = harness.pattern_bytes(size, i)
            assert harness.echo_roundtrip(s, payload) == payload


def test_metrics_count_sessions_and_pass_promtool(sluice, session_setup):
    relay = session_setup["relay"]
    run_sessions(session_setup["port"], 3, 10000)
    # A refused session: port outside the device's rules.
    client, port = sluice.forward(relay, "agent1/plc:1")
    with harness.connect(port) as s:
        assert harness.recv_all(s) == b""
    relay.proc.wait_log(r"session [0-9a-f]{16} closed \(finished\)", count=3)
    relay.proc.wait_log(r"refused session")

    status, head, body = get(relay.metrics_port)
    assert status == 200
    assert "text/plain; version=0.0.4" in head
    if PROMTOOL:
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=body,
                           capture_output=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.stdout.strip() == b"" and r.stderr.strip() == b"", r.stdout + r.stderr
    m = samples(body.decode())
    assert m['sluice_sessions_total{outcome="ok"}'] == 3
    assert m['sluice_sessions_total{outcome="refused"}'] == 1
    assert m['sluice_relayed_bytes_total{direction="to_device",path="userspace"}'] == 30000
    assert m['sluice_relayed_bytes_total{direction="to_client",path="userspace"}'] == 30000
    assert m['sluice_sessions_started_total{path="userspace"}'] == 3
    assert m["sluice_agents_connected"] == 1
    assert m['sluice_agents_online{domain="ROOT",state="active"}'] == 1
    assert m['sluice_agents_online{domain="ROOT",state="pending"}'] == 0
    assert m['sluice_agents_enrolled{domain="ROOT",state="active"}'] == 1
    assert not any(k.startswith("sluice_agents_enrolled") and "locked" in k for k in m)
    assert m["sluice_clients_connected"] == 2
    assert m["sluice_sessions_active"] == 0
    assert m["sluice_session_setup_duration_seconds_count"] == 3
    assert m["sluice_handshakes_total"] >= 3 + 3 * 2  # agent, 2 clients, 2 legs each
    assert m["process_resident_memory_bytes"] > 0
    assert m["process_open_fds"] > 0
    assert m['sluice_certificate_expiry_timestamp_seconds{cert="relay"}'] > 0
    # The agent's and the clients' logins wrote both files durably; one
    # sync may serve several of them, so at least one each.
    assert m['sluice_group_commit_syncs_total{file="state"}'] >= 1
    assert m['sluice_group_commit_syncs_total{file="audit"}'] >= 1


@pytest.mark.skipif(not PROMTOOL, reason="promtool not installed (scripts/deps.sh installs prometheus)")
def test_promtool_is_real():
    """promtool must reject a broken exposition, or the check above proves nothing."""
    bad = b"# TYPE x counter\nx_total{a=\"1\"} 1\nx_total{a=\"1\"} 2\n"
    r = subprocess.run([PROMTOOL, "check", "metrics"], input=bad,
                       capture_output=True, timeout=60)
    assert r.returncode != 0 or (r.stdout + r.stderr).strip()


@pytest.mark.skipif(not PROMETHEUS, reason="prometheus not installed (scripts/deps.sh installs it)")
def test_prometheus_scrapes_relay(sluice, session_setup, procs, tmp_path):
    relay = session_setup["relay"]
    web = harness.free_port()
    cfg = tmp_path / "prometheus.yml"
    cfg.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: sluice\n    static_configs:\n"
        "      - targets: ['127.0.0.1:%d']\n" % relay.metrics_port)
    procs.start("prometheus", [PROMETHEUS, "--config.file=%s" % cfg,
                               "--storage.tsdb.path=%s" % (tmp_path / "tsdb"),
                               "--web.listen-address=127.0.0.1:%d" % web])
    run_sessions(session_setup["port"], 4, 5000)
    relay.proc.wait_log(r"session [0-9a-f]{16} closed \(finished\)", count=4)

    def query(expr):
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (
            web, urllib.parse.urlencode({"query": expr}))
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                res = json.load(r)["data"]["result"]
        except OSError:
            return None
        return float(res[0]["value"][1]) if res else None

    harness.wait_until(lambda: query('sluice_sessions_total{outcome="ok"}') == 4, 90,
                       "prometheus to scrape 4 finished sessions")
    assert query('up{job="sluice"}') == 1
    # One series per data path: sum them.
    assert query('sum(sluice_relayed_bytes_total{direction="to_client"})') == 20000
    assert query("sluice_agents_connected") == 1


def test_http_errors(sluice):
    relay = sluice.start_relay()
    port = relay.metrics_port
    assert get(port, "/healthz")[0] == 200
    assert get(port, "/readyz")[0] == 200
    assert get(port, "/metrics?x=1")[0] == 200
    assert get(port, "/nope")[0] == 404
    status, head, _ = http(port, b"POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 405 and "Allow: GET, HEAD" in head
    assert http(port, b"garbage\r\n\r\n")[0] == 400
    assert http(port, b"GET /metrics HTTP/2.0\r\n\r\n")[0] == 505
    assert http(port, b"GET /" + b"a" * 300 + b" HTTP/1.1\r\n\r\n")[0] == 414
    assert http(port, b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000)[0] == 431
    status, _, body = http(port, b"HEAD /metrics HTTP/1.1\r\n\r\n")
    assert status == 200 and body == b""
    # A client that never finishes its request is cut off, not served forever.
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\n")
        harness.wait_closed(s, 30)  # raises if still open
    # The relay still serves.
    assert get(port)[0] == 200


def test_metrics_allow_list_and_off(sluice):
    relay = sluice.start_relay(extra="metrics_listen = 127.0.0.1:%d\n"
                               "metrics_allow = 10.0.0.0/8, ::1\n" % harness.free_port())
    assert get(relay.metrics_port)[0] == 403
    off = sluice.start_relay(extra="metrics_listen = off\n")
    assert off.metrics_port is None
    assert "metrics on" not in off.proc.log()


def test_unawaited_audit_record_is_synced(sluice, echo_device):
    """An agent's disconnect record has no answer waiting for it, so it
    starts no sync round at once (commit.c), but it is synced all the same
    soon after: the audit sync counter moves past the disconnect."""
    relay = sluice.start_relay()
    agent = sluice.start_agent(relay, devices={"plc": str(echo_device.port)})
    key = 'sluice_group_commit_syncs_total{file="audit"}'
    before = harness.relay_metrics(relay)[key]
    assert before >= 1  # the login's round
    agent.stop()
    relay.proc.wait_log(r"agent agent1 disconnected")
    got = before
    for _ in range(100):
        got = harness.relay_metrics(relay)[key]
        if got > before:
            break
        time.sleep(0.1)
    assert got > before, "the disconnect record was never synced"
    log = (relay.state_dir / "audit.log").read_text()
    assert '"event":"agent.disconnect"' in log
