#!/usr/bin/env bash
# Installs what the `fuzz` preset needs on top of ci/install-deps.sh: clang-14 and its libFuzzer
# runtime (libclang-rt-14-dev holds the libFuzzer that -fsanitize=fuzzer links; the separate
# libfuzzer-14-dev is not needed). Opt-in (ci/fuzz.sh): CI itself replays the corpora under GCC and needs no clang.
# Idempotent: nothing is fetched when the packages are present.
set -euo pipefail

packages=(clang-14 libclang-rt-14-dev)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-fuzz-deps: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-fuzz-deps: all packages present"
fi
