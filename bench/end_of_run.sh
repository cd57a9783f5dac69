#!/usr/bin/env bash
# The end of a run: how long wsgate takes past its planned end to close
# USERS connections. Two binaries alternate (A then B, B then A) on the same
# two cases:
#   idle     USERS idle connections to `wsgate serve --threads 2` (heartbeat
#            every 30 s, never due): nothing is awaited at the end, so all
#            close at once
#   pending  USERS connects pending against bench/silent_peer.py (accept,
#            never answer): all are abandoned at the end
#   chat     USERS chat users on `wsgate serve --threads 2` (subscribe, then
#            publish every 2-5 s and wait for the ack): replies are awaited
#            at the end, then every connection closes with a close handshake
# Per run: over = wall time (from start to exit) minus the planned RAMP + HOLD;
# closed = seconds from the planned end until no socket to the port is
# ESTABLISHED or SYN-SENT (ss, polled every 0.1 s); end_cpu = the client's
# CPU seconds (user + system) from the planned end to its exit: on a shared
# machine the wall times include waiting for a core, the CPU does not.
#
#   bench/end_of_run.sh OLD_WSGATE NEW_WSGATE   (USERS=19500 RAMP=5 HOLD=5 REPS=2)
#   CASES=chat RAMP=10 HOLD=50 REPS=3 bench/end_of_run.sh ...   (60 s planned)
#
# Bounded: each run is killed RAMP + HOLD + 60 s after it started.
set -euo pipefail
A=$(realpath "${1:?usage: bench/end_of_run.sh A_BINARY B_BINARY}")
B=$(realpath "${2:?usage: bench/end_of_run.sh A_BINARY B_BINARY}")
cd "$(dirname "$0")"
. ./lib.sh
USERS=${USERS:-19500}; RAMP=${RAMP:-5}; HOLD=${HOLD:-5}; REPS=${REPS:-2}
SOURCES=${SOURCES:-127.0.0.1-127.0.0.8}
CASES=${CASES:-idle pending}
WORK=$(mktemp -d /tmp/wsgate-end.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; work_cleanup; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

spec() { # port timeout case
  if [ "$3" = chat ]; then
    publish_spec end-of-run "$1" "$USERS" "$RAMP" $((RAMP + HOLD)) "between(2s, 5s)" 'room:{{vu.id}}'
    return
  fi
  cat <<YAML
version: 1
name: end-of-run
target: ws://127.0.0.1:$1
load: {users: $USERS, ramp_up: ${RAMP}s, duration: $((RAMP + HOLD))s}
scenarios:
  - name: idle
    connect: {url: "{{target}}/ws/chat?token=bench-{{vu.id}}", timeout: $2}
    tasks:
      - name: heartbeat
        pause: 30s
        send: '{"action":"ping"}'
        expect: {match: 'type == "pong"', timeout: 10s}
YAML
}

start_peer() { # case
  if [ "$1" = idle ] || [ "$1" = chat ]; then
    "$B" serve --port 0 --threads 2 >"$WORK/peer.out" 2>&1 &
  else
    python3 silent_peer.py accept --seconds $((RAMP + HOLD + 40)) >"$WORK/peer.out" 2>&1 &
  fi
  PEER=$!; PIDS+=("$PEER")
  for _ in $(seq 1 50); do grep -qE '127\.0\.0\.1:[0-9]+' "$WORK/peer.out" 2>/dev/null && break; sleep 0.1; done
  port=$(grep -oE '127\.0\.0\.1:[0-9]+' "$WORK/peer.out" | head -n1 | cut -d: -f2)
}

one_run() { # bin label case
  local bin=$1 out="$WORK/$2"
  start_peer "$3"
  spec "$port" "$([ "$3" = pending ] && echo $((RAMP + HOLD + 60))s || echo 20s)" "$3" >"$WORK/spec.yaml"
  local t0 t_end t_closed="" t_exit
  t0=$(date +%s.%N)
  timeout $((RAMP + HOLD + 60)) /usr/bin/time -f "%U %S" -o "$out.time" \
    "$bin" run "$WORK/spec.yaml" --source-addrs "$SOURCES" --quiet --out "$out" >"$out.log" 2>&1 &
  local P=$!
  PIDS+=("$P")
  t_end=$(awk -v t="$t0" -v d=$((RAMP + HOLD)) 'BEGIN { printf "%.3f", t + d }')
  while [ "$(date +%s.%N)" \< "$t_end" ]; do sleep 0.05; done
  # the client's CPU seconds at the planned end (wsgate is time's child)
  local W cpu_end
  W=$(pgrep -P "$(pgrep -P "$P" | head -n1)" | head -n1 || true)
  cpu_end=$(awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$W/stat" 2>/dev/null || echo 0)
  while kill -0 "$P" 2>/dev/null; do
    if [ -z "$t_closed" ] && [ "$(ss -Htn state established state syn-sent "( dport = :$port )" | wc -l)" -eq 0 ]; then
      t_closed=$(date +%s.%N)
    fi
    sleep 0.1
  done
  t_exit=$(date +%s.%N)
  wait "$P" || true
  [ -n "$t_closed" ] || t_closed=$t_exit
  kill "$PEER" 2>/dev/null || true; wait "$PEER" 2>/dev/null || true
  local ok ab
  ok=$(jq -r '.steps[0].ok' "$out/result.json" 2>/dev/null || echo "?")
  ab=$(jq -r '.connections.abandoned' "$out/result.json" 2>/dev/null || echo "?")
  local cpu_all
  cpu_all=$(awk '{ print $1 + $2 }' "$out.time" 2>/dev/null || echo 0)
  awk -v l="$2" -v c="$3" -v t0="$t0" -v te="$t_end" -v tc="$t_closed" -v tx="$t_exit" -v ok="$ok" -v ab="$ab" \
    -v ce="$cpu_end" -v ca="$cpu_all" 'BEGIN {
    printf "%-6s %-8s %8s %10s %8.2f %8.2f %8.2f %8.2f\n", l, c, ok, ab, tx - t0, tx - te, tc - te, ca - ce }' |
    tee -a "$WORK/rows"
}

echo "users=$USERS ramp=${RAMP}s hold=${HOLD}s (A=$A B=$B)"
printf '%-6s %-8s %8s %10s %8s %8s %8s %8s\n' run case conn_ok abandoned wall_s over_s closed_s end_cpu
for rep in $(seq 1 "$REPS"); do
  if [ $((rep % 2)) -eq 1 ]; then order="A B"; else order="B A"; fi
  for c in $CASES; do
    for v in $order; do
      bin=$A; [ "$v" = B ] && bin=$B
      one_run "$bin" "$v$rep$c" "$c"
    done
  done
done
# medians per binary and case (the label's first letter is the binary)
echo "medians of $REPS:"
for c in $CASES; do
  for v in A B; do
    awk -v c="$c" -v v="$v" '$2 == c && substr($1, 1, 1) == v { print $5, $6, $7, $8 }' "$WORK/rows" |
      awk -v c="$c" -v v="$v" -v plan=$((RAMP + HOLD)) '
        { w[NR] = $1; o[NR] = $2; k[NR] = $3; u[NR] = $4 }
        function med(a, n,   i, j, t) {
          for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
          return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        END { if (NR) printf "%s %-8s planned %ds  wall %.2fs  over %.2fs  closed %.2fs  end_cpu %.2fs\n", v, c, plan, med(w, NR), med(o, NR), med(k, NR), med(u, NR) }'
  done
done
