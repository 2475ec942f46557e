# SPDX-License-Identifier: MIT
"""Sessions to ports outside the device rules are refused, by the relay
(it knows the rules the agent reported) and by the agent itself (it checks
every CONNECT against its own configuration).

    test --tcp--> sluice-client ==tls==> sluice-relay <==tls== sluice-agent --x--> 127.0.0.1:DENIED

    fake relay (python, TLS) <==tls== sluice-agent --x--> 127.0.0.1:DENIED
"""

import socket
import subprocess
import ssl

import harness
import sluice_proto as P


def test_relay_refuses_port_outside_rules(sluice, echo_device):
    denied = sluice.device(harness.closing_handler)  # must never be reached
    relay = sluice.start_relay()
    sluice.start_agent(relay, devices={"plc": str(echo_device.port)})
    client, lport = sluice.forward(relay, "agent1/plc:%d" % denied.port)

    with harness.connect(lport) as s:
        got = harness.wait_closed(s, timeout=20)
    assert got == b"", "refused session delivered data: %r" % got[:64]
    relay.proc.wait_log(r"refused session.*port %d is not allowed" % denied.port, 20)
    client.wait_log(r"error: .*not allowed", 20)
    assert denied.accepted == 0, "the agent connected to a port outside its rules"
    assert echo_device.accepted == 0


class FakeRelay:
    """A TLS server that speaks the relay's side of the protocol by hand."""

    def __init__(self, tmp):
        self.key, self.crt = harness.make_cert(tmp / "fake-relay")
        self.fingerprint = harness.spki_sha256_openssl(self.crt)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        self.ctx.load_cert_chain(str(self.crt), str(self.key))
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.port = self.lsock.getsockname()[1]
        self.accepted = 0
        self.socks = []

    def accept(self, timeout=20.0):
        self.lsock.settimeout(timeout)
        raw, _ = self.lsock.accept()
        self.accepted += 1
        raw.settimeout(timeout)
        s = self.ctx.wrap_socket(raw, server_side=True)
        self.socks.append(s)
        return P.Conn(s)

    def close(self):
        for s in self.socks:
            s.close()
        self.lsock.close()


def test_agent_refuses_connect_outside_rules(sluice, tmp_path):
    allowed = sluice.device(harness.closing_handler)
    denied = sluice.device(harness.closing_handler)
    fake = FakeRelay(tmp_path)
    # An enrolled agent's state: a key and a certificate (self-signed here;
    # the fake relay does not check it).
    state = tmp_path / "agent-state"
    state.mkdir(mode=0o700)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(state / "agent.key"),
                    "-out", str(state / "agent.crt"), "-subj", "/CN=agent1", "-days", "1"],
                   check=True, capture_output=True)
    (state / "agent.key").chmod(0o600)
    try:
        # The fingerprint is pinned in the configuration: the agent must
        # accept our certificate because of it, not because of TOFU.
        agent = sluice.start_agent(fake.port, devices={"plc": str(allowed.port)},
                                   fingerprint=fake.fingerprint, wait=False,
                                   state_dir=state, join_token=None)
        conn = fake.accept(timeout=20)

        hello = conn.recv(timeout=20)
        assert hello.cmd == P.SLUICE_CMD_AGENT_HELLO, hello
        assert hello.u32(P.SLUICE_A_VERSION) == P.SLUICE_PROTO_VERSION
        assert hello.str(P.SLUICE_A_NAME) == "agent1"
        assert hello.get(P.SLUICE_A_SECRET) is None  # first connect: no secondary id
        assert hello.get(P.SLUICE_A_SWITCH) == b"\x01"  # no switch configured: on
        devs = hello.devices()
        assert devs == [("plc", [(allowed.port, allowed.port, P.IPPROTO_TCP)])], devs

        conn.send(P.encode(P.SLUICE_CMD_HELLO_OK,
                           [P.u32(P.SLUICE_A_VERSION, P.SLUICE_PROTO_VERSION),
                            P.u32(P.SLUICE_A_HEARTBEAT_MS, 60000)], seq=hello.seq))
        agent.wait_log(r"connected to relay \S+ as agent1", 20)

        session_id = 0x5EED0000DEADBEEF
        conn.send(P.encode(P.SLUICE_CMD_CONNECT, [
            P.u64(P.SLUICE_A_SESSION_ID, session_id),
            P.binary(P.SLUICE_A_TOKEN, bytes(range(P.SLUICE_SESSION_TOKEN_LEN))),
            P.string(P.SLUICE_A_DEVICE, "plc"),
            P.u16(P.SLUICE_A_PORT, denied.port)], seq=77))

        err = conn.recv_until(lambda m: m.cmd != P.SLUICE_CMD_HEARTBEAT, timeout=20)
        assert err.cmd == P.SLUICE_CMD_ERROR, err
        assert err.u32(P.SLUICE_A_ERR_CODE) == P.SLUICE_E_PORT_DENIED, err
        assert err.u64(P.SLUICE_A_SESSION_ID) == session_id, err
        assert err.seq == 77, "ERROR must carry the CONNECT's seq: %r" % err

        agent.wait_log(r"refused session \S+: port %d not allowed on device plc"
                       % denied.port, 20)
        assert denied.accepted == 0, "the agent connected to the denied port"
        assert allowed.accepted == 0
        assert fake.accepted == 1, "the agent opened a data connection for a refused session"
        assert agent.alive()
    finally:
        fake.close()
