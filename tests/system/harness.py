# SPDX-License-Identifier: MIT
"""Helpers for the sluice system tests: processes with captured logs,
bounded waits, free ports, a threaded device server, certificates and
SPKI fingerprints, raw TLS connections.  Standard library only.

Nothing here sleeps to assert timing: every wait polls a condition and gives
up at a deadline with an error that says what it waited for.
"""

import hashlib
import os
import random
import re
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

# Markers of a sanitizer report in a program's stderr.
SANITIZER_RE = re.compile(
    r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|"
    r"SUMMARY: (AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer)")


class WaitTimeout(AssertionError):
    pass


def wait_until(pred, timeout, what, interval=0.05):
    """Polls pred() until it returns a true value (returned) or timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise WaitTimeout("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


_PORTS_GIVEN = set()


def free_port(host="127.0.0.1"):
    """A TCP port that was free a moment ago (bind port 0, then close), and
    not one handed out before: the kernel may give the same port to two
    binds in a row, and a relay's listener and metrics port must differ."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port not in _PORTS_GIVEN:
            _PORTS_GIVEN.add(port)
            return port
    raise RuntimeError("no fresh free port after 100 tries")


def port_is_bound(port, host="127.0.0.1"):
    """True when someone listens on (or holds) host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return True
        return False


def pattern_bytes(n, seed):
    """n reproducible pseudo-random bytes."""
    return random.Random(seed).randbytes(n)


# ----------------------------------------------------------------- processes


class Proc:
    """A started program: stdout and stderr go to files under the test dir."""

    def __init__(self, name, argv, popen, out_path, err_path):
        self.name = name
        self.argv = argv
        self.popen = popen
        self.out_path = out_path
        self.err_path = err_path
        self.stopped = False  # SIGSTOPped by a test
        self.sanitizer_checked = False  # a test asserted on its reports

    @property
    def pid(self):
        return self.popen.pid

    def log(self, since=0):
        try:
            with open(self.err_path, "rb") as f:
                f.seek(since)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def out(self):
        try:
            return Path(self.out_path).read_bytes().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def mark(self):
        """Current size of stderr: pass as since= to look at later lines."""
        try:
            return os.path.getsize(self.err_path)
        except FileNotFoundError:
            return 0

    def lines(self, regex, since=0):
        r = re.compile(regex)
        return [ln for ln in self.log(since).splitlines() if r.search(ln)]

    def wait_log(self, regex, timeout=15.0, since=0, count=1):
        """Waits until count stderr lines (after since) match; returns the
        last match object.  Fails early when the process exits first."""
        r = re.compile(regex)

        def check():
            found = [m for m in (r.search(ln) for ln in self.log(since).splitlines())
                     if m]
            if len(found) >= count:
                return found[count - 1]
            if self.popen.poll() is not None:
                # One last look: the line may have come with the exit.
                found = [m for m in (r.search(ln)
                                     for ln in self.log(since).splitlines()) if m]
                if len(found) >= count:
                    return found[count - 1]
                raise AssertionError(
                    "%s exited (rc %s) before logging /%s/; stderr:\n%s"
                    % (self.name, self.popen.returncode, regex, tail(self.log())))
            return None

        try:
            return wait_until(check, timeout, "%s to log /%s/ (x%d)"
                              % (self.name, regex, count))
        except WaitTimeout as e:
            raise WaitTimeout("%s; stderr:\n%s" % (e, tail(self.log()))) from None

    def wait_out(self, regex, timeout=15.0):
        r = re.compile(regex)

        def check():
            m = r.search(self.out())
            if m:
                return m
            if self.popen.poll() is not None:
                m = r.search(self.out())
                if m:
                    return m
                raise AssertionError("%s exited (rc %s) before printing /%s/; "
                                     "stderr:\n%s" % (self.name, self.popen.returncode,
                                                      regex, tail(self.log())))
            return None

        try:
            return wait_until(check, timeout, "%s to print /%s/" % (self.name, regex))
        except WaitTimeout as e:
            raise WaitTimeout("%s; stdout:\n%s\nstderr:\n%s"
                              % (e, tail(self.out()), tail(self.log()))) from None

    def alive(self):
        return self.popen.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)
            if sig == signal.SIGSTOP:
                self.stopped = True
            elif sig == signal.SIGCONT:
                self.stopped = False

    def wait_exit(self, timeout):
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise WaitTimeout("%s (pid %d) did not exit within %.1fs"
                              % (self.name, self.pid, timeout)) from None

    def kill(self):
        """SIGKILL and reap."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        self.popen.wait(30)

    def stop(self, timeout=10.0):
        """SIGCONT + SIGTERM, then SIGKILL if it does not exit in time.
        Returns the exit status, or None when it had to be killed."""
        if not self.alive():
            return self.popen.returncode
        try:
            os.kill(self.pid, signal.SIGCONT)
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None


