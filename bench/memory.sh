#!/usr/bin/env bash
# Memory: RSS of `trustcoach serve --store memory` holding idle conversations.
#   bench/memory.sh BUILD_DIR OUT_DIR
# Environment: COUNT [100000] conversations created with no turn (idle right
# after the opening); TURNS_COUNT [10000] further conversations with TURNS
# [10] turns each, to show what a conversation's transcript adds.
# Writes OUT_DIR/memory.tsv and prints it. RSS is VmRSS from /proc/PID/status.
set -euo pipefail
build=$(cd "$1" && pwd)
out=$(mkdir -p "$2" && cd "$2" && pwd)
count=${COUNT:-100000}
turns_count=${TURNS_COUNT:-10000}
turns=${TURNS:-10}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$build/bin/trustcoach" serve --host 127.0.0.1 --port "$port" --store memory \
  --memory-max-conversations 1000000 --memory-max-bytes 1099511627776 \
  --max-conversations-per-client 0 --idle-expiry 86400 --sweep-interval 3600 \
  --client-rate 0 --conversation-rate 0 --access-log off >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
tsv=$out/memory.tsv
printf 'phase\tconversations\trss_mb\tbytes_per_conversation\n' | tee "$tsv"
base=$(rss_kb)
printf 'started\t0\t%.1f\t-\n' "$(bc -l <<<"$base/1024")" | tee -a "$tsv"

"$build/bin/create_conversations" "$port" "$count" 0 4 >&2
sleep 1
idle=$(rss_kb)
printf 'idle_after_opening\t%d\t%.1f\t%.0f\n' "$count" "$(bc -l <<<"$idle/1024")" \
  "$(bc -l <<<"($idle-$base)*1024/$count")" | tee -a "$tsv"

"$build/bin/create_conversations" "$port" "$turns_count" "$turns" 4 >&2
sleep 1
after=$(rss_kb)
printf 'plus_%d_turns_each\t%d\t%.1f\t%.0f\n' "$turns" "$turns_count" \
  "$(bc -l <<<"$after/1024")" "$(bc -l <<<"($after-$idle)*1024/$turns_count")" \
  | tee -a "$tsv"
