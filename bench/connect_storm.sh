#!/usr/bin/env bash
# Connect storm: what a pending connect costs wsgate while more and more are
# pending. USERS users ramp over RAMP s against bench/silent_peer.py, which
# never answers the upgrade (MODE=accept: TCP accepted, no reply) or never
# accepts (MODE=backlog: backlog 1, clients stay SYN-SENT); connect.timeout
# is longer than the run, so every connect stays pending until the end,
# where it is abandoned. Two binaries alternate (A then B, B then A), so
# machine noise hits both alike. Per run it prints:
#   pending    sockets to the peer's port (SYN-SENT + ESTABLISHED, ss) at the
#              end of the ramp
#   us/c@20%   wsgate CPU (user+sys, /proc/PID/stat) per connect started
#              while 10-30% of USERS were pending (the ramp's 10-30% window)
#   us/c@80%   the same while 70-90% were pending
#   late/early us/c@80% over us/c@20%: about 1 when a pending connect costs
#              the same whatever the number pending, about 4 when it is O(n)
#   hold       wsgate CPU per pending connection per second during HOLD s
#              after the ramp (us), nothing but waiting
#   abandoned  the result's connect abandoned count (USERS expected)
#
#   bench/connect_storm.sh OLD_WSGATE NEW_WSGATE
#   USERS=19500 RAMP=20 HOLD=5 REPS=2 THREADS=1 MODE=accept bench/connect_storm.sh A B
#   PERF=1 ...: one more run of B under perf record; prints its top symbols
#
# Bounded: each run is killed RAMP + HOLD + 60 s after it started; the peer
# stops by itself; everything started here is killed on exit.
set -euo pipefail
A=$(realpath "${1:?usage: bench/connect_storm.sh A_BINARY B_BINARY}")
B=$(realpath "${2:?usage: bench/connect_storm.sh A_BINARY B_BINARY}")
cd "$(dirname "$0")"
USERS=${USERS:-19500}; RAMP=${RAMP:-20}; HOLD=${HOLD:-5}; REPS=${REPS:-2}
THREADS=${THREADS:-1}; MODE=${MODE:-accept}
SOURCES=${SOURCES:-127.0.0.1-127.0.0.8}
WORK=$(mktemp -d /tmp/wsgate-storm.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)
# at T: sleeps until T seconds after $t0
at() { local d; d=$(awk -v t0="$t0" -v t="$1" -v now="$(date +%s.%N)" 'BEGIN { d = t0 + t - now; print (d > 0 ? d : 0) }'); sleep "$d"; }

spec() { # port
  cat <<YAML
version: 1
name: connect-storm
target: ws://127.0.0.1:$1
load: {users: $USERS, ramp_up: ${RAMP}s, duration: $((RAMP + HOLD))s}
scenarios:
  - name: storm
    connect: {url: "{{target}}/ws", timeout: $((RAMP + HOLD + 60))s}
    tasks:
      - name: heartbeat
        pause: 30s
        send: '{"action":"ping"}'
        expect: {match: 'type == "pong"', timeout: 10s}
YAML
}

start_peer() {
  python3 silent_peer.py "$MODE" --seconds $((RAMP + HOLD + 30)) >"$WORK/peer.out" 2>&1 &
  PEER=$!; PIDS+=("$PEER")
  for _ in $(seq 1 50); do grep -q listening "$WORK/peer.out" 2>/dev/null && break; sleep 0.1; done
  port=$(grep -oE '[0-9]+$' "$WORK/peer.out" | head -n1)
}

# one_run BIN LABEL [perf]: prints one table row
one_run() {
  local bin=$1 label=$2 out="$WORK/$2"
  start_peer
  spec "$port" >"$WORK/spec.yaml"
  local cmd=("$bin" run "$WORK/spec.yaml" --threads "$THREADS" --source-addrs "$SOURCES" --quiet --out "$out")
  if [ "${3:-}" = perf ]; then
    cmd=(perf record -g -o "$WORK/perf.data" -- "${cmd[@]}")
  fi
  t0=$(date +%s.%N)
  timeout $((RAMP + HOLD + 60)) "${cmd[@]}" >"$out.log" 2>&1 &
  local P=$! W=
  PIDS+=("$P")
  for _ in $(seq 1 50); do # timeout -> wsgate, or timeout -> perf -> wsgate
    W=$(pgrep -x wsgate -P "$P" || pgrep -x wsgate -P "$(pgrep -d, -P "$P" || echo 0)" || true)
    [ -n "$W" ] && break
    sleep 0.02
  done
  [ -n "$W" ] || { echo "wsgate did not start"; cat "$out.log"; exit 3; }
  local r1 r3 r7 r9 h0 h1 pending
  at "$(awk -v r="$RAMP" 'BEGIN { print r * 0.1 }')"; r1=$(ticks "$W")
  at "$(awk -v r="$RAMP" 'BEGIN { print r * 0.3 }')"; r3=$(ticks "$W")
  at "$(awk -v r="$RAMP" 'BEGIN { print r * 0.7 }')"; r7=$(ticks "$W")
  at "$(awk -v r="$RAMP" 'BEGIN { print r * 0.9 }')"; r9=$(ticks "$W")
  at "$((RAMP + 1))"; h0=$(ticks "$W")
  pending=$(ss -Htn "( dport = :$port )" | wc -l)
  at "$((RAMP + HOLD - 1))"; h1=$(ticks "$W")
  wait "$P" || true
  kill "$PEER" 2>/dev/null || true; wait "$PEER" 2>/dev/null || true
  local ab
  ab=$(jq -r '.connections.abandoned' "$out/result.json" 2>/dev/null || echo "?")
  awk -v l="$label" -v p="$pending" -v r1="$r1" -v r3="$r3" -v r7="$r7" -v r9="$r9" \
      -v h0="$h0" -v h1="$h1" -v hz="$hz" -v n="$USERS" -v hold=$((HOLD - 2)) -v ab="$ab" 'BEGIN {
    per = n * 0.2
    e = (r3 - r1) / hz * 1e6 / per; l8 = (r9 - r7) / hz * 1e6 / per
    h = (p > 0 && hold > 0) ? (h1 - h0) / hz * 1e6 / p / hold : 0
    printf "%-6s %8d %10.1f %10.1f %10.2f %10.3f %10s\n", l, p, e, l8, (e > 0 ? l8 / e : 0), h, ab }'
}

echo "mode=$MODE users=$USERS ramp=${RAMP}s hold=${HOLD}s threads=$THREADS (A=$A B=$B)"
printf '%-6s %8s %10s %10s %10s %10s %10s\n' run pending 'us/c@20%' 'us/c@80%' late/early hold abandoned
for rep in $(seq 1 "$REPS"); do
  if [ $((rep % 2)) -eq 1 ]; then order="A B"; else order="B A"; fi
  for v in $order; do
    bin=$A; [ "$v" = B ] && bin=$B
    one_run "$bin" "$v$rep"
  done
done
if [ -n "${PERF:-}" ]; then
  one_run "$B" "Bperf" perf >/dev/null
  echo "top symbols of B under perf (self time):"
  perf report -i "$WORK/perf.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null |
    grep '%' | head -15
fi
echo "raw: $WORK"
