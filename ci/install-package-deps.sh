#!/usr/bin/env bash
# Installs what the release build and its checks need on top of ci/install-deps.sh:
# the arm64 cross compiler with the arm64 Boost.URL library (Debian multiarch), qemu to run
# arm64 binaries here, and lintian + debootstrap for ci/release-check.sh.
# Idempotent: adds the arm64 architecture once, runs apt-get update only when something is missing.
set -euo pipefail

native=(
  g++-aarch64-linux-gnu binutils-aarch64-linux-gnu
  qemu-user-static
  lintian debootstrap dpkg-dev fakeroot file zsh
  libboost-url1.81-dev libboost1.81-dev
)
# Multiarch: the same Boost version as the native one, for the arm64 static link.
foreign=(libboost-url1.81-dev:arm64 libboost1.81-dev:arm64)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

added_arch=0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "install-package-deps: adding the arm64 architecture"
  "${sudo_cmd[@]}" dpkg --add-architecture arm64
  added_arch=1
fi

missing=()
for p in "${native[@]}" "${foreign[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ] || [ "$added_arch" = 1 ]; then
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-package-deps: installing ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
else
  echo "install-package-deps: all packages present"
fi