def sanitizer_summary(text, limit=60):
    """The headline lines of a sanitizer report and the stack frames in
    sluice's own code (frames inside system libraries are dropped)."""
    out = []
    in_report = False
    for ln in text.splitlines():
        if SANITIZER_RE.search(ln) or re.search(r"^==\d+==", ln):
            in_report = True
        if not in_report:
            continue
        s = ln.strip()
        if re.match(r"#\d+ ", s):
            if " in " in s and ("userspace/" in s or "tests/" in s):
                out.append("    " + s)
        elif s and not s.startswith("="):
            out.append(s)
        elif s.startswith("==") and "ERROR" in s:
            out.append(s)
    return "\n".join(out[:limit])


def tail(text, n=60):
    lines = text.splitlines()
    return "\n".join(lines[-n:])


class Procs:
    """Starts programs and always stops them (see stop_all)."""

    def __init__(self, workdir, env=None):
        self.workdir = Path(workdir)
        self.env = env or dict(os.environ)
        self.procs = []
        self.runs = []  # (name, stdout, stderr) of finished run() calls
        self.n = 0

    def _paths(self, name):
        self.n += 1
        base = self.workdir / ("%02d-%s" % (self.n, name))
        return str(base) + ".out", str(base) + ".err"

    def start(self, name, argv):
        out_path, err_path = self._paths(name)
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            popen = subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=err, env=self.env,
                                     cwd=self.workdir, start_new_session=True)
        p = Proc(name, argv, popen, out_path, err_path)
        self.procs.append(p)
        return p

    def run(self, name, argv, timeout=30.0):
        """Runs a program to completion (bounded); returns CompletedProcess."""
        out_path, err_path = self._paths(name)
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            popen = subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=err, env=self.env,
                                     cwd=self.workdir, start_new_session=True)
            try:
                rc = popen.wait(timeout)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait(30)
                raise WaitTimeout("%s did not finish within %.1fs: %s"
                                  % (name, timeout, " ".join(map(str, argv)))) from None
        so = Path(out_path).read_bytes().decode(errors="replace")
        se = Path(err_path).read_bytes().decode(errors="replace")
        self.runs.append((name, so, se))
        return subprocess.CompletedProcess(argv, rc, so, se)

    def stop_all(self):
        for p in reversed(self.procs):
            try:
                p.stop()
            except Exception:  # keep stopping the others
                try:
                    p.kill()
                except Exception:
                    pass

    def sanitizer_reports(self):
        """Short summaries of the sanitizer reports in the programs' stderr
        (the full text stays in the log files under the test's logs dir)."""
        bad = []
        for p in self.procs:
            text = p.log()
            if not p.sanitizer_checked and SANITIZER_RE.search(text):
                bad.append("%s (pid %d, %s):\n%s" % (p.name, p.pid, p.err_path,
                                                     sanitizer_summary(text)))
        for name, _, se in self.runs:
            if SANITIZER_RE.search(se):
                bad.append("%s:\n%s" % (name, sanitizer_summary(se)))
        return bad

    def dump(self):
        """All logs, for the report of a failed test."""
        parts = []
        for p in self.procs:
            parts.append("----- %s (pid %d, rc %s): %s\n%s"
                         % (p.name, p.pid, p.popen.returncode,
                            " ".join(map(str, p.argv)), tail(p.log(), 200)))
            if p.out():
                parts.append("----- %s stdout\n%s" % (p.name, tail(p.out(), 40)))
        for name, so, se in self.runs:
            parts.append("----- %s (run)\nstdout:\n%s\nstderr:\n%s"
                         % (name, tail(so, 40), tail(se, 40)))
        return "\n".join(parts)


