#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Summary of a make bench run.

    table.py RESULTS.csv SUMMARY.csv [--markdown]

Reads the per-repetition results of scripts/bench/run.sh, writes one line
per (metric, target) with min, median and max over the repetitions and the
ratio of the median to HAProxy's, prints the same as a table, then the
targets of issue 4 with what this run reached.  Added latency is a
target's value minus the direct connection's in the same repetition.
Prints only; asserts nothing.
"""

import csv
import os
import statistics
import sys
from collections import OrderedDict

TARGETS = ("sluice", "haproxy", "direct")
ORDER = ("bulk_1", "bulk_1_per_core", "bulk_8", "bulk_8_per_core", "handshake",
         "handshake_per_core", "login_cpu_control", "login_cpu_handshake",
         "setup_p50", "setup_p99",
         "pingpong_p50", "pingpong_p99", "pingpong_p50_added", "pingpong_p99_added")


def load(path):
    rows = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            r["value"] = float(r["value"])
            rows.append(r)
    return rows


def added(rows):
    """pingpong_pNN_added: target minus direct, per repetition."""
    direct = {(r["metric"], r["rep"]): r["value"] for r in rows
              if r["target"] == "direct"}
    out = []
    for r in rows:
        if r["metric"] in ("pingpong_p50", "pingpong_p99") and r["target"] != "direct":
            d = direct.get((r["metric"], r["rep"]))
            if d is not None:
                out.append(dict(r, metric=r["metric"] + "_added",
                                value=r["value"] - d))
    return out


def per_core(rows):
    """METRIC_per_core: the rate per CPU-second of the server process
    (value / server CPU share), for the rates.  On a machine where the load
    generator cannot saturate the server this is its capacity per core."""
    out = []
    for r in rows:
        if r["metric"] in ("bulk_1", "bulk_8", "handshake") and r["server_cpu_pct"]:
            cpu = float(r["server_cpu_pct"])
            if cpu > 0:
                out.append(dict(r, metric=r["metric"] + "_per_core",
                                value=r["value"] * 100.0 / cpu))
    return out


def summarize(rows):
    groups = OrderedDict()
    for r in rows:
        groups.setdefault((r["metric"], r["target"]), []).append(r)

    def key(k):
        m, t = k
        return (ORDER.index(m) if m in ORDER else len(ORDER), m,
                TARGETS.index(t) if t in TARGETS else 9)

    out = []
    for (m, t) in sorted(groups, key=key):
        g = groups[(m, t)]
        v = [r["value"] for r in g]
        cpu = [float(r["server_cpu_pct"]) for r in g if r.get("server_cpu_pct")]
        out.append({"metric": m, "target": t, "unit": g[0]["unit"], "n": len(v),
                    "min": min(v), "median": statistics.median(v), "max": max(v),
                    "server_cpu_pct": statistics.median(cpu) if cpu else None})
    med = {(s["metric"], s["target"]): s["median"] for s in out}
    for s in out:
        h = med.get((s["metric"], "haproxy"))
        s["ratio_haproxy"] = s["median"] / h if h else None
    return out


def fmt(v):
    if v is None:
        return ""
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    return "%.3f" % v


def verdicts(summary, substituted):
    med = {(s["metric"], s["target"]): s["median"] for s in summary}

    def get(m, t="sluice"):
        return med.get((m, t))

    def ratio(m):
        a, b = get(m), get(m, "haproxy")
        return a / b if a is not None and b else None

    lines = []

    def line(what, value, goal, ok):
        state = "n/a" if ok is None else ("met" if ok else "MISSED")
        lines.append("  %-44s %-22s %-16s %s" % (what, value, goal, state))

    r = ratio("bulk_1")
    line("bulk throughput, 1 session, vs HAProxy", fmt(r) + "x" if r else "",
         ">= 1.2x", None if r is None else r >= 1.2)
    r = ratio("bulk_8")
    line("bulk throughput, 8 sessions, vs HAProxy", fmt(r) + "x" if r else "",
         ">= 1.2x", None if r is None else r >= 1.2)
    r = ratio("handshake")
    # sluice: agent logins (mutual TLS and AGENT_HELLO), docs/benchmarks.md
    line("handshakes/s vs HAProxy (agent logins)", fmt(r) + "x" if r else "", ">= 1.0x",
         None if r is None else r >= 1.0)
    h = get("handshake")
    line("handshakes/s on one core (ECDSA P-256)", fmt(h) if h else "", ">= 2000",
         None if h is None else h >= 2000)
    h = get("handshake_per_core")
    line("  same, per relay CPU-second", fmt(h) if h else "", ">= 2000",
         None if h is None else h >= 2000)
    c = get("login_cpu_control")
    if c:
        # What one control thread could take with the handshakes on other
        # cores: a projection from this run, not a measurement.
        line("  logins/s the control thread bounds", "%.0f (%s us each)" % (1e6 / c, fmt(c)),
             "projection", None)
    idle = sorted((s for s in summary if s["metric"].startswith("idle_rss_")),
                  key=lambda s: int(s["metric"].rsplit("_", 1)[1]))
    for s in idle:
        n = s["metric"].rsplit("_", 1)[1]
        line("relay RSS per idle agent at %s agents" % n,
             "%.1f KiB" % (s["median"] / 1024), "<= 16 KiB",
             s["median"] <= 16 * 1024)
    if not any(s["metric"] == "idle_rss_50000" for s in idle):
        why = "not run"
        if substituted:
            why = "not run: %s" % "; ".join(
                "%s measured instead (%s)" % (r[1], r[2]) for r in substituted)
        lines.append("  %-44s %s" % ("50,000 idle agents held", why))
    p = get("setup_p99")
    line("session setup p99", fmt(p) + " ms" if p is not None else "", "<= 5 ms",
         None if p is None else p <= 5)
    a, b = get("pingpong_p99_added"), get("pingpong_p99_added", "haproxy")
    line("ping-pong p99 added latency vs HAProxy",
         "%s / %s us" % (fmt(a), fmt(b)) if a is not None and b is not None else "",
         "<= 2x", None if a is None or b is None or b <= 0 else a <= 2 * b)
    return lines


def markdown(summary, verdict_lines):
    print("| metric | target | unit | n | min | median | max | / HAProxy | server CPU % |")
    print("|---|---|---|---|---|---|---|---|---|")
    for s in summary:
        print("| %s | %s | %s | %d | %s | %s | %s | %s | %s |" % (
            s["metric"], s["target"], s["unit"], s["n"], fmt(s["min"]),
            fmt(s["median"]), fmt(s["max"]), fmt(s["ratio_haproxy"]),
            fmt(s["server_cpu_pct"])))
    print("\n| target (issue 4) | reached | goal | |")
    print("|---|---|---|---|")
    for ln in verdict_lines:
        parts = [p for p in ln.strip().split("  ") if p.strip()]
        print("| " + " | ".join(p.strip() for p in parts) + " |")


def main():
    md = "--markdown" in sys.argv[3:]
    if len(sys.argv) not in (3, 4) or (len(sys.argv) == 4 and not md):
        sys.exit("usage: table.py RESULTS.csv SUMMARY.csv [--markdown]")
    rows = load(sys.argv[1])
    summary = summarize(rows + added(rows) + per_core(rows))
    cols = ("metric", "target", "unit", "n", "min", "median", "max", "ratio_haproxy",
            "server_cpu_pct")
    with open(sys.argv[2], "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for s in summary:
            w.writerow([s[c] if not isinstance(s[c], float) else "%.4f" % s[c]
                        for c in cols])
    subst = []
    path = os.path.join(os.path.dirname(sys.argv[1]), "idle-substituted.csv")
    if os.path.exists(path):
        with open(path) as f:
            subst = [ln.strip().split(",", 2) for ln in f if ln.strip()]
    if md:
        markdown(summary, verdicts(summary, subst))
        return
    print("%-20s %-8s %-7s %3s %10s %10s %10s %8s %7s" % (
        "metric", "target", "unit", "n", "min", "median", "max", "/haproxy", "srv cpu%"))
    for s in summary:
        print("%-20s %-8s %-7s %3d %10s %10s %10s %8s %7s" % (
            s["metric"], s["target"], s["unit"], s["n"], fmt(s["min"]),
            fmt(s["median"]), fmt(s["max"]), fmt(s["ratio_haproxy"]),
            fmt(s["server_cpu_pct"])))
    print("\nissue 4 targets (medians; ratios are sluice / HAProxy):")
    print("\n".join(verdicts(summary, subst)))


if __name__ == "__main__":
    main()
