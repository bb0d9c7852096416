#!/usr/bin/env bash
# Builds the `fuzz` preset (clang-14 + libFuzzer, ASan + UBSan) and runs every fuzz target for
# SECONDS each (default 60), one after another; or only the targets named after SECONDS.
# New inputs go to build/fuzz/corpus/<target>/ (the committed corpus under tests/fuzz/corpus/
# is read, never written); crashes to build/fuzz/artifacts/<target>/. Not part of ci/test.sh:
# CI replays the committed corpora under GCC instead (ctest -L fuzz-replay).
# Needs clang: ci/install-fuzz-deps.sh. Exit status: non-zero if any target found a crash.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
seconds=${1:-60}
shift || true
cd "$root"

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "${JOBS:-2}"

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  for d in tests/fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
fi

failed=()
for t in "${targets[@]}"; do
  bin=build/fuzz/tests/fuzz/fuzz_$t
  mkdir -p "build/fuzz/corpus/$t" "build/fuzz/artifacts/$t"
  echo "fuzz: $t for ${seconds}s"
  # -rss_limit_mb: a target that grows past this is a bug too. Logs keep the final figures
  # (cov:, ft:, corp:, exec/s) that docs/reliability.md quotes.
  if ! "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="build/fuzz/artifacts/$t/" \
      "build/fuzz/corpus/$t" "tests/fuzz/corpus/$t" > "build/fuzz/$t.log" 2>&1; then
    failed+=("$t")
    echo "fuzz: $t FAILED, see build/fuzz/$t.log and build/fuzz/artifacts/$t/"
  fi
  grep -E '^#[0-9]+ *DONE|stat::number_of_executed_units' "build/fuzz/$t.log" || tail -3 "build/fuzz/$t.log"
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: crashes in: ${failed[*]}"
  exit 1
fi
echo "fuzz: all targets ran clean"
