#!/usr/bin/env bash
# Builds trustcoach with its tests (installing what is missing) and runs every
# test: Catch2 units, transcripts, lint, HTTP, browser. Extra arguments go to
# ctest, e.g. scripts/test.sh -R transcripts
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh -DTRUSTCOACH_BUILD_TESTS=ON ${TRUSTCOACH_CMAKE_ARGS:-}
build_dir=${TRUSTCOACH_BUILD_DIR:-build}
cd "$build_dir"
ctest --output-on-failure --timeout 600 -j "$(nproc 2>/dev/null || echo 2)" "$@"
