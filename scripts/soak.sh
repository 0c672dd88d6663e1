#!/usr/bin/env bash
# A bounded soak test of `trustcoach serve` on 127.0.0.1: mixed traffic
# (conversations, transcripts, deletes, bad requests, wrong tokens, health,
# metrics) from 8 client threads, with the SQLite store and expiry sweeps
# every 20 s. Prints RSS, threads and open files every 15 s and the counts of
# requests and unexpected answers; fails on any unexpected answer, a server
# crash, an unclean exit or RSS growing more than 10% over the second half.
# Rate limits are off so that the load is not throttled.
#   scripts/soak.sh [--minutes N (10)] [--clients N (8)] [--store memory]
#                   [--binary PATH] [--json FILE]
# Builds build/bin/trustcoach first unless --binary is given.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=
args=()
while (($#)); do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [ -z "$binary" ]; then
  scripts/setup.sh -DTRUSTCOACH_BUILD_TESTS=OFF
  binary=${TRUSTCOACH_BUILD_DIR:-build}/bin/trustcoach
fi
exec python3 scripts/soak.py --binary "$binary" "${args[@]}"
