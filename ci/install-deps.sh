#!/usr/bin/env bash
# Installs the Debian 12 packages the project builds, tests and benchmarks with.
# Idempotent: packages already present are not fetched again; apt-get update runs
# only when something is missing. Node packages used by tests go into tests/node
# (see ci/install-node-deps.sh) and are never fetched at build or test time.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost1.81-dev libboost-url1.81-dev
  nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev openssl
  squid curl wrk valgrind strace zsh
  prometheus
  nodejs npm
)

missing=()
for p in "${packages[@]}"; do
  # nodejs may come from another repository as a different version; any install counts.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# A machine that already has node and npm (nodesource ships npm inside nodejs) needs no npm package.
if command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/npm}")
fi
if command -v node >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}")
fi
read -r -a missing <<<"${missing[*]}"

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi

# Debian's squid package tries to start a system daemon; the suites run their own instances.
if command -v systemctl >/dev/null 2>&1; then "${sudo_cmd[@]}" systemctl disable --now squid >/dev/null 2>&1 || true; fi

here=$(cd "$(dirname "$0")" && pwd)
"$here/install-node-deps.sh"
