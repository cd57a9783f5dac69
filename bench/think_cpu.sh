#!/usr/bin/env bash
# issue 14, item 5: wsgate's CPU per publish -> message_ack round trip with
# the guide's 2-5 s think time against the same with no think time, same
# build, same `wsgate serve`, in turn (think first on odd reps, zero first
# on even ones). Each user subscribes to its own room, then publishes to it
# and waits for the ack. Only the hold counts: from RAMP + SETTLE s to 2 s
# before the end, wsgate's CPU (result.json generator.series[].cpu_pct, one
# entry a second) divided by the acks of the same seconds (series[].steps
# .publish.count). Prints per-run figures, medians and think/zero (target
# <= 1.3).
#
#   bench/think_cpu.sh                 19,500 users, ramp 10 s, hold 30 s, 3 reps
#   USERS=5000 RAMP=3 HOLD=10 REPS=1 bench/think_cpu.sh      (quick)
#   ZERO_USERS=N ...      users of the zero-think run (default 1,000, as
#                         cpu_per_roundtrip.sh): with no think time every user
#                         is always busy, and 19,500 of them measure a
#                         saturated server (connects failing, acks trickling)
#   PERF=1 ...   then one think-time run with `perf record -g` attached for
#                the hold (not in the table) and its top symbols
#   WSGATE=../build/wsgate SERVER_THREADS=2 WSGATE_THREADS=1 SOURCES=127.0.0.1-127.0.0.8
#
# Bounded: each run under timeout (RAMP + HOLD + 60 s); at most 10 reps.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh
USERS=${USERS:-19500}; ZERO_USERS=${ZERO_USERS:-1000}; RAMP=${RAMP:-10}; HOLD=${HOLD:-30}
SETTLE=${SETTLE:-3}; REPS=${REPS:-3}
SERVER_THREADS=${SERVER_THREADS:-2}; WSGATE_THREADS=${WSGATE_THREADS:-1}
SOURCES=${SOURCES:-127.0.0.1-127.0.0.8}
[ "$REPS" -ge 1 ] && [ "$REPS" -le 10 ] || { echo "REPS must be 1 to 10" >&2; exit 2; }
WSGATE=${WSGATE:-build-release/wsgate}
[ -x "$WSGATE" ] || ./build.sh
WORK=$(mktemp -d /tmp/wsgate-think.XXXXXX)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null || true; work_cleanup; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

start_serve --threads "$SERVER_THREADS"
DURATION=$((RAMP + HOLD))

# run MODE REP [perf]: one wsgate run; appends "MODE REP acks cpu_s us/rt" to rows.
run() {
  local mode=$1 users=$USERS pause="between(2s, 5s)" out="$WORK/$1-$2"
  if [ "$mode" = zero ]; then users=$ZERO_USERS; pause=0s; fi
  publish_spec "think-$mode" "$port" "$users" "$RAMP" "$DURATION" "$pause" 'room:{{vu.id}}' >"$WORK/$mode.yaml"
  local cmd=("$WSGATE" run "$WORK/$mode.yaml" --threads "$WSGATE_THREADS" --source-addrs "$SOURCES"
    --out "$out" --quiet)
  "${cmd[@]}" >"$WORK/$mode-$2.log" 2>&1 &
  local pid=$! t0=$SECONDS
  if [ "${3:-}" = perf ]; then
    sleep $((RAMP + SETTLE))
    timeout $((HOLD + 10)) perf record -g -o "$WORK/perf.data" -p "$pid" -- sleep $((b_len - 2)) >/dev/null 2>&1 || true
  fi
  while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - t0)) -lt $((DURATION + 60)) ]; do sleep 0.5; done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ "${3:-}" = perf ] && return 0
  jq -r --arg mode "$mode" --arg rep "$2" --argjson a $((RAMP + SETTLE)) --argjson b $((DURATION - 2)) \
    --argjson users "$users" '
    ([.generator.series[] | select(.t >= $a and .t < $b) | .cpu_pct] | add / 100) as $cpu |
    ([.series[] | select(.t >= $a and .t < $b) | .steps.publish.count // 0] | add) as $n |
    ([.steps[] | select(.name == "connect") | .ok] | add) as $conn |
    "\($mode) \($rep) \($users) \($conn) \($n) \($cpu) \(if $n > 0 then $cpu * 1e6 / $n else 0 end)"' \
    "$out/result.json" >>"$WORK/rows"
  tail -1 "$WORK/rows" | awk '{printf "%-5s %3s %7s %9s %9.0f %8.2f %10.2f\n", $1, $2, $3, $4, $5 / ('"$b_len"'), $6, $7}'
}

b_len=$((DURATION - 2 - RAMP - SETTLE))
printf '%-5s %3s %7s %9s %9s %8s %10s\n' mode rep users connected acks/s cpu_s us/rt
: >"$WORK/rows"
for rep in $(seq 1 "$REPS"); do
  if [ $((rep % 2)) = 1 ]; then order="think zero"; else order="zero think"; fi
  for mode in $order; do
    run "$mode" "$rep"
    sleep 2
  done
done
med() { awk -v m="$1" '$1 == m {print $7}' "$WORK/rows" | sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mt=$(med think); mz=$(med zero)
echo
echo "medians over $REPS reps (hold t=$((RAMP + SETTLE))..$((DURATION - 2)) s, $USERS users with 2-5 s think, $ZERO_USERS with none):"
awk -v t="$mt" -v z="$mz" 'BEGIN{printf "  CPU per round trip: think %.2f us, zero think %.2f us, think/zero = %.2f (target <= 1.3)\n", t, z, t / z}'
if [ -n "${PERF:-}" ]; then
  run think perf perf
  echo "top symbols of wsgate with think time (perf, self time):"
  perf report -i "$WORK/perf.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null | grep '%' | head -30
fi
