#!/usr/bin/env bash
# Installs the npm packages the tests use as real third-party clients (the `openai` SDK that
# OpenClaw uses, and `json5`, the reference JSON5 reader) into tests/node/node_modules.
# Idempotent: skipped when the lock file's packages are already installed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir="$here/tests/node"
if [ -d "$dir/node_modules/openai" ] && [ -d "$dir/node_modules/json5" ]; then
  echo "install-node-deps: node packages present"
  exit 0
fi
cd "$dir"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi
