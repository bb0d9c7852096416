#!/usr/bin/env python3
"""Instructions per relayed request of one or more bridge binaries, side by side (callgrind).

Each bridge runs `--direct --threads 1` under `valgrind --tool=callgrind` in front of one
upstream (the fake Model Runner with --prefill-rate 0, or any command that prints
"listening on HOST:PORT"); one keep-alive client (http.client) sends WARM small POSTs, the counters
are zeroed, then REQUESTS more are sent and the counters dumped; repeated REPEAT times, binaries
alternating, so drift on a busy machine hits all alike. Only the bridge is counted, so the
client's own cost does not matter. Prints instructions per request and, with --annotate, the
top inclusive functions of the last dump of each binary (callgrind_annotate --inclusive=yes).

  bench/callgrind_requests.py --upstream build/x/fakes/model_runner/fake-model-runner \
      --bridge old=/tmp/old/build/dbg/bridge/model-runner-bridge \
      --bridge new=build/x/bridge/model-runner-bridge --extra new=--admin-listen=off

docs/performance.md ("The relay restructure (issue 14)") has the figures and the command.
"""
import argparse
import http.client
import http.server
import threading
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

BODY = (b'{"model":"ai/smollm2","messages":[{"role":"user","content":"Say hello in one word."}],'
        b'"max_tokens":8,"temperature":0,"stream":false}')
PATH = "/engines/llama.cpp/v1/chat/completions"


ANSWER = (b'{"id":"chatcmpl-1","object":"chat.completion","created":1764300000,"model":"ai/smollm2",'
          b'"choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],'
          b'"usage":{"prompt_tokens":12,"completion_tokens":1,"total_tokens":13},'
          b'"system_fingerprint":"b1-fixed","timings":{"predicted_ms":1.0,"prompt_ms":1.0}}')


class Fixed(http.server.BaseHTTPRequestHandler):
    """The built-in upstream: fixed bytes for every POST, keep-alive (what the stand-in does)."""
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        # Head and body in one write, as the bench's stand-in sends them.
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(ANSWER), ANSWER))

    def log_message(self, *a):
        pass


def wait_line(proc, pattern, timeout):
    """The first stdout line matching `pattern` (a regex with one group), within `timeout` s."""
    deadline = time.monotonic() + timeout
    rx = re.compile(pattern)
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                raise RuntimeError("process exited before its ready line")
            continue
        m = rx.search(line)
        if m:
            return m.group(1)
    raise RuntimeError("no ready line within %s s" % timeout)


def send(port, n):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(n):
        conn.request("POST", PATH, body=BODY, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            raise RuntimeError("status %d" % r.status)
    conn.close()


def totals(path):
    best = 0
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                best = max(best, int(line.split(":", 1)[1].split()[0]))
    return best


def measure(name, exe, extra, upstream_port, args, work):
    out = os.path.join(work, "callgrind.%s" % name)
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out + ".%p", exe,
           "--listen", "127.0.0.1:0", "--target", "localhost:%d" % upstream_port, "--direct",
           "--threads", "1"] + extra
    log = open(os.path.join(work, "bridge-%s.log" % name), "w")
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        port = int(wait_line(p, r"listening on [^ ]*:(\d+)", 120))
        send(port, args.warm)  # pool, allocator, lazy init
        subprocess.run(["callgrind_control", "-z", str(p.pid)], check=True, capture_output=True)
        send(port, args.requests)
        subprocess.run(["callgrind_control", "-d", str(p.pid)], check=True, capture_output=True)
        dumps = sorted((f for f in os.listdir(work) if f.startswith("callgrind.%s.%d." % (name, p.pid))),
                       key=lambda f: int(f.rsplit(".", 1)[1]))
        dump = os.path.join(work, dumps[-1])
        return totals(dump) / args.requests, dump
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        log.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upstream", default="builtin",
                    help="fake-model-runner binary, or 'builtin' (a fixed ~330-byte JSON answer from this script)")
    ap.add_argument("--bridge", action="append", required=True, help="NAME=PATH (repeatable)")
    ap.add_argument("--extra", action="append", default=[], help="NAME=FLAG, an extra flag for that bridge")
    ap.add_argument("--warm", type=int, default=100)
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--annotate", type=int, default=0, help="show this many top inclusive functions")
    ap.add_argument("--work-dir", default=None)
    args = ap.parse_args()

    bridges = [b.split("=", 1) for b in args.bridge]
    extra = {}
    for e in args.extra:
        n, flag = e.split("=", 1)
        extra.setdefault(n, []).append(flag)
    work = args.work_dir or tempfile.mkdtemp(prefix="callgrind-requests-")
    os.makedirs(work, exist_ok=True)

    up, server = None, None
    if args.upstream == "builtin":
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Fixed)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        up_port = server.server_address[1]
    else:
        up = subprocess.Popen([args.upstream, "--port", "0", "--prefill-rate", "0"], stdout=subprocess.PIPE,
                              stderr=open(os.path.join(work, "upstream.log"), "w"), text=True)
    try:
        if up:
            up_port = int(wait_line(up, r"listening on [^ ]*:(\d+)", 30))
        results = {n: [] for n, _ in bridges}
        last_dump = {}
        for rep in range(args.repeat):
            order = bridges if rep % 2 == 0 else list(reversed(bridges))
            for n, exe in order:
                ir, dump = measure(n, exe, extra.get(n, []), up_port, args, work)
                results[n].append(ir)
                last_dump[n] = dump
                print("%s run %d: %.0f instructions per request" % (n, rep + 1, ir), flush=True)
        for n, _ in bridges:
            print("%s: %s" % (n, " / ".join("%.0f" % v for v in results[n])))
        for n, _ in bridges:
            if args.annotate:
                print("\n== %s (%s), inclusive, per %d requests ==" % (n, last_dump[n], args.requests))
                a = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100",
                                    last_dump[n]], capture_output=True, text=True).stdout
                rows = [l for l in a.splitlines() if re.match(r"^\s*[\d,]+ \(", l)]
                print("\n".join(rows[: args.annotate]))
        print("work dir:", work)
    finally:
        if up:
            up.send_signal(signal.SIGTERM)
            up.wait(10)
        if server:
            server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
