#!/usr/bin/env bash
# issue 14, item 7: wsgate's CPU per received push in a receive-heavy
# workload: USERS (1,000) market-data terminals against `wsgate serve
# --quote-rate RATE` (40 quotes a second per connection), each subscribed
# to three streams and doing nothing but receive. Every quote goes through
# a count: entry with a predicate and latency_from ts_us (matched, timed),
# as in specs/market-data.yaml. Only the hold counts: from RAMP + SETTLE s
# to 2 s before the end, wsgate's CPU (result.json generator.series[]
# .cpu_pct) divided by the matched pushes of the same seconds
# (series[].steps["quote push"].count). Target: <= 5 us per push.
# Beside it, in the same run and against the same server, the floor: the
# minimal epoll client (bench/epoll_client -m push: the same subscribe, a
# memmem scan for "type":"quote", "symbol" and "ts_us", the latency into a
# histogram), counted over the same seconds, and wsgate/floor.
#
#   bench/push_cpu.sh                 1,000 users x 40/s, hold 20 s, 3 reps
#   REPS=1 HOLD=8 bench/push_cpu.sh   (quick)
#   bench/push_cpu.sh OLD NEW         two wsgate binaries in turn (OLD first on
#            odd reps), each rep against the same server: medians of each and
#            NEW/OLD
#   MATCH='type == "quote" && stream != "quotes.{{vu.id}}"' ...   another
#            predicate, e.g. one with a template rendered for each user
#   FLOOR=0 ...  without the floor rows
#   PERF=1 ...   then one run with `perf record -g` attached for the hold
#                (not in the table) and its top symbols
#   WSGATE=../build/wsgate SERVER_THREADS=1 WSGATE_THREADS=1 RATE=40 RAMP=2
#
# Bounded: each run under timeout (RAMP + HOLD + 60 s); at most 10 reps.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh
USERS=${USERS:-1000}; RATE=${RATE:-40}; RAMP=${RAMP:-2}; HOLD=${HOLD:-20}; SETTLE=${SETTLE:-2}
REPS=${REPS:-3}; FLOOR=${FLOOR:-1}; SERVER_THREADS=${SERVER_THREADS:-1}; WSGATE_THREADS=${WSGATE_THREADS:-1}
MATCH=${MATCH:-'type == "quote" && symbol != "NOISE"'}
[ "$REPS" -ge 1 ] && [ "$REPS" -le 10 ] || { echo "REPS must be 1 to 10" >&2; exit 2; }
WSGATE=${WSGATE:-build-release/wsgate}
[ -x "$WSGATE" ] && [ -x epoll_client ] || ./build.sh
if [ $# -eq 2 ]; then OLD=$(realpath "$1"); NEW=$(realpath "$2"); else OLD=; NEW=$(realpath "$WSGATE"); fi
WORK=$(mktemp -d /tmp/wsgate-pushcpu.XXXXXX)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null || true; work_cleanup; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

start_serve --threads "$SERVER_THREADS" --quote-rate "$RATE"
DURATION=$((RAMP + HOLD))
cat >"$WORK/spec.yaml" <<YAML
version: 1
name: push-cpu
target: ws://127.0.0.1:$port
load: {users: $USERS, ramp_up: ${RAMP}s, duration: ${DURATION}s}
scenarios:
  - name: terminal
    connect: {url: "{{target}}/ws/quotes?clientId=t-{{vu.id}}&format=json", timeout: 10s}
    on_start:
      - name: subscribe
        send: '{"op":"subscribe","streams":["quotes.NASDAQ:AAPL","quotes.NYSE:TSLA","quotes.NYSE:IBM"],"snapshot":true}'
        expect: {match: 'op == "subscribed"', timeout: 10s}
    count:
      - name: quote push
        match: '$MATCH'
        latency_from: ts_us
        unit: us
YAML

a=$((RAMP + SETTLE)); b=$((DURATION - 2))
# run REP [perf|old|new]: one run of $BIN; appends "REP pushes cpu_s us/push p50_ms errors label" to rows.
run() {
  local out="$WORK/out-$1-${2:-x}"
  "$BIN" run "$WORK/spec.yaml" --threads "$WSGATE_THREADS" --out "$out" --quiet >"$WORK/run-$1-${2:-x}.log" 2>&1 &
  local pid=$!
  if [ "${2:-}" = perf ]; then
    sleep "$a"
    timeout $((b - a + 10)) perf record -g -o "$WORK/perf.data" -p "$pid" -- sleep $((b - a - 2)) >/dev/null 2>&1 || true
  fi
  local t0=$SECONDS
  while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - t0)) -lt $((DURATION + 60)) ]; do sleep 0.5; done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ "${2:-}" = perf ] && return 0
  jq -r --arg bin "${2:-new}" --arg rep "$1" --argjson a "$a" --argjson b "$b" '
    ([.generator.series[] | select(.t >= $a and .t < $b) | .cpu_pct] | add / 100) as $cpu |
    ([.series[] | select(.t >= $a and .t < $b) | .steps["quote push"].count // 0] | add) as $n |
    ([.steps[] | select(.name == "quote push")][0]) as $s |
    "\($rep) \($n) \($cpu) \(if $n > 0 then $cpu * 1e6 / $n else 0 end) \($s.latency_us.p50 / 1000) \(.errors | map(.count) | add // 0) \($bin)"' \
    "$out/result.json" >>"$WORK/rows"
  tail -1 "$WORK/rows" | awk -v d=$((b - a)) '{printf "%3s %-4s %9.0f %8.2f %10.2f %10.3f %7s\n", $1, $7, $2 / d, $3, $4, $5, $6}'
}

# run_floor REP: the epoll client over the same seconds; appends a row as run.
run_floor() {
  local f="$WORK/floor-$1.out"
  timeout $((DURATION + 60)) ./epoll_client -m push -R "$RAMP" -w "$a-$b" "$port" "$USERS" "$DURATION" \
    >"$f" 2>&1 || true
  echo "$1 $(field "$f" win_msgs) $(field "$f" win_cpu_s) $(field "$f" win_us)" \
    "$(awk -v x="$(field "$f" lat_p50_us)" 'BEGIN{print x / 1000}') $(field "$f" failed) floor" >>"$WORK/rows"
  tail -1 "$WORK/rows" | awk -v d=$((b - a)) '{printf "%3s %-5s %9.0f %8.2f %10.2f %10.3f %7s\n", $1, $7, $2 / d, $3, $4, $5, $6}'
}

printf '%3s %-5s %9s %8s %10s %10s %7s\n' rep bin pushes/s cpu_s us/push p50_ms errors
: >"$WORK/rows"
for rep in $(seq 1 "$REPS"); do
  if [ -z "$OLD" ]; then order=new; else order="old new"; fi
  [ "$FLOOR" = 1 ] && order="$order floor"
  [ $((rep % 2)) = 0 ] && order=$(echo "$order" | awk '{for (i = NF; i > 0; i--) printf "%s ", $i}')
  for which in $order; do
    if [ "$which" = floor ]; then
      run_floor "$rep"
    else
      if [ "$which" = old ]; then BIN=$OLD; else BIN=$NEW; fi
      run "$rep" "$which"
    fi
    sleep 1
  done
done
med() { awk -v l="$1" '$7 == l {print $4}' "$WORK/rows" | sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo
echo "medians over $REPS reps (hold t=$a..$b s, $USERS users x $RATE quotes/s, match: $MATCH):"
if [ -n "$OLD" ]; then
  awk -v o="$(med old)" -v n="$(med new)" 'BEGIN{printf "  CPU per received, matched and timed push: old %.2f us, new %.2f us, new/old %.2f (target <= 5 us)\n", o, n, n / o}'
else
  printf '  CPU per received, matched and timed push: %.2f us (target <= 5)\n' "$(med new)"
fi
if [ "$FLOOR" = 1 ]; then
  awk -v n="$(med new)" -v f="$(med floor)" 'BEGIN{printf "  the floor (epoll client): %.2f us per push; new/floor %.2f\n", f, n / f}'
fi
if [ -n "${PERF:-}" ]; then
  BIN=$NEW
  run perf perf
  echo "top symbols of wsgate in the hold (perf, self time):"
  perf report -i "$WORK/perf.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null | grep '%' | head -30
fi
