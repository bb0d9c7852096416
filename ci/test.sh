#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine and runs every test suite: install the dependencies,
# then configure, build and test the dev preset (`cmake --workflow --preset ci`).
# Extra arguments go to ctest, e.g. `ci/test.sh -L unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
ci/install-deps.sh
ci/build.sh dev
ctest --preset dev "$@"
