# SPDX-License-Identifier: MIT
"""sluicectl against a live relay: every command with -j, its JSON checked
against what the test set up or observes; who may ask (root, the admin
group, not `nobody`); a squatter on the port id; a relay that finds its
port id taken; dumps of thousands of agents; malformed requests.

    sluicectl --netlink (NETLINK_USERSOCK, port id P)--> sluice-relay <==tls== sluice-agent --tcp--> device
    (as root, or as nobody via setpriv)                  127.0.0.1:R  <==tls== sluice-client forward
                                                                              ^-- test's TCP connection
    squatter.py (as nobody) --binds port id Q-- sluicectl must not believe it
"""

import json
import os
import re
import resource
import shutil
import socket
import ssl
import stat
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

import harness
import sluice_proto as P

REPO = Path(__file__).resolve().parents[2]
NETLINK_USERSOCK = 2
NLM_F_REQUEST = 0x1
NOBODY = 65534


def ctl(sluice, relay, *args, conf=None, as_user=None, groups=None, timeout=30.0):
    """Runs sluicectl -j ARGS; returns (rc, parsed JSON or None, stderr)."""
    argv = [sluice.bins["sluicectl"], "-c", str(conf or relay.conf), "-j"] + list(args)
    if as_user is not None:
        argv = ["setpriv", "--reuid=%d" % as_user, "--regid=%d" % as_user] + \
               (["--groups=" + ",".join(map(str, groups))] if groups else
                ["--clear-groups"]) + argv
    r = sluice.procs.run("sluicectl", argv, timeout)
    data = json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else None
    return r.returncode, data, r.stderr


def ok(sluice, relay, *args, **kw):
    rc, data, err = ctl(sluice, relay, *args, **kw)
    assert rc == 0, "sluicectl %s: rc %d: %s" % (" ".join(args), rc, err)
    return data


def agent_names(sluice, relay):
    return {a["name"] for a in ok(sluice, relay, "agent", "list")}


@pytest.fixture
def public_dir():
    """A directory that `nobody` can read (tmp_path is root's 0700)."""
    d = tempfile.mkdtemp(prefix="sluicectl-test-")
    os.chmod(d, 0o755)
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


def target_conf(public_dir, port_id, state_dir="/"):
    """What an operator who cannot read relay.conf points -c at."""
    p = public_dir / ("target-%d.conf" % port_id)
    p.write_text("control_port_id = %d\nstate_dir = %s\n" % (port_id, state_dir))
    p.chmod(0o644)
    return p


def need_root():
    if os.geteuid() != 0:
        pytest.skip("needs root: runs sluicectl as another uid with setpriv")


# ------------------------------------------------------------------ commands


def test_status_and_cert(sluice):
    dev = sluice.device(harness.echo_handler)
    relay = sluice.start_relay()
    sluice.start_agent(relay, devices={"plc": str(dev.port)})
    st = ok(sluice, relay, "status")
    assert st["pid"] == relay.proc.pid
    assert st["listen"] == ["127.0.0.1:%d" % relay.port]
    assert st["metrics"] == "127.0.0.1:%d" % relay.metrics_port
    assert st["control_port_id"] == relay.ctl_port_id
    # The relay probes the kernel at startup (which loads the tls module
    # where there is one): kernel TLS splicing where it found it.
    kernel_tls = os.path.exists("/proc/net/tls_stat")
    assert st["data_path"] == ("ktls" if kernel_tls else "userspace")
    assert relay.proc.lines(r"kernel TLS: (available|unavailable)")
    assert st["agents"] == 1
    assert st["sessions_active"] == 0 and st["heartbeat_ms"] == 5000
    assert re.fullmatch(r"\d+\.\d+\.\d+", st["version"])

    certs = ok(sluice, relay, "cert", "show")
    assert len(certs) == 1
    c = certs[0]
    assert c["name"] == "relay"
    assert c["fingerprint"] == relay.fingerprint
    assert c["fingerprint"] == harness.spki_sha256_openssl(c["path"])
    assert c["not_before"] <= time.time() < c["not_after"]

    # No command means status; the table has the same facts.
    r = sluice.procs.run("sluicectl", [sluice.bins["sluicectl"], "-c", relay.conf])
    assert r.returncode == 0, r.stderr
    assert re.search(r"^agents\s+1$", r.stdout, re.M), r.stdout


