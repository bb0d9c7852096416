#!/usr/bin/env bash
# Step of docker/Dockerfile (run as root while the template image is built): installs OpenClaw
# with npm, after checking the Node.js it needs (OpenClaw 2026.x requires Node >= 24.16; see
# docs/reference/openclaw-client.md). Docker's sandbox base images ship Node.js.
# Usage: install-openclaw.sh            install (OPENCLAW_VERSION, default latest)
#        install-openclaw.sh --self-test  run this script against stand-in node/npm programs
set -euo pipefail
need_major=24 need_minor=16

if [ "${1:-}" = "--self-test" ]; then
  # No registry here: check the script's decisions with stand-ins that record their arguments.
  t=$(mktemp -d)
  trap 'rm -rf "$t"' EXIT
  mkdir -p "$t/old" "$t/new"
  printf '#!/bin/sh\necho v20.19.0\n' >"$t/old/node"
  printf '#!/bin/sh\necho v24.16.1\n' >"$t/new/node"
  printf '#!/bin/sh\necho "$@" >>"%s/npm.args"\n' "$t" >"$t/new/npm"
  printf '#!/bin/sh\necho 2026.9.6\n' >"$t/new/openclaw"
  chmod +x "$t"/old/* "$t"/new/*
  if PATH="$t/old:$PATH" "$0" >"$t/old.out" 2>&1; then
    echo "install-openclaw self-test: accepted Node 20" >&2; exit 1
  fi
  grep -q "needs Node.js >= 24.16" "$t/old.out" || { echo "self-test: no reason given for Node 20" >&2; exit 1; }
  PATH="$t/new:$PATH" OPENCLAW_VERSION=2026.9.6 "$0" >"$t/new.out" 2>&1 || { cat "$t/new.out" >&2; exit 1; }
  grep -qx "install -g openclaw@2026.9.6" "$t/npm.args" || { echo "self-test: npm got: $(cat "$t/npm.args")" >&2; exit 1; }
  echo "install-openclaw self-test: refuses Node 20, installs with Node 24.16"
  exit 0
fi

if ! command -v node >/dev/null; then
  echo "install-openclaw: node not found; OpenClaw needs Node.js >= $need_major.$need_minor" >&2
  exit 1
fi
v=$(node --version); v=${v#v}
major=${v%%.*}; rest=${v#*.}; minor=${rest%%.*}
if [ "$major" -lt "$need_major" ] || { [ "$major" -eq "$need_major" ] && [ "$minor" -lt "$need_minor" ]; }; then
  echo "install-openclaw: OpenClaw needs Node.js >= $need_major.$need_minor, this image has $v" >&2
  exit 1
fi
npm install -g "openclaw@${OPENCLAW_VERSION:-latest}"
echo "install-openclaw: OpenClaw $(openclaw --version) on Node $v"
