# SPDX-License-Identifier: MIT
"""A small Python codec for the sluice wire protocol (include/uapi/sluice.h).

Every message is a netlink message:

    struct nlmsghdr   '<IHHII'  len, type, flags, seq, pid     (16 bytes)
    struct genlmsghdr '<BBH'    cmd, version, reserved          (4 bytes)
    attributes        '<HH'     nla_len, nla_type, then data padded to 4

The constants are not copied here: they are read from the header at import
time (``#define SLUICE_*`` and the ``enum`` blocks), so the tests follow the
header.  Only the generic netlink numbers (NLM_F_MULTI, NLA_F_NESTED) that
sluice.h takes from <linux/netlink.h> are written out.

Usage:

    import sluice_proto as P
    raw = P.encode(P.SLUICE_CMD_HELLO_OK, [P.u32(P.SLUICE_A_VERSION, 1),
                                          P.u32(P.SLUICE_A_HEARTBEAT_MS, 500)],
                   seq=7)
    msg = P.decode(raw)
    assert msg.u32(P.SLUICE_A_HEARTBEAT_MS) == 500
"""

import os
import re
import socket
import struct
import time
import types
from pathlib import Path

NLMSG_HDR = struct.Struct("<IHHII")
GENL_HDR = struct.Struct("<BBH")
NLA_HDR = struct.Struct("<HH")
NLMSG_HDRLEN = NLMSG_HDR.size  # 16
GENL_HDRLEN = GENL_HDR.size  # 4
HDRLEN = NLMSG_HDRLEN + GENL_HDRLEN  # what a stream reader reads first
NLA_HDRLEN = NLA_HDR.size

# From <linux/netlink.h>.
NLM_F_MULTI = 0x2
NLA_F_NESTED = 1 << 15
NLA_F_NET_BYTEORDER = 1 << 14
NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xFFFF

# From <netinet/in.h>.
IPPROTO_TCP = 6
IPPROTO_UDP = 17

HEADER_PATH = Path(
    os.environ.get("SLUICE_UAPI_HEADER")
    or Path(__file__).resolve().parents[2] / "include" / "uapi" / "sluice.h"
)


def _strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def _eval_c_int(expr, known):
    """Evaluates a simple C integer expression (literals, names, + - << ...)."""
    expr = expr.strip()

    def name(m):
        if m.group(0) in known:
            return str(known[m.group(0)])
        raise KeyError(m.group(0))

    expr = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b", r"\1", expr)
    expr = re.sub(r"\b[A-Za-z_]\w*\b", name, expr)
    if not re.fullmatch(r"[0-9a-fA-FxX\s()+\-*/<>|&~]+", expr):
        raise ValueError(expr)
    return int(eval(expr, {"__builtins__": {}}, {}))  # noqa: S307 (checked)


def parse_header(path=HEADER_PATH):
    """Returns ({NAME: value}, {enum_name: {NAME: value}}) from sluice.h."""
    text = _strip_comments(Path(path).read_text())
    consts = {}
    enums = {}
    for m in re.finditer(r"\benum\s+(\w+)\s*\{(.*?)\}\s*;", text, re.S):
        members = {}
        nxt = 0
        for item in m.group(2).split(","):
            item = item.strip()
            if not item:
                continue
            em = re.fullmatch(r"([A-Za-z_]\w*)\s*(?:=\s*(.+))?", item, re.S)
            if not em:
                raise ValueError("cannot parse enum item %r in %s" % (item, path))
            if em.group(2) is not None:
                nxt = _eval_c_int(em.group(2), {**consts, **members})
            members[em.group(1)] = nxt
            nxt += 1
        enums[m.group(1)] = members
        consts.update(members)
    pending = []
    for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(SLUICE_\w+)[ \t]+(.+?)[ \t]*$",
                         text, re.M):
        pending.append((m.group(1), m.group(2)))
    # Defines may use enum members or each other: resolve until stable.
    for _ in range(4):
        left = []
        for name, expr in pending:
            try:
                consts[name] = _eval_c_int(expr, consts)
            except (KeyError, ValueError, SyntaxError):
                left.append((name, expr))
        pending = left
    # Anything left is not an integer (e.g. SLUICE_GENL_NAME "sluice").
    for name, expr in pending:
        sm = re.fullmatch(r'"([^"]*)"', expr)
        if sm:
            consts[name] = sm.group(1)
    return consts, enums


CONSTS, ENUMS = parse_header()
globals().update(CONSTS)
# The same, for use inside this module (plain names are set dynamically above).
C = types.SimpleNamespace(**CONSTS)

