#!/usr/bin/env bash
# Builds the `asan` preset (AddressSanitizer + UndefinedBehaviorSanitizer, every fake and test
# built with them) and runs the socket-free unit suites, the loopback integration suites (the
# bridge binary itself runs sanitized) and the scenario catalogue under it. Node clients and the
# bench smoke stay out (the `asan` test preset excludes them: they measure, not check memory).
# Usage: ci/sanitize.sh [asan|tsan] [extra ctest args]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-asan}
shift || true
ci/install-deps.sh
ci/build.sh "$preset"
ctest --preset "$preset" -L 'unit|integration|conformance|fuzz-replay' "$@"