def test_agent_and_device_listings(sluice):
    relay = sluice.start_relay()
    sluice.start_agent(relay, name="plant1",
                       devices={"plc": "502, 8000-8010", "hmi": "80, udp/161"})
    agents = ok(sluice, relay, "agent", "list")
    assert [a["name"] for a in agents] == ["plant1"]
    assert agents[0]["ndevices"] == 2 and agents[0]["nsessions"] == 0
    assert agents[0]["addr"].startswith("127.0.0.1:")

    one = ok(sluice, relay, "agent", "show", "plant1")
    assert one["name"] == "plant1"
    assert {d["name"]: d["ports"] for d in one["devices"]} == \
        {"plc": "502,8000-8010", "hmi": "80,udp/161"}

    rows = ok(sluice, relay, "device", "list")
    assert sorted((r["agent"], r["device"]) for r in rows) == \
        [("plant1", "hmi"), ("plant1", "plc")]
    assert ok(sluice, relay, "device", "list", "plant1") == rows

    rc, _, err = ctl(sluice, relay, "agent", "show", "nosuch")
    assert rc == 1 and "not connected" in err
    rc, _, err = ctl(sluice, relay, "device", "list", "nosuch")
    assert rc == 1 and "not connected" in err


def test_session_list_show_kill(sluice):
    dev = sluice.device(harness.echo_handler)
    # The control loop's pump: live per-session byte counts of the io_uring
    # data plane are not reported to sluicectl yet.
    relay = sluice.start_relay(extra="data_threads = 0\n")
    sluice.start_agent(relay, devices={"plc": str(dev.port)})
    _, lport = sluice.forward(relay, "agent1/plc:%d" % dev.port)
    sock = harness.connect(lport)
    payload = harness.pattern_bytes(100000, "ctl")
    assert harness.echo_roundtrip(sock, payload) == payload

    sessions = ok(sluice, relay, "session", "list")
    assert len(sessions) == 1
    s = sessions[0]
    assert (s["user"], s["agent"], s["device"], s["port"]) == \
        ("tester", "agent1", "plc", dev.port)
    assert s["state"] == "active" and s["path"] == "userspace"
    assert s["bytes_to_device"] == len(payload)
    assert s["bytes_to_client"] == len(payload)
    assert re.fullmatch(r"[0-9a-f]{16}", s["id"])
    # The relay logs the same id.
    relay.proc.wait_log(r"session %s: relaying" % s["id"])

    assert ok(sluice, relay, "session", "show", s["id"])["id"] == s["id"]
    st = ok(sluice, relay, "status")
    assert (st["sessions_active"], st["clients"]) == (1, 1)

    assert ok(sluice, relay, "session", "kill", s["id"]) == {"id": s["id"], "killed": True}
    harness.wait_closed(sock, 30)
    sock.close()
    assert ok(sluice, relay, "session", "list") == []
    relay.proc.wait_log(r"operator uid 0 \(pid \d+\): session.kill ok %s" % s["id"])
    rc, _, err = ctl(sluice, relay, "session", "kill", s["id"])
    assert rc == 1 and "no open session" in err
    relay.proc.wait_log(r"operator uid 0 \(pid \d+\): session.kill refused: "
                        r"no open session %s" % s["id"])
    audit = [json.loads(x["line"]) for x in ok(sluice, relay, "audit", "tail")]
    assert [(a["outcome"], a.get("object")) for a in audit if a["event"] == "session.kill"] == \
        [("ok", s["id"]), ("refused", None)]
    rc, _, err = ctl(sluice, relay, "session", "show", "zz")
    assert rc == 2


