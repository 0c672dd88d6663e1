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
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build_dir=${TRUSTCOACH_BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build_dir" -j "$jobs"
