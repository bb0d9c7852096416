#!/usr/bin/env bash
# ci/soak.sh [MINUTES]: a bounded soak of the whole chain (not part of CI; issue 10).
#   load -> model-runner-bridge -> fake-sandbox-proxy -> fake-model-runner
# Mixed load for MINUTES (default 30): healthy streams (fake-openclaw load mode), healthy small
# requests whose answers are checked byte for byte or by a unique id (a mis-routed answer shows),
# client aborts mid-stream and mid-upload, Model Runner faults per request (reset, cut, 500,
# stall, broken chunk), a proxy that silently closes keep-alive connections and idle ones, and a
# proxy restart every 15 s. Every second the bridge's RSS and open descriptors go to samples.csv.
#
# Pass (all of):
#   1. every healthy request succeeded with the right answer (healthy = sent while the proxy is
#      up: the restarts take an exclusive lock that the healthy loaders hold shared);
#   2. RSS flat after warm-up: warm-up is max(30 s, 20 % of the run); the median RSS of the last
#      quarter of the remaining samples is at most 5 % + 2 MiB above the median of their first
#      quarter;
#   3. descriptors flat: that same comparison for open descriptors allows +4, and once the load
#      stops and the idle timeouts have run, the count is back to the one before the load;
#   4. the bridge is alive throughout and exits 0 on SIGTERM.
# Output: $SOAK_OUT (default build/soak-<time>/): samples.csv, summary.txt, every process's log.
# Binaries from $MRB_BUILD_DIR (default build/dev; build it first: ci/build.sh dev).
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=${1:-30}
build=${MRB_BUILD_DIR:-build/dev}
out=${SOAK_OUT:-build/soak-$(date +%Y%m%d-%H%M%S)}
bridge_bin=$build/bridge/model-runner-bridge
runner_bin=$build/fakes/model_runner/fake-model-runner
proxy_bin=$build/fakes/sandbox_proxy/fake-sandbox-proxy
client_bin=$build/fakes/openclaw_client/fake-openclaw
for b in "$bridge_bin" "$runner_bin" "$proxy_bin" "$client_bin"; do
  [ -x "$b" ] || { echo "soak: $b is missing (build first: ci/build.sh dev, or set MRB_BUILD_DIR)" >&2; exit 2; }
