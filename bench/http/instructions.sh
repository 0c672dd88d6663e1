#!/usr/bin/env bash
# Instructions per request, counted by callgrind: the noise-free companion of
# run.sh, whose wrk figures drift on a shared machine. Runs the minimal
# server and `trustcoach serve --store memory` under valgrind, drives each
# with bench/http/drive.py (WARMUP conversations, counters zeroed, then
# MEASURED conversations of 11 requests each) and prints user-space
# instructions per request, their ratio, trustcoach's largest parts, and its
# work outside the engine against the target (docs/performance.md): what
# trustcoach spends per request beyond the engine (Engine::Respond and
# Engine::Start) and beyond what the minimal httplib server spends.
#
#   bench/http/instructions.sh BUILD_DIR OUT_DIR
# Environment: WARMUP [300], MEASURED [100], OUTSIDE_TARGET [15000].
# Writes OUT_DIR/instructions.tsv, and the callgrind profiles to
# OUT_DIR/callgrind.memory.out and callgrind.minimal.out (read them with
# callgrind_annotate --inclusive=yes --tree=calling).
set -euo pipefail
build=$(cd "$1" && pwd)
out=$(mkdir -p "$2" && cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
warmup=${WARMUP:-300}
measured=${MEASURED:-100}
target=${OUTSIDE_TARGET:-15000}
requests=$((measured * 11))

tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# count NAME PORT COMMAND...: prints the total instructions of the measured
# requests; leaves the callgrind dump in $tmp/NAME.out.1.
count() {
  local name=$1 port=$2
  shift 2
  valgrind --tool=callgrind --callgrind-out-file="$tmp/$name.out" "$@" \
    >"$tmp/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 240); do  # valgrind starts slowly: up to 2 min
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.5
  done
  "$here/drive.py" "$port" "$warmup"
  callgrind_control -z "$pid" >/dev/null 2>&1
  "$here/drive.py" "$port" "$measured"
  callgrind_control -d "$pid" >/dev/null 2>&1
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  callgrind_annotate "$tmp/$name.out.1" 2>/dev/null |
    awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}

port=$(free_port)
minimal=$(count minimal "$port" "$build/bin/minimal_server" "$port" 4)
port=$(free_port)
memory=$(count memory "$port" "$build/bin/trustcoach" serve --host 127.0.0.1 \
  --port "$port" --store memory --threads 4 --client-rate 0 \
  --conversation-rate 0 --max-conversations-per-client 0 --access-log off)

# Inclusive instructions of trustcoach's main parts, per request.
cp "$tmp/memory.out.1" "$out/callgrind.memory.out"
cp "$tmp/minimal.out.1" "$out/callgrind.minimal.out"
callgrind_annotate --inclusive=yes "$tmp/memory.out.1" 2>/dev/null >"$tmp/parts"
part() {
  awk -v pattern="$1" -v n="$requests" 'index($0, pattern) {
    gsub(",", "", $1); printf "%.0f", $1 / n; found = 1; exit }
    END { if (!found) printf "0" }' "$tmp/parts"
}
{
  printf 'what\tinstructions_per_request\tverdict\n'
  printf 'minimal server\t%s\n' $((minimal / requests))
  printf 'trustcoach, memory store\t%s\n' $((memory / requests))
  printf 'ratio minimal / trustcoach\t%s\n' \
    "$(awk -v a="$minimal" -v b="$memory" 'BEGIN {printf "%.2f", a / b}')"
  printf '  turn handler (Api::PostMessage, averaged over all requests)\t%s\n' \
    "$(part 'trustcoach::server::Api::PostMessage(')"
  printf '  engine turn (Engine::Respond, same)\t%s\n' \
    "$(part 'trustcoach::Engine::Respond(')"
  printf '  pre-routing hook (Api::PreRoute)\t%s\n' \
    "$(part 'trustcoach::server::Api::PreRoute(')"
  engine=$(($(part 'trustcoach::Engine::Respond(') + $(part 'trustcoach::Engine::Start(')))
  outside=$((memory / requests - engine - minimal / requests))
  printf 'outside the engine (trustcoach - engine - minimal), target <= %s\t%s\t%s\n' \
    "$target" "$outside" "$( ((outside <= target)) && echo met || echo MISSED)"
} | tee "$out/instructions.tsv"
