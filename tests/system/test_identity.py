# SPDX-License-Identifier: MIT
"""Identities, logins, authorization and audit (issue 3), end to end: a real
relay with its state store and CAs, agents that enroll with join tokens,
clients with PKCS#12 certificates and passwords.  Operator actions go
through `sluice-relay COMMAND` while the relay runs."""

import base64
import hashlib
import hmac
import os
import re
import shutil
import struct
import time

import harness


def client_run(sluice, relay, *args, user="tester", p12=None, password=None):
    conf = sluice.client_conf(relay, user=user, p12=p12, password=password)
    argv = sluice._argv("sluice-client", conf, *args)
    return sluice.procs.run("client", argv, timeout=30)


def open_refused(sluice, relay, target, why, user="tester", p12=None):
    """Forwards target; the first local connection must be refused with why."""
    conf = sluice.client_conf(relay, user=user, p12=p12)
    fwd = sluice.procs.start("client-forward",
                             sluice._argv("sluice-client", conf, "forward", target,
                                          "--local", "127.0.0.1:0"))
    port = int(fwd.wait_out(r"listening on 127\.0\.0\.1:(\d+)\n").group(1))
    s = harness.connect(port)
    harness.wait_closed(s, 20)
    s.close()
    fwd.wait_log(re.escape(why))
    fwd.stop()


