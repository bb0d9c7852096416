#!/usr/bin/env python3
"""Where the bridge's proxy-path tail comes from (issue 14): one chain, paths measured in
alternating rounds, and the bridge's own per-request phase timings for the slowest requests.

Starts the stand-in (`bridge-bench upstream`), the fake proxy, a bridge through it (path c,
`--log-level debug`: one `exchange phases` line per request), a bridge `--direct` (e) and the bare
relay (r); path b is the fake proxy alone (absolute-form). Each round runs `bridge-bench load`
(small POST, 150-byte body) on every path in turn, odd rounds in reverse order; the figures are
medians of rounds. For path c the script also reads the bridge's phase lines of that window and
splits each request's time in the bridge (`end_us`) into: head (first request byte to head
parsed), forward (head parsed to request written upstream, including the pool take), upstream
(request written to response head: the proxy and the stand-in), relay (response head to last
byte written), and counts the requests sent on a fresh (not pooled) proxy connection.

  bench/proxy_tail.py --build build/h2-rel --rounds 5 --duration 2s [-c 1] [--bridge-arg=--threads=1]

Prints one table per connection count; docs/performance.md has the figures from this machine.
"""
import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

CHAT = "/engines/llama.cpp/v1/chat/completions"


def start(cmd, log, pattern=r"listening on [^ ]*:(\d+)", timeout=30):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=open(log, "w"), text=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line and p.poll() is not None:
            raise RuntimeError("%s exited; see %s" % (cmd[0], log))
        m = re.search(pattern, line or "")
        if m:
            return p, int(m.group(1))
    raise RuntimeError("%s: no ready line; see %s" % (cmd[0], log))


def load(bench, port, target, conns, duration):
    out = subprocess.run([bench, "load", "--port", str(port), "--target", target, "--method", "POST",
                          "--upload", "150", "-c", str(conns), "--duration", duration],
                         capture_output=True, text=True, timeout=120).stdout
    m = re.search(r"req/s ([\d.e+]+) p50 ([\d.e+]+) us p99 ([\d.e+]+) us p99.9 ([\d.e+]+) us", out)
    e = re.search(r"ok (\d+) errors (\d+)", out)
    if not m:
        raise RuntimeError("load output: " + out)
    return {"rps": float(m.group(1)), "p50": float(m.group(2)), "p99": float(m.group(3)),
            "p999": float(m.group(4)), "errors": int(e.group(2)) if e else -1}


PHASE = re.compile(r"exchange phases (.*)")
ACCESS_REUSED = re.compile(r"upstream_reused=(true|false)")


def read_phases(path, offset):
    """Phase lines and fresh-connection count written to the bridge's log since `offset`."""
    rows, fresh, total = [], 0, 0
    with open(path) as f:
        f.seek(offset)
        for line in f:
            m = PHASE.search(line)
            if m:
                kv = dict(x.split("=", 1) for x in m.group(1).split())
                try:
                    rows.append({k: int(kv[k]) for k in ("request_head_us", "forward_us", "upstream_head_us",
                                                          "first_byte_us", "end_us")})
                except (KeyError, ValueError):
                    pass
                continue
            r = ACCESS_REUSED.search(line)
            if r:
                total += 1
                fresh += r.group(1) == "false"
        return rows, fresh, total, f.tell()


