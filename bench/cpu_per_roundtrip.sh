#!/usr/bin/env bash
# issue 5, item 4: client CPU (user+sys) per publish -> message_ack round trip,
# 1,000 users, no think time, three clients in turn against the same
# `wsgate serve`: wsgate, the minimal epoll client (the floor) and Locust
# running the guide's chat script. Prints per-repetition figures and medians.
#
#   bench/cpu_per_roundtrip.sh                  3 reps x 20 s per client
#   QUICK=1 bench/cpu_per_roundtrip.sh          1 rep x 8 s
#   REPS=5 DURATION=30 USERS=1000 SERVER_THREADS=1 WSGATE_THREADS=1 bench/cpu_per_roundtrip.sh
#   PERF=1 ...   then one extra wsgate run under `perf record -g` (not in the
#                table: perf's own CPU would count) and its top symbols
#   STRACE=1 ... then one extra wsgate run under `strace -f -c` (not in the
#                table) and its system calls per round trip
#
# Bounded: every client runs under `timeout DURATION+60`.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh
if [ -n "${QUICK:-}" ]; then REPS=${REPS:-1}; DURATION=${DURATION:-8}; fi
REPS=${REPS:-3}; DURATION=${DURATION:-20}; USERS=${USERS:-1000}
SERVER_THREADS=${SERVER_THREADS:-1}; WSGATE_THREADS=${WSGATE_THREADS:-1}
WSGATE=${WSGATE:-build-release/wsgate}
[ -x "$WSGATE" ] && [ -x epoll_client ] || ./build.sh
command -v locust >/dev/null || { echo "install python3-locust python3-websocket" >&2; exit 2; }
WORK=$(mktemp -d /tmp/wsgate-cpu.XXXXXX)
TICK=$(getconf CLK_TCK)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null || true; work_cleanup; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

start_serve --threads "$SERVER_THREADS"

srv_cpu() { awk -v t="$TICK" '{printf "%.3f", ($14 + $15) / t}' "/proc/$SRV/stat"; }
# Runs "$@" under /usr/bin/time; sets CLI_CPU (s) and SRV_DELTA (s).
timed() {
  local s0; s0=$(srv_cpu)
  /usr/bin/time -f '%U %S' -o "$WORK/time" timeout $((DURATION + 60)) "$@" >"$WORK/out" 2>"$WORK/err" || true
  SRV_DELTA=$(awk -v a="$s0" -v b="$(srv_cpu)" 'BEGIN{printf "%.3f", b - a}')
  CLI_CPU=$(tail -1 "$WORK/time" | awk '{printf "%.3f", $1 + $2}')
}

run_wsgate() {
  sed "s/@USERS@/$USERS/; s/@DURATION@/$DURATION/" specs/cpu_roundtrip.yaml >"$WORK/spec.yaml"
  rm -rf "$WORK/wsg"
  if [ "$1" = strace ]; then
    timed strace -f -c -o "$WORK/strace.txt" "$WSGATE" run "$WORK/spec.yaml" --target "ws://127.0.0.1:$port" \
      --threads "$WSGATE_THREADS" --out "$WORK/wsg" --quiet
  elif [ "$1" = perf ]; then
    timed perf record -g -o "$WORK/perf.data" -- "$WSGATE" run "$WORK/spec.yaml" --target "ws://127.0.0.1:$port" \
      --threads "$WSGATE_THREADS" --out "$WORK/wsg" --quiet
  else
    timed "$WSGATE" run "$WORK/spec.yaml" --target "ws://127.0.0.1:$port" --threads "$WSGATE_THREADS" \
      --out "$WORK/wsg" --quiet
  fi
  RT=$(jq '[.steps[] | select(.name == "publish") | .ok] | add // 0' "$WORK/wsg/result.json" 2>/dev/null || echo 0)
}
run_epoll() {
  timed ./epoll_client "$port" "$USERS" "$DURATION"
  RT=$(sed -n 's/.*roundtrips=\([0-9]*\).*/\1/p' "$WORK/out"); RT=${RT:-0}
}
run_locust() {
  WS_URL="ws://127.0.0.1:$port/ws/chat?token=x" timed locust -f locust_chat.py --headless -u "$USERS" -r "$USERS" \
    --run-time "${DURATION}s" --only-summary --csv "$WORK/loc" --loglevel WARNING
  RT=$(awk -F, '$2 == "\"publish message\"" || $2 == "publish message" {print $3}' "$WORK/loc_stats.csv" 2>/dev/null | head -1)
  RT=${RT:-0}
}

printf '%-4s %-8s %10s %8s %10s %10s %12s %12s\n' rep client roundtrips rt/s cli_cpu_s srv_cpu_s cli_us/rt srv_us/rt
: >"$WORK/rows"
for rep in $(seq 1 "$REPS"); do
  for c in wsgate epoll locust; do
    "run_$c" "$rep"
    row=$(awk -v r="$RT" -v c="$CLI_CPU" -v s="$SRV_DELTA" -v d="$DURATION" 'BEGIN{
      if (r < 1) r = 1; printf "%10d %8.0f %10.2f %10.2f %12.2f %12.2f", r, r / d, c, s, c * 1e6 / r, s * 1e6 / r}')
    printf '%-4s %-8s %s\n' "$rep" "$c" "$row" | tee -a "$WORK/rows"
    sleep 1
  done
done
med() { awk -v c="$1" '$2 == c {print $7}' "$WORK/rows" | sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mw=$(med wsgate); me=$(med epoll); ml=$(med locust)
echo
echo "medians over $REPS reps, $USERS users, ${DURATION}s each, server threads $SERVER_THREADS, wsgate threads $WSGATE_THREADS:"
printf '  client CPU per round trip: wsgate %s us, epoll floor %s us, locust %s us\n' "$mw" "$me" "$ml"
awk -v w="$mw" -v e="$me" -v l="$ml" 'BEGIN{printf "  wsgate/epoll = %.2f (target <= 1.5)   locust/wsgate = %.2f (target >= 5)\n", w / e, l / w}'
if [ -n "${PERF:-}" ]; then
  run_wsgate perf
  echo "top symbols of wsgate (perf, self time):"
  perf report -i "$WORK/perf.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null | grep '%' | head -25
fi
if [ -n "${STRACE:-}" ]; then
  run_wsgate strace
  echo "system calls of wsgate per round trip (strace -c, one extra run, $RT round trips):"
  awk -v rt="$RT" '$NF ~ /^(sendto|recvfrom|read|epoll_ctl|epoll_wait|getrandom)$/ {
    printf "  %-12s %10d calls  %.3f per round trip\n", $NF, $4, $4 / rt }' "$WORK/strace.txt"
fi