_REQUIRED = [
    "SLUICE_MSG_TYPE", "SLUICE_GENL_VERSION", "SLUICE_PROTO_VERSION",
    "SLUICE_MSG_MAX", "SLUICE_SESSION_TOKEN_LEN", "SLUICE_CMD_ERROR",
    "SLUICE_CMD_AGENT_HELLO", "SLUICE_CMD_CLIENT_HELLO", "SLUICE_CMD_HELLO_OK",
    "SLUICE_CMD_HEARTBEAT", "SLUICE_CMD_CONNECT", "SLUICE_CMD_ATTACH",
    "SLUICE_A_VERSION", "SLUICE_A_NAME", "SLUICE_A_TOKEN",
    "SLUICE_A_HEARTBEAT_MS", "SLUICE_A_DEVICES", "SLUICE_A_SESSION_ID",
    "SLUICE_A_ERR_CODE", "SLUICE_E_PORT_DENIED", "SLUICE_DEVICE_A_NAME",
    "SLUICE_DEVICE_A_PORTS", "SLUICE_PORTS_A_FIRST", "SLUICE_PORTS_A_LAST",
    "SLUICE_PORTS_A_PROTO",
]
_missing = [n for n in _REQUIRED if n not in CONSTS]
if _missing:
    raise ImportError("%s lacks %s" % (HEADER_PATH, ", ".join(_missing)))

CMD_NAMES = {v: k[len("SLUICE_CMD_"):]
             for k, v in ENUMS.get("sluice_cmd", {}).items()
             if not k.startswith("__")}
ERR_NAMES = {v: k[len("SLUICE_E_"):]
             for k, v in ENUMS.get("sluice_err", {}).items()
             if not k.startswith("__")}


def cmd_name(cmd):
    return CMD_NAMES.get(cmd, "CMD_%d" % cmd)


def align4(n):
    return (n + 3) & ~3


# ---------------------------------------------------------------- building


def attr(atype, data):
    """One attribute: header, data, zero padding to 4 bytes."""
    data = bytes(data)
    raw = NLA_HDR.pack(NLA_HDRLEN + len(data), atype) + data
    return raw + b"\0" * (align4(len(raw)) - len(raw))


def u8(atype, v):
    return attr(atype, struct.pack("<B", v))


def u16(atype, v):
    return attr(atype, struct.pack("<H", v))


def u32(atype, v):
    return attr(atype, struct.pack("<I", v))


def u64(atype, v):
    return attr(atype, struct.pack("<Q", v))


def string(atype, s):
    """NLA_STRING: the bytes and the terminating NUL."""
    if isinstance(s, str):
        s = s.encode()
    return attr(atype, s + b"\0")


def binary(atype, b):
    return attr(atype, b)


def nested(atype, *attrs):
    """A nest: the attributes (already encoded) one after the other."""
    return attr(atype | NLA_F_NESTED, b"".join(attrs))


def devices_attr(devices):
    """SLUICE_A_DEVICES from [(name, [(first, last[, proto]), ...]), ...]."""
    devs = []
    for name, ranges in devices:
        rs = []
        for r in ranges:
            first, last = r[0], r[1]
            proto = r[2] if len(r) > 2 else IPPROTO_TCP
            rs.append(nested(0, u16(C.SLUICE_PORTS_A_FIRST, first),
                             u16(C.SLUICE_PORTS_A_LAST, last),
                             u8(C.SLUICE_PORTS_A_PROTO, proto)))
        devs.append(nested(0, string(C.SLUICE_DEVICE_A_NAME, name),
                           nested(C.SLUICE_DEVICE_A_PORTS, *rs)))
    return nested(C.SLUICE_A_DEVICES, *devs)


def encode(cmd, attrs=(), seq=0, flags=0, *, msg_type=None, version=None,
           length=None, pid=0):
    """A whole message.  length overrides nlmsg_len (to build bad frames)."""
    body = b"".join(attrs)
    total = HDRLEN + len(body)
    return (NLMSG_HDR.pack(total if length is None else length,
                           C.SLUICE_MSG_TYPE if msg_type is None else msg_type,
                           flags, seq, pid)
            + GENL_HDR.pack(cmd, C.SLUICE_GENL_VERSION if version is None
                            else version, 0)
            + body)


# ----------------------------------------------------------------- parsing


class ProtoError(ValueError):
    pass


def parse_attrs(buf, strict=True):
    """[(type, data), ...] of a run of attributes (type without flag bits).

    strict: trailing bytes that do not form a whole attribute are an error
    (libnl merely ignores them; the tests want to know).
    """
    out = []
    off = 0
    buf = bytes(buf)
    while len(buf) - off >= NLA_HDRLEN:
        alen, atype = NLA_HDR.unpack_from(buf, off)
        if alen < NLA_HDRLEN or off + alen > len(buf):
            if strict:
                raise ProtoError("attribute at %d: nla_len %d, %d bytes left"
                                 % (off, alen, len(buf) - off))
            break
        out.append((atype & NLA_TYPE_MASK, buf[off + NLA_HDRLEN:off + alen]))
        off += align4(alen)
    if strict and off < len(buf):
        raise ProtoError("%d trailing bytes after attributes" % (len(buf) - off))
    return out


