# SPDX-License-Identifier: MIT
"""kill -9 of the relay in the middle of operator writes (issue 3: "Crash
in the middle of any write leaves a consistent database").

A writer keeps sending changes through sluicectl (users, grants, batches of
join tokens) while the relay is killed at a random moment, then restarted
on the same state directory.  After every round: SQLite's integrity check
passes, every change sluicectl reported done is in the store and in the
audit log (both are fsync'd before the reply), a batch of tokens is there
whole or not at all, and the audit chain verifies."""

import json
import random
import sqlite3
import threading
import time

ROUNDS = 6
BATCH = 200  # join tokens per request (SLUICE_TOKENS_MAX is 400)


def writer(sluice, relay, prefix, pw, acked, stop):
    """Changes until stop is set; acked gets (kind, name) of each one
    sluicectl reported done.  Mostly token batches and grants: the relay's
    own writes (a user add spends its time hashing in sluicectl)."""
    i = 0
    while not stop.is_set():
        name = "%s-%d" % (prefix, i)
        i += 1
        r = sluice.admin(relay, "-j", "token", "create", "ROOT", "--count", str(BATCH),
                         check=False, timeout=30)
        if r.returncode == 0:
            acked.append(("tokens", tuple(t["id"] for t in json.loads(r.stdout))))
        r = sluice.admin(relay, "domain", "add", "ROOT.%s" % name, check=False, timeout=30)
        if r.returncode == 0:
            acked.append(("domain", "ROOT.%s" % name))
        if i % 4 == 0:
            r = sluice.admin(relay, "user", "add", name, "--password-file", str(pw),
                             check=False, timeout=30)
            if r.returncode == 0:
                acked.append(("user", name))


def check_state(sluice, relay, acked):
    db = sqlite3.connect("file:%s?mode=ro" % (relay.state_dir / "state.db"), uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        db.close()
    users = {u["user"] for u in json.loads(sluice.admin(relay, "-j", "user", "list").stdout)}
    domains = {d["domain"] for d in
               json.loads(sluice.admin(relay, "-j", "domain", "list").stdout)}
    tokens = [t["id"] for t in json.loads(sluice.admin(relay, "-j", "token", "list").stdout)]
    have = set(tokens)
    for kind, what in acked:
        if kind == "user":
            assert what in users, "acknowledged user %s lost" % what
        elif kind == "domain":
            assert what in domains, "acknowledged domain %s lost" % what
        else:
            assert set(what) <= have, "acknowledged tokens lost"
    # A batch is one transaction: all of its tokens or none.
    assert len(tokens) % BATCH == 0, "a token batch was stored in part: %d tokens" % len(tokens)
    audit = set()
    for line in (relay.state_dir / "audit.log").read_text().splitlines():
        rec = json.loads(line)
        audit.add((rec["event"], rec.get("object"), rec["outcome"]))
    for kind, what in acked:
        if kind in ("user", "domain"):
            assert (kind + ".add", what, "ok") in audit, "audit record of %s lost" % what
    r = sluice.admin(relay, "audit", "verify", check=False)
    assert r.returncode == 0 and "intact" in r.stdout, r.stdout + r.stderr


def test_relay_killed_during_operator_writes(sluice):
    relay = sluice.start_relay()
    relay.proc.wait_log(r" ready ")
    acked = []
    pw = sluice.password_file()
    rng = random.Random(20261123)
    for rnd in range(ROUNDS):
        stop = threading.Event()
        t = threading.Thread(target=writer, args=(sluice, relay, "u%d" % rnd, pw, acked, stop))
        t.start()
        time.sleep(rng.uniform(0.5, 2.5))
        relay.proc.kill()
        stop.set()
        t.join(60)
        assert not t.is_alive()
        relay = sluice.restart_relay(relay)
        relay.proc.wait_log(r" ready ")
        check_state(sluice, relay, acked)
    # The rounds did write (the kill did not always come first); how much
    # depends on the machine's speed.
    assert sum(1 for k, _ in acked if k == "tokens") >= 1
    assert sum(1 for k, _ in acked if k == "domain") >= 1
