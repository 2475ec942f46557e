# SPDX-License-Identifier: MIT
"""The agent's optional Prometheus endpoint (metrics_listen in agent.conf).

    python client -> sluice-client -> sluice-relay <- sluice-agent -> echo device "plc"
                                                          |     \\-> nothing on "dead"
                                      GET /metrics        |         (connect refused)
          promtool check metrics  <-----------------------+
                                      (127.0.0.1:M, the agent's own free port)

The agent serves the endpoint from a thread of its own, so it answers also
while the relay is away (the control loop is then dialling or waiting).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

import harness

PROMTOOL = shutil.which("promtool")


http = harness.http
get = harness.http_get
samples = harness.samples


def scrape(port):
    status, head, body = get(port)
    assert status == 200, (status, head)
    assert "text/plain; version=0.0.4" in head
    return samples(body.decode())


def wait_metric(port, key, value, timeout=20):
    last = {}

    def check():
        last.update(scrape(port))
        return last.get(key) == value
    try:
        harness.wait_until(check, timeout, "%s == %s" % (key, value), interval=0.1)
    except harness.WaitTimeout:
        raise AssertionError("%s is %s, expected %s" % (key, last.get(key), value)) from None


def listening_ports(pid):
    """TCP ports the process listens on (from /proc: its socket inodes in
    LISTEN state)."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]", link)
        if m:
            inodes.add(m.group(1))
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                cols = line.split()
                if cols[3] == "0A" and cols[9] in inodes:  # TCP_LISTEN
                    ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


def start_agent(sluice, relay, devices, extra, name="agent1"):
    """start_agent(), keeping the configuration's path for reloads."""
    conf, _ = sluice.agent_conf(relay, name, devices, extra=extra)
    proc = sluice.procs.start(name, sluice._argv("sluice-agent", conf))
    proc.wait_log(r"connected to relay \S+ as %s\b" % name, 20)
    return proc, conf


@pytest.fixture
def metered(sluice, echo_device):
    """relay + agent1 with metrics on 127.0.0.1:M and two devices: plc
    (the echo device) and dead (a port nobody listens on)."""
    relay = sluice.start_relay()
    mport = harness.free_port()
    dead = harness.free_port()
    agent, conf = start_agent(sluice, relay,
                              {"plc": str(echo_device.port), "dead": str(dead)},
                              "metrics_listen = 127.0.0.1:%d\n" % mport)
    agent.wait_log(r"metrics on http://127\.0\.0\.1:%d/metrics" % mport)
    return {"relay": relay, "agent": agent, "conf": conf, "mport": mport,
            "device": echo_device, "dead": dead}


def run_sessions(sluice, m, n, size):
    client, port = sluice.forward(m["relay"], "agent1/plc:%d" % m["device"].port)
    for i in range(n):
        with harness.connect(port) as s:
            payload = harness.pattern_bytes(size, i)
            assert harness.echo_roundtrip(s, payload) == payload
    # One session to the device nobody listens on: the agent finds it unreachable.
    client, port = sluice.forward(m["relay"], "agent1/dead:%d" % m["dead"])
    with harness.connect(port) as s:
        assert harness.recv_all(s) == b""