def split(rows):
    """Median split of the phases for all requests and for those at or above the p99 of end_us."""
    if not rows:
        return {}
    ends = sorted(r["end_us"] for r in rows)
    cut = ends[min(len(ends) - 1, int(0.99 * len(ends)))]

    def parts(r):
        return {"head": r["request_head_us"], "forward": r["forward_us"] - r["request_head_us"],
                "upstream": r["upstream_head_us"] - r["forward_us"], "relay": r["end_us"] - r["upstream_head_us"],
                "end": r["end_us"]}
    # What the bridge itself holds the request for: its whole time less the wait on the proxy.
    held = sorted(r["end_us"] - (r["upstream_head_us"] - r["forward_us"]) for r in rows)
    allp = [parts(r) for r in rows]
    slow = [parts(r) for r in rows if r["end_us"] >= cut]
    med = lambda xs, k: statistics.median(x[k] for x in xs)
    return {"n": len(rows), "bridge_p50": statistics.median(ends), "bridge_p99": cut,
            "held_p50": statistics.median(held), "held_p99": held[min(len(held) - 1, int(0.99 * len(held)))],
            "all": {k: med(allp, k) for k in allp[0]}, "slow": {k: med(slow, k) for k in slow[0]},
            "slow_n": len(slow)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True, help="build folder with bench/, bridge/, fakes/")
    ap.add_argument("--fake-proxy", default=None, help="fake-sandbox-proxy binary (default: in --build)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--duration", default="2s")
    ap.add_argument("-c", "--connections", type=int, action="append", default=None)
    ap.add_argument("--bridge-arg", action="append", default=[], help="extra flag for both bridges")
    ap.add_argument("--paths", default="b,c,e,r")
    ap.add_argument("--proxy-arg", action="append", default=[], help="extra flag for the fake proxy of b and c")
    ap.add_argument("--variant-bridge-arg", action="append", default=[],
                    help="path c1: a second bridge through the same proxy with these extra flags (e.g. --threads=1)")
    ap.add_argument("--variant-proxy", default=None,
                    help="a second fake-sandbox-proxy binary: paths b2 (it alone) and c2 (a bridge through it)")
    ap.add_argument("--variant-proxy-arg", action="append", default=[],
                    help="extra flag for the variant proxy (starts b2/c2 with the same binary if --variant-proxy is not given)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    conns = args.connections or [1, 32]
    b = args.build
    bench = os.path.join(b, "bench/bridge-bench")
    bridge = os.path.join(b, "bridge/model-runner-bridge")
    fproxy = args.fake_proxy or os.path.join(b, "fakes/sandbox_proxy/fake-sandbox-proxy")
    work = tempfile.mkdtemp(prefix="proxy-tail-")
    procs = []
    try:
        up, up_port = start([bench, "upstream"], work + "/stand-in.log")
        procs.append(up)
        with open(work + "/fake-proxy.json", "w") as f:
            json.dump({"port": 0, "policy": {"allow_hosts": ["localhost:%d" % up_port]}}, f)
        px, px_port = start([fproxy, "--config", work + "/fake-proxy.json"] + args.proxy_arg, work + "/fake-proxy.log")
        procs.append(px)
        common = ["--listen", "127.0.0.1:0", "--target", "localhost:%d" % up_port, "--admin-listen", "off",
                  "--max-connections", "30000"] + args.bridge_arg
        c_log = work + "/bridge-c.log"
        bc, c_port = start([bridge] + common + ["--proxy", "http://127.0.0.1:%d" % px_port, "--log-level", "debug"],
                           c_log)
        procs.append(bc)
        be, e_port = start([bridge] + common + ["--direct"], work + "/bridge-e.log")
        procs.append(be)
        rl, r_port = start([bench, "relay", "--target-port", str(up_port), "--port", "0"], work + "/relay.log")
        procs.append(rl)
        paths = {"b": (px_port, "http://localhost:%d%s" % (up_port, CHAT)), "c": (c_port, CHAT),
                 "e": (e_port, CHAT), "r": (r_port, CHAT)}
        c1_log = None
        if args.variant_bridge_arg:
            c1_log = work + "/bridge-c1.log"
            bc1, c1_port = start([bridge] + common + ["--proxy", "http://127.0.0.1:%d" % px_port, "--log-level",
                                                      "debug"] + args.variant_bridge_arg, c1_log)
            procs.append(bc1)
            paths["c1"] = (c1_port, CHAT)
        c2_log = None
        if args.variant_proxy or args.variant_proxy_arg:
            px2, px2_port = start([args.variant_proxy or fproxy, "--config", work + "/fake-proxy.json"]
                                  + args.variant_proxy_arg, work + "/fake-proxy-2.log")
            procs.append(px2)
            c2_log = work + "/bridge-c2.log"
            bc2, c2_port = start([bridge] + common + ["--proxy", "http://127.0.0.1:%d" % px2_port, "--log-level",
                                                      "debug"], c2_log)
            procs.append(bc2)
            paths["b2"] = (px2_port, paths["b"][1])
            paths["c2"] = (c2_port, CHAT)
        order = [p for p in args.paths.split(",") if p in paths]
        offsets = {}
        result = {}
        for n in conns:
            res = {p: [] for p in order}
            phases = []
            for rnd in range(args.rounds):
                for p in (order if rnd % 2 == 0 else list(reversed(order))):
                    port, target = paths[p]
                    log = {"c2": c2_log, "c1": c1_log}.get(p, c_log)
                    _, _, _, offsets[log] = read_phases(log, offsets.get(log, 0))  # skip what came before
                    res[p].append(load(bench, port, target, n, args.duration))
                    if p in ("c", "c1", "c2"):
                        rows, fresh, total, offsets[log] = read_phases(log, offsets[log])
                        s = split(rows)
                        s["fresh"], s["requests"], s["path"] = fresh, total, p
                        phases.append(s)
            print("\n== %d connection(s), %d rounds of %s, medians of rounds (min-max) ==" % (n, args.rounds,
                                                                                            args.duration))
            print("path  req/s           p50 us            p99 us              p99.9 us            errors")
            med = {}
            for p in order:
                med[p] = {}
                cols = []
                for k in ("rps", "p50", "p99", "p999"):
                    xs = [r[k] for r in res[p]]
                    med[p][k] = statistics.median(xs)
                    cols.append("%8.1f (%.0f-%.0f)" % (med[p][k], min(xs), max(xs)))
                print("%-4s  %s  %d" % (p, "  ".join(cols), sum(r["errors"] for r in res[p])))
            if "b" in med and "c1" in med:
                print("c1/b throughput %.2f; c1-b p50 %+.1f us, p99 %+.1f us, p99.9 %+.1f us" % (
                    med["c1"]["rps"] / med["b"]["rps"], med["c1"]["p50"] - med["b"]["p50"],
                    med["c1"]["p99"] - med["b"]["p99"], med["c1"]["p999"] - med["b"]["p999"]))
            if "b2" in med and "c2" in med:
                print("c2/b2 throughput %.2f; c2-b2 p50 %+.1f us, p99 %+.1f us, p99.9 %+.1f us" % (
                    med["c2"]["rps"] / med["b2"]["rps"], med["c2"]["p50"] - med["b2"]["p50"],
                    med["c2"]["p99"] - med["b2"]["p99"], med["c2"]["p999"] - med["b2"]["p999"]))
            if "b" in med and "c" in med:
                print("c/b throughput %.2f; c-b p50 %+.1f us, p99 %+.1f us, p99.9 %+.1f us" % (
                    med["c"]["rps"] / med["b"]["rps"], med["c"]["p50"] - med["b"]["p50"],
                    med["c"]["p99"] - med["b"]["p99"], med["c"]["p999"] - med["b"]["p999"]))
            if "e" in med and "r" in med:
                print("e-r p50 %+.1f us, p99 %+.1f us" % (med["e"]["p50"] - med["r"]["p50"],
                                                        med["e"]["p99"] - med["r"]["p99"]))
            if phases and phases[0].get("n"):
                print("bridge's own view (phase lines), per round: requests, fresh proxy connections, bridge p50/p99 us,"
                      " held (bridge time less the wait on the proxy) p50/p99 us; median phase split all -> slowest 1 %:")
                for s in phases:
                    print("  %-2s %6d req, %d fresh, p50 %d p99 %d, held %d/%d; head %s->%s forward %s->%s upstream %s->%s "
                          "relay %s->%s" % (s["path"], s["n"], s["fresh"], s["bridge_p50"], s["bridge_p99"], s["held_p50"], s["held_p99"],
                                            s["all"]["head"], s["slow"]["head"], s["all"]["forward"],
                                            s["slow"]["forward"], s["all"]["upstream"], s["slow"]["upstream"],
                                            s["all"]["relay"], s["slow"]["relay"]))
            result[str(n)] = {"paths": res, "medians": med, "phases": phases}
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=1)
        print("work dir:", work)
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    sys.exit(main())
