#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/*_fuzzer.cc) with clang, ASan and UBSan
# into build-fuzz/bin/. Asserts stay on (no -DNDEBUG). Installs clang and the
# compiler runtime when missing.
#   fuzz/build.sh [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for p in clang libclang-rt-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "fuzz/build.sh: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

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
