# SPDX-License-Identifier: MIT
"""Kernel enforcement of the agent's device rules (bpf/agent_connect.bpf.c).

Everything runs in a network namespace the test creates (entered with
nsenter, which keeps /sys and so the cgroup tree):

    netns sluice-tNNN (lo only)
    +-------------------------------------------------------------------+
    | probe.py --> sluice-client --> sluice-relay <-- sluice-agent      |
    |   |          (forward plc)                          | connector   |
    |   |                                                 v (cgroup C)  |
    |   +--(joins cgroup C)--> device.py: TCP ALLOWED, TCP DENIED, UDP  |
    +-------------------------------------------------------------------+

The probe first makes a real session through the forward, then moves
itself into the agent's cgroup C and connects on its own: the userspace
check is bypassed, so any refusal it sees is the kernel's (EPERM).
"""

import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid

import pytest

import harness

ROOT_REASON = "needs root: network namespaces, cgroups and BPF programs"

DEVICE = r'''
import socket, sys, threading
ports = [int(p) for p in sys.argv[1:]]
def serve(s):
    while True:
        c, _ = s.accept()
        def echo(c=c):
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)
            c.close()
        threading.Thread(target=echo, daemon=True).start()
for p in ports:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", p))
    s.listen(16)
    threading.Thread(target=serve, args=(s,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait(120)
'''

PROBE = r'''
import errno, json, os, socket, sys
cgroup, fwd, tcp, udp = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])
res = {"tcp": {}, "udp": {}}
s = socket.create_connection(("127.0.0.1", fwd), timeout=20)
s.sendall(b"through the relay"); s.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    got += d
res["echo"] = got.decode()
with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
    f.write(str(os.getpid()))
def outcome(fn):
    try:
        fn()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
for port in tcp:
    res["tcp"][str(port)] = outcome(lambda: socket.create_connection(("127.0.0.1", port), timeout=5).close())
for port in udp:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    res["udp"][str(port)] = outcome(lambda: u.sendto(b"x", ("127.0.0.1", port)))
print(json.dumps(res), flush=True)
'''


@pytest.fixture
def netns():
    if os.geteuid() != 0:
        pytest.skip(ROOT_REASON)
    name = "sluice-t" + uuid.uuid4().hex[:8]
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        yield ["nsenter", "--net=/run/netns/" + name]
    finally:
        subprocess.run(["ip", "netns", "del", name])


def test_kernel_enforces_device_rules(sluice, procs, netns):
    sluice.prefix = netns
    allowed, denied, udp_ok, udp_denied = 31001, 31002, 31161, 31162
    device = procs.start("device", netns + [sys.executable, "-c", DEVICE,
                                            str(allowed), str(denied)])
    device.wait_out(r"ready")
    relay = sluice.start_relay(heartbeat="1s")
    agent = sluice.start_agent(relay, devices={
        "plc": "%d, udp/%d" % (allowed, udp_ok)})
    cgroup = agent.wait_log(r"kernel enforcement on: cgroup (\S+),").group(1)
    assert os.path.isdir(cgroup)
    client, fwd = sluice.forward(relay, "agent1/plc:%d" % allowed)

    r = procs.run("probe", netns + [sys.executable, "-c", PROBE, cgroup, str(fwd),
                                    json.dumps([allowed, denied, denied, 22]),
                                    json.dumps([udp_ok, udp_denied, udp_denied])],
                  timeout=60)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["echo"] == "through the relay"
    assert res["tcp"] == {str(allowed): "ok", str(denied): "EPERM", "22": "EPERM"}
    assert res["udp"] == {str(udp_ok): "ok", str(udp_denied): "EPERM"}
    # The kernel counted each refusal, per device, port and protocol.
    agent.wait_log(r"kernel refused \d+ connection\(s\) to device plc port %d/tcp "
                   r"\(total 2\)" % denied)
    agent.wait_log(r"kernel refused \d+ connection\(s\) to device plc port %d/udp "
                   r"\(total 2\)" % udp_denied)
    agent.wait_log(r"kernel refused \d+ connection\(s\) to device plc port 22/tcp "
                   r"\(total 1\)")
    assert not agent.lines(r"port %d/tcp" % allowed)
    # The heartbeats carry the counts to the relay, which logs and exposes them.
    relay.proc.wait_log(r"agent agent1: device rules enforced by the kernel")
    for port, proto, n in ((denied, "tcp", 2), (udp_denied, "udp", 2), (22, "tcp", 1)):
        relay.proc.wait_log(r"agent agent1: kernel refused %d connection\(s\) to device "
                            r"plc port %d/%s since the agent started" % (n, port, proto))
    m = scrape(procs, netns, relay)
    assert m["sluice_agent_kernel_denials_total"] == 5
    assert m["sluice_agents_kernel_enforced"] == 1