def test_agent_metrics_count_sessions(sluice, metered):
    mport = metered["mport"]
    before = time.time()
    m = scrape(mport)
    assert m["sluice_agent_relay_connected"] == 1
    assert m["sluice_agent_devices"] == 2
    assert 'sluice_agent_device_reachable{device="plc"}' not in m  # never tried yet

    run_sessions(sluice, metered, 3, 10000)
    wait_metric(mport, 'sluice_agent_sessions_total{outcome="ok"}', 3)
    wait_metric(mport, 'sluice_agent_sessions_total{outcome="unreachable"}', 1)
    m = scrape(mport)
    assert m['sluice_agent_sessions_total{outcome="error"}'] == 0
    assert m['sluice_agent_sessions_total{outcome="refused"}'] == 0
    assert m["sluice_agent_sessions_active"] == 0
    assert m['sluice_agent_relayed_bytes_total{direction="to_device"}'] == 30000
    assert m['sluice_agent_relayed_bytes_total{direction="to_client"}'] == 30000
    assert m['sluice_agent_device_reachable{device="plc"}'] == 1
    assert m['sluice_agent_device_reachable{device="dead"}'] == 0
    assert m['sluice_agent_device_connects_total{device="plc"}'] == 3
    assert m['sluice_agent_device_connect_failures_total{device="plc"}'] == 0
    assert m['sluice_agent_device_connects_total{device="dead"}'] == 1
    assert m['sluice_agent_device_connect_failures_total{device="dead"}'] == 1
    for dev in ("plc", "dead"):
        ts = m['sluice_agent_device_last_connect_timestamp_seconds{device="%s"}' % dev]
        assert before - 1 <= ts <= time.time() + 1
    # The link: one state at a time.
    states = {k: v for k, v in m.items() if k.startswith("sluice_agent_state{")}
    assert states['sluice_agent_state{state="connected"}'] == 1
    assert sum(states.values()) == 1 and len(states) >= 8
    assert m["sluice_agent_relay_connects_total"] == 1
    assert m["sluice_agent_relay_reconnects_total"] == 0
    assert m["sluice_agent_heartbeat_misses_total"] == 0
    assert m["sluice_agent_relay_connected_seconds_total"] > 0
    assert m["sluice_agent_relay_last_connect_timestamp_seconds"] <= time.time() + 1
    assert m["sluice_agent_remote_access_switch"] == 1
    assert (m['sluice_agent_enforcement{mode="kernel"}']
            + m['sluice_agent_enforcement{mode="userspace"}']) == 1
    assert m['sluice_agent_build_info{version="%s"}' % next(
        re.search(r'version="([^"]+)"', k).group(1)
        for k in m if k.startswith("sluice_agent_build_info"))] == 1
    assert m["sluice_agent_metrics_requests_total"] >= 3


@pytest.mark.skipif(not PROMTOOL, reason="promtool not installed (Debian's prometheus "
                    "package has it; scripts/deps.sh installs it)")
