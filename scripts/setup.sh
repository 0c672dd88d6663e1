#!/usr/bin/env bash
# Installs the Debian packages trustcoach needs (only those missing), then
# configures and builds into build/. Used by run.sh, test.sh and .ci/run.
#   scripts/setup.sh [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake make pkg-config git
  libre2-dev nlohmann-json3-dev libcpp-httplib-dev catch2 libsqlite3-dev sqlite3
  libssl-dev libjemalloc-dev libhiredis-dev redis-server nginx libbenchmark-dev
  python3 curl  # tests/http: the end-to-end test and the curl examples in docs/api.md
)
source scripts/lib/packages.sh
install_missing setup "${packages[@]}"

build_dir=${TRUSTCOACH_BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build_dir" -j "$jobs"