SCRAPE = r'''
import sys, urllib.request
with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10) as r:
    print(r.read().decode(), flush=True)
'''


def scrape(procs, netns, relay):
    """The relay's metrics, read from inside the namespace: {series: value}."""
    r = procs.run("scrape", netns + [sys.executable, "-c", SCRAPE, str(relay.metrics_port)])
    assert r.returncode == 0, r.stderr
    return harness.samples(r.stdout)


def test_cgroup_removed_at_exit(sluice, netns):
    sluice.prefix = netns
    relay = sluice.start_relay()
    agent = sluice.start_agent(relay, devices={"plc": "80"})
    cgroup = agent.wait_log(r"kernel enforcement on: cgroup (\S+),").group(1)
    assert os.path.isdir(cgroup)
    assert agent.stop() == 0
    assert not os.path.exists(cgroup)


def unprivileged_agent(sluice, procs, require):
    """Runs an agent as nobody, where BPF cannot be loaded."""
    nobody = pwd.getpwnam("nobody")
    home = tempfile.mkdtemp(prefix="sluice-nobody-", dir="/tmp")
    os.chmod(home, 0o755)
    os.chown(home, nobody.pw_uid, nobody.pw_gid)
    relay = sluice.start_relay()
    conf, _ = sluice.agent_conf(relay, devices={"plc": "80"},
                                state_dir=os.path.join(home, "state"),
                                extra="require_kernel_enforcement = %s\n"
                                % ("yes" if require else "no"))
    path = os.path.join(home, "agent.conf")
    shutil.copy(conf, path)
    os.chown(path, nobody.pw_uid, nobody.pw_gid)
    argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
            sluice.bins["sluice-agent"], "-f", path]
    return relay, argv, home


def test_unprivileged_agent_falls_back(sluice, procs):
    if os.geteuid() != 0:
        pytest.skip("needs root to start the agent as nobody")
    relay, argv, home = unprivileged_agent(sluice, procs, require=False)
    try:
        agent = procs.start("agent-nobody", argv)
        agent.wait_log(r"kernel enforcement unavailable: .*own port check only")
        agent.wait_log(r"connected to relay")
        assert len(agent.lines(r"kernel enforcement unavailable")) == 1
    finally:
        procs.stop_all()
        shutil.rmtree(home, ignore_errors=True)


def test_require_kernel_enforcement_is_fatal(sluice, procs):
    if os.geteuid() != 0:
        pytest.skip("needs root to start the agent as nobody")
    relay, argv, home = unprivileged_agent(sluice, procs, require=True)
    try:
        r = procs.run("agent-nobody", argv, timeout=30)
        assert r.returncode != 0
        assert re.search(r"require_kernel_enforcement", r.stderr)
        assert not relay.proc.lines(r"agent agent1 connected")
    finally:
        shutil.rmtree(home, ignore_errors=True)


# ------------------------------------------------------ relay admission filter
#
#   netns sluice-tNNN
#   +---------------------------------------------------------------+
#   | admission_probe.py  --127.0.0.1..5-->  sluice-relay :P        |
#   |   (plain TCP connects, bad-token HELLOs)   sk_lookup filter   |
#   |   GET /metrics  -------------------->   127.0.0.1:M           |
#   +---------------------------------------------------------------+