def totp_now(secret_b32, t=None):
    """RFC 6238 with SHA-1, 6 digits, 30 s: the code an authenticator shows."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((t or time.time()) // 30)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000
    return "%06d" % code


def audit_lines(relay):
    return (relay.state_dir / "audit.log").read_text().splitlines()


def test_enrollment_and_its_refusals(sluice):
    relay = sluice.start_relay()
    token = sluice.join_token(relay)
    agent = sluice.start_agent(relay, devices={"plc": "502"}, join_token=token)
    agent.wait_log(r"enrolled as agent1 in domain ROOT")
    relay.proc.wait_log(r"agent agent1 enrolled from .* into ROOT")
    assert sluice.listed_agents(relay) == {"agent1"}
    # The same token a second time, an unknown one, a taken name.
    for name, tok, why in (("agent2", token, "join token already used"),
                           ("agent3", "sjt_" + "0" * 64, "unknown join token")):
        conf, _ = sluice.agent_conf(relay, name=name, join_token=tok)
        r = sluice.procs.run(name, sluice._argv("sluice-agent", conf), timeout=30)
        assert r.returncode == 1
        assert "enrollment refused by the relay: authentication failed: %s" % why in r.stderr
    conf, _ = sluice.agent_conf(relay, name="agent1")
    r = sluice.procs.run("agent1-twin", sluice._argv("sluice-agent", conf), timeout=30)
    assert r.returncode == 1 and "is enrolled already" in r.stderr
    # The key stayed on the agent; the relay has only the certificate.
    state = re.search(r"enrolled as .* certificate (\S+)/agent.crt", agent.log()).group(1)
    assert os.stat(os.path.join(state, "agent.key")).st_mode & 0o077 == 0
    assert not list(relay.state_dir.glob("*agent1*"))
    audit = "\n".join(audit_lines(relay))
    assert audit.count('"event":"agent.enroll"') == 4
    assert audit.count('"outcome":"refused"') >= 3


def test_cloned_agent_is_refused_and_locked(sluice):
    relay = sluice.start_relay()
    agent = sluice.start_agent(relay, devices={"plc": "502"})
    state = re.search(r"certificate (\S+)/agent.crt", agent.log()).group(1)
    clone_state = sluice.tmp / "clone-state"
    shutil.copytree(state, clone_state)   # a copy of the box, secret and all
    # The original reconnects: the relay hands it a fresh secondary id.
    agent.stop()
    agent = sluice.start_agent(relay, devices={"plc": "502"}, state_dir=state,
                               join_token=None)
    # A second live connection of the same identity: refused, nothing locked.
    conf, _ = sluice.agent_conf(relay, state_dir=clone_state, join_token=None)
    clone = sluice.procs.start("clone", sluice._argv("sluice-agent", conf))
    clone.wait_log(r"already connected")
    clone.stop()
    # The copy while the original is away presents a stale id: locked.
    agent.stop()
    clone = sluice.procs.start("clone", sluice._argv("sluice-agent", conf))
    clone.wait_log(r"agent identity locked: a copy of this agent was detected")
    relay.proc.wait_log(r"stale secondary id from 127\.0\.0\.1")
    clone.stop()
    out = sluice.admin(relay, "agent", "show", "agent1").stdout
    assert "state locked" in out
    # The original is locked out too until an operator resets the identity.
    agent = sluice.start_agent(relay, devices={"plc": "502"}, state_dir=state,
                               join_token=None, wait=False)
    agent.wait_log(r"agent locked")
    sluice.admin(relay, "agent", "reset", "agent1")
    agent.wait_log(r"connected to relay \S+ as agent1", timeout=30)
    audit = "\n".join(audit_lines(relay))
    assert '"event":"agent.locked"' in audit and '"event":"agent.reset"' in audit


def test_approval_mode_keeps_new_agents_pending(sluice):
    relay = sluice.start_relay(extra="approval_mode = yes\n")
    agent = sluice.start_agent(relay, devices={"plc": "502"})
    agent.wait_log(r"pending an operator's approval")
    assert sluice.listed_agents(relay) == set()
    open_refused(sluice, relay, "agent1/plc:502", "awaits an operator's approval")
    sluice.admin(relay, "agent", "attach", "agent1")
    relay.proc.wait_log(r"agent agent1 approved")
    assert sluice.listed_agents(relay) == {"agent1"}


def test_login_failures_lockout_and_unlock_by_time(sluice):
    relay = sluice.start_relay(extra="login_failures = 3\nlogin_lockout = 3s\n"
                                     "source_lockout_failures = 0\n")
    sluice.start_agent(relay, devices={"plc": "502"})
    p12 = sluice.user(relay, "alice")
    for _ in range(3):
        r = client_run(sluice, relay, "list", user="alice", p12=p12, password="wrong-pass-9")
        assert r.returncode != 0
        assert "wrong password or TOTP code" in r.stderr
    relay.proc.wait_log(r"user alice locked for 3 s after 3 failed logins")
    r = client_run(sluice, relay, "list", user="alice", p12=p12)
    assert r.returncode != 0 and "locked" in r.stderr   # right password, still locked
    time.sleep(3.5)
    r = client_run(sluice, relay, "list", user="alice", p12=p12)
    assert r.returncode == 0, r.stderr
    assert "agent1" in r.stdout
    # Another user's certificate with alice's name is not alice.
    bob = sluice.user(relay, "bob")
    r = client_run(sluice, relay, "list", user="alice", p12=bob)
    assert r.returncode != 0 and "certificate is for 'bob'" in r.stderr


def test_totp(sluice):
    relay = sluice.start_relay()
    sluice.start_agent(relay, devices={"plc": "502"})
    p12 = sluice.user(relay, "carol")
    out = sluice.admin(relay, "user", "totp-enable", "carol").stdout
    secret = re.search(r"otpauth://totp/[^?]+\?secret=([A-Z2-7]+)", out).group(1)
    r = client_run(sluice, relay, "list", user="carol", p12=p12)
    assert r.returncode != 0 and "a TOTP code is required" in r.stderr
    wrong = "%06d" % ((int(totp_now(secret)) + 500000) % 1000000)
    r = client_run(sluice, relay, "-t", wrong, "list", user="carol", p12=p12)
    assert r.returncode != 0 and "wrong password or TOTP code" in r.stderr
    code = totp_now(secret)
    r = client_run(sluice, relay, "-t", code, "list", user="carol", p12=p12)
    assert r.returncode == 0, r.stderr
    r = client_run(sluice, relay, "-t", code, "list", user="carol", p12=p12)
    assert r.returncode != 0, "the same TOTP code worked twice"
    relay.proc.wait_log(r"TOTP code used before \(replay\)")


def test_grants_windows_and_visibility(sluice):
    relay = sluice.start_relay()
    sluice.admin(relay, "domain", "add", "ROOT.acme")
    sluice.admin(relay, "domain", "add", "ROOT.acme.plant1")
    sluice.admin(relay, "domain", "add", "ROOT.other")
    sluice.start_agent(relay, name="a-plant1", devices={"plc": "502"},
                       join_token=sluice.join_token(relay, "ROOT.acme.plant1"))
    sluice.start_agent(relay, name="a-other", devices={"hmi": "80"},
                       join_token=sluice.join_token(relay, "ROOT.other"))
    dave = sluice.user(relay, "dave", grant=False)
    r = client_run(sluice, relay, "list", user="dave", p12=dave)
    assert "a-plant1" not in r.stdout and "a-other" not in r.stdout  # no grant, nothing
    open_refused(sluice, relay, "a-other/hmi:80", "not yours to reach", "dave", dave)
    sluice.admin(relay, "grant", "add", "dave", "ROOT.acme")       # inherited below
    r = client_run(sluice, relay, "list", user="dave", p12=dave)
    assert r.returncode == 0 and "a-plant1" in r.stdout and "a-other" not in r.stdout
    # A window that excludes now: same agent, refused with the rule.
    erin = sluice.user(relay, "erin", grant=False)
    hour = time.localtime().tm_hour
    window = "mon-sun %02d:00-%02d:00" % ((hour + 2) % 24, (hour + 3) % 24)
    sluice.admin(relay, "grant", "add", "erin", "ROOT.acme", "--window", window)
    open_refused(sluice, relay, "a-plant1/plc:502", "outside the time window", "erin", erin)
    relay.proc.wait_log(r"refused session: user erin -> a-plant1/plc:502: outside the time window")


def test_remote_access_switch(sluice, echo_device):
    relay = sluice.start_relay(heartbeat="500ms")
    switch = sluice.tmp / "switch"
    switch.write_text("off\n")
    sluice.start_agent(relay, devices={"plc": str(echo_device.port)},
                       extra="remote_access_switch = %s\n" % switch)
    relay.proc.wait_log(r"agent agent1: remote access switched off at the site")
    open_refused(sluice, relay, "agent1/plc:%d" % echo_device.port,
                 "remote access is switched off")
    switch.write_text("on\n")
    relay.proc.wait_log(r"agent agent1: remote access switched on at the site")
    _, port = sluice.forward(relay, "agent1/plc:%d" % echo_device.port)
    s = harness.connect(port)
    assert harness.echo_roundtrip(s, b"switch on") == b"switch on"
    s.close()


def test_revoked_user_loses_live_session_and_audit_verifies(sluice, echo_device):
    relay = sluice.start_relay()
    sluice.start_agent(relay, devices={"plc": str(echo_device.port)})
    fwd, port = sluice.forward(relay, "agent1/plc:%d" % echo_device.port)
    s = harness.connect(port)
    assert harness.echo_roundtrip(s, b"before") == b"before"
    serial = re.search(r"certificate ([0-9a-f]+) until",
                       sluice.admin(relay, "user", "show", "tester").stdout).group(1)
    sluice.admin(relay, "user", "cert-revoke", serial)
    relay.proc.wait_log(r"user tester from .*: certificate revoked; closing")
    harness.wait_closed(s, 20)  # raises if the revoked user's session stays open
    r = client_run(sluice, relay, "list")
    assert r.returncode != 0 and "certificate revoked" in r.stderr
    # Everything above is in the audit log, and the chain holds...
    relay.proc.stop()
    r = sluice.admin(relay, "audit-verify")
    assert "intact" in r.stdout, r.stdout + r.stderr
    audit = "\n".join(audit_lines(relay))
    for event in ("agent.enroll", "agent.connect", "user.login", "session.open",
                  "session.close", "user.cert_revoke", "user.disconnect"):
        assert '"event":"%s"' % event in audit, event
    # ...until someone edits a line.
    log = relay.state_dir / "audit.log"
    lines = log.read_text().splitlines(keepends=True)
    k = next(i for i, ln in enumerate(lines) if '"event":"session.close"' in ln)
    lines[k] = lines[k].replace("bytes to device", "bytes to devic3")
    log.write_text("".join(lines))
    r = sluice.admin(relay, "audit-verify", check=False)
    assert r.returncode == 1
    assert "line %d" % (k + 2) in (r.stdout + r.stderr)