class Attrs:
    """Read access to a list of attributes; the last of a type wins (libnl)."""

    def __init__(self, attrs):
        self.list = list(attrs)

    def get(self, atype):
        found = None
        for t, d in self.list:
            if t == atype:
                found = d
        return found

    def has(self, atype):
        return self.get(atype) is not None

    def _fixed(self, atype, fmt):
        d = self.get(atype)
        if d is None:
            return None
        if len(d) != struct.calcsize(fmt):
            raise ProtoError("attribute %d: %d bytes, expected %d"
                             % (atype, len(d), struct.calcsize(fmt)))
        return struct.unpack(fmt, d)[0]

    def u8(self, atype):
        return self._fixed(atype, "<B")

    def u16(self, atype):
        return self._fixed(atype, "<H")

    def u32(self, atype):
        return self._fixed(atype, "<I")

    def u64(self, atype):
        return self._fixed(atype, "<Q")

    def str(self, atype):
        d = self.get(atype)
        if d is None:
            return None
        if not d.endswith(b"\0") or b"\0" in d[:-1]:
            raise ProtoError("attribute %d is not a NUL-terminated string" % atype)
        return d[:-1].decode()

    def nested(self, atype):
        d = self.get(atype)
        return None if d is None else Attrs(parse_attrs(d))

    def elements(self):
        """The members of an array nest, each as Attrs (types ignored)."""
        return [Attrs(parse_attrs(d)) for _, d in self.list]


class Message(Attrs):
    def __init__(self, msg_type, flags, seq, pid, cmd, version, attrs, raw):
        super().__init__(attrs)
        self.type = msg_type
        self.flags = flags
        self.seq = seq
        self.pid = pid
        self.cmd = cmd
        self.version = version
        self.raw = raw

    def __repr__(self):
        return "<%s seq=%d flags=%#x attrs=%s>" % (
            cmd_name(self.cmd), self.seq, self.flags,
            [(t, d.hex()) for t, d in self.list])

    def devices(self):
        """[(name, [(first, last, proto), ...]), ...] of SLUICE_A_DEVICES."""
        devs = self.nested(C.SLUICE_A_DEVICES)
        return decode_devices(devs) if devs is not None else None


def decode_devices(devs):
    out = []
    for dev in devs.elements():
        ranges = []
        ports = dev.nested(C.SLUICE_DEVICE_A_PORTS)
        for r in (ports.elements() if ports else []):
            ranges.append((r.u16(C.SLUICE_PORTS_A_FIRST), r.u16(C.SLUICE_PORTS_A_LAST),
                           r.u8(C.SLUICE_PORTS_A_PROTO)))
        out.append((dev.str(C.SLUICE_DEVICE_A_NAME), ranges))
    return out


def frame_len(hdr):
    """Checks a 20-byte header as a receiver must; returns nlmsg_len."""
    if len(hdr) < HDRLEN:
        raise ProtoError("short header")
    nlen, ntype, _, _, _ = NLMSG_HDR.unpack_from(hdr, 0)
    _, version, _ = GENL_HDR.unpack_from(hdr, NLMSG_HDRLEN)
    if ntype != C.SLUICE_MSG_TYPE:
        raise ProtoError("nlmsg_type %#x" % ntype)
    if nlen < HDRLEN or nlen > C.SLUICE_MSG_MAX:
        raise ProtoError("nlmsg_len %d" % nlen)
    if version != C.SLUICE_GENL_VERSION:
        raise ProtoError("genl version %d" % version)
    return nlen


def decode(raw):
    """One whole message (exactly nlmsg_len bytes)."""
    raw = bytes(raw)
    nlen = frame_len(raw)
    if nlen != len(raw):
        raise ProtoError("nlmsg_len %d but %d bytes" % (nlen, len(raw)))
    _, ntype, flags, seq, pid = NLMSG_HDR.unpack_from(raw, 0)
    cmd, version, _ = GENL_HDR.unpack_from(raw, NLMSG_HDRLEN)
    return Message(ntype, flags, seq, pid, cmd, version,
                   parse_attrs(raw[HDRLEN:]), raw)


class Decoder:
    """Splits a byte stream into messages: feed() bytes, get messages."""

    def __init__(self):
        self.buf = b""

    def feed(self, data):
        self.buf += data
        out = []
        while len(self.buf) >= HDRLEN:
            nlen = frame_len(self.buf)
            if len(self.buf) < nlen:
                break
            out.append(decode(self.buf[:nlen]))
            self.buf = self.buf[nlen:]
        return out


class Conn:
    """Messages over a connected (TLS) socket, every read bounded in time."""

    def __init__(self, sock):
        self.sock = sock
        self.dec = Decoder()
        self.queue = []
        self.eof = False

    def send(self, raw):
        self.sock.sendall(raw)

    def recv(self, timeout=10.0):
        """The next message; raises TimeoutError, EOFError."""
        deadline = time.monotonic() + timeout
        while not self.queue:
            if self.eof:
                raise EOFError("connection closed")
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message within %.1fs" % timeout)
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                self.eof = True
                continue
            self.queue.extend(self.dec.feed(data))
        return self.queue.pop(0)

    def recv_until(self, pred, timeout=10.0):
        """The first message for which pred(msg) holds; others are dropped."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no matching message; saw %r" % seen)
            m = self.recv(left)
            if pred(m):
                return m
            seen.append(m)