ADMISSION_PROBE = r'''
import json, os, socket, ssl, sys, time, urllib.request
sys.path.insert(0, sys.argv[1])
import sluice_proto as sp
port, mport, plan = int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])

def connect(src, hello_token=None):
    s = socket.socket()
    s.settimeout(5)
    s.bind((src, 0))
    try:
        s.connect(("127.0.0.1", port))
    except OSError as e:
        s.close()
        return type(e).__name__
    if hello_token is None:
        s.close()
        return "ok"
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    t = ctx.wrap_socket(s)
    t.sendall(sp.encode(sp.SLUICE_CMD_AGENT_HELLO, [
        sp.u32(sp.SLUICE_A_VERSION, sp.SLUICE_PROTO_VERSION),
        sp.string(sp.SLUICE_A_NAME, "intruder"),
        sp.binary(sp.SLUICE_A_TOKEN, hello_token.encode())]))
    data = b""
    try:
        while True:
            d = t.recv(4096)
            if not d:
                break
            data += d
    except OSError:
        pass
    t.close()
    m = sp.decode(data[:sp.frame_len(data[:sp.HDRLEN])]) if len(data) >= sp.HDRLEN else None
    return "refused:" + sp.ERR_NAMES.get(m.u32(sp.SLUICE_A_ERR_CODE), "?") if m else "closed"

out = {"steps": []}
start = time.monotonic()
for src, what in plan:
    out["steps"].append(connect(src, None if what == "tcp" else what))
out["elapsed"] = time.monotonic() - start
with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=10) as r:
    out["metrics"] = r.read().decode()
print(json.dumps(out), flush=True)
'''


def admission_probe(procs, netns, relay, plan):
    here = os.path.dirname(os.path.abspath(__file__))
    r = procs.run("probe", netns + [sys.executable, "-c", ADMISSION_PROBE, here,
                                    str(relay.port), str(relay.metrics_port),
                                    json.dumps(plan)], timeout=90)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    metrics = {}
    for line in out["metrics"].splitlines():
        if line and not line.startswith("#"):
            k, _, v = line.rpartition(" ")
            metrics[k] = float(v)
    return out["steps"], out["elapsed"], metrics


def test_admission_rate_is_per_source(sluice, procs, netns):
    sluice.prefix = netns
    relay = sluice.start_relay(extra="admission_rate = 1\nadmission_burst = 3\n")
    relay.proc.wait_log(r"kernel admission filter on")
    plan = [["127.0.0.1", "tcp"]] * 8 + [["127.0.0.2", "tcp"]]
    steps, elapsed, m = admission_probe(procs, netns, relay, plan)
    first = steps[:8]
    oks = first.count("ok")
    refused = len(first) - oks
    # The burst passes; past it, at most one more per elapsed second.
    assert first[:3] == ["ok"] * 3
    assert oks <= 3 + int(elapsed) + 1
    assert refused >= 1 and all(s == "ConnectionRefusedError" for s in first if s != "ok")
    assert steps[8] == "ok"  # another source has its own bucket
    assert m['sluice_admission_drops_total{reason="rate"}'] == refused
    assert m["sluice_admission_kernel_filter"] == 1


def test_lockout_after_failed_logins_and_blocklist(sluice, procs, netns):
    sluice.prefix = netns
    relay = sluice.start_relay(extra="source_lockout_failures = 3\n"
                               "source_lockout_time = 10m\n"
                               "admission_blocklist = 127.0.0.5/32\n")
    relay.proc.wait_log(r"kernel admission filter on: .* 1 blocklist entries")
    plan = ([["127.0.0.3", "wrong-token-123"]] * 3 +
            [["127.0.0.3", "tcp"], ["127.0.0.3", "tcp"], ["127.0.0.4", "tcp"],
             ["127.0.0.5", "tcp"]])
    steps, _, m = admission_probe(procs, netns, relay, plan)
    assert steps[:3] == ["refused:AUTH"] * 3
    assert steps[3:5] == ["ConnectionRefusedError"] * 2  # locked out in the kernel
    assert steps[5] == "ok"                               # another source
    assert steps[6] == "ConnectionRefusedError"           # blocklisted
    relay.proc.wait_log(r"source 127\.0\.0\.3 locked out for 600 s after 3 failed logins")
    assert m['sluice_admission_drops_total{reason="lockout"}'] == 2
    assert m['sluice_admission_drops_total{reason="blocklist"}'] == 1
    assert m["sluice_source_lockouts_active"] == 1
    assert m['sluice_auth_failures_total{reason="no_certificate"}'] == 3


