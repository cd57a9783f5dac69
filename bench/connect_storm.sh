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
# MODE=slow (issue 14 item 2): the server falls behind instead of going
# silent: NEW's `wsgate serve --accept-rate ACCEPT_RATE` (default 1000/s)
# upgrades at most that many a second, and each user runs the chat workload
# (subscribe its own room, then publish every 2-5 s and wait for the ack).
# The users that exceed wsgate's connect slots (load.max_connecting;
# MAX_CONNECTING sets it, default: the engine's 2000 per worker) wait for a
# slot. Per run it prints wsgate's average CPU % of one core during the ramp
# (/proc/PID/stat from 0.5 s to RAMP s), and from result.json: connect ok,
# failed and abandoned and whether they add up to the attempts the server
# saw, connect p50 and max, the planned and achieved ramp rates, the most
# users that waited for a slot and the longest wait (NEW only: OLD has no
# `connect` object), and protocol errors. Then the medians of the CPU.
#   USERS=19500 RAMP=10 HOLD=15 REPS=3 MODE=slow bench/connect_storm.sh OLD NEW
# PERF=1 adds one more run of B recorded by perf during the ramp (not in
# the medians: perf's own cost) and prints its top symbols.
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
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "raw: $WORK" >&2; else rm -rf "$WORK"; fi
}
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

slow_spec() { # port
  cat <<YAML
version: 1
name: connect-storm-slow
target: ws://127.0.0.1:$1
load: {users: $USERS, ramp_up: ${RAMP}s, duration: $((RAMP + HOLD))s${MAX_CONNECTING:+, max_connecting: $MAX_CONNECTING}}
scenarios:
  - name: chatter
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}", timeout: $((RAMP + HOLD))s}
    on_start:
      - name: subscribe
        send: '{"action":"subscribe","channel":"room:r{{vu.id}}","userId":"u{{vu.id}}"}'
        expect: {match: 'type == "subscription_confirmed"', timeout: 10s}
    tasks:
      - name: publish
        pause: between(2s, 5s)
        send: '{"action":"publish","channel":"room:r{{vu.id}}","message":{"text":"hi"}}'
        expect: {match: 'type in ["message_ack", "message_delivered"]', timeout: 10s}
YAML
}

# slow_run BIN LABEL [perf]: prints one row of MODE=slow and appends the CPU % to $WORK/cpu;
# with perf, the run is recorded (perf record -g) from 0.5 s to the end of the ramp.
slow_run() {
  local bin=$1 label=$2 out="$WORK/$2"
  "$B" serve --port 0 --accept-rate "${ACCEPT_RATE:-1000}" --threads "${SERVE_THREADS:-1}" \
    >"$WORK/serve.out" 2>"$WORK/serve.err" &
  local S=$!; PIDS+=("$S")
  for _ in $(seq 1 50); do grep -q listening "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
  port=$(grep -oE '127\.0\.0\.1:[0-9]+' "$WORK/serve.out" | head -n1 | cut -d: -f2)
  slow_spec "$port" >"$WORK/spec.yaml"
  t0=$(date +%s.%N)
  "$bin" run "$WORK/spec.yaml" --threads "$THREADS" \
    --source-addrs "$SOURCES" --quiet --out "$out" >"$out.log" 2>&1 &
  local P=$! c0 c1
  PIDS+=("$P")
  if [ "${3:-}" = perf ]; then
    at 0.5
    timeout "$(awk -v r="$RAMP" 'BEGIN { print r - 0.5 }')" perf record -g -p "$P" -o "$WORK/perf.data" \
      >/dev/null 2>&1 || true
  fi
  # the watchdog ends within a second of the run (no sleep left behind)
  (for _ in $(seq 1 $((RAMP + HOLD + 60))); do kill -0 "$P" 2>/dev/null || exit 0; sleep 1; done
   kill "$P" 2>/dev/null; sleep 10; kill -9 "$P" 2>/dev/null) &
  PIDS+=("$!")
  at 0.5; c0=$(ticks "$P")
  at "$RAMP"; c1=$(ticks "$P")
  wait "$P" || true
  kill "$S" 2>/dev/null || true; wait "$S" 2>/dev/null || true
  local cpu
  cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v r="$RAMP" 'BEGIN { printf "%.1f", (b - a) / hz / (r - 0.5) * 100 }')
  echo "$cpu" >>"$WORK/cpu"
  jq -r --arg l "$label" --arg cpu "$cpu" '
    (.steps[0].ok) as $ok | (.steps[0].failed) as $f | (.connections.abandoned) as $ab |
    [$l, $cpu, $ok, $f, $ab, ($ok + $f + $ab),
     (.steps[0].latency_us.p50 // 0 | ./1000 | floor), (.steps[0].latency_us.max // 0 | ./1000 | floor),
     (.connect.planned_per_s // "-"), (.connect.achieved_per_s // "-"),
     (.connect.max_waiting // "-"), (.connect.max_wait_s // "-"), .errors.protocol.count]
    | @tsv' "$out/result.json" | awk -F'\t' '{ printf "%-6s %6s %7s %7s %7s %7s %8s %8s %9s %9s %8s %7s %5s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 }'
}

if [ "$MODE" = slow ]; then
  echo "mode=slow users=$USERS ramp=${RAMP}s hold=${HOLD}s accept-rate=${ACCEPT_RATE:-1000}/s threads=$THREADS (A=$A B=$B)"
  printf '%-6s %6s %7s %7s %7s %7s %8s %8s %9s %9s %8s %7s %5s\n' run 'cpu%' ok failed abandon sum p50_ms max_ms plan/s achv/s waiting wait_s proto
  for rep in $(seq 1 "$REPS"); do
    if [ $((rep % 2)) -eq 1 ]; then order="A B"; else order="B A"; fi
    for v in $order; do
      bin=$A; [ "$v" = B ] && bin=$B
      slow_run "$bin" "$v$rep"
      sed -i "\$s/^/$v /" "$WORK/cpu"
    done
  done
  for v in A B; do
    printf 'median cpu%% during the ramp, %s: ' "$v"
    grep "^$v " "$WORK/cpu" | awk '{ print $2 }' | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'
  done
  if [ -n "${PERF:-}" ]; then
    slow_run "$B" Bperf perf >/dev/null
    echo "top symbols of B during the ramp under perf (self time):"
    perf report -i "$WORK/perf.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null |
      grep '%' | head -25
  fi
  exit 0
fi

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