def test_agent_detach_and_reconnect(sluice):
    relay = sluice.start_relay()
    agent = sluice.start_agent(relay, name="plant1", devices={"plc": "502"})
    assert ok(sluice, relay, "agent", "detach", "plant1") == \
        {"agent": "plant1", "detached": True}
    relay.proc.wait_log(r"agent plant1 disconnected \(detached by the operator\)")
    relay.proc.wait_log(r"operator uid 0 \(pid \d+\): agent.detach ok plant1")
    # The agent reconnects by itself (reconnect_max 1s).
    agent.wait_log(r"connected to relay \S+ as plant1\b", count=2, timeout=30)
    harness.wait_until(lambda: agent_names(sluice, relay) == {"plant1"}, 30,
                       "plant1 listed again")
    rc, _, err = ctl(sluice, relay, "agent", "detach", "nosuch")
    assert rc == 1 and "not connected" in err


def test_identity_commands(sluice, tmp_path):
    """Every domain, token, user, grant, enrolled-agent and audit command
    against a live relay, JSON parsed and checked; every change and every
    refusal is in the audit log with the operator's uid."""
    relay = sluice.start_relay()
    pw = sluice.password_file()
    # domains
    assert ok(sluice, relay, "domain", "add", "ROOT.acme") == {"domain": "ROOT.acme",
                                                                "done": True}
    ok(sluice, relay, "domain", "add", "ROOT.acme.plant1")
    assert {d["domain"] for d in ok(sluice, relay, "domain", "list")} == \
        {"ROOT", "ROOT.acme", "ROOT.acme.plant1"}
    rc, _, err = ctl(sluice, relay, "domain", "add", "ROOT.nosuch.x")
    assert rc == 1 and "domain add" in err
    rc, _, err = ctl(sluice, relay, "domain", "remove", "ROOT.acme")
    assert rc == 1 and "ROOT.acme" in err           # it still has a child
    ok(sluice, relay, "domain", "add", "ROOT.spare")
    ok(sluice, relay, "domain", "remove", "ROOT.spare")
    # join tokens: one with the agent.conf lines, many one per line
    one = ok(sluice, relay, "token", "create", "ROOT.acme.plant1", "--ttl", "2h")
    assert len(one) == 1 and re.fullmatch(r"sjt_[0-9a-f]{64}", one[0]["token"])
    assert one[0]["relay_fingerprint"] == relay.fingerprint
    assert abs(one[0]["expires"] - (time.time() + 7200)) < 120
    many = ok(sluice, relay, "token", "create", "ROOT", "--count", "450")
    assert len(many) == 450 and len({t["token"] for t in many}) == 450
    listed = ok(sluice, relay, "token", "list")
    assert len(listed) == 451 and {t["created_by"] for t in listed} == {"uid %d" % os.getuid()}
    assert all("token" not in t for t in listed)    # secrets are shown once only
    assert ok(sluice, relay, "token", "revoke", one[0]["id"])["done"]
    assert one[0]["id"] not in {t["id"] for t in ok(sluice, relay, "token", "list")}
    rc, _, err = ctl(sluice, relay, "token", "revoke", one[0]["id"])
    assert rc == 1 and "token revoke" in err
    rc, _, err = ctl(sluice, relay, "token", "create", "ROOT", "--ttl", "10s")
    assert rc == 2 and "--ttl" in err
    # users
    u = ok(sluice, relay, "user", "add", "alice", "--password-file", str(pw),
           "--expires", "2099-01-31")
    assert u["user"] == "alice" and u["state"] == "enabled"
    assert u["expires"] == 4073500800 and u["totp"] is False
    rc, _, err = ctl(sluice, relay, "user", "add", "alice", "--password-file", str(pw))
    assert rc == 1 and "alice" in err
    short = sluice.write("short", "abc\n")
    rc, _, err = ctl(sluice, relay, "user", "add", "bob", "--password-file", str(short))
    assert rc == 2 and "at least" in err
    p12 = tmp_path / "alice.p12"
    issued = ok(sluice, relay, "user", "cert-issue", "alice", "--out", str(p12),
                "--password-file", str(pw))
    assert issued["p12"] == str(p12) and (p12.stat().st_mode & 0o777) == 0o600
    serial = issued["serial"]
    assert re.fullmatch(r"[0-9a-f]+", serial) and issued["fingerprint"].startswith("sha256:")
    shown = ok(sluice, relay, "user", "show", "alice")
    assert [c["serial"] for c in shown["certificates"]] == [serial]
    assert ok(sluice, relay, "user", "disable", "alice")["state"] == "disabled"
    assert ok(sluice, relay, "user", "enable", "alice")["state"] == "enabled"
    assert ok(sluice, relay, "user", "unlock", "alice")["failed_logins"] == 0
    assert ok(sluice, relay, "user", "passwd", "alice", "--password-file", str(pw))["done"]
    totp = ok(sluice, relay, "user", "totp-enable", "alice")
    assert totp["otpauth_uri"].startswith("otpauth://totp/")
    assert [x["totp"] for x in ok(sluice, relay, "user", "list") if x["user"] == "alice"] \
        == [True]
    assert ok(sluice, relay, "user", "cert-revoke", serial)["serial"] == serial
    assert ok(sluice, relay, "user", "show", "alice")["certificates"][0]["revoked"] > 0
    rc, _, err = ctl(sluice, relay, "user", "show", "nosuch")
    assert rc == 1 and "nosuch" in err
    # grants
    g = ok(sluice, relay, "grant", "add", "alice", "ROOT.acme", "--role", "administrator",
           "--window", "mon-fri 07:00-18:00")
    assert g["role"] == "administrator" and g["window"] == "mon-fri 07:00-18:00"
    assert [x["id"] for x in ok(sluice, relay, "grant", "list", "alice")] == [g["id"]]
    assert ok(sluice, relay, "user", "show", "alice")["grants"][0]["domain"] == "ROOT.acme"
    rc, _, err = ctl(sluice, relay, "grant", "add", "alice", "ROOT", "--window", "someday")
    assert rc == 1 and "window" in err
    assert ok(sluice, relay, "grant", "remove", g["id"])["done"]
    assert ok(sluice, relay, "grant", "list") == []
    # enrolled agents: list --all, disable (the live agent is dropped), attach, reset, remove
    agent = sluice.start_agent(relay, devices={"plc": "502"})
    rows = ok(sluice, relay, "agent", "list", "--all")
    assert [(a["name"], a["state"], a["connected"]) for a in rows] == \
        [("agent1", "active", True)]
    d = ok(sluice, relay, "agent", "disable", "agent1", "maintenance")
    assert d["state"] == "disabled" and d["reason"] == "maintenance"
    relay.proc.wait_log(r"agent agent1 from .*: agent disabled; closing")
    agent.wait_log(r"disabled")
    a = ok(sluice, relay, "agent", "attach", "agent1", "ROOT.acme")
    assert a["state"] == "active" and a["domain"] == "ROOT.acme"
    assert ok(sluice, relay, "agent", "reset", "agent1")["state"] == "active"
    agent.stop()
    assert ok(sluice, relay, "agent", "remove", "agent1")["done"]
    assert ok(sluice, relay, "agent", "list", "--all") == []
    rc, _, err = ctl(sluice, relay, "agent", "attach", "agent1")
    assert rc == 1 and "agent1" in err
    # the audit log: every change and refusal, by uid, and the chain holds
    lines = ok(sluice, relay, "audit", "tail", "-n", "200")
    recs = [json.loads(x["line"]) for x in lines]
    ops = [(r["event"], r["outcome"]) for r in recs if r["source"] == "local"]
    for want in [("domain.add", "ok"), ("domain.add", "refused"), ("domain.remove", "refused"),
                 ("token.create", "ok"), ("token.revoke", "ok"), ("token.revoke", "refused"),
                 ("user.add", "ok"), ("user.add", "refused"), ("user.cert_issue", "ok"),
                 ("user.disable", "ok"), ("user.enable", "ok"), ("user.unlock", "ok"),
                 ("user.passwd", "ok"), ("user.totp_enable", "ok"),
                 ("user.cert_revoke", "ok"), ("grant.add", "ok"), ("grant.add", "refused"),
                 ("grant.remove", "ok"), ("agent.disable", "ok"), ("agent.attach", "ok"),
                 ("agent.reset", "ok"), ("agent.remove", "ok"),
                 ("agent.attach", "refused")]:
        assert want in ops, want
    assert {r["actor"] for r in recs if r["source"] == "local"} == {"uid %d" % os.getuid()}
    assert len(ok(sluice, relay, "audit", "tail", "-n", "3")) == 3
    r = sluice.admin(relay, "audit", "verify")
    assert "intact" in r.stdout, r.stdout + r.stderr