RELOAD_PROBE = r'''
import errno, json, os, socket, sys
cgroup, fwd_a, fwd_c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ports = json.loads(sys.argv[4])
def echo(s, data):
    s.sendall(data)
    got = b""
    while len(got) < len(data):
        d = s.recv(65536)
        if not d:
            break
        got += d
    return got == data
sa = socket.create_connection(("127.0.0.1", fwd_a), timeout=20)
sc = socket.create_connection(("127.0.0.1", fwd_c), timeout=20)
assert echo(sa, b"a1") and echo(sc, b"c1")
print("ready", flush=True)
sys.stdin.readline()  # the test reloads the agent meanwhile
res = {"a_alive": echo(sa, b"a2")}
sc.settimeout(20)
try:
    res["c_after"] = sc.recv(100).decode()  # "" once the agent ended it
except OSError as e:
    res["c_after"] = errno.errorcode.get(e.errno, "error")
with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
    f.write(str(os.getpid()))
res["tcp"] = {}
for p in ports:
    try:
        socket.create_connection(("127.0.0.1", p), timeout=5).close()
        res["tcp"][str(p)] = "ok"
    except OSError as e:
        res["tcp"][str(p)] = errno.errorcode.get(e.errno, str(e.errno))
print(json.dumps(res), flush=True)
'''


def test_reload_updates_rules_and_keeps_allowed_sessions(sluice, procs, netns):
    sluice.prefix = netns
    pa, pb, pc = 32001, 32002, 32003
    device = procs.start("device", netns + [sys.executable, "-c", DEVICE,
                                            str(pa), str(pb), str(pc)])
    device.wait_out(r"ready")
    relay = sluice.start_relay()
    agent = sluice.start_agent(relay, devices={"plc": "%d, %d" % (pa, pc)})
    cgroup = agent.wait_log(r"kernel enforcement on: cgroup (\S+),").group(1)
    conf = re.search(r"-f (\S+)", " ".join(agent.argv)).group(1)
    _, fwd_a = sluice.forward(relay, "agent1/plc:%d" % pa)
    _, fwd_c = sluice.forward(relay, "agent1/plc:%d" % pc)

    probe = subprocess.Popen(netns + [sys.executable, "-c", RELOAD_PROBE, cgroup,
                                      str(fwd_a), str(fwd_c), json.dumps([pa, pb, pc])],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert probe.stdout.readline().strip() == "ready", probe.stderr.read()
        text = open(conf).read().replace("ports = %d, %d" % (pa, pc),
                                         "ports = %d, %d" % (pa, pb))
        with open(conf, "w") as f:
            f.write(text)
        agent.signal(signal.SIGHUP)
        agent.wait_log(r"configuration reloaded from .*: 1 device \(changed\), "
                       r"1 session no longer allowed and closed")
        out, err = probe.communicate("go\n", timeout=60)
    finally:
        if probe.poll() is None:
            probe.kill()
            probe.wait()
    res = json.loads(out.strip().splitlines()[-1])
    assert res["a_alive"] is True          # still allowed: untouched
    assert res["c_after"] in ("", "ECONNRESET")  # no longer allowed: ended
    assert res["tcp"] == {str(pa): "ok", str(pb): "ok", str(pc): "EPERM"}
    agent.wait_log(r"closing, plc port %d is no longer allowed" % pc)
    # The relay learned the new list without the agent reconnecting.
    relay.proc.wait_log(r"agent agent1 updated its device list: 1 device")
    relay.proc.wait_log(r"agent agent1 offers device plc ports %d,\s?%d" % (pa, pb))
    assert len(relay.proc.lines(r"agent agent1 connected")) == 1


def test_reload_refuses_a_broken_file(sluice, netns):
    sluice.prefix = netns
    relay = sluice.start_relay()
    agent = sluice.start_agent(relay, devices={"plc": "80"})
    conf = re.search(r"-f (\S+)", " ".join(agent.argv)).group(1)
    with open(conf, "a") as f:
        f.write("bogus_key = 1\n")
    agent.signal(signal.SIGHUP)
    agent.wait_log(r"reload refused, the running configuration stays: .*:\d+: "
                   r"unknown key 'bogus_key'")
    assert agent.alive()