# ------------------------------------------------------------ device server


class DeviceServer:
    """A threaded TCP server standing in for a device behind the agent.

    handler(conn, index) runs in its own thread per connection; what it
    returns is appended to .results (exceptions are kept in .errors).  The
    server stops with close(): listener and connections are shut down and
    the threads joined (bounded).
    """

    def __init__(self, handler, host="127.0.0.1", port=0):
        self.handler = handler
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((host, port))
        self.lsock.listen(128)
        self.lsock.settimeout(0.2)
        self.host = host
        self.port = self.lsock.getsockname()[1]
        self.accepted = 0
        self.results = []
        self.errors = []
        self.conns = []
        self.threads = []
        self.lock = threading.Lock()
        self.closing = False
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def _accept_loop(self):
        while not self.closing:
            try:
                conn, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            with self.lock:
                idx = self.accepted
                self.accepted += 1
                self.conns.append(conn)
            t = threading.Thread(target=self._serve, args=(conn, idx), daemon=True)
            with self.lock:
                self.threads.append(t)
            t.start()

    def _serve(self, conn, idx):
        try:
            conn.settimeout(120)
            r = self.handler(conn, idx)
            with self.lock:
                self.results.append(r)
        except Exception as e:  # reported by the tests through .errors
            with self.lock:
                self.errors.append(repr(e))
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        self.closing = True
        try:
            self.lsock.close()
        except OSError:
            pass
        with self.lock:
            conns = list(self.conns)
            threads = list(self.threads)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.thread.join(5)
        for t in threads:
            t.join(5)


def http(port, request, timeout=10.0):
    """Sends raw request bytes to 127.0.0.1:port, returns (status, headers,
    body) of the HTTP answer (metrics endpoints)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        data = recv_all(s)
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    return status, head.decode(), body


def http_get(port, path="/metrics"):
    return http(port, b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())


def samples(text):
    """{'name{labels}': value} of a Prometheus exposition."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def relay_metrics(relay):
    """The relay's metrics, scraped now: {'name{labels}': value}."""
    status, head, body = http_get(relay.metrics_port)
    assert status == 200, (status, head)
    return samples(body.decode())


def recv_all(sock, limit=None):
    """Reads until EOF; returns the bytes."""
    chunks = []
    n = 0
    while True:
        d = sock.recv(1 << 16)
        if not d:
            return b"".join(chunks)
        chunks.append(d)
        n += len(d)
        if limit is not None and n > limit:
            raise AssertionError("more than %d bytes received" % limit)


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        d = sock.recv(min(1 << 16, n - len(buf)))
        if not d:
            raise EOFError("EOF after %d of %d bytes" % (len(buf), n))
        buf += d
    return bytes(buf)


def hash_until_eof(sock):
    """(sha256 hex, byte count) of everything read until EOF."""
    h = hashlib.sha256()
    n = 0
    while True:
        d = sock.recv(1 << 18)
        if not d:
            return h.hexdigest(), n
        h.update(d)
        n += len(d)


def send_all(sock, data, chunk=1 << 18):
    mv = memoryview(data)
    for off in range(0, len(mv), chunk):
        sock.sendall(mv[off:off + chunk])


