#!/usr/bin/env bash
# Builds the release artifacts of model-runner-bridge for x86_64 and arm64:
#   build/dist/model-runner-bridge-VERSION-linux-ARCH.tar.gz  the static, stripped binary,
#       start-openclaw, man pages, bash and zsh completion and docs, laid out under a prefix
#       (bin/, share/): `tar -xzf ... -C /usr/local --strip-components=1` installs it
#   build/dist/model-runner-bridge_VERSION-1_DEBARCH.deb      the same files under /usr (CPack)
#   build/dist/SHA256SUMS
# Only the bridge is built (no tests, benches or fakes). Usage:
#   ci/package.sh [x86_64] [arm64]      (default: both; DIST=dir changes the output folder)
# Needs ci/install-deps.sh and ci/install-package-deps.sh (run here when something is missing
# and we are root). Checks of the artifacts: ci/release-check.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dist=${DIST:-$root/build/dist}
jobs=${JOBS:-2}
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(x86_64 arm64)

if ! command -v aarch64-linux-gnu-g++ >/dev/null || ! command -v qemu-aarch64-static >/dev/null; then
  ci/install-package-deps.sh
fi

version=$(sed -n 's/^project(model_runner_bridge VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
mkdir -p "$dist"

for arch in "${arches[@]}"; do
  case "$arch" in
    x86_64) deb_arch=amd64; toolchain=() ;;
    arm64)  deb_arch=arm64; toolchain=(-DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchain-aarch64-linux-gnu.cmake") ;;
    *) echo "package: unknown architecture '$arch' (x86_64 or arm64)" >&2; exit 2 ;;
  esac
  build="$root/build/pkg-$arch"
  echo "== $arch: configure and build in $build"
  t0=$SECONDS
  cmake -S . -B "$build" -G Ninja "${toolchain[@]}" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
    -DMRB_BUILD_TESTS=OFF -DMRB_BUILD_BENCH=OFF -DMRB_BUILD_FAKES=OFF \
    -DMRB_STATIC_BINARY=ON -DMRB_GENERATE_DOCS=ON >/dev/null
  nice -n 10 cmake --build "$build" -j "$jobs"
  bin="$build/bridge/model-runner-bridge"
  # The artifact must be one self-contained file.
  if ! file -b "$bin" | grep -q "statically linked"; then
    echo "package: $bin is not statically linked: $(file -b "$bin")" >&2
    exit 1
  fi
  size=$(stat -c %s "$bin")
  echo "== $arch: $(file -b "$bin" | cut -d, -f1-2), $size bytes, built in $((SECONDS - t0)) s"

  # Tarball: the component installed under a versioned folder.
  name="model-runner-bridge-$version-linux-$arch"
  stage="$build/stage"
  rm -rf "$stage"
  DESTDIR="$stage" cmake --install "$build" --component model-runner-bridge --prefix "/$name" >/dev/null
  rm -rf "$stage/$name/share/lintian" # Debian's lintian override means nothing outside the .deb
  tar -C "$stage" --owner=0 --group=0 --sort=name -czf "$dist/$name.tar.gz" "$name"

  # .deb: CPack with the same install rules, prefix /usr.
  (cd "$build" && cpack -G DEB -B "$build/cpack" >/dev/null)
  cp "$build/cpack/model-runner-bridge_${version}-1_${deb_arch}.deb" "$dist/"
  echo "== $arch: $dist/$name.tar.gz, $dist/model-runner-bridge_${version}-1_${deb_arch}.deb"
done

(cd "$dist" && sha256sum ./*.tar.gz ./*.deb | sed 's| \./| |' > SHA256SUMS)
ls -l "$dist"