def test_agent_metrics_pass_promtool(sluice, metered):
    run_sessions(sluice, metered, 1, 1000)
    wait_metric(metered["mport"], 'sluice_agent_sessions_total{outcome="unreachable"}', 1)
    status, _, body = get(metered["mport"])
    assert status == 200
    r = subprocess.run([PROMTOOL, "check", "metrics"], input=body,
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    # No lint warnings either (names, units, HELP text).
    assert r.stdout.strip() == b"" and r.stderr.strip() == b"", r.stdout + r.stderr


def test_agent_metrics_http_errors(sluice, metered):
    port = metered["mport"]
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
    # A client that never finishes its request is cut off (5 s), not served forever,
    # and does not hold up the others meanwhile.
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\n")
        assert get(port)[0] == 200
        t0 = time.monotonic()
        harness.wait_closed(s, 30)  # raises if still open
        assert time.monotonic() - t0 < 10
    assert get(port)[0] == 200
    assert metered["agent"].alive()


# Joins the agent's cgroup, where the kernel rules apply, and connects
# twice to a port of no device rule: the kernel must refuse both.
PROBE = r'''
import errno, os, socket, sys
with open(os.path.join(sys.argv[1], "cgroup.procs"), "w") as f:
    f.write(str(os.getpid()))
for _ in range(2):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5).close()
        print("ok")
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e.errno)))
'''


def test_agent_metrics_kernel_denials(sluice, metered, procs):
    if os.geteuid() != 0:
        pytest.skip("needs root: cgroups and BPF programs")
    agent, mport = metered["agent"], metered["mport"]
    m = re.search(r"kernel enforcement on: cgroup (\S+),", agent.log())
    if not m:
        pytest.skip("no kernel enforcement on this host: %s"
                    % "; ".join(agent.lines(r"kernel enforcement unavailable")))
    assert scrape(mport)['sluice_agent_enforcement{mode="kernel"}'] == 1
    # A session brings the rules up to date with the devices' addresses.
    run_sessions(sluice, metered, 1, 100)
    denied = harness.free_port()
    r = procs.run("probe", [sys.executable, "-c", PROBE, m.group(1), str(denied)])
    assert r.returncode == 0 and r.stdout.split() == ["EPERM", "EPERM"], (r.stdout, r.stderr)
    key = re.compile(r'sluice_agent_kernel_denials_total\{device="(plc|dead)",'
                     r'port="%d",proto="tcp"\}' % denied)

    def denials():
        return sum(v for k, v in scrape(mport).items() if key.fullmatch(k))
    harness.wait_until(lambda: denials() == 2, 20, "2 kernel denials in the metrics")
    # The same counts as the heartbeat reports: the relay sums them.
    relay = metered["relay"]
    harness.wait_until(
        lambda: samples(get(relay.metrics_port)[2].decode())
        .get("sluice_agent_kernel_denials_total") == 2, 20,
        "the relay to count the 2 denials from the agent's heartbeats")


def test_agent_metrics_off_by_default(sluice, echo_device):
    relay = sluice.start_relay()
    agent, _ = start_agent(sluice, relay, {"plc": str(echo_device.port)}, "")
    assert "metrics on" not in agent.log()
    assert listening_ports(agent.pid) == set()
    off, _ = start_agent(sluice, relay, {"plc": str(echo_device.port)},
                         "metrics_listen = off\n", name="agent2")
    assert "metrics on" not in off.log()
    assert listening_ports(off.pid) == set()


def test_agent_metrics_while_relay_is_away(sluice, metered):
    """The endpoint does not depend on the control loop: with the relay gone
    it still answers, and says so."""
    port = metered["mport"]
    metered["relay"].proc.stop()
    wait_metric(port, "sluice_agent_relay_connected", 0)
    wait_metric(port, 'sluice_agent_state{state="disconnected"}', 1)
    # reconnect_max is 1 s in the tests: the agent keeps trying.
    harness.wait_until(lambda: scrape(port)["sluice_agent_relay_reconnects_total"] >= 2,
                       20, "two reconnect attempts")
    t0 = time.monotonic()
    for _ in range(5):
        scrape(port)
    assert time.monotonic() - t0 < 5
    m = scrape(port)
    assert m['sluice_agent_state{state="connected"}'] == 0
    assert m["sluice_agent_relay_connects_total"] == 1


def test_agent_metrics_allow_list_and_reload(sluice, echo_device):
    relay = sluice.start_relay()
    mport = harness.free_port()
    agent, conf = start_agent(sluice, relay, {"plc": str(echo_device.port)},
                              "metrics_listen = 127.0.0.1:%d\n"
                              "metrics_allow = 10.0.0.0/8, ::1\n" % mport)
    agent.wait_log(r"metrics on ")
    status, _, body = get(mport)
    assert status == 403 and b"metrics_allow" in body
    # metrics_allow applies at once on SIGHUP; a new metrics_listen needs a restart.
    text = open(conf).read()
    text = text.replace("metrics_allow = 10.0.0.0/8, ::1", "metrics_allow = 127.0.0.0/8")
    text = text.replace("metrics_listen = 127.0.0.1:%d" % mport,
                        "metrics_listen = 127.0.0.1:%d" % harness.free_port())
    open(conf, "w").write(text)
    mark = agent.mark()
    agent.signal(signal.SIGHUP)
    agent.wait_log(r"configuration reloaded", since=mark)
    assert agent.lines(r"reload: metrics_listen changed; restart the agent to apply it",
                       since=mark)
    assert scrape(mport)["sluice_agent_relay_connected"] == 1


def test_agent_metrics_config_errors(sluice, tmp_path):
    relay = sluice.start_relay()
    for extra, msg in (("metrics_listen = nowhere:x\n", "metrics_listen: bad address"),
                       ("metrics_allow = 10.0.0.0/33\n", "metrics_allow: '10.0.0.0/33'")):
        conf, _ = sluice.agent_conf(relay, extra=extra, join_token=False)
        r = sluice.procs.run("agent-check", sluice._argv("sluice-agent", conf, "-n"))
        assert r.returncode == 1 and msg in r.stderr, r.stderr
    conf, _ = sluice.agent_conf(relay, extra="metrics_listen = 0.0.0.0:%d\n"
                                % harness.free_port(), join_token=False)
    r = sluice.procs.run("agent-check", sluice._argv("sluice-agent", conf, "-n"))
    assert r.returncode == 0
    assert "is not a loopback address and there is no metrics_allow" in r.stderr


def test_agent_metrics_pending_approval(sluice, echo_device):
    relay = sluice.start_relay(extra="approval_mode = yes\n")
    mport = harness.free_port()
    agent, _ = start_agent(sluice, relay, {"plc": str(echo_device.port)},
                           "metrics_listen = 127.0.0.1:%d\n" % mport)
    agent.wait_log(r"pending an operator's approval")
    m = scrape(mport)
    assert m['sluice_agent_state{state="pending"}'] == 1
    assert m['sluice_agent_state{state="connected"}'] == 0
    assert m["sluice_agent_relay_connected"] == 1
