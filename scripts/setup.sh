#!/usr/bin/env bash
# Installs the Debian packages trustcoach needs (only those missing), then
# configures and builds into build/. Used by run.sh, test.sh, bench.sh and
# .ci/run. What it installs follows the cmake arguments: building and
# running need only the compiler and libraries; the tests
# (-DTRUSTCOACH_BUILD_TESTS, on unless OFF is given) add Catch2, Redis,
# nginx and the tools they drive; the benchmarks
# (-DTRUSTCOACH_BUILD_BENCH=ON) add Google Benchmark.
#   scripts/setup.sh [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake make pkg-config
  libre2-dev nlohmann-json3-dev libcpp-httplib-dev libsqlite3-dev
  libssl-dev libjemalloc-dev libhiredis-dev
)
tests=ON bench=OFF
for arg in "$@"; do
  case $arg in
    -DTRUSTCOACH_BUILD_TESTS=OFF | -DTRUSTCOACH_BUILD_TESTS:BOOL=OFF) tests=OFF ;;
    -DTRUSTCOACH_BUILD_BENCH=ON | -DTRUSTCOACH_BUILD_BENCH:BOOL=ON) bench=ON ;;
  esac
done
if [ "$tests" = ON ]; then
  packages+=(
    catch2 sqlite3 redis-server nginx git
    python3 curl  # tests/http: the end-to-end test and the curl examples in docs/api.md
    dpkg-dev file  # tests/install: cpack's .deb (dpkg-shlibdeps)
  )
fi
if [ "$bench" = ON ]; then packages+=(libbenchmark-dev); fi
source scripts/lib/packages.sh
install_missing setup "${packages[@]}"

build_dir=${TRUSTCOACH_BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
# TRUSTCOACH_BUILD_TARGETS: only these targets (space-separated), e.g. for a
# CI stage that runs a few of the tests.
targets=()
if [ -n "${TRUSTCOACH_BUILD_TARGETS:-}" ]; then
  read -ra names <<<"$TRUSTCOACH_BUILD_TARGETS"
  targets=(--target "${names[@]}")
fi
cmake --build "$build_dir" -j "$jobs" "${targets[@]}"
