#!/usr/bin/env bash
# The local proof of issue 6: N `wsgate run --shard K/N` processes on one
# machine, against S `wsgate serve` processes sharing one port
# (SO_REUSEPORT), hold more connections together than one process's file
# limit allows, and `wsgate merge` adds them up with a per-shard table.
#
#   bench/multi_shard.sh                 4 shards x 19,000 users, 60 s hold
#   QUICK=1 bench/multi_shard.sh         4 shards x 2,000 users, 15 s
#   SHARDS=4 USERS_PER_SHARD=19000 HOLD=60 RAMP=20 SERVERS=5 bench/multi_shard.sh
#
# Every user opens one connection (from its shard's own 127.0.K.x source
# addresses, so no address runs out of ephemeral ports), sends an app-level
# ping every 30 s and waits for the pong. Bounded: the spec's duration plus
# a fixed grace; everything started here is killed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
WSGATE=${WSGATE:-build/wsgate}
SHARDS=${SHARDS:-4}
if [ -n "${QUICK:-}" ]; then
  USERS_PER_SHARD=${USERS_PER_SHARD:-2000}; HOLD=${HOLD:-15}
else
  USERS_PER_SHARD=${USERS_PER_SHARD:-19000}; HOLD=${HOLD:-60}
fi
TOTAL=$((SHARDS * USERS_PER_SHARD))
SERVERS=${SERVERS:-$(( (TOTAL + 17999) / 18000 ))}   # each server process below its 20,000 files
# ~1,000 new connections/s per shard: 4 shards at 3,000/s each (12,000/s in
# all) overran 5 single-threaded servers on a 2-core machine (refused connects)
RAMP=${RAMP:-$(( (USERS_PER_SHARD + 999) / 1000 ))}
WORK=$(mktemp -d /tmp/wsgate-multi.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "raw: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
[ -x "$WSGATE" ] || { echo "build first: ./setup.sh demo (or set WSGATE)" >&2; exit 2; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
for i in $(seq 1 "$SERVERS"); do
  "$WSGATE" serve --port "$port" --reuse-port >"$WORK/serve$i.log" 2>&1 &
  PIDS+=($!)
done
sleep 1
for i in $(seq 1 "$SERVERS"); do kill -0 "${PIDS[$((i - 1))]}" || { cat "$WORK/serve$i.log"; exit 3; }; done

cat >"$WORK/spec.yaml" <<YAML
version: 1
name: multi-shard-idle
target: ws://127.0.0.1:$port
load: {users: $TOTAL, ramp_up: ${RAMP}s, duration: $((RAMP + HOLD))s}
scenarios:
  - name: idle heartbeat
    connect: {url: "{{target}}/ws/chat?token=bench-{{vu.id}}", timeout: 20s}
    tasks:
      - name: heartbeat
        pause: 30s
        send: '{"action":"ping"}'
        expect: {match: 'type == "pong"', timeout: 10s}
assertions:
  - connect.success_rate == 100%
  - connections.peak == $TOTAL
YAML

ulimit -n 2>/dev/null | sed 's/^/per-process open-file limit: /'
echo "starting $SHARDS shards x $USERS_PER_SHARD users against $SERVERS server processes on port $port"
start_at=$(( $(date +%s) + 3 ))
SHARD_PIDS=()
for k in $(seq 1 "$SHARDS"); do
  "$WSGATE" run "$WORK/spec.yaml" --shard "$k/$SHARDS" --start-at "$start_at" --region "local-$k" \
    --source-addrs "127.0.$k.1-127.0.$k.8" --out "$WORK/shard$k" --quiet >"$WORK/shard$k.log" 2>&1 &
  SHARD_PIDS+=($!)
done
peak_rss=0
sleep $((3 + RAMP + HOLD / 2))
for p in "${SHARD_PIDS[@]}"; do
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
  [ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
done
open_now=$(ss -Htn state established "( dport = :$port )" | wc -l)
rc_all=0
for p in "${SHARD_PIDS[@]}"; do set +e; wait "$p"; rc=$?; set -e; [ "$rc" -le 1 ] || rc_all=$rc; done
[ "$rc_all" -eq 0 ] || { echo "a shard could not run:"; cat "$WORK"/shard*.log; exit 3; }
set +e
"$WSGATE" merge "$WORK"/shard*/result.json --out "$WORK/merged" --quiet
merge_rc=$?
set -e
M="$WORK/merged/result.json"
echo
printf '%-34s %s\n' "shards x users" "$SHARDS x $USERS_PER_SHARD = $TOTAL"
printf '%-34s %s\n' "server processes (one port)" "$SERVERS"
printf '%-34s %s\n' "connections open mid-hold (ss)" "$open_now"
printf '%-34s %s\n' "merged connect ok / failed" "$(jq -r '.steps[0] | "\(.ok) / \(.failed)"' "$M")"
printf '%-34s %s\n' "merged connects abandoned" "$(jq -r '.connections.abandoned // 0' "$M") (pending at the end: neither ok nor failed)"
printf '%-34s %s\n' "users that never connected" "$(jq -r --argjson n "$TOTAL" '$n - .steps[0].ok' "$M") of $TOTAL (a failed connect is retried)"
printf '%-34s %s\n' "merged peak (sum of shard peaks)" "$(jq -r '.connections.peak' "$M")"
printf '%-34s %s\n' "merged connect p50 / p99" "$(jq -r '.steps[0].latency_us | "\(.p50) us / \(.p99) us"' "$M")"
printf '%-34s %s\n' "heartbeats ok / failed" "$(jq -r '.steps[] | select(.name=="heartbeat") | "\(.ok) / \(.failed)"' "$M")"
printf '%-34s %s\n' "largest shard RSS mid-hold" "$((peak_rss / 1024)) MiB"
printf '%-34s %s\n' "merge verdict (exit)" "$(jq -r .verdict "$M") ($merge_rc)"
echo
sed -n '/^| Shard/,/^$/p' "$WORK/merged/summary.md"
trap - EXIT
cleanup
