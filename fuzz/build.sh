#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/*_fuzzer.cc) with clang, ASan and UBSan
# into build-fuzz/bin/. Asserts stay on (no -DNDEBUG). Installs clang and the
# compiler runtime when missing.
#   fuzz/build.sh [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib/packages.sh
install_missing fuzz/build.sh clang libclang-rt-dev

build_dir=${TRUSTCOACH_FUZZ_BUILD_DIR:-build-fuzz}
cmake -S . -B "$build_dir" \
  -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link" \
  -DTRUSTCOACH_SANITIZE=ON \
  -DTRUSTCOACH_FUZZ=ON \
  -DTRUSTCOACH_BUILD_TESTS=OFF \
  -DTRUSTCOACH_WITH_REDIS=OFF \
  "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc 2>/dev/null || echo 2)" --target fuzzers