def echo_handler(conn, idx):
    """Echoes until EOF, then closes."""
    n = 0
    while True:
        d = conn.recv(1 << 16)
        if not d:
            return n
        conn.sendall(d)
        n += len(d)


def sink_source_handler(data):
    """Sends data while concurrently hashing what arrives until EOF; after
    both, closes.  Returns {'rx_sha', 'rx_len'}."""

    def handler(conn, idx):
        res = {}

        def rx():
            res["rx_sha"], res["rx_len"] = hash_until_eof(conn)

        t = threading.Thread(target=rx, daemon=True)
        t.start()
        send_all(conn, data)
        conn.shutdown(socket.SHUT_WR)
        t.join(300)
        if t.is_alive():
            raise AssertionError("device: no EOF from the client side")
        return res

    return handler


def closing_handler(conn, idx):
    """Accepts and closes: for listeners that must see no connection."""
    return idx


# ------------------------------------------------------------ TLS and certs


def make_cert(dirpath, name="fake-relay"):
    """A self-signed P-256 certificate and key made with openssl(1)."""
    d = Path(dirpath)
    d.mkdir(parents=True, exist_ok=True)
    key, crt = d / (name + ".key"), d / (name + ".crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key),
                    "-out", str(crt), "-days", "2", "-subj", "/CN=" + name],
                   check=True, capture_output=True, timeout=30)
    return key, crt


def spki_sha256_openssl(crt_path):
    """sha256:<hex> of the certificate's SubjectPublicKeyInfo, by openssl(1):
    openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256."""
    pub = subprocess.run(["openssl", "x509", "-in", str(crt_path), "-noout", "-pubkey"],
                         check=True, capture_output=True, timeout=30).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub,
                         check=True, capture_output=True, timeout=30).stdout
    return "sha256:" + hashlib.sha256(der).hexdigest()


def _der_tlv(buf, off):
    """(tag, start of value, end of value) of the DER element at off."""
    tag = buf[off]
    ln = buf[off + 1]
    off += 2
    if ln & 0x80:
        nb = ln & 0x7F
        ln = int.from_bytes(buf[off:off + nb], "big")
        off += nb
    return tag, off, off + ln


def spki_sha256_der(cert_der):
    """sha256:<hex> of the SubjectPublicKeyInfo of a DER certificate."""
    _, cs, _ = _der_tlv(cert_der, 0)          # Certificate
    tag, ts, te = _der_tlv(cert_der, cs)      # tbsCertificate
    off = ts
    tag, vs, ve = _der_tlv(cert_der, off)
    if tag == 0xA0:                           # [0] version
        off = ve
    # serial, signature, issuer, validity, subject
    for _ in range(5):
        _, _, off = _der_tlv(cert_der, off)
    start = off
    _, _, end = _der_tlv(cert_der, off)       # subjectPublicKeyInfo
    return "sha256:" + hashlib.sha256(cert_der[start:end]).hexdigest()


