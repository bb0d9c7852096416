#!/usr/bin/env bash
# Checks the release artifacts of ci/package.sh the way a user receives them. Not part of .ci/run
# (it builds both architectures, fetches a Debian root and runs arm64 under emulation: several
# minutes on 2 cores); run it before a release:  sudo ci/release-check.sh
#   1. lintian on each .deb: no errors; the bridge package has no dependencies (static)
#   2. package contents: the bridge package holds only what runs in a sandbox; the testkit
#      component (cmake --install) holds the fakes and not the bridge
#   3. scratch root (dpkg -x): the installed bridge's --version, man pages, completions, start-openclaw
#   4. a minimal Debian chroot made by debootstrap from the machine's apt mirror: dpkg -i, then
#      --version and a streamed relay through the fakes, bridge inside, fakes outside (shared loopback)
#   5. the arm64 binary under qemu-aarch64-static: --version and a streamed relay through the fakes
#   6. the tarball as a user unpacks it, and the sandbox template's install script (docker/Dockerfile)
#   7. start-up time and idle memory of the static binary
# Environment: DIST (artifacts, default build/dist; built by ci/package.sh when missing),
# FAKES_BUILD (a build folder with the fakes built; default build/release-check/fakes, built here),
# SKIP_DEBOOTSTRAP=1, DEBIAN_MIRROR (default: the first deb.debian.org-style URI of apt's sources).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dist=${DIST:-$root/build/dist}
work_root=$root/build/release-check
mkdir -p "$work_root"
version=$(sed -n 's/^project(model_runner_bridge VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
t_start=$SECONDS
declare -a summary=()
step_t0=0
step() { step_t0=$SECONDS; echo; echo "=== $*"; }
done_step() { summary+=("$(printf '%-58s %4d s  %s' "$1" $((SECONDS - step_t0)) "${2:-ok}")"); }
die() { echo "release-check: FAILED: $*" >&2; exit 1; }
trap 'echo "release-check: FAILED (line $LINENO: $BASH_COMMAND)" >&2' ERR

[ "$(id -u)" -eq 0 ] || die "run as root (dpkg -x ownership, debootstrap, chroot)"
ci/install-package-deps.sh >/dev/null

# --- artifacts and fakes ---
step "artifacts"
if ! ls "$dist"/model-runner-bridge_"$version"-1_amd64.deb "$dist"/model-runner-bridge_"$version"-1_arm64.deb >/dev/null 2>&1; then
  ci/package.sh
fi
for a in amd64 arm64; do [ -f "$dist/model-runner-bridge_${version}-1_$a.deb" ] || die "no $a .deb in $dist"; done
for a in x86_64 arm64; do [ -f "$dist/model-runner-bridge-$version-linux-$a.tar.gz" ] || die "no $a tarball in $dist"; done
(cd "$dist" && sha256sum -c --quiet SHA256SUMS) || die "SHA256SUMS does not match"
ls -l "$dist"
done_step "artifacts present, checksums match"

step "fakes (native, run outside every root)"
fakes_build=${FAKES_BUILD:-$work_root/fakes}
if [ -z "${FAKES_BUILD:-}" ]; then
  cmake -S . -B "$fakes_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMRB_BUILD_TESTS=OFF -DMRB_BUILD_BENCH=OFF \
    -DMRB_BUILD_FAKES=ON -DMRB_GENERATE_DOCS=OFF >/dev/null
  nice -n 10 cmake --build "$fakes_build" -j "${JOBS:-2}" --target fake-model-runner fake-sandbox-proxy fake-openclaw
fi
runner_bin=$fakes_build/fakes/model_runner/fake-model-runner
proxy_bin=$fakes_build/fakes/sandbox_proxy/fake-sandbox-proxy
[ -x "$runner_bin" ] && [ -x "$proxy_bin" ] || die "fakes not built in $fakes_build"
done_step "fakes built"

work=$(mktemp -d "$work_root/run.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The port of a "listening on HOST:PORT" line, waiting at most $3 seconds (qemu is slower).
wait_port() {
  local file=$1 what=$2 deadline=$((SECONDS + ${3:-10}))
  while [ $SECONDS -lt $deadline ]; do
    if grep -qoE 'listening on [0-9.]+:[0-9]+' "$file" 2>/dev/null; then
      grep -oE 'listening on [0-9.]+:[0-9]+' "$file" | head -1 | sed 's/.*://'
      return 0
    fi
    sleep 0.05
  done
  echo "release-check: $what did not start; its output:" >&2
  cat "$file" "${file%.out}.err" >&2 2>/dev/null || true
  return 1
}

# The chain's far end, shared by every relay check: Model Runner behind a default-deny proxy
# that allows only it. Tokens 20 ms apart so a buffered relay would be visible.
interval_ms=20
"$runner_bin" --port 0 --token-interval-us $((interval_ms * 1000)) >"$work/runner.out" 2>"$work/runner.err" &
pids+=($!)
runner_port=$(wait_port "$work/runner.out" fake-model-runner)
"$proxy_bin" --port 0 --policy deny --allow-host "localhost:$runner_port" >"$work/proxy.out" 2>"$work/proxy.err" &
pids+=($!)
proxy_port=$(wait_port "$work/proxy.out" fake-sandbox-proxy)

# relay_check LABEL CMD...: runs `CMD serve ...` as the bridge, streams one chat completion
# through bridge -> proxy -> runner, and checks it arrived as a stream, whole, and was logged.
relay_check() {
  local label=$1; shift
  local out="$work/$label.out" err="$work/$label.err" reply="$work/$label.reply"
  "$@" serve --listen 127.0.0.1:0 --proxy "http://${RELAY_PROXY_HOST:-127.0.0.1}:$proxy_port" --target "localhost:$runner_port" \
    --log-format json >"$out" 2>"$err" &
  local pid=$!
  pids+=($pid)
  local port
  port=$(wait_port "$out" "bridge ($label)" 60) || return 1
  local timing
  timing=$(curl -sS -N --max-time 30 -o "$reply" -w '%{http_code} %{time_starttransfer} %{time_total}' \
    -H 'content-type: application/json' \
    -d '{"model":"ai/smollm2","stream":true,"messages":[{"role":"user","content":"Why a bridge?"}]}' \
    "http://127.0.0.1:$port/engines/llama.cpp/v1/chat/completions")
  kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  local code ttfb total events
  read -r code ttfb total <<<"$timing"
  events=$(grep -c '^data: {' "$reply" || true)
  [ "$code" = 200 ] || { echo "$label: HTTP $code"; cat "$reply" "$err"; return 1; }
  grep -q '^data: \[DONE\]' "$reply" || { echo "$label: no [DONE]"; return 1; }
  [ "$events" -ge 5 ] || { echo "$label: only $events events"; return 1; }
  # Streamed: the body kept arriving for at least half the generation time after the first byte.
  local spread_ms min_ms
  spread_ms=$(awk -v a="$ttfb" -v b="$total" 'BEGIN { printf "%d", (b - a) * 1000 }')
  min_ms=$(( (events - 1) * interval_ms / 2 ))
  [ "$spread_ms" -ge "$min_ms" ] || { echo "$label: body came in ${spread_ms} ms after the first byte, expected >= ${min_ms} (buffered?)"; return 1; }
  grep -q '"msg":"access".*"status":200' "$err" || { echo "$label: no access line with status 200"; cat "$err"; return 1; }
  echo "$label: 200, $events events + [DONE], first byte after $(awk -v a="$ttfb" 'BEGIN { printf "%.1f", a * 1000 }') ms, streamed over $spread_ms ms"
  relay_result="$events events streamed over $spread_ms ms"
}

# --- 1. lintian and dependencies ---
for a in amd64 arm64; do
  deb="$dist/model-runner-bridge_${version}-1_$a.deb"
  step "lintian $a"
  lint=$(lintian --fail-on error --display-info --tag-display-limit 0 "$deb" 2>&1) && rc=0 || rc=$?
  echo "${lint:-(no tags)}"
  [ "$rc" -eq 0 ] || die "lintian reports errors for $deb"
  deps=$(dpkg-deb -f "$deb" Depends Pre-Depends)
  [ -z "$deps" ] || die "$deb depends on: $deps (a static binary needs nothing)"
  n_e=$(grep -c '^E:' <<<"$lint" || true); n_w=$(grep -c '^W:' <<<"$lint" || true); n_i=$(grep -c '^I:' <<<"$lint" || true)
  done_step "lintian $a .deb; Depends empty" "$n_e errors, $n_w warnings, $n_i info"
done

# --- 2. contents ---
step "package contents"
contents=$(dpkg-deb -c "$dist/model-runner-bridge_${version}-1_amd64.deb" | awk '{ print $6 }')
echo "$contents"
for want in ./usr/bin/model-runner-bridge ./usr/bin/start-openclaw ./usr/share/man/man1/model-runner-bridge.1.gz \
            ./usr/share/man/man1/start-openclaw.1.gz ./usr/share/bash-completion/completions/model-runner-bridge \
            ./usr/share/zsh/vendor-completions/_model-runner-bridge ./usr/share/doc/model-runner-bridge/copyright; do
  grep -qx "$want" <<<"$contents" || die "the .deb lacks $want"
done
! grep -qE 'fake-|scenario' <<<"$contents" || die "the bridge package carries test tools"
kit="$work/testkit"
cmake --install "$fakes_build" --component model-runner-bridge-testkit --prefix "$kit" >/dev/null
for f in fake-model-runner fake-sandbox-proxy fake-openclaw; do [ -x "$kit/bin/$f" ] || die "testkit lacks $f"; done
[ ! -e "$kit/bin/model-runner-bridge" ] || die "the testkit component carries the bridge"
done_step "contents: bridge package sandbox-only; testkit has the fakes"

# --- 3. scratch root ---
step "scratch root (dpkg -x)"
scratch="$work/scratch"
dpkg -x "$dist/model-runner-bridge_${version}-1_amd64.deb" "$scratch"
"$scratch/usr/bin/model-runner-bridge" --version
"$scratch/usr/bin/model-runner-bridge" --version | grep -qx "model-runner-bridge $version (commit [0-9a-f]*)" ||
  die "--version does not name version and commit"
LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$scratch/usr/share/man/man1/model-runner-bridge.1.gz" 2>"$work/man.err" | head -5
[ ! -s "$work/man.err" ] || { cat "$work/man.err"; die "man page warnings"; }
MANWIDTH=80 man -l "$scratch/usr/share/man/man1/start-openclaw.1.gz" >/dev/null
bash -n "$scratch/usr/share/bash-completion/completions/model-runner-bridge"
timeout 10 zsh -f tests/packaging/zsh_complete.zsh "$scratch/usr/share/zsh/vendor-completions" "doctor --completion-t" |
  grep -qx -- --completion-timeout || die "the installed zsh completion does not complete"
MRB_BRIDGE_BIN="$scratch/usr/bin/model-runner-bridge" "$scratch/usr/bin/start-openclaw" --help | head -1
relay_check scratch "$scratch/usr/bin/model-runner-bridge" || die "streamed relay (scratch)"
done_step "scratch root: --version, man, completion, relay" "$relay_result"

# --- 4. debootstrap chroot ---
if [ -z "${SKIP_DEBOOTSTRAP:-}" ]; then
  step "debootstrap chroot"
  mirror=${DEBIAN_MIRROR:-$( (grep -hoE '^(URIs:|deb) +http[^ ]*/debian/?( |$)' /etc/apt/sources.list \
    /etc/apt/sources.list.d/*.sources 2>/dev/null || true) | awk '{ print $2 }' | head -1)}
  mirror=${mirror:-http://deb.debian.org/debian}
  chroot_dir=$work_root/chroot-bookworm
  if [ ! -x "$chroot_dir/usr/bin/dpkg" ]; then
    rm -rf "$chroot_dir"
    echo "debootstrap --variant=minbase bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$chroot_dir" "$mirror" >"$work_root/debootstrap.log" 2>&1 ||
      { tail -20 "$work_root/debootstrap.log"; die "debootstrap failed (log: $work_root/debootstrap.log)"; }
  else
    echo "reusing $chroot_dir (delete it to fetch a fresh one)"
  fi
  chroot "$chroot_dir" dpkg --purge model-runner-bridge >/dev/null 2>&1 || true
  cp "$dist/model-runner-bridge_${version}-1_amd64.deb" "$chroot_dir/tmp/"
  chroot "$chroot_dir" dpkg -i "/tmp/model-runner-bridge_${version}-1_amd64.deb"
  echo "chroot has $(chroot "$chroot_dir" dpkg-query -f '.\n' -W | wc -l) packages (minbase)"
  chroot "$chroot_dir" /usr/bin/model-runner-bridge --version
  # The proxy by name, as a sandbox names host.docker.internal: the static binary's own glibc
  # resolves it from the chroot's /etc/hosts (debootstrap's minbase has none; we add one).
  [ -f "$chroot_dir/etc/hosts" ] || echo "127.0.0.1 localhost" >"$chroot_dir/etc/hosts"
  grep -q 'sandbox-proxy.test' "$chroot_dir/etc/hosts" || echo "127.0.0.1 sandbox-proxy.test" >>"$chroot_dir/etc/hosts"
  RELAY_PROXY_HOST=sandbox-proxy.test relay_check chroot chroot "$chroot_dir" /usr/bin/model-runner-bridge ||
    die "streamed relay (chroot, proxy by name)"
  chroot "$chroot_dir" dpkg --purge model-runner-bridge >/dev/null
  rm -f "$chroot_dir/tmp/model-runner-bridge_${version}-1_amd64.deb"
  done_step "debootstrap bookworm minbase chroot: dpkg -i, --version, relay (proxy by name)" "$relay_result"
fi

# --- 5. arm64 under qemu ---
step "arm64 under qemu-aarch64-static"
arm_root="$work/arm64"
dpkg -x "$dist/model-runner-bridge_${version}-1_arm64.deb" "$arm_root"
file -b "$arm_root/usr/bin/model-runner-bridge"
file -b "$arm_root/usr/bin/model-runner-bridge" | grep -q 'ARM aarch64.*statically linked' || die "arm64 binary is not static aarch64"
qemu-aarch64-static "$arm_root/usr/bin/model-runner-bridge" --version
relay_check arm64 qemu-aarch64-static "$arm_root/usr/bin/model-runner-bridge" || die "streamed relay (arm64)"
done_step "arm64 (qemu): --version, relay" "$relay_result"

# --- 6. tarball and the sandbox template's install step ---
step "tarball and docker/Dockerfile's install script"
prefix="$work/usr-local"
mkdir -p "$prefix"
tar -xzf "$dist/model-runner-bridge-$version-linux-x86_64.tar.gz" -C "$prefix" --strip-components=1
"$prefix/bin/model-runner-bridge" --version >/dev/null
[ -f "$prefix/share/man/man1/model-runner-bridge.1.gz" ] || die "tarball lacks the man page"
template_root="$work/template-root"
MRB_PREFIX="$template_root/usr/local" MRB_ETC="$template_root/etc" ci/template/install-bridge.sh "$dist" amd64
[ -f "$template_root/etc/profile.d/model-runner-bridge.sh" ] || die "no login hint"
MRB_PREFIX="$template_root/usr/local" ci/template/check-template.sh --bridge-only
MRB_PREFIX="$work/template-arm64/usr/local" MRB_ETC="$work/template-arm64/etc" MRB_RUN="qemu-aarch64-static" \
  ci/template/install-bridge.sh "$dist" arm64
ci/template/install-openclaw.sh --self-test
done_step "tarball unpacks and runs; template install scripts"

# --- 7. start-up time and idle memory ---
step "start-up time and idle memory (static x86_64)"
python3 - "$scratch/usr/bin/model-runner-bridge" "$proxy_port" "$runner_port" <<'PY' | tee "$work/startup.txt"
import statistics, subprocess, sys, time
exe, proxy, runner = sys.argv[1:4]
ready, rss = [], []
for _ in range(20):
    t0 = time.perf_counter()
    p = subprocess.Popen([exe, "serve", "--listen", "127.0.0.1:0", "--proxy", f"http://127.0.0.1:{proxy}",
                          "--target", f"localhost:{runner}"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    ready.append((time.perf_counter() - t0) * 1000)
    assert "listening on" in line, line
    with open(f"/proc/{p.pid}/status") as f:
        rss += [int(l.split()[1]) for l in f if l.startswith("VmRSS:")]
    p.terminate(); p.wait()
print(f"ready line after: median {statistics.median(ready):.1f} ms, min {min(ready):.1f} ms, max {max(ready):.1f} ms (20 starts)")
print(f"idle RSS: median {statistics.median(rss)} KiB")
PY
done_step "start-up" "$(head -1 "$work/startup.txt" | sed 's/ready line after: //')"

echo
echo "=== release-check passed in $((SECONDS - t_start)) s"
for x in x86_64 arm64; do
  tgz="$dist/model-runner-bridge-$version-linux-$x.tar.gz"
  bin_size=$(tar -xzOf "$tgz" "model-runner-bridge-$version-linux-$x/bin/model-runner-bridge" | wc -c)
  echo "  $x binary: $bin_size bytes; tarball $(stat -c %s "$tgz") bytes"
done
printf '  %s\n' "${summary[@]}"