def test_reload(sluice):
    relay = sluice.start_relay()
    text = Path(relay.conf).read_text()
    assert ok(sluice, relay, "reload") == []
    new_port = harness.free_port()
    Path(relay.conf).write_text(
        text.replace("heartbeat_interval = 5s", "heartbeat_interval = 7s")
        .replace("listen = 127.0.0.1:%d" % relay.port, "listen = 127.0.0.1:%d" % new_port)
        + "metrics_allow = 127.0.0.1\nmax_sessions = 7\n")
    changes = {c["key"]: c for c in ok(sluice, relay, "reload")}
    assert set(changes) == {"heartbeat_interval", "listen", "metrics_allow", "max_sessions"}
    assert changes["heartbeat_interval"]["action"] == "applied"
    assert (changes["heartbeat_interval"]["old"], changes["heartbeat_interval"]["new"]) == \
        ("5000ms", "7000ms")
    assert changes["max_sessions"]["action"] == "applied"
    assert changes["metrics_allow"]["new"] == "127.0.0.1/32"
    assert changes["listen"]["action"] == "needs-restart"
    st = ok(sluice, relay, "status")
    assert (st["heartbeat_ms"], st["max_sessions"]) == (7000, 7)
    assert st["listen"] == ["127.0.0.1:%d" % relay.port]  # needs a restart
    relay.proc.wait_log(r"operator uid 0 \(pid \d+\): config.reload ok \S+: 4 changes; "
                        r"applied: .*heartbeat_interval.*; need a restart: listen")

    # A file that does not parse changes nothing.
    Path(relay.conf).write_text(text + "bogus_key = 1\n")
    rc, _, err = ctl(sluice, relay, "reload")
    assert rc == 1 and "unknown key 'bogus_key'" in err
    assert ok(sluice, relay, "status")["heartbeat_ms"] == 7000