def tls_client_ctx(identity=None):
    """Trusts anything: the tests check fingerprints themselves.  identity:
    (certificate PEM path, key PEM path) to present."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if identity:
        ctx.load_cert_chain(str(identity[0]), str(identity[1]))
    return ctx


def tls_connect(port, host="127.0.0.1", timeout=10.0, identity=None):
    raw = socket.create_connection((host, port), timeout=timeout)
    try:
        s = tls_client_ctx(identity).wrap_socket(raw, server_hostname=host)
    except Exception:
        raw.close()
        raise
    s.settimeout(timeout)
    return s


def wait_closed(sock, timeout):
    """Reads (discarding) until the peer closes; returns the bytes read.
    Raises WaitTimeout if the connection is still open at the deadline."""
    deadline = time.monotonic() + timeout
    got = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise WaitTimeout("connection still open after %.1fs (read %d bytes)"
                              % (timeout, len(got)))
        sock.settimeout(left)
        try:
            d = sock.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, ssl.SSLEOFError):
            return got
        if not d:
            return got
        got += d


# --------------------------------------------------------- sluice programs


class Relay:
    def __init__(self, proc, port, conf, state_dir, fingerprint):
        self.proc = proc
        self.port = port
        self.conf = conf
        self.state_dir = state_dir
        self.fingerprint = fingerprint
        self.users = {}     # name -> PKCS#12 path, made by Sluice.user()
        text = Path(conf).read_text()
        m = re.search(r"^metrics_listen = 127\.0\.0\.1:(\d+)$", text, re.M)
        self.metrics_port = int(m.group(1)) if m else None
        m = re.search(r"^control_port_id = (\d+)$", text, re.M)
        self.ctl_port_id = int(m.group(1)) if m else None


def free_ctl_port_id():
    """A netlink port id for a relay's control socket: random above the
    kernel's autobind range, so that relays of parallel tests (and of other
    checkouts on this host) never meet; bind-checked."""
    while True:
        pid = random.randrange(0x40000000, 0x7FFFFFFF)
        with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 2) as s:  # USERSOCK
            try:
                s.bind((pid, 0))
            except OSError:
                continue
        return pid


class Sluice:
    """Writes configurations and starts relays, agents and clients on
    loopback.  All files live under tmp; every process is owned by procs."""

    PASSWORD = "tester-password-1"

    def __init__(self, bins, procs, tmp, debug=False):
        self.bins = bins
        self.procs = procs
        self.tmp = Path(tmp)
        self.debug = debug
        self.devices = []
        self.n = 0
        # Prepended to every program's argv, e.g. nsenter --net=... to run
        # them in a test's network namespace.
        self.prefix = []

    def _name(self, base):
        self.n += 1
        return "%s-%d" % (base, self.n)

    def _argv(self, prog, conf, *rest):
        argv = self.prefix + [self.bins[prog], "-f", str(conf)]
        if self.debug:
            argv.append("-d")
        return argv + list(rest)

    def write(self, name, text):
        p = self.tmp / name
        p.write_text(text)
        p.chmod(0o600)  # they may hold secrets
        return p

    # operator commands

    def admin(self, relay, *args, stdin=None, check=True, timeout=60.0):
        """Runs `sluicectl -c CONF ARGS...` against the running relay; the
        CompletedProcess.  check: assert that it exited 0."""
        conf = relay.conf if isinstance(relay, Relay) else relay
        argv = self.prefix + [self.bins["sluicectl"], "-c", str(conf)] + list(args)
        r = subprocess.run(argv, input=stdin, capture_output=True, text=True,
                           timeout=timeout)
        if check:
            assert r.returncode == 0, ("%s exited %d\nstdout:\n%s\nstderr:\n%s"
                                       % (" ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def password_file(self, password=None):
        return self.write(self._name("password"), (password or self.PASSWORD) + "\n")

    def join_token(self, relay, domain="ROOT", ttl=None):
        args = ["token", "create", domain] + (["--ttl", ttl] if ttl else [])
        out = self.admin(relay, *args).stdout
        return re.search(r"^\s*join_token = (sjt_[0-9a-f]{64})$", out, re.M).group(1)

    def user(self, relay, name="tester", domain="ROOT", grant=True, password=None):
        """Makes a user with a certificate (PKCS#12) and a grant on domain,
        once per relay; returns the PKCS#12 path."""
        if name in relay.users:
            return relay.users[name]
        pw = self.password_file(password)
        self.admin(relay, "user", "add", name, "--password-file", str(pw))
        p12 = self.tmp / self._name(name) 
        p12 = p12.with_suffix(".p12")
        self.admin(relay, "user", "cert-issue", name, "--out", str(p12),
                   "--password-file", str(pw))
        if grant:
            self.admin(relay, "grant", "add", name, domain)
        relay.users[name] = p12
        return p12
    # relay

    def relay_conf(self, port=None, state_dir=None, heartbeat="5s", extra=""):
        port = port or free_port()
        state_dir = Path(state_dir or self.tmp / self._name("relay-state"))
        conf = self.write(self._name("relay") + ".conf",
                          "# sluice system test relay\n"
                          "listen = 127.0.0.1:%d\n"
                          "state_dir = %s\n"
                          "heartbeat_interval = %s\n%s%s%s"
                          % (port, state_dir, heartbeat, extra,
                             # Never the shared default 9464.
                             "" if "metrics_listen" in extra else
                             "metrics_listen = 127.0.0.1:%d\n" % free_port(),
                             # Nor the default control port id.
                             "" if "control_port_id" in extra else
                             "control_port_id = %d\n" % free_ctl_port_id()))
        return conf, port, state_dir

    def start_relay(self, port=None, state_dir=None, heartbeat="5s", extra="",
                    timeout=20.0):
        conf, port, state_dir = self.relay_conf(port, state_dir, heartbeat, extra)
        proc = self.procs.start("relay", self._argv("sluice-relay", conf))
        m = proc.wait_log(r"relay fingerprint (sha256:[0-9a-f]{64})", timeout)
        proc.wait_log(r"listening on 127\.0\.0\.1:%d\b" % port, timeout)
        # After the listeners: the control socket, then "ready".
        proc.wait_log(r"sluice-relay \S+ ready ", timeout)
        return Relay(proc, port, conf, state_dir, m.group(1))

    def restart_relay(self, relay, timeout=20.0):
        """Starts a relay again with the same configuration file."""
        proc = self.procs.start("relay", self._argv("sluice-relay", relay.conf))
        m = proc.wait_log(r"relay fingerprint (sha256:[0-9a-f]{64})", timeout)
        proc.wait_log(r"listening on 127\.0\.0\.1:%d\b" % relay.port, timeout)
        proc.wait_log(r"sluice-relay \S+ ready ", timeout)
        again = Relay(proc, relay.port, relay.conf, relay.state_dir, m.group(1))
        again.users = relay.users  # same state_dir, same users
        return again

    def user_pem(self, relay, name="tester"):
        """The user's certificate and key as PEM files, for test peers."""
        p12 = self.user(relay, name)
        pem = p12.with_suffix(".pem")
        subprocess.run(["openssl", "pkcs12", "-in", str(p12), "-nodes", "-out", str(pem),
                        "-passin", "pass:" + self.PASSWORD], check=True, capture_output=True)
        return pem, pem

    def enroll_pem(self, relay, name, domain="ROOT"):
        """Enrolls a test agent as a real one would (ENROLL with a join token
        and a CSR); returns its (certificate, key) PEM paths."""
        import sluice_proto as P
        key = self.tmp / (name + ".key")
        csr = self.tmp / (name + ".csr")
        subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key),
                        "-outform", "DER", "-out", str(csr), "-subj", "/CN=" + name],
                       check=True, capture_output=True)
        s = tls_connect(relay.port, timeout=20)
        conn = P.Conn(s)
        conn.send(P.encode(P.SLUICE_CMD_ENROLL, [
            P.string(P.SLUICE_A_NAME, name),
            P.binary(P.SLUICE_A_TOKEN, self.join_token(relay, domain).encode()),
            P.binary(P.SLUICE_A_CSR, csr.read_bytes())], seq=1))
        m = conn.recv(20)
        s.close()
        assert m.cmd == P.SLUICE_CMD_ENROLL_OK, m
        crt = self.tmp / (name + ".crt")
        crt.write_text(ssl.DER_cert_to_PEM_cert(m.get(P.SLUICE_A_CERT)))
        return crt, key

    # agent

    def agent_conf(self, relay, name="agent1", devices=None, state_dir=None,
                   fingerprint=None, extra="", reconnect_max="1s", join_token=True):
        """devices: {device name: "ports list"}; host is 127.0.0.1.  relay:
        a Relay (join_token True makes a token on it) or a port."""
        relay_port = relay.port if isinstance(relay, Relay) else relay
        if join_token is True:
            join_token = self.join_token(relay) if isinstance(relay, Relay) else None
        state_dir = state_dir or self.tmp / self._name("agent-state")
        text = ("# sluice system test agent\n"
                "name = %s\n"
                "relay = 127.0.0.1:%d\n"
                "state_dir = %s\n"
                "reconnect_max = %s\n"
                "connect_timeout = 5s\n"
                % (name, relay_port, state_dir, reconnect_max))
        if join_token:
            text += "join_token = %s\n" % join_token
        if fingerprint:
            text += "relay_fingerprint = %s\n" % fingerprint
        text += extra
        for dev, ports in (devices or {}).items():
            text += "\n[device %s]\nhost = 127.0.0.1\nports = %s\n" % (dev, ports)
        return self.write(self._name("agent") + ".conf", text), Path(state_dir)

    def start_agent(self, relay, name="agent1", devices=None, wait=True,
                    timeout=20.0, **kw):
        conf, _ = self.agent_conf(relay, name, devices, **kw)
        proc = self.procs.start(name, self._argv("sluice-agent", conf))
        if wait:
            proc.wait_log(r"connected to relay \S+ as %s\b" % re.escape(name), timeout)
        return proc

    # client

    def client_conf(self, relay, fingerprint=True, user="tester", state_dir=None,
                    p12=None, password=None):
        """fingerprint: True = pin the relay's logged one, None = TOFU.
        The user is made on the relay (with a grant on ROOT) unless p12 is
        given."""
        if fingerprint is True:
            fingerprint = relay.fingerprint
        p12 = p12 or self.user(relay, user)
        state_dir = state_dir or self.tmp / self._name("client-state")
        text = ("# sluice system test client\n"
                "relay = 127.0.0.1:%d\nuser = %s\ncertificate = %s\n"
                "password_file = %s\nstate_dir = %s\n"
                % (relay.port, user, p12, self.password_file(password), state_dir))
        if password and password != self.PASSWORD:
            # The PKCS#12 file keeps the password it was issued with.
            text += "certificate_password_file = %s\n" % self.password_file()
        if fingerprint:
            text += "relay_fingerprint = %s\n" % fingerprint
        return self.write(self._name("client") + ".conf", text)

    def list(self, relay, timeout=20.0):
        """Rows (lists of columns) of `sluice-client list`, header dropped."""
        conf = self.client_conf(relay)
        r = self.procs.run("client-list", self._argv("sluice-client", conf, "list"),
                           timeout)
        assert r.returncode == 0, ("client list exited %d\nstdout:\n%s\nstderr:\n%s"
                                   % (r.returncode, r.stdout, r.stderr))
        rows = [ln.split() for ln in r.stdout.splitlines() if ln.strip()]
        return [row for row in rows if row[0].upper() != "AGENT"]

    def listed_agents(self, relay):
        return {row[0] for row in self.list(relay)}

    def forward(self, relay, target, timeout=20.0):
        """Starts `sluice-client forward TARGET`; returns (proc, local port)."""
        conf = self.client_conf(relay)
        proc = self.procs.start("client-forward",
                                self._argv("sluice-client", conf, "forward", target,
                                           "--local", "127.0.0.1:0"))
        m = proc.wait_out(r"listening on 127\.0\.0\.1:(\d+)\n", timeout)
        return proc, int(m.group(1))

    # devices

    def device(self, handler, port=0):
        d = DeviceServer(handler, port=port)
        self.devices.append(d)
        return d

    def close(self):
        self.procs.stop_all()
        for d in self.devices:
            d.close()


def connect(port, timeout=30.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.settimeout(timeout)
    return s


def echo_roundtrip(sock, payload):
    """Sends payload on an established connection and reads it back."""
    sock.sendall(payload)
    return recv_exact(sock, len(payload))
