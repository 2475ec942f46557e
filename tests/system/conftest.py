# SPDX-License-Identifier: MIT
"""Fixtures of the sluice system tests.

Everything runs as real processes on loopback:

    python client ---tcp---> sluice-client ==tls==> sluice-relay <==tls== sluice-agent
    (the test)               forward, list          (127.0.0.1:P)          |
                                                                           tcp
                                                                           v
                                                       python DeviceServer (127.0.0.1:D)

The programs come from $SLUICE_BIN (make check-system sets it to
build/san/bin).  Without $SLUICE_BIN the tests look in build/san/bin of
this checkout and skip, saying why, when the programs are not built; with
$SLUICE_BIN set, missing programs are an error.

Every process started through the `procs` fixture is stopped at teardown
(SIGTERM, then SIGKILL), also after a failure, and its stderr is checked
for sanitizer reports.  SLUICE_TEST_DEBUG=1 adds -d to every program.
"""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

PROGRAMS = ("sluice-relay", "sluice-agent", "sluice-client", "sluicectl")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def bins():
    """{program name: path} of the programs."""
    env = os.environ.get("SLUICE_BIN")
    bindir = Path(env) if env else REPO / "build" / "san" / "bin"
    missing = [p for p in PROGRAMS if not os.access(bindir / p, os.X_OK)]
    if missing:
        msg = "%s: missing %s" % (bindir, ", ".join(missing))
        if env:
            pytest.fail("SLUICE_BIN is set but " + msg, pytrace=False)
        pytest.skip("sluice programs not built (" + msg + "); run `make SANITIZE=1` "
                    "or set SLUICE_BIN")
    return {p: str(bindir / p) for p in PROGRAMS}


def _child_env(tmp_path):
    env = dict(os.environ)
    env["HOME"] = str(tmp_path / "home")
    (tmp_path / "home").mkdir(exist_ok=True)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:fast_unwind_on_malloc=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    env.pop("SSLKEYLOGFILE", None)
    return env


@pytest.fixture
def procs(tmp_path):
    """Starts programs (logs under tmp_path/logs) and always stops them."""
    logs = tmp_path / "logs"
    logs.mkdir()
    p = harness.Procs(logs, _child_env(tmp_path))
    try:
        yield p
    finally:
        p.stop_all()
        # Shown by pytest only when the test fails.
        print(p.dump())
    bad = p.sanitizer_reports()
    assert not bad, "sanitizer report(s):\n" + "\n\n".join(bad)


@pytest.fixture
def sluice(bins, procs, tmp_path):
    """A harness.Sluice: configurations, relays, agents, clients, devices."""
    s = harness.Sluice(bins, procs, tmp_path,
                       debug=os.environ.get("SLUICE_TEST_DEBUG") == "1")
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def echo_device(sluice):
    """A threaded TCP echo server (harness.DeviceServer)."""
    return sluice.device(harness.echo_handler)


@pytest.fixture
def session_setup(sluice, echo_device):
    """relay + agent1 (device plc -> the echo device) + a client forward to
    agent1/plc.  Returns a dict with relay, agent, device, client, port."""
    relay = sluice.start_relay()
    agent = sluice.start_agent(relay, devices={"plc": str(echo_device.port)})
    client, port = sluice.forward(relay, "agent1/plc:%d" % echo_device.port)
    return {"relay": relay, "agent": agent, "device": echo_device,
            "client": client, "port": port}