# ------------------------------------------------------------------ who asks


def test_nobody_is_refused_admin_group_is_served(sluice, public_dir):
    need_root()
    relay = sluice.start_relay(extra="control_admin_group = 4242\n")
    conf = target_conf(public_dir, relay.ctl_port_id)
    rc, _, err = ctl(sluice, relay, "status", conf=conf, as_user=NOBODY)
    assert rc == 4, err
    assert "permission denied" in err
    relay.proc.wait_log(r"control: refused request from uid %d" % NOBODY)
    rc, _, err = ctl(sluice, relay, "agent", "list", conf=conf, as_user=NOBODY)
    assert rc == 4, err
    # The same uid with the admin group among its supplementary groups.
    rc, data, err = ctl(sluice, relay, "status", conf=conf, as_user=NOBODY, groups=[4242])
    assert rc == 0, err
    assert data["pid"] == relay.proc.pid


def test_nobody_refused_without_admin_group(sluice, public_dir):
    need_root()
    relay = sluice.start_relay()
    conf = target_conf(public_dir, relay.ctl_port_id)
    rc, _, err = ctl(sluice, relay, "reload", conf=conf, as_user=NOBODY, groups=[4242])
    assert rc == 4, err
    assert not relay.proc.lines(r"operator uid %d" % NOBODY)


SQUATTER = textwrap.dedent("""\
    import socket, struct, sys
    port_id, body = int(sys.argv[1]), bytes.fromhex(sys.argv[2])
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 2)
    s.bind((port_id, 0))
    print("ready", flush=True)
    while True:
        req, (pid, _) = s.recvfrom(65536)
        _, typ, _, seq, _ = struct.unpack_from("<IHHII", req)
        cmd = req[16]
        msg = struct.pack("<IHHII", 20 + len(body), typ, 0, seq, 0) + \\
            bytes([cmd, 1, 0, 0]) + body
        s.sendto(msg, (pid, 0))
    """)


