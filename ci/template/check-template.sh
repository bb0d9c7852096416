#!/usr/bin/env bash
# Last step of docker/Dockerfile: the image has what start-openclaw needs. `--bridge-only` skips
# OpenClaw (for checking the bridge install on a machine without it).
# Environment: MRB_PREFIX (default /usr/local).
set -euo pipefail
prefix=${MRB_PREFIX:-/usr/local}
"$prefix/bin/model-runner-bridge" --version
"$prefix/bin/start-openclaw" --help >/dev/null
for f in share/man/man1/model-runner-bridge.1.gz share/man/man1/start-openclaw.1.gz \
         share/bash-completion/completions/model-runner-bridge share/zsh/vendor-completions/_model-runner-bridge; do
  [ -f "$prefix/$f" ] || { echo "check-template: missing $prefix/$f" >&2; exit 1; }
done
if [ "${1:-}" != "--bridge-only" ]; then
  command -v openclaw >/dev/null || { echo "check-template: openclaw not on PATH" >&2; exit 1; }
  openclaw --version
fi
echo "check-template: ok"
