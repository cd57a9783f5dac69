#!/usr/bin/env bash
# issue 5, items 1-3: one `wsgate run` holds N idle connections (heartbeat
# every 30 s) for HOLD seconds against `wsgate serve` (2 service
# threads of one process sharing the port: 19,500 sockets fit its 20,000 files).
# Prints connect success, the ramp's connect rate, wsgate RSS at the start
# and end of the hold (growth %) and RSS per connection (hold RSS minus the
# RSS of a 1-user run, divided by N).
#
#   bench/connections.sh                     19,500 users, 300 s hold
#   QUICK=1 bench/connections.sh             2,000 users, 20 s hold
#   USERS=19500 HOLD=300 RATE=5000 SERVERS=1 SERVER_THREADS=2 SOURCES=127.0.0.1-127.0.0.8 bench/connections.sh
#
# Bounded: the spec's duration plus 60 s; everything started here is killed on exit.
set -euo pipefail
cd "$(dirname "$0")"
if [ -n "${QUICK:-}" ]; then USERS=${USERS:-2000}; HOLD=${HOLD:-20}; fi
USERS=${USERS:-19500}; HOLD=${HOLD:-300}; RATE=${RATE:-5000}
SERVERS=${SERVERS:-1}          # processes; SO_REUSEPORT is set only with --threads > 1
SERVER_THREADS=${SERVER_THREADS:-2}
SOURCES=${SOURCES:-127.0.0.1-127.0.0.8}
WSGATE=${WSGATE:-build-release/wsgate}
[ -x "$WSGATE" ] || ./build.sh
RAMP=$(( (USERS + RATE - 1) / RATE )) # whole seconds, for durations
RAMP_MS=$(( USERS * 1000 / RATE ))     # the planned ramp itself
WORK=$(mktemp -d /tmp/wsgate-conn.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "raw: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
for i in $(seq 1 "$SERVERS"); do
  "$WSGATE" serve --port "$port" --threads "$SERVER_THREADS" >"$WORK/serve$i.log" 2>&1 &
  sleep 0.3
  PIDS+=($!)
done
sleep 1

spec() { # users ramp_ms duration_s
  cat <<YAML
version: 1
name: idle-connections
target: ws://127.0.0.1:$port
load: {users: $1, ramp_up: ${2}ms, duration: ${3}s}
scenarios:
  - name: idle heartbeat
    connect: {url: "{{target}}/ws/chat?token=bench-{{vu.id}}", timeout: 20s}
    tasks:
      - name: heartbeat
        pause: 30s
        send: '{"action":"ping"}'
        expect: {match: 'type == "pong"', timeout: 10s}
YAML
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
open_conns() { ss -Htn state established "( dport = :$port )" | wc -l; }

# Baseline: the same spec with one user.
spec 1 1000 6 >"$WORK/one.yaml"
"$WSGATE" run "$WORK/one.yaml" --source-addrs "$SOURCES" --out "$WORK/one" --quiet &
p1=$!; PIDS+=("$p1"); sleep 4; rss_one=$(rss_kb "$p1"); wait "$p1" || true

spec "$USERS" "$RAMP_MS" $((RAMP + HOLD)) >"$WORK/spec.yaml"
t0=$(date +%s.%N)
timeout $((RAMP + HOLD + 60)) "$WSGATE" run "$WORK/spec.yaml" --source-addrs "$SOURCES" --out "$WORK/run" --quiet \
  >"$WORK/run.log" 2>&1 &
P=$!; PIDS+=("$P")
sleep 0.3
W=$(pgrep -P "$P" | head -1) # wsgate itself, not timeout
# The ramp: poll the open connections until all are up (or RAMP + 30 s).
t_first=; t_full=; n=0
for _ in $(seq 1 $(( (RAMP + 30) * 5 ))); do
  n=$(open_conns); now=$(date +%s.%N)
  [ -z "$t_first" ] && [ "$n" -gt 0 ] && t_first=$now
  if [ "$n" -ge "$USERS" ]; then t_full=$now; break; fi
  sleep 0.2
done
rate=$(awk -v a="${t_first:-$t0}" -v b="${t_full:-0}" -v n="$USERS" 'BEGIN{ if (b > a) printf "%.0f", n / (b - a); else print "n/a (never all open)" }')
sleep 2
rss_start=$(rss_kb "$W")
end_at=$(awk -v t="$t0" -v d=$((RAMP + HOLD - 3)) 'BEGIN{printf "%.0f", t + d}')
while [ "$(date +%s)" -lt "$end_at" ] && kill -0 "$P" 2>/dev/null; do sleep 1; done
rss_end=$(rss_kb "$W"); open_end=$(open_conns)
set +e; wait "$P"; rc=$?; set -e
R="$WORK/run/result.json"
[ -f "$R" ] || { echo "wsgate run failed (exit $rc):"; cat "$WORK/run.log"; exit 3; }
echo
printf '%-40s %s\n' "users / hold / server processes" "$USERS / ${HOLD}s / $SERVERS (one port)"
printf '%-40s %s\n' "connect ok / failed" "$(jq -r '.steps[] | select(.name=="connect") | "\(.ok) / \(.failed)"' "$R")"
printf '%-40s %s\n' "connect success" "$(jq -r '.steps[] | select(.name=="connect") | "\(100 * .ok / (.ok + .failed)) %"' "$R")"
printf '%-40s %s\n' "heartbeats ok / failed" "$(jq -r '.steps[] | select(.name=="heartbeat") | "\(.ok) / \(.failed)"' "$R")"
printf '%-40s %s\n' "connections open 3 s before end (ss)" "$open_end"
printf '%-40s %s\n' "connect rate during ramp (conns/s)" "$rate (ramp_up ${RAMP_MS}ms planned: $RATE/s)"
printf '%-40s %s\n' "wsgate RSS, 1-user run" "$rss_one KiB"
printf '%-40s %s\n' "wsgate RSS, start / end of hold" "$rss_start KiB / $rss_end KiB"
awk -v a="$rss_start" -v b="$rss_end" -v o="$rss_one" -v n="$USERS" 'BEGIN{
  printf "%-40s %.2f %%\n", "RSS growth over the hold", 100 * (b - a) / a
  printf "%-40s %.2f KiB (target <= 4)\n", "RSS per connection", (a - o) / n }'
printf '%-40s %s\n' "wsgate exit / verdict" "$rc / $(jq -r .verdict "$R")"