def test_squatter_is_detected(sluice, public_dir, tmp_path):
    need_root()
    port_id = harness.free_ctl_port_id()
    script = public_dir / "squatter.py"
    script.write_text(SQUATTER)
    script.chmod(0o644)
    # A well-formed CTL_STATUS reply claiming to be a relay.
    body = P.nested(P.SLUICE_A_STATUS, P.string(P.SLUICE_STATUS_A_VERSION, "6.6.6"))
    sq = sluice.procs.start("squatter", ["setpriv", "--reuid=%d" % NOBODY,
                                         "--regid=%d" % NOBODY, "--clear-groups",
                                         sys.executable, str(script), str(port_id),
                                         body.hex()])
    sq.wait_out(r"ready")
    # The relay would run as root: the owner of this state_dir.
    state = tmp_path / "relay-state"
    state.mkdir()
    conf = target_conf(public_dir, port_id, state)
    r = sluice.procs.run("sluicectl", [sluice.bins["sluicectl"], "-c", conf, "-j",
                                       "status"])
    assert r.returncode == 5, (r.returncode, r.stdout, r.stderr)
    assert "6.6.6" not in r.stdout
    assert re.search(r"port id %d is held by pid %d uid %d, not by the relay \(uid 0"
                     % (port_id, sq.pid, NOBODY), r.stderr), r.stderr
    assert "squatter" in r.stderr


def test_relay_refuses_taken_port_id(sluice):
    port_id = harness.free_ctl_port_id()
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_USERSOCK) as s:
        s.bind((port_id, 0))
        conf, _, _ = sluice.relay_conf(extra="control_port_id = %d\n" % port_id)
        r = sluice.procs.run("relay", [sluice.bins["sluice-relay"], "-f", conf])
    assert r.returncode != 0
    assert "control_port_id %d (0x%x) is already taken" % (port_id, port_id) in r.stderr
    assert not re.search(r"sluice-relay \S+ ready", r.stderr)


@pytest.mark.parametrize("value", ["0", "4194304", "2147483648", "0x", "0x7fffffffff",
                                   "12ab", "-5", "on"])
def test_bad_control_port_id(sluice, value):
    conf, _, _ = sluice.relay_conf(extra="control_port_id = %s\n" % value)
    r = sluice.procs.run("relay-n", [sluice.bins["sluice-relay"], "-n", "-f", conf])
    assert r.returncode == 1
    assert "control_port_id: '%s' is not a number from 4194305 to 2147483647" % value \
        in r.stderr


@pytest.mark.parametrize("value", ["4194305", "0x534C5543", "2147483647", "off"])
def test_good_control_port_id(sluice, value):
    conf, _, _ = sluice.relay_conf(extra="control_port_id = %s\n" % value)
    r = sluice.procs.run("relay-n", [sluice.bins["sluice-relay"], "-n", "-f", conf])
    assert r.returncode == 0, r.stderr


def test_unknown_admin_group(sluice):
    conf, _, _ = sluice.relay_conf(extra="control_admin_group = no-such-group-here\n")
    r = sluice.procs.run("relay-n", [sluice.bins["sluice-relay"], "-n", "-f", conf])
    assert r.returncode == 1
    assert "control_admin_group: no group 'no-such-group-here'" in r.stderr


def test_no_relay_on_port_id(sluice, public_dir):
    conf = target_conf(public_dir, harness.free_ctl_port_id())
    r = sluice.procs.run("sluicectl", [sluice.bins["sluicectl"], "-c", conf, "status"])
    assert r.returncode == 3
    assert "no relay on netlink port id" in r.stderr


# ---------------------------------------------------------------- robustness


