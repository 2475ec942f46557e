# SPDX-License-Identifier: MIT
"""Data legs over TLS 1.2 (the kernel TLS decision of docs/datapath.md):
agents and clients dial their data legs with TLS 1.2 AES-GCM so that both
directions can go to the kernel; the relay takes TLS 1.2 only for a
connection whose first message is ATTACH, and only with AEAD suites.

    test --tcp--> sluice-client ==tls 1.2==> sluice-relay <==tls 1.2== sluice-agent --tcp--> device
                                (control connections: TLS 1.3)

Where the kernel has no TLS (this development host: no CONFIG_TLS) every
session takes the userspace io_uring path; the kernel path itself is tested
in the qemu guest (tests/vm/relay_e2e.py).
"""

import re
import socket
import ssl
from pathlib import Path

import harness
import sluice_proto as P


def tls12_connect(port, ciphers=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if ciphers:
        ctx.set_ciphers(ciphers)
    raw = socket.create_connection(("127.0.0.1", port), timeout=20)
    try:
        s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    except Exception:
        raw.close()
        raise
    s.settimeout(20)
    return s


def test_hello_and_enroll_over_tls12_refused(sluice):
    """A control connection must be TLS 1.3: a HELLO or ENROLL over TLS 1.2
    gets ERROR(PROTO) saying so, and the connection is closed."""
    relay = sluice.start_relay()
    for cmd, attrs in ((P.SLUICE_CMD_CLIENT_HELLO,
                        [P.u32(P.SLUICE_A_VERSION, P.SLUICE_PROTO_VERSION),
                         P.string(P.SLUICE_A_NAME, "tester"),
                         P.string(P.SLUICE_A_PASSWORD, sluice.PASSWORD)]),
                       (P.SLUICE_CMD_AGENT_HELLO,
                        [P.u32(P.SLUICE_A_VERSION, P.SLUICE_PROTO_VERSION),
                         P.string(P.SLUICE_A_NAME, "agent9")]),
                       (P.SLUICE_CMD_ENROLL,
                        [P.string(P.SLUICE_A_NAME, "agent9"),
                         P.binary(P.SLUICE_A_TOKEN, b"sjt_" + b"0" * 64),
                         P.binary(P.SLUICE_A_CSR, b"not a CSR: refused before it is read")])):
        s = tls12_connect(relay.port)
        assert s.version() == "TLSv1.2"
        conn = P.Conn(s)
        conn.send(P.encode(cmd, attrs, seq=4))
        m = conn.recv(20)
        assert m.cmd == P.SLUICE_CMD_ERROR, m
        assert m.u32(P.SLUICE_A_ERR_CODE) == P.SLUICE_E_PROTO, m
        text = m.str(P.SLUICE_A_ERR_MSG)
        assert "needs TLS 1.3" in text and "ATTACH" in text, text
        assert harness.wait_closed(s, 20) == b""
        s.close()
        relay.proc.wait_log(r"%s from \S+ refused: sent over TLSv1\.2" % P.cmd_name(cmd),
                            timeout=20)


def test_tls12_without_aead_refused(sluice):
    """TLS 1.2 comes with ECDHE-ECDSA AES-GCM only: a CBC suite gets no
    handshake."""
    relay = sluice.start_relay()
    try:
        s = tls12_connect(relay.port, ciphers="ECDHE-ECDSA-AES128-SHA256")
    except (ssl.SSLError, ConnectionError):
        return
    s.close()
    raise AssertionError("the relay accepted TLS 1.2 with a CBC suite")


def test_data_legs_use_tls12(sluice, echo_device):
    """Real agent and client: both data legs negotiate TLS 1.2
    ECDHE-ECDSA-AES128-GCM, the control connections TLS 1.3, and the
    session relays.  The path follows the kernel: kernel TLS where the tls
    module is present (then both legs are offloaded), userspace otherwise."""
    sluice.debug = True  # the relay logs each handshake's suite
    relay = sluice.start_relay(extra="data_threads = 1\n")
    sluice.debug = False
    sluice.start_agent(relay, devices={"plc": str(echo_device.port)})
    _, lport = sluice.forward(relay, "agent1/plc:%d" % echo_device.port)
    mark = relay.proc.mark()
    payload = harness.pattern_bytes(256 * 1024, "tls12")
    with harness.connect(lport) as s:
        harness.send_all(s, payload)
        s.shutdown(socket.SHUT_WR)
        assert harness.recv_all(s) == payload
    m = relay.proc.wait_log(r"session \S+ closed \(finished\).*path (\S+) \((.*)\)",
                            timeout=30, since=mark)
    suites = [re.search(r"done \((\S+)\)", ln).group(1)
              for ln in relay.proc.lines(r"TLS handshake with \S+ done", since=mark)]
    assert suites.count("ECDHE-ECDSA-AES128-GCM-SHA256") == 2, suites
    control = [ln for ln in relay.proc.lines(r"TLS handshake with \S+ done")
               if "TLS_AES" in ln or "TLS_CHACHA" in ln]
    assert len(control) >= 2, "control connections were not TLS 1.3"
    if Path("/proc/net/tls_stat").exists():
        assert (m.group(1), m.group(2)) == ("ktls", "io_uring splice"), m.group(0)
    else:
        assert (m.group(1), m.group(2)) == ("userspace", "io_uring"), m.group(0)
