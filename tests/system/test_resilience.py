# SPDX-License-Identifier: MIT
"""The relay and the agent survive each other's failures and bad input.

    sluice-client ==tls==> sluice-relay (killed, restarted, replaced) <==tls== sluice-agent
    raw python TLS ======> sluice-relay   (garbage, oversized, broken frames)
"""

import signal
import struct

import pytest

import harness
import sluice_proto as P


def test_agent_reconnects_after_relay_killed(sluice, echo_device):
    relay = sluice.start_relay()
    agent = sluice.start_agent(relay, devices={"plc": str(echo_device.port)},
                               reconnect_max="2s")
    assert "agent1" in sluice.listed_agents(relay)

    relay.proc.kill()  # SIGKILL: no goodbye to anyone
    relay2 = sluice.restart_relay(relay)
    assert relay2.fingerprint == relay.fingerprint, "same state_dir, same key"

    agent.wait_log(r"connected to relay \S+ as agent1", timeout=30, count=2)
    harness.wait_until(lambda: "agent1" in sluice.listed_agents(relay2), 30,
                       "agent1 in the restarted relay's list")
    # And sessions work again.
    _, lport = sluice.forward(relay2, "agent1/plc:%d" % echo_device.port)
    with harness.connect(lport) as s:
        assert harness.echo_roundtrip(s, b"after restart") == b"after restart"
    # Let the session end before teardown stops the programs (stopping a
    # client with a live session is test_client_sigterm_with_open_session).
    relay2.proc.wait_log(r"session \S+ closed", timeout=30)


def test_pinned_fingerprint_mismatch(sluice, echo_device):
    relay_a = sluice.start_relay()
    agent = sluice.start_agent(relay_a, devices={"plc": str(echo_device.port)})
    relay_a.proc.stop()
    # Same port, new state_dir: a new key the agent has not pinned.
    relay_b = sluice.start_relay(port=relay_a.port)
    assert relay_b.fingerprint != relay_a.fingerprint

    fa, fb = relay_a.fingerprint[len("sha256:"):], relay_b.fingerprint[len("sha256:"):]
    m = agent.wait_log(r"error: .*(%s.*%s|%s.*%s)" % (fa, fb, fb, fa), timeout=30)
    assert m
    # It keeps retrying (and keeps refusing).
    agent.wait_log(r"error: .*(%s.*%s|%s.*%s)" % (fa, fb, fb, fa), timeout=30, count=2)
    assert agent.alive(), "the agent gave up instead of retrying"
    assert "agent1" not in sluice.listed_agents(relay_b)
    assert not relay_b.proc.lines(r"agent1.*connected|connected.*agent1")


BAD_FRAMES = {
    # Not a netlink message at all (type 0x7369, length huge).
    "garbage": b"this is not a sluice message, just some bytes!\r\n" * 2,
    # A valid header whose nlmsg_len is above SLUICE_MSG_MAX; no body follows:
    # the relay must refuse it before reading or allocating the body.
    "oversized": P.encode(P.SLUICE_CMD_AGENT_HELLO, length=P.SLUICE_MSG_MAX + 1),
    # AGENT_HELLO whose VERSION (NLA_U32) has 2 bytes.
    "short_u32": P.encode(P.SLUICE_CMD_AGENT_HELLO, [
        P.attr(P.SLUICE_A_VERSION, b"\x01\x00"),
        P.string(P.SLUICE_A_NAME, "evil"),
        P.binary(P.SLUICE_A_TOKEN, b"x")]),
    # AGENT_HELLO whose NAME (NLA_STRING) lacks its NUL.
    "string_without_nul": P.encode(P.SLUICE_CMD_AGENT_HELLO, [
        P.u32(P.SLUICE_A_VERSION, P.SLUICE_PROTO_VERSION),
        P.attr(P.SLUICE_A_NAME, b"evil"),
        P.binary(P.SLUICE_A_TOKEN, b"x")]),
    # An attribute whose nla_len runs past the end of the message.
    "attr_past_end": P.encode(P.SLUICE_CMD_AGENT_HELLO, [
        P.u32(P.SLUICE_A_VERSION, P.SLUICE_PROTO_VERSION),
        P.string(P.SLUICE_A_NAME, "evil"),
        struct.pack("<HH", 200, P.SLUICE_A_TOKEN) + b"xxxx"]),
}


@pytest.mark.parametrize("kind", sorted(BAD_FRAMES))
def test_malformed_message_closes_only_that_connection(session_setup, kind):
    relay = session_setup["relay"]
    with harness.connect(session_setup["port"]) as live:
        assert harness.echo_roundtrip(live, b"before") == b"before"
        mark = relay.proc.mark()

        bad = harness.tls_connect(relay.port)
        try:
            bad.sendall(BAD_FRAMES[kind])
            got = harness.wait_closed(bad, timeout=20)
        finally:
            bad.close()
        # Whatever it answered (at most an ERROR), it closed the connection.
        for m in P.Decoder().feed(got):
            assert m.cmd == P.SLUICE_CMD_ERROR, m
        relay.proc.wait_log(r"warning: malformed message from 127\.0\.0\.1\S*: ", 20,
                            since=mark)

        # The established session is untouched.
        assert harness.echo_roundtrip(live, b"after " + kind.encode()) == \
            b"after " + kind.encode()
    assert relay.proc.alive()
    relay.proc.wait_log(r"session \S+ closed", timeout=30)


def test_dead_agent_heartbeat_timeout(sluice, echo_device):
    interval = 0.5
    relay = sluice.start_relay(heartbeat="500ms")
    agent = sluice.start_agent(relay, devices={"plc": str(echo_device.port)})
    assert "agent1" in sluice.listed_agents(relay)

    mark = relay.proc.mark()
    agent.signal(signal.SIGSTOP)
    try:
        # Dead after 3 silent intervals; the wait is bounded generously (not a
        # timing assertion: it only has to happen).
        relay.proc.wait_log(r"agent agent1 disconnected \(heartbeat timeout", since=mark,
                            timeout=max(10 * interval, 15.0))
        assert "agent1" not in sluice.listed_agents(relay)
    finally:
        agent.signal(signal.SIGCONT)
    # Awake again, the agent finds its connection gone and comes back.
    agent.wait_log(r"connected to relay \S+ as agent1", timeout=30, count=2)
    harness.wait_until(lambda: "agent1" in sluice.listed_agents(relay), 30,
                       "agent1 listed again after SIGCONT")