def nl_request(port_id, raw, timeout=10.0):
    """Sends one datagram to the relay as root; returns the decoded reply."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_USERSOCK) as s:
        s.settimeout(timeout)
        s.sendto(raw, (port_id, 0))
        data, (pid, _) = s.recvfrom(1 << 17)
        assert pid == port_id
        return P.decode(data)


def test_malformed_requests_are_answered(sluice):
    relay = sluice.start_relay()
    hdr_only = P.encode(P.SLUICE_CMD_CTL_STATUS, seq=5)  # no NLM_F_REQUEST
    cases = {
        "not a request": hdr_only,
        "short": b"\x01\x02\x03",
        "bad length": P.encode(P.SLUICE_CMD_CTL_STATUS, seq=5, flags=NLM_F_REQUEST,
                               length=999),
        "dump without NLM_F_DUMP": P.encode(P.SLUICE_CMD_CTL_AGENT_LIST, seq=5,
                                            flags=NLM_F_REQUEST),
        "missing agent": P.encode(P.SLUICE_CMD_CTL_AGENT_SHOW, seq=5, flags=NLM_F_REQUEST),
        "peer command": P.encode(P.SLUICE_CMD_HEARTBEAT, seq=5, flags=NLM_F_REQUEST),
        "bad name": P.encode(P.SLUICE_CMD_CTL_AGENT_DETACH,
                             [P.string(P.SLUICE_A_AGENT, "a b")], seq=5,
                             flags=NLM_F_REQUEST),
    }
    for what, raw in cases.items():
        reply = nl_request(relay.ctl_port_id, raw)
        assert reply.cmd == P.SLUICE_CMD_ERROR, what
        assert reply.u32(P.SLUICE_A_ERR_CODE) == P.SLUICE_E_PROTO, what
        if len(raw) >= 16:
            assert reply.seq == 5, what
    # Logged, at most one line a second (any local user can send these).
    relay.proc.wait_log(r"control: (malformed request|unknown command)")
    assert ok(sluice, relay, "status")["pid"] == relay.proc.pid


def dump_with_small_buffer(port_id):
    """(agent names, parts) of a CTL_AGENT_LIST dump read through a socket
    with a small SO_RCVBUF that is full before the first read."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_USERSOCK) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        s.settimeout(60)
        s.sendto(P.encode(P.SLUICE_CMD_CTL_AGENT_LIST, seq=77,
                          flags=NLM_F_REQUEST | 0x300), (port_id, 0))
        time.sleep(0.5)  # not a timing assertion: lets the buffer fill first
        names, parts = [], 0
        while True:
            data, (pid, _) = s.recvfrom(1 << 17)
            assert pid == port_id
            m = P.decode(data)
            assert m.seq == 77
            if m.cmd == P.SLUICE_CMD_DONE:
                return names, parts
            assert m.cmd == P.SLUICE_CMD_CTL_AGENT_LIST, m
            assert m.flags & P.NLM_F_MULTI
            parts += 1
            names += [a.str(P.SLUICE_AGENT_A_NAME)
                      for a in m.nested(P.SLUICE_A_AGENTS).elements()]


