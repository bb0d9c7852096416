#!/usr/bin/env bash
# Step of docker/Dockerfile (run as root while the template image is built): installs
# model-runner-bridge from the release tarball for the image's architecture into /usr/local
# (bin/, share/man, share/bash-completion, share/zsh) and adds a login hint for start-openclaw.
# Usage: install-bridge.sh DIST_DIR [amd64|arm64|x86_64]   (default: this machine's architecture)
# Environment: MRB_PREFIX (default /usr/local), MRB_ETC (default /etc), MRB_RUN (a wrapper to run
# the installed binary with, e.g. qemu-aarch64-static when checking an arm64 install elsewhere).
set -euo pipefail
dist=${1:?usage: install-bridge.sh DIST_DIR [ARCH]}
arch=${2:-$(uname -m)}
case "$arch" in
  amd64|x86_64) arch=x86_64 ;;
  arm64|aarch64) arch=arm64 ;;
  *) echo "install-bridge: no release for architecture '$arch' (x86_64, arm64)" >&2; exit 2 ;;
esac
prefix=${MRB_PREFIX:-/usr/local}
etc=${MRB_ETC:-/etc}

shopt -s nullglob
tarballs=("$dist"/model-runner-bridge-*-linux-"$arch".tar.gz)
if [ ${#tarballs[@]} -ne 1 ]; then
  echo "install-bridge: expected one model-runner-bridge-*-linux-$arch.tar.gz in $dist, found ${#tarballs[@]}" >&2
  exit 1
fi
mkdir -p "$prefix"
tar -xzf "${tarballs[0]}" -C "$prefix" --strip-components=1 --no-same-owner
# The binary must run here (right architecture, nothing missing): fail the image build otherwise.
${MRB_RUN:-} "$prefix/bin/model-runner-bridge" --version

# Sandboxes start a login shell; tell the user the one command to run.
mkdir -p "$etc/profile.d"
cat >"$etc/profile.d/model-runner-bridge.sh" <<'HINT'
# model-runner-bridge: OpenClaw on Docker Model Runner through the sandbox proxy.
if [ -t 1 ] && [ -z "${MRB_HINT_SHOWN:-}" ]; then
  export MRB_HINT_SHOWN=1
  echo "Run 'start-openclaw' (or 'start-openclaw list'); diagnose with 'model-runner-bridge doctor'."
fi
HINT
echo "install-bridge: installed $(basename "${tarballs[0]}") into $prefix"
