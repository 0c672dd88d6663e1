#!/usr/bin/env bash
# HTTP benchmark: trustcoach serve (memory store, SQLite store) and
# bench/minimal_server, on loopback, driven by wrk with bench/http/conversation.lua
# (create, then ten turns, per conversation; keep-alive).
#
#   bench/http/run.sh BUILD_DIR OUT_DIR
# Environment (defaults in brackets):
#   CONNECTIONS ["1 4 16 64"]  concurrent keep-alive connections (one wrk
#                              thread each: wrk keeps Lua state per thread)
#   DURATION [5]               seconds per wrk run
#   REPEATS [3]                runs per (server, connections); medians are reported
#   THREADS [64]               threads started up front by both servers (the
#                              minimal server's fixed pool; trustcoach's
#                              elastic pool grows past it anyway): at least the
#                              most connections, since cpp-httplib holds one
#                              thread per keep-alive connection
#   SQLITE_SYNC [full]         --sqlite-sync for the SQLite store
# Writes OUT_DIR/http.tsv (every run) and OUT_DIR/http-summary.tsv (medians,
# ratios), and prints the summary.
set -euo pipefail
build=$(cd "$1" && pwd)
out=$(mkdir -p "$2" && cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
connections=${CONNECTIONS:-1 4 16 64}
duration=${DURATION:-5}
repeats=${REPEATS:-3}
threads=${THREADS:-64}
sqlite_sync=${SQLITE_SYNC:-full}

tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for_port() {  # bounded: 10 s
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "run.sh: nothing listening on port $1" >&2
  return 1
}

# The same HTTP settings for both: TCP_NODELAY (both set it), $threads
# workers, keep-alive of 100 requests and 5 s. Rate limits are off because
# every request comes from 127.0.0.1, and so is the cap of conversations
# per address; the memory store's capacity and byte budget are raised past
# what a run creates; the access log is off (it is a deployment choice,
# measured separately below).
serve_flags=(--host 127.0.0.1 --threads "$threads" --client-rate 0
  --conversation-rate 0 --access-log off --keep-alive-max 100
  --keep-alive-timeout 5 --memory-max-conversations 1000000
  --memory-max-bytes 1099511627776 --max-conversations-per-client 0
  --sweep-interval 3600)

declare -A port
port[minimal]=$(free_port)
"$build/bin/minimal_server" "${port[minimal]}" "$threads" 100 >"$tmp/minimal.log" 2>&1 &
pids+=($!)
port[memory]=$(free_port)
"$build/bin/trustcoach" serve "${serve_flags[@]}" --port "${port[memory]}" \
  --store memory >"$tmp/memory.log" 2>&1 &
pids+=($!)
port[sqlite]=$(free_port)
"$build/bin/trustcoach" serve "${serve_flags[@]}" --port "${port[sqlite]}" \
  --store "sqlite:$tmp/bench.db" --sqlite-sync "$sqlite_sync" >"$tmp/sqlite.log" 2>&1 &
pids+=($!)
for server in minimal memory sqlite; do wait_for_port "${port[$server]}"; done

tsv=$out/http.tsv
printf 'server\tconnections\trepeat\trequests_per_s\tturns_per_s\tp50_us\tp99_us\terrors\n' >"$tsv"
for c in $connections; do
  for r in $(seq "$repeats"); do
    # Interleaved, so that drift on a shared machine hits every server alike.
    for server in minimal memory sqlite; do
      result=$(wrk -t "$c" -c "$c" -d "${duration}s" --timeout 5s \
        -s "$here/conversation.lua" "http://127.0.0.1:${port[$server]}" 2>&1)
      rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$result")
      read -r turns errors < <(awk '/^turns / {print $2, $6}' <<<"$result")
      read -r p50 p99 < <(awk '/^p50_us / {print $2, $4}' <<<"$result")
      tps=$(awk -v t="$turns" -v d="$duration" 'BEGIN {printf "%.0f", t / d}')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$c" "$r" "$rps" \
        "$tps" "$p50" "$p99" "$errors" | tee -a "$tsv"
    done
  done
done

python3 - "$tsv" "$out/http-summary.tsv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
med = {}
for key in {(r["server"], int(r["connections"])) for r in rows}:
    runs = [r for r in rows if (r["server"], int(r["connections"])) == key]
    med[key] = {f: statistics.median(float(r[f]) for r in runs)
                for f in ("turns_per_s", "p50_us", "p99_us", "errors")}
with open(sys.argv[2], "w") as out:
    header = "connections\tserver\tturns_per_s\tp50_ms\tp99_ms\terrors\tratio_to_minimal"
    print(header); out.write(header + "\n")
    for c in sorted({k[1] for k in med}):
        base = med[("minimal", c)]["turns_per_s"]
        for server in ("minimal", "memory", "sqlite"):
            m = med[(server, c)]
            line = "%d\t%s\t%.0f\t%.2f\t%.2f\t%.0f\t%.2f" % (
                c, server, m["turns_per_s"], m["p50_us"] / 1000,
                m["p99_us"] / 1000, m["errors"], m["turns_per_s"] / base)
            print(line); out.write(line + "\n")
PY