def test_dump_of_many_agents(sluice, public_dir):
    """2,000 agent control connections list completely, in many dump
    parts.  Root's sluicectl forces a 4 MiB receive buffer; run as a
    non-root admin it gets net.core.rmem_max (about 200 KiB by default),
    less than the listing, so the relay must wait for it and resume."""
    n = 2000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 2 * n + 200
    if hard != resource.RLIM_INFINITY and hard < want:
        pytest.skip("RLIMIT_NOFILE hard limit %d < %d" % (hard, want))
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    try:
        relay = sluice.start_relay(heartbeat="60s", extra="admission_rate = 0\n"
                                   "control_admin_group = 4242\n")
        # The simulated agents enroll as real ones do (join token, CSR,
        # ENROLL), sharing one key: the relay's CA names each certificate.
        tokens = [t["token"] for t in
                  ok(sluice, relay, "token", "create", "ROOT", "--count", str(n))]
        key = sluice.tmp / "sim.key"
        csr = sluice.tmp / "sim.csr"
        subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key),
                        "-outform", "DER", "-out", str(csr), "-subj", "/CN=sim"],
                       check=True, capture_output=True)
        certs = []
        for i in range(n):
            with harness.tls_connect(relay.port, timeout=30) as s:
                c = P.Conn(s)
                c.send(P.encode(P.SLUICE_CMD_ENROLL, [
                    P.string(P.SLUICE_A_NAME, "sim-%05d" % i),
                    P.binary(P.SLUICE_A_TOKEN, tokens[i].encode()),
                    P.binary(P.SLUICE_A_CSR, csr.read_bytes())], seq=1))
                m = c.recv(30)
                assert m.cmd == P.SLUICE_CMD_ENROLL_OK, m
                crt = sluice.tmp / ("sim-%05d.crt" % i)
                crt.write_text(ssl.DER_cert_to_PEM_cert(m.get(P.SLUICE_A_CERT)))
                certs.append(crt)
        conns = []
        try:
            for i in range(n):
                s = harness.tls_connect(relay.port, timeout=30, identity=(certs[i], key))
                conns.append(s)
                s.sendall(P.encode(P.SLUICE_CMD_AGENT_HELLO, [
                    P.u32(P.SLUICE_A_VERSION, P.SLUICE_PROTO_VERSION),
                    P.string(P.SLUICE_A_NAME, "sim-%05d" % i),
                    P.devices_attr([("dev%d" % i, [(502, 502), (1000 + i, 1000 + i)])]),
                ], seq=1))
            for s in conns:
                assert P.Conn(s).recv(30).cmd == P.SLUICE_CMD_HELLO_OK
            want_names = {"sim-%05d" % i for i in range(n)}
            agents = ok(sluice, relay, "agent", "list", timeout=120)
            names = [a["name"] for a in agents]
            assert len(names) == n and set(names) == want_names
            devices = ok(sluice, relay, "device", "list", timeout=120)
            assert sorted((d["agent"], d["device"]) for d in devices) == \
                sorted(("sim-%05d" % i, "dev%d" % i) for i in range(n))
            assert ok(sluice, relay, "status")["agents"] == n
            # A reader with a receive buffer of about one part, that lets
            # the relay fill it before it reads: the relay gets EAGAIN and
            # must resume the dump where it stopped.
            names, parts = dump_with_small_buffer(relay.ctl_port_id)
            assert parts > 2
            assert len(names) == n and set(names) == want_names
            if os.geteuid() == 0:
                conf = target_conf(public_dir, relay.ctl_port_id)
                for what in (("agent", "list"), ("device", "list")):
                    rc, rows, err = ctl(sluice, relay, *what, conf=conf, as_user=NOBODY,
                                        groups=[4242], timeout=120)
                    assert rc == 0, err
                    assert len(rows) == n
                    assert {r["agent" if what[0] == "device" else "name"]
                            for r in rows} == want_names
        finally:
            for s in conns:
                s.close()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# ---------------------------------------------------------------- help, docs


def commands_from_help(sluicectl):
    out = subprocess.run([sluicectl, "--help"], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    cmds = []
    section = None
    for ln in out.splitlines():
        if not ln.startswith(" "):
            section = ln
            continue
        if section.startswith("commands"):
            words = [w for w in ln.split()[:3] if re.fullmatch(r"[a-z-]+", w)]
            cmds.append(words[:2] if len(words) > 1 and words[0] not in
                        ("status", "reload") else words[:1])
    return cmds


def test_help_for_every_command(bins):
    cmds = commands_from_help(bins["sluicectl"])
    assert ["agent", "detach"] in cmds and ["status"] in cmds and ["cert", "show"] in cmds
    for cmd in cmds:
        r = subprocess.run([bins["sluicectl"]] + cmd + ["--help"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, (cmd, r.stderr)
        assert r.stdout.startswith("usage: sluicectl") and " ".join(cmd) in r.stdout
    for obj in {c[0] for c in cmds if len(c) == 2}:
        r = subprocess.run([bins["sluicectl"], obj, "--help"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0 and r.stdout.startswith("usage:")
    r = subprocess.run([bins["sluicectl"], "bogus"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2 and "unknown command 'bogus'" in r.stderr


def test_man_page_and_completion_cover_every_command(bins):
    cmds = commands_from_help(bins["sluicectl"])
    page = REPO / "docs" / "man" / "sluicectl.8"
    if shutil.which("man"):
        text = subprocess.run(["man", "-l", str(page)], capture_output=True, text=True,
                              timeout=60, env=dict(os.environ, MANPAGER="cat",
                                                   MANWIDTH="100")).stdout
    else:
        text = page.read_text()
    completion = (REPO / "scripts" / "completion" / "sluicectl.bash").read_text()
    for cmd in cmds:
        assert " ".join(cmd) in text, cmd
        for w in cmd:
            assert re.search(r"\b%s\b" % w, completion), w
