# SPDX-License-Identifier: MIT
"""Configuration handling of the three programs, and the relay's identity.

A bad configuration (unknown key, bad value, missing file) makes a program
exit non-zero with "FILE:LINE:" (or the path) on stderr, before it starts
anything: no state files, no listening socket, no connection to the relay.
"""

import os
import re
import signal
import stat

import pytest

import harness


def _relay_text(port, state_dir, bad):
    lines = ["# relay", "listen = 127.0.0.1:%d" % port, "state_dir = %s" % state_dir,
             "approval_mode = no", "login_failures = 3"]
    lines.insert(len(lines) - 1, bad)  # not the last line: the parser must stop there
    return lines


def _agent_text(port, state_dir, bad, in_device=False):
    lines = ["# agent", "name = agent1", "relay = 127.0.0.1:%d" % port,
             "join_token = sjt_0123456789abcdef", "state_dir = %s" % state_dir]
    dev = ["", "[device plc]", "host = 127.0.0.1", "ports = 502"]
    if in_device:
        dev.insert(3, bad)
        return lines + dev
    return lines + [bad] + dev


def _client_text(port, state_dir, bad):
    return ["# client", "relay = 127.0.0.1:%d" % port, bad, "user = tester",
            "certificate = /nonexistent/tester.p12", "state_dir = %s" % state_dir]


# (program, case): (how to write the file around the bad line, the bad line)
CASES = {
    ("relay", "unknown_key"): (_relay_text, "frobnicate = yes"),
    ("relay", "bad_duration"): (_relay_text, "heartbeat_interval = soon"),
    ("relay", "bad_number"): (_relay_text, "max_sessions = many"),
    ("relay", "old_token"): (_relay_text, "agent_token = a-secret"),
    ("relay", "bad_bool"): (_relay_text, "approval_mode = maybe"),
    ("agent", "unknown_key"): (_agent_text, "colour = red"),
    ("agent", "unknown_device_key"):
        (lambda p, s, b: _agent_text(p, s, b, in_device=True), "colour = red"),
    ("agent", "bad_ports"):
        (lambda p, s, b: _agent_text(p, s, b, in_device=True), "ports = 502, 99999"),
    ("agent", "bad_name"): (_agent_text, "name = bad name!"),
    ("agent", "old_token"): (_agent_text, "token = a-secret"),
    ("agent", "bad_switch"): (_agent_text, "remote_access_switch = relative/path"),
    ("client", "unknown_key"): (_client_text, "colour = red"),
    ("client", "bad_port"): (_client_text, "relay = 127.0.0.1:http"),
}


def _argv(bins, prog, conf):
    argv = [bins["sluice-" + prog], "-f", str(conf)]
    return argv + (["list"] if prog == "client" else [])


@pytest.mark.parametrize("prog,case", sorted(CASES), ids=lambda v: v)
def test_bad_config_reports_file_and_line(bins, procs, tmp_path, prog, case):
    # Something listens on the relay port: the agent or client must not dial it.
    relay_port_listener = harness.DeviceServer(harness.closing_handler)
    try:
        state_dir = tmp_path / "state"
        make, bad = CASES[(prog, case)]
        # The relay gets a port nobody uses, the others the listener's.
        port = harness.free_port() if prog == "relay" else relay_port_listener.port
        lines = make(port, state_dir, bad)
        bad_lineno = lines.index(bad) + 1
        conf = tmp_path / ("%s.conf" % prog)
        conf.write_text("\n".join(lines) + "\n")

        r = procs.run(prog, _argv(bins, prog, conf), timeout=20)
        assert r.returncode != 0, "accepted a bad configuration:\n" + r.stderr
        if prog == "relay":
            assert r.returncode == 1
        assert "%s:%d:" % (conf, bad_lineno) in r.stderr, \
            "no FILE:LINE (%s:%d:) in stderr:\n%s" % (conf, bad_lineno, r.stderr)
        assert not state_dir.exists(), "started anyway: created " + str(state_dir)
        assert "listening on" not in r.stderr + r.stdout
        assert relay_port_listener.accepted == 0, "dialled the relay anyway"
    finally:
        relay_port_listener.close()


