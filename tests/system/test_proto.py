# SPDX-License-Identifier: MIT
"""The test codec (sluice_proto) against itself and against sluice.h.

These need no sluice program: they keep the codec the other tests rely on
honest (header constants, padding, nesting, stream framing).
"""

import re
import struct

import pytest

import sluice_proto as P


def test_constants_come_from_the_header():
    text = P.HEADER_PATH.read_text()
    # Spot checks against the literal text, in case the regexes drift.
    for name in ("SLUICE_CMD_CONNECT", "SLUICE_A_SESSION_ID", "SLUICE_E_PORT_DENIED",
                 "SLUICE_PORTS_A_PROTO"):
        m = re.search(r"\b%s\s*=\s*(\d+)" % name, text)
        assert m, name
        assert getattr(P, name) == int(m.group(1))
    assert P.SLUICE_MSG_TYPE == 0x53
    assert P.SLUICE_MSG_MAX == 65536
    # *_MAX is the largest value of its enum, whatever was added last.
    assert P.SLUICE_CMD_MAX == max(int(v) for v in re.findall(r"\bSLUICE_CMD_\w+ = (\d+)", text))
    assert P.SLUICE_A_MAX == max(int(v) for v in re.findall(r"\bSLUICE_A_\w+ = (\d+)", text))
    assert P.SLUICE_GENL_NAME == "sluice"
    assert P.CMD_NAMES[P.SLUICE_CMD_HELLO_OK] == "HELLO_OK"


def test_header_layout():
    raw = P.encode(P.SLUICE_CMD_HEARTBEAT, seq=0x01020304, flags=P.NLM_F_MULTI)
    assert len(raw) == P.HDRLEN == 20
    assert struct.unpack("<IHHII", raw[:16]) == (20, P.SLUICE_MSG_TYPE, P.NLM_F_MULTI,
                                                 0x01020304, 0)
    assert struct.unpack("<BBH", raw[16:20]) == (P.SLUICE_CMD_HEARTBEAT,
                                                 P.SLUICE_GENL_VERSION, 0)


def test_attribute_padding():
    a = P.u8(7, 0xAB)
    assert a == struct.pack("<HH", 5, 7) + b"\xab\0\0\0"
    s = P.string(P.SLUICE_A_NAME, "abc")  # 4 + 4 bytes, no padding
    assert s == struct.pack("<HH", 8, P.SLUICE_A_NAME) + b"abc\0"
    s = P.string(P.SLUICE_A_NAME, "abcd")  # 4 + 5, padded to 12
    assert len(s) == 12 and struct.unpack("<HH", s[:4])[0] == 9
    assert P.u64(1, 2**64 - 1)[4:] == b"\xff" * 8


def test_roundtrip_all_types():
    token = bytes(range(32))
    raw = P.encode(P.SLUICE_CMD_CONNECT, [
        P.u64(P.SLUICE_A_SESSION_ID, 0x1122334455667788),
        P.binary(P.SLUICE_A_TOKEN, token),
        P.string(P.SLUICE_A_DEVICE, "plc-1"),
        P.u16(P.SLUICE_A_PORT, 502),
        P.u32(P.SLUICE_A_VERSION, P.SLUICE_PROTO_VERSION),
    ], seq=42)
    assert len(raw) % 4 == 0
    m = P.decode(raw)
    assert (m.cmd, m.seq, m.version, m.type) == (P.SLUICE_CMD_CONNECT, 42,
                                                 P.SLUICE_GENL_VERSION, P.SLUICE_MSG_TYPE)
    assert m.u64(P.SLUICE_A_SESSION_ID) == 0x1122334455667788
    assert m.get(P.SLUICE_A_TOKEN) == token
    assert m.str(P.SLUICE_A_DEVICE) == "plc-1"
    assert m.u16(P.SLUICE_A_PORT) == 502
    assert m.u32(P.SLUICE_A_VERSION) == 1
    assert m.get(P.SLUICE_A_ERR_CODE) is None


def test_nested_devices_roundtrip():
    devs = [("plc", [(502, 502, P.IPPROTO_TCP), (8000, 8010, P.IPPROTO_TCP)]),
            ("snmp", [(161, 161, P.IPPROTO_UDP)])]
    raw = P.encode(P.SLUICE_CMD_AGENT_HELLO, [
        P.u32(P.SLUICE_A_VERSION, 1), P.string(P.SLUICE_A_NAME, "a1"),
        P.binary(P.SLUICE_A_TOKEN, b"secret"), P.devices_attr(devs)])
    m = P.decode(raw)
    assert m.devices() == devs
    # The nest carries NLA_F_NESTED on the wire, like libnl; types are masked.
    off = P.HDRLEN
    types = []
    while off < len(raw):
        alen, atype = struct.unpack_from("<HH", raw, off)
        types.append(atype)
        off += P.align4(alen)
    assert types[-1] == P.SLUICE_A_DEVICES | P.NLA_F_NESTED


def test_last_attribute_wins():
    m = P.decode(P.encode(P.SLUICE_CMD_ERROR, [P.u32(P.SLUICE_A_ERR_CODE, 1),
                                               P.u32(P.SLUICE_A_ERR_CODE, 8)]))
    assert m.u32(P.SLUICE_A_ERR_CODE) == 8


def test_stream_decoder_splits_and_joins():
    msgs = [P.encode(P.SLUICE_CMD_HEARTBEAT, seq=i) for i in range(3)]
    msgs.append(P.encode(P.SLUICE_CMD_ERROR, [P.u32(P.SLUICE_A_ERR_CODE, 8),
                                              P.string(P.SLUICE_A_ERR_MSG, "no")], seq=9))
    stream = b"".join(msgs)
    d = P.Decoder()
    out = []
    for i in range(0, len(stream), 7):  # odd-sized pieces
        out += d.feed(stream[i:i + 7])
    assert [m.seq for m in out] == [0, 1, 2, 9]
    assert out[3].str(P.SLUICE_A_ERR_MSG) == "no"
    assert d.buf == b""


@pytest.mark.parametrize("raw", [
    P.encode(P.SLUICE_CMD_HEARTBEAT, msg_type=0x10),
    P.encode(P.SLUICE_CMD_HEARTBEAT, version=2),
    P.encode(P.SLUICE_CMD_HEARTBEAT, length=P.SLUICE_MSG_MAX + 1),
    P.encode(P.SLUICE_CMD_HEARTBEAT, length=P.HDRLEN - 1),
])
def test_bad_headers_are_refused(raw):
    with pytest.raises(P.ProtoError):
        P.frame_len(raw)


def test_bad_attributes_are_refused():
    # nla_len beyond the message
    bad = P.encode(P.SLUICE_CMD_LIST, [struct.pack("<HH", 40, 1) + b"\0" * 4])
    with pytest.raises(P.ProtoError):
        P.decode(bad)
    # string without its NUL
    m = P.decode(P.encode(P.SLUICE_CMD_LIST, [P.attr(P.SLUICE_A_NAME, b"abc")]))
    with pytest.raises(P.ProtoError):
        m.str(P.SLUICE_A_NAME)
    # wrong length for a fixed-size type
    m = P.decode(P.encode(P.SLUICE_CMD_LIST, [P.attr(P.SLUICE_A_VERSION, b"\1\0")]))
    with pytest.raises(P.ProtoError):
        m.u32(P.SLUICE_A_VERSION)