done
for tool in curl flock awk; do
  command -v "$tool" >/dev/null || { echo "soak: needs $tool" >&2; exit 2; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
lock=$out/proxy.lock # healthy loaders hold it shared, a restart exclusive
gate=$out/proxy.gate # taken before $lock, so a waiting restart is not starved by the loaders
: >"$lock"
: >"$gate"
: >"$out/healthy.ok"
: >"$out/healthy.fail"
: >"$out/faulty.count"

pids=()
cleanup() {
  [ -f "$out/proxy.pid" ] && pids+=("$(cat "$out/proxy.pid")")
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# Reads the port from a "listening on 127.0.0.1:PORT" line, waiting at most 10 s.
wait_port() {
  local file=$1 deadline=$((SECONDS + ${3:-10}))
  while [ $SECONDS -lt $deadline ]; do
    if grep -qoE 'listening on [0-9.]+:[0-9]+' "$file" 2>/dev/null; then
      grep -oE 'listening on [0-9.]+:[0-9]+' "$file" | head -1 | sed 's/.*://'
      return 0
    fi
    sleep 0.05
  done
  echo "soak: $2 did not start; its output:" >&2
  cat "$file" >&2
  return 1
}

# Tokens 5 ms apart: a stream lasts ~100 ms, long enough to be cut in the middle.
"$runner_bin" --port 0 --threads 2 --token-interval-us 5000 >"$out/runner.out" 2>"$out/runner.err" &
pids+=($!)
runner_port=$(wait_port "$out/runner.out" fake-model-runner)

# The proxy closes keep-alive connections silently after 5 answers and when idle for 3 s (the
# stale-connection races), and is restarted on the same port every 15 s.
proxy_port=0
start_proxy() {
  [[ $proxy_port =~ ^[0-9]+$ ]] || echo "$(date +%T) proxy_port is '$proxy_port'" >>"$out/restarts.log"
  # Emptied here, not by the child's redirection: that happens after the fork, so wait_port could
  # read the previous proxy's "listening" line and then an empty file (a restart that seemed to
  # fail, with an empty port).
  : >"$out/proxy.out"
  "$proxy_bin" --port "$proxy_port" --policy deny --allow-host "localhost:$runner_port" \
    --close-after-requests 5 --idle-close-ms 3000 >>"$out/proxy.out" 2>>"$out/proxy.err" 8<&- 9<&- &
  echo $! >"$out/proxy.pid"
  # A proxy that did not come up must not leave the port empty for the next restart.
  local port
  port=$(wait_port "$out/proxy.out" fake-sandbox-proxy 30) || return 1
  [[ $port =~ ^[0-9]+$ ]] || { echo "soak: proxy port '$port' unreadable" >&2; return 1; }
  proxy_port=$port
  echo "$(date +%T) proxy up on :$proxy_port (pid $(cat "$out/proxy.pid"))" >>"$out/restarts.log"
}
# SIGTERM, then wait (at most 10 s, then SIGKILL) until the process is gone: the port is free.
running() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
stop_pid() {
  local pid=$1 deadline=$((SECONDS + 10))
  kill -TERM "$pid" 2>/dev/null || return 0
  while running "$pid"; do
    [ $SECONDS -lt $deadline ] || { kill -KILL "$pid" 2>/dev/null; break; }
    sleep 0.05
  done
}
start_proxy

"$bridge_bin" serve --listen 127.0.0.1:0 --proxy "http://127.0.0.1:$proxy_port" --target "localhost:$runner_port" \
  --threads 2 --log-format json --log-level warn --idle-timeout 5s --keep-alive-timeout 5s \
  --upstream-idle-timeout 2s >"$out/bridge.out" 2>"$out/bridge.err" &
bridge_pid=$!
pids+=("$bridge_pid")
bridge_port=$(wait_port "$out/bridge.out" model-runner-bridge)
base=http://127.0.0.1:$bridge_port
"$bridge_bin" configure --listen "127.0.0.1:$bridge_port" --proxy "http://127.0.0.1:$proxy_port" \
  --target "localhost:$runner_port" --config "$out/openclaw.json" --model ai/smollm2 >"$out/configure.log" 2>&1

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$bridge_pid/status" 2>/dev/null || echo 0; }
fds() { ls "/proc/$bridge_pid/fd" 2>/dev/null | wc -l; }
baseline_fds=$(fds)
expected_models=$(curl -sS --max-time 10 "http://127.0.0.1:$runner_port/engines/v1/models")

end=$((SECONDS + minutes * 60))
chat() { # message stream -> request body
  printf '{"model":"ai/smollm2","messages":[{"role":"user","content":"%s"}],"stream":%s}' "$1" "$2"
}
healthy_fail() { echo "$(date +%T) $*" >>"$out/healthy.fail"; }
# A healthy request runs only while the proxy is up (shared hold on $lock).
healthy_enter() {
  exec {gate_fd}<"$gate" {lock_fd}<"$lock"
  flock -x "$gate_fd"
  flock -s "$lock_fd"
  exec {gate_fd}<&-
}
healthy_leave() { exec {lock_fd}<&-; }

# Healthy streams: OpenClaw's own request (~33 kB POST) over keep-alive connections.
healthy_streams() {
  set +e
  local report
  while [ $SECONDS -lt $end ]; do
    healthy_enter
    report=$("$client_bin" --config "$out/openclaw.json" --message "soak stream" \
      --repeat 20 --concurrency 3 --single-attempt --json 2>>"$out/client.err")
    # (--single-attempt: a lost healthy stream must count as lost, not be retried away)
    healthy_leave
    local turns ok
    turns=$(grep -oE '"turns": *[0-9]+' <<<"$report" | head -1 | grep -oE '[0-9]+$')
    ok=$(grep -oE '"succeeded": *[0-9]+' <<<"$report" | head -1 | grep -oE '[0-9]+$')
    for ((k = 0; k < ${ok:-0}; k++)); do echo s >>"$out/healthy.ok"; done
    if [ -z "$turns" ] || [ "${ok:-0}" -ne "$turns" ]; then
      healthy_fail "streams: $(tr -d '\n' <<<"$report" | cut -c1-600)"
    fi
  done
}

# Healthy small requests, each answer checked: the model list byte for byte, a non-streamed and
# a streamed chat by the unique id they echo.
healthy_small() {
  set +e
  local i=0 body
  while [ $SECONDS -lt $end ]; do
    i=$((i + 1))
    healthy_enter
    body=$(curl -sS --max-time 10 "$base/engines/v1/models" 2>&1) || true
    if [ "$body" = "$expected_models" ]; then echo m >>"$out/healthy.ok"; else healthy_fail "models #$i: $body"; fi
    body=$(curl -sS --max-time 10 -H 'content-type: application/json' -d "$(chat "soak-$i-small check" false)" \
      "$base/engines/v1/chat/completions" 2>&1) || true
    if grep -q "Echo: soak-$i-small check" <<<"$body"; then echo c >>"$out/healthy.ok"; else healthy_fail "chat #$i: $body"; fi
    body=$(curl -sSN --max-time 10 -H 'content-type: application/json' -d "$(chat "soak-$i-stream" true)" \
      "$base/engines/v1/chat/completions" 2>&1) || true
    if grep -q "soak-$i-stream" <<<"$body" && grep -q 'data: \[DONE\]' <<<"$body"; then
      echo t >>"$out/healthy.ok"
    else
      healthy_fail "stream #$i: $body"
    fi
    healthy_leave
  done
}

# Clients that leave: mid-stream (after 20-90 ms of a ~100 ms stream) and mid-upload (2 MiB).
aborts() {
  set +e
  local words="one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
  while [ $SECONDS -lt $end ]; do
    curl -sSN --max-time "0.0$((RANDOM % 8 + 2))" -H 'content-type: application/json' \
      -d "$(chat "$words" true)" "$base/engines/v1/chat/completions" >/dev/null 2>&1 || true
    curl -sS --max-time 0.02 --limit-rate 2M -H 'content-type: application/json' --data-binary "@$out/upload.bin" \
      "$base/engines/v1/chat/completions" >/dev/null 2>&1 || true
    echo a >>"$out/faulty.count"
  done
}

# Model Runner faults, one per request (x-fake-fault), through the whole chain.
runner_faults() {
  set +e
  local faults=("reset_peer;after_events=2" "reset_peer" "truncate;after_events=2;close=1" "truncate;after_events=3"
    "status;code=500" "timeout;after_events=1;ms=300" "malformed_chunk;after_events=2" "slow_close;ms=50"
    "limit_data;bytes=300")
  local n=0
  while [ $SECONDS -lt $end ]; do
    curl -sSN --max-time 3 -H 'content-type: application/json' -H "x-fake-fault: ${faults[n % ${#faults[@]}]}" \
      -d "$(chat "faulty $n" true)" "$base/engines/v1/chat/completions" >/dev/null 2>&1 || true
    n=$((n + 1))
    echo f >>"$out/faulty.count"
  done
}

# The proxy goes away and comes back on the same port (healthy loaders wait meanwhile).
restarts() {
  set +e
  local n=0
  while [ $((SECONDS + 15)) -lt $end ]; do
    sleep 15
    # Fixed descriptors: start_proxy closes them for the new proxy, which must not inherit the lock.
    exec 8<"$gate" 9<"$lock"
    flock -x 8
    flock -x 9
    stop_pid "$(cat "$out/proxy.pid")"
    # A slow start on a loaded machine is retried (and counted), never left half-done.
    local tries=0
    until start_proxy; do
      tries=$((tries + 1))
      echo "$tries" >"$out/restart-retries.count"
      stop_pid "$(cat "$out/proxy.pid")"
      [ $tries -lt 5 ] || break
    done
    exec 9<&- 8<&-
    n=$((n + 1))
    echo "$n" >"$out/restarts.count"
  done
}

sampler() {
  local t0=$SECONDS
  echo "t_s,rss_kb,fds,healthy_ok,healthy_fail,faulty" >"$out/samples.csv"
  while [ $SECONDS -lt $end ]; do
    kill -0 "$bridge_pid" 2>/dev/null || { echo "soak: the bridge died" >&2; return 1; }
    echo "$((SECONDS - t0)),$(rss_kb),$(fds),$(wc -l <"$out/healthy.ok"),$(wc -l <"$out/healthy.fail"),$(wc -l <"$out/faulty.count")" \
      >>"$out/samples.csv"
    sleep 1
  done
}

head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$out/upload.bin"
echo "soak: ${minutes} min, bridge 127.0.0.1:$bridge_port (pid $bridge_pid), proxy :$proxy_port, runner :$runner_port; output in $out"
loaders=()
healthy_streams & loaders+=($!)
healthy_small & loaders+=($!)
aborts & loaders+=($!)
aborts & loaders+=($!)
runner_faults & loaders+=($!)
restarts & loaders+=($!)
sampler & sampler_pid=$!
pids+=("${loaders[@]}" "$sampler_pid")
bridge_alive=yes
wait "$sampler_pid" || bridge_alive=no
for p in "${loaders[@]}"; do wait "$p" || true; done

# Quiescence: keep-alive (5 s) and pooled (2 s) connections close by themselves.
settle_deadline=$((SECONDS + 20))
while [ "$(fds)" -ne "$baseline_fds" ] && [ $SECONDS -lt $settle_deadline ]; do sleep 0.5; done
final_fds=$(fds)
final_rss=$(rss_kb)
kill -TERM "$bridge_pid" 2>/dev/null || true
bridge_exit=0
wait "$bridge_pid" || bridge_exit=$?

duration=$((minutes * 60))
warm=$((duration / 5 > 30 ? duration / 5 : 30))
flat=$(awk -F, -v warm="$warm" '
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  NR > 1 && $1 >= warm { n++; rss[n] = $2; fd[n] = $3 }
  END {
    q = int(n / 4); if (q < 1) { print "too_few_samples"; exit }
    for (i = 1; i <= q; i++) { r1[i] = rss[i]; f1[i] = fd[i]; r2[i] = rss[n - q + i]; f2[i] = fd[n - q + i] }
    ra = median(r1, q); rb = median(r2, q); fa = median(f1, q); fb = median(f2, q)
    printf "rss_first_kb=%d rss_last_kb=%d fds_first=%g fds_last=%g rss_ok=%s fds_ok=%s\n", ra, rb, fa, fb,
      (rb <= ra * 1.05 + 2048) ? "yes" : "no", (fb <= fa + 4) ? "yes" : "no"
  }' "$out/samples.csv")

ok=$(wc -l <"$out/healthy.ok")
failed=$(wc -l <"$out/healthy.fail")
faulty=$(wc -l <"$out/faulty.count")
restarted=$(cat "$out/restarts.count" 2>/dev/null || echo 0)
peak_rss=$(awk -F, 'NR > 1 && $2 > m { m = $2 } END { print m + 0 }' "$out/samples.csv")
peak_fds=$(awk -F, 'NR > 1 && $3 > m { m = $3 } END { print m + 0 }' "$out/samples.csv")
flags=$(grep -oE '"flags":\[[^]]*\]' "$out/bridge.err" | sort | uniq -c | sort -rn | head -12 | sed 's/^ */    /')
verdict=PASS
[ "$failed" -eq 0 ] && [ "$ok" -gt 0 ] || verdict=FAIL
grep -q 'rss_ok=yes' <<<"$flat" || verdict=FAIL
grep -q 'fds_ok=yes' <<<"$flat" || verdict=FAIL
[ "$final_fds" -eq "$baseline_fds" ] || verdict=FAIL
[ "$bridge_alive" = yes ] && [ "$bridge_exit" -eq 0 ] || verdict=FAIL

{
  echo "soak: $verdict after $minutes min (warm-up ${warm} s)"
  echo "  healthy requests: $ok ok, $failed failed or mis-answered"
  echo "  fault traffic: $faulty requests (aborts and Model Runner faults); proxy restarts: $restarted"
  echo "  RSS: $flat"
  echo "  peak RSS ${peak_rss} kB, peak descriptors $peak_fds; after the load: RSS ${final_rss} kB,"
  echo "  descriptors $final_fds (before the load: $baseline_fds)"
  echo "  bridge exit code on SIGTERM: $bridge_exit"
  echo "  access lines logged at warn (flags: count):"
  echo "$flags"
  [ "$failed" -eq 0 ] || { echo "  first healthy failures:"; head -5 "$out/healthy.fail" | cut -c1-400 | sed 's/^/    /'; }
} | tee "$out/summary.txt"
[ "$verdict" = PASS ]
