#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install the dependencies, build, then run the whole
# chain on the fakes and show a streamed reply:
#   fake-openclaw -> model-runner-bridge -> fake-sandbox-proxy -> fake-model-runner
# The proxy runs the sandbox's default-deny policy with only the Model Runner allowed; the bridge
# discovers the models through it and merges the provider into a throw-away openclaw.json.
# Usage: ci/demo.sh [message]   (DEMO_SKIP_BUILD=1 reuses an existing build/dev)
set -euo pipefail
cd "$(dirname "$0")/.."
message=${1:-"Explain in one paragraph why a bridge is needed inside a Docker sandbox."}

if [ -z "${DEMO_SKIP_BUILD:-}" ]; then
  ci/install-deps.sh
  ci/build.sh dev
fi
bin=build/dev
runner_bin=$bin/fakes/model_runner/fake-model-runner
proxy_bin=$bin/fakes/sandbox_proxy/fake-sandbox-proxy
bridge_bin=$bin/bridge/model-runner-bridge
client_bin=$bin/fakes/openclaw_client/fake-openclaw

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Reads the port from a "listening on 127.0.0.1:PORT" line, waiting at most 10 s.
wait_port() {
  local file=$1 deadline=$((SECONDS + 10))
  while [ $SECONDS -lt $deadline ]; do
    if grep -qoE 'listening on [0-9.]+:[0-9]+' "$file" 2>/dev/null; then
      grep -oE 'listening on [0-9.]+:[0-9]+' "$file" | head -1 | sed 's/.*://'
      return 0
    fi
    sleep 0.05
  done
  echo "demo: $2 did not start; its output:" >&2
  cat "$file" >&2
  return 1
}

# Tokens 30 ms apart, so the stream is visibly a stream.
"$runner_bin" --port 0 --token-interval-us 30000 >"$work/runner.out" 2>"$work/runner.err" &
pids+=($!)
runner_port=$(wait_port "$work/runner.out" fake-model-runner)

"$proxy_bin" --port 0 --policy deny --allow-host "localhost:$runner_port" \
  --network-log "$work/network.log" >"$work/proxy.out" 2>"$work/proxy.err" &
pids+=($!)
proxy_port=$(wait_port "$work/proxy.out" fake-sandbox-proxy)

common=(--proxy "http://127.0.0.1:$proxy_port" --target "localhost:$runner_port")
"$bridge_bin" serve --listen 127.0.0.1:0 "${common[@]}" >"$work/bridge.out" 2>"$work/bridge.err" &
pids+=($!)
bridge_port=$(wait_port "$work/bridge.out" model-runner-bridge)

echo "== chain: fake-openclaw -> bridge 127.0.0.1:$bridge_port -> proxy 127.0.0.1:$proxy_port -> runner localhost:$runner_port"
echo "== model-runner-bridge models"
"$bridge_bin" models "${common[@]}"
echo "== model-runner-bridge configure (into a throw-away openclaw.json)"
"$bridge_bin" configure --listen "127.0.0.1:$bridge_port" "${common[@]}" --config "$work/openclaw.json"
echo "== fake-openclaw: \"$message\""
"$client_bin" --config "$work/openclaw.json" --message "$message"
echo
echo "== what the sandbox proxy saw (docker sandbox network log format)"
cat "$work/network.log" 2>/dev/null || true
echo "== bridge access log"
cat "$work/bridge.err"