@pytest.mark.parametrize("prog", ["relay", "agent", "client"])
def test_missing_config_file(bins, procs, tmp_path, prog):
    missing = tmp_path / "nowhere" / ("%s.conf" % prog)
    r = procs.run(prog, _argv(bins, prog, missing), timeout=20)
    assert r.returncode != 0
    assert str(missing) in r.stderr, "path not in stderr:\n" + r.stderr


def test_relay_check_mode(bins, procs, tmp_path):
    port = harness.free_port()
    good = tmp_path / "good.conf"
    good.write_text("\n".join(_relay_text(port, tmp_path / "st", "heartbeat_interval = 2s"))
                    + "\n")
    r = procs.run("relay-n", [bins["sluice-relay"], "-n", "-f", good], timeout=20)
    assert r.returncode == 0, r.stderr

    bad = tmp_path / "bad.conf"
    lines = _relay_text(port, tmp_path / "st", "frobnicate = yes")
    bad.write_text("\n".join(lines) + "\n")
    r = procs.run("relay-n-bad", [bins["sluice-relay"], "-n", "-f", bad], timeout=20)
    assert r.returncode == 1
    assert "%s:%d:" % (bad, lines.index("frobnicate = yes") + 1) in r.stderr


def test_agent_check_mode(bins, procs, tmp_path):
    good = tmp_path / "agent.conf"
    good.write_text("\n".join(_agent_text(11444, tmp_path / "st", "reconnect_max = 5s"))
                    + "\n")
    r = procs.run("agent-n", [bins["sluice-agent"], "-n", "-f", good], timeout=20)
    assert r.returncode == 0, r.stderr
    bad = tmp_path / "bad.conf"
    lines = _agent_text(11444, tmp_path / "st", "colour = red")
    bad.write_text("\n".join(lines) + "\n")
    r = procs.run("agent-n-bad", [bins["sluice-agent"], "-n", "-f", bad], timeout=20)
    assert r.returncode != 0
    assert "%s:%d:" % (bad, lines.index("colour = red") + 1) in r.stderr


def test_client_usage_error_exits_2(bins, procs, tmp_path):
    conf = tmp_path / "client.conf"
    conf.write_text("\n".join(_client_text(11444, tmp_path / "st", "# nothing")) + "\n")
    r = procs.run("client-usage", [bins["sluice-client"], "-f", conf, "no-such-command"],
                  timeout=20)
    assert r.returncode == 2, (r.returncode, r.stderr)


def test_relay_identity_created_and_kept(sluice):
    relay = sluice.start_relay()
    key = relay.state_dir / "relay.key"
    crt = relay.state_dir / "relay.crt"
    assert key.exists() and crt.exists()
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600, oct(os.stat(key).st_mode)

    # The logged fingerprint is the SPKI SHA-256 of relay.crt, and the
    # certificate the relay presents on the wire.
    assert relay.fingerprint == harness.spki_sha256_openssl(crt)
    with harness.tls_connect(relay.port) as s:
        der = s.getpeercert(binary_form=True)
    assert harness.spki_sha256_der(der) == relay.fingerprint

    key_bytes = key.read_bytes()
    assert relay.proc.stop() is not None, "relay did not exit on SIGTERM"
    again = sluice.restart_relay(relay)
    assert again.fingerprint == relay.fingerprint
    assert key.read_bytes() == key_bytes, "relay.key was rewritten"


def test_agent_reload_updates_the_relays_device_list(sluice):
    """SIGHUP: the agent sends its new device list; no reconnect, no restart."""
    relay = sluice.start_relay()
    agent = sluice.start_agent(relay, devices={"plc": "80"})
    assert sluice.list(relay) == [["agent1", "plc", "80"]]
    conf = re.search(r"-f (\S+)", " ".join(agent.argv)).group(1)
    with open(conf, "a") as f:
        f.write("\n[device hmi]\nhost = 127.0.0.1\nports = 502, udp/161\n")
    agent.signal(signal.SIGHUP)
    relay.proc.wait_log(r"agent agent1 updated its device list: 2 devices")
    assert sorted(sluice.list(relay)) == [["agent1", "hmi", "502,udp/161"],
                                          ["agent1", "plc", "80"]]
    assert len(relay.proc.lines(r"agent agent1 connected")) == 1
    assert len(agent.lines(r"connected to relay")) == 1
