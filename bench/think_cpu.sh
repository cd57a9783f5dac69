#!/usr/bin/env bash
# issue 14, item 5: wsgate's CPU per publish -> message_ack round trip with
# the guide's 2-5 s think time against the same with no think time, same
# build, same `wsgate serve`, in turn; and the same two workloads run by the
# minimal epoll client (bench/epoll_client -m think / -m zero: one heap of
# deadlines, one epoll_wait timeout per loop pass, deadlines on a
# FLOOR_GRID ms grid), so each figure has its floor measured beside it.
# Each user subscribes to its own room, then publishes to it and waits for
# the ack. Only the hold counts: from RAMP + SETTLE s to 2 s before the
# end, wsgate's CPU (result.json generator.series[].cpu_pct, one entry a
# second) divided by the acks of the same seconds (series[].steps.publish
# .count); the floor counts the same seconds itself (getrusage at the edges).
# Prints per-run figures (p50/p99: the median over the hold's seconds of
# each second's publish p50/p99; sleeps/rt: the client's voluntary context
# switches in the hold, all threads, per round trip), medians, think/zero per client (target
# <= 1.3) and wsgate/floor per workload.
#
#   bench/think_cpu.sh                 19,500 users, ramp 10 s, hold 30 s, 3 reps
#   USERS=5000 RAMP=3 HOLD=10 REPS=1 bench/think_cpu.sh      (quick)
#   bench/think_cpu.sh BIN_A BIN_B ... several wsgate binaries alternated with
#            the floor (reversed order on even reps), labelled A, B, ... in the
#            table; only A runs the zero-think workload (a pause of 0 takes
#            the same path in builds that differ in their think-time grid)
#            unless ZERO_ALL=1; the others' think/zero uses A's zero
#   SERVE_ARGS='--ack-delay 50ms' ...   options for the server, e.g. a known
#            reply delay, to see what a change does to the measured latency
#   ZERO_USERS=N ...      users of the zero-think runs (default 1,000, as
#                         cpu_per_roundtrip.sh): with no think time every user
#                         is always busy, and 19,500 of them measure a
#                         saturated server (connects failing, acks trickling)
#   FLOOR=0 ...           without the floor rows
#   FLOOR_GRID=MS ...     the floor's deadline grid (default 1, as wsgate's);
#                         a list ("1 10") adds a think-time floor row per
#                         further grid, labelled fl10 etc.
#   PERF=1 ...   then one think-time run of the first binary with `perf
#                record -g` attached for the hold (not in the table) and its
#                top symbols
#   WSGATE=../build/wsgate SERVER_THREADS=2 WSGATE_THREADS=1 SOURCES=127.0.0.1-127.0.0.8
#
# Bounded: each run under timeout (RAMP + HOLD + 60 s); at most 10 reps.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh
USERS=${USERS:-19500}; ZERO_USERS=${ZERO_USERS:-1000}; RAMP=${RAMP:-10}; HOLD=${HOLD:-30}
SETTLE=${SETTLE:-3}; REPS=${REPS:-3}; FLOOR=${FLOOR:-1}; FLOOR_GRID=${FLOOR_GRID:-1}
SERVER_THREADS=${SERVER_THREADS:-2}; WSGATE_THREADS=${WSGATE_THREADS:-1}
SOURCES=${SOURCES:-127.0.0.1-127.0.0.8}
[ "$REPS" -ge 1 ] && [ "$REPS" -le 10 ] || { echo "REPS must be 1 to 10" >&2; exit 2; }
WSGATE=${WSGATE:-build-release/wsgate}
[ -x "$WSGATE" ] && [ -x epoll_client ] || ./build.sh
BINS=("$@")
[ ${#BINS[@]} -gt 0 ] || BINS=("$WSGATE")
[ ${#BINS[@]} -le 6 ] || { echo "at most 6 binaries" >&2; exit 2; }
LABELS=(A B C D E F)
for i in "${!BINS[@]}"; do
  BINS[i]=$(realpath "${BINS[i]}")
  [ ${#BINS[@]} -gt 1 ] && echo "${LABELS[i]} = ${BINS[i]}"
done
WSGATE=${BINS[0]}
WORK=$(mktemp -d /tmp/wsgate-think.XXXXXX)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null || true; work_cleanup; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# shellcheck disable=SC2086
start_serve --threads "$SERVER_THREADS" ${SERVE_ARGS:-}
DURATION=$((RAMP + HOLD))
a=$((RAMP + SETTLE)); b=$((DURATION - 2)); b_len=$((b - a))

row() { # LABEL MODE REP USERS CONNECTED ACKS CPU_S US P50_MS P99_MS SLEEPS_PER_ACK
  echo "$*" >>"$WORK/rows"
  echo "$*" | awk -v d="$b_len" '{printf "%-5s %-5s %3s %7s %9s %9.0f %8.2f %10.2f %8.3f %8.3f %8.3f\n",
    $1, $2, $3, $4, $5, $6 / d, $7, $8, $9, $10, $11}'
}

# Voluntary context switches of all of PID's threads: the times it slept.
ctxsw() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches/ {s += $2} END {print s + 0}'; }

# run_wsgate LABEL BIN MODE REP [perf]: one wsgate run.
run_wsgate() {
  local label=$1 bin=$2 mode=$3 users=$USERS pause="between(2s, 5s)" out="$WORK/$1-$3-$4"
  if [ "$mode" = zero ]; then users=$ZERO_USERS; pause=0s; fi
  publish_spec "think-$mode" "$port" "$users" "$RAMP" "$DURATION" "$pause" 'room:{{vu.id}}' >"$WORK/$mode.yaml"
  "$bin" run "$WORK/$mode.yaml" --threads "$WSGATE_THREADS" --source-addrs "$SOURCES" \
    --out "$out" --quiet >"$out.log" 2>&1 &
  local pid=$! t0=$SECONDS sampler=
  if [ "${5:-}" != perf ]; then
    (sleep "$a"; c0=$(ctxsw "$pid"); sleep "$b_len"; echo $(($(ctxsw "$pid") - c0)) >"$out.sleeps") &
    sampler=$!
  fi
  if [ "${5:-}" = perf ]; then
    sleep "$a"
    timeout $((HOLD + 10)) perf record -g -o "$WORK/perf.data" -p "$pid" -- sleep $((b_len - 2)) >/dev/null 2>&1 || true
  fi
  while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - t0)) -lt $((DURATION + 60)) ]; do sleep 0.5; done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ "${5:-}" = perf ] && return 0
  wait "$sampler" 2>/dev/null || true
  row $(jq -r --argjson a "$a" --argjson b "$b" '
    def med: sort | if length == 0 then 0 else .[(length - 1) / 2 | floor] end;
    ([.generator.series[] | select(.t >= $a and .t < $b) | .cpu_pct] | add / 100) as $cpu |
    ([.series[] | select(.t >= $a and .t < $b) | .steps.publish // empty]) as $s |
    ([$s[] | .count] | add // 0) as $n |
    ([.steps[] | select(.name == "connect") | .ok] | add) as $conn |
    "\($conn) \($n) \($cpu) \(if $n > 0 then $cpu * 1e6 / $n else 0 end) \([$s[] | .p50_ms] | med) \([$s[] | .p99_ms] | med)"' \
    "$out/result.json" | sed "s/^/$label $mode $4 $users /") \
    "$(awk -v c="$(cat "$out.sleeps" 2>/dev/null)" -v n="$(jq '[.series[] | select(.t >= '"$a"' and .t < '"$b"') |
      .steps.publish.count // 0] | add' "$out/result.json")" 'BEGIN{print (n > 0 ? c / n : 0)}')"
}

# run_floor LABEL MODE REP GRID: the epoll client, same server, same users and seconds.
run_floor() {
  local mode=$2 users=$USERS f="$WORK/$1-$2-$3.out"
  [ "$mode" = zero ] && users=$ZERO_USERS
  timeout $((DURATION + 60)) ./epoll_client -m "$mode" -s -g "$4" -R "$RAMP" -w "$a-$b" \
    "$port" "$users" "$DURATION" >"$f" 2>&1 || true
  row "$1" "$mode" "$3" "$users" "$(field "$f" conns_open)" "$(field "$f" win_msgs)" \
    "$(field "$f" win_cpu_s)" "$(field "$f" win_us)" "$(awk -v x="$(field "$f" lat_p50_us)" 'BEGIN{print x / 1000}')" \
    "$(awk -v x="$(field "$f" lat_p99_us)" 'BEGIN{print x / 1000}')" "$(field "$f" win_sleeps_per_msg)"
}

printf '%-5s %-5s %3s %7s %9s %9s %8s %10s %8s %8s %8s\n' who mode rep users connected acks/s cpu_s us/rt p50_ms p99_ms sleeps/rt
: >"$WORK/rows"
jobs=()
for i in "${!BINS[@]}"; do
  jobs+=("${LABELS[i]}:think")
  [ "$i" = 0 ] || [ "${ZERO_ALL:-}" = 1 ] && jobs+=("${LABELS[i]}:zero")
done
GRIDS=($FLOOR_GRID)
if [ "$FLOOR" = 1 ]; then
  jobs+=("floor:think:${GRIDS[0]}" "floor:zero:${GRIDS[0]}")
  for g in "${GRIDS[@]:1}"; do jobs+=("fl$g:think:$g"); done
fi
for rep in $(seq 1 "$REPS"); do
  order=("${jobs[@]}")
  if [ $((rep % 2)) = 0 ]; then
    order=(); for ((j = ${#jobs[@]} - 1; j >= 0; j--)); do order+=("${jobs[j]}"); done
  fi
  for job in "${order[@]}"; do
    IFS=: read -r who mode grid <<<"$job"
    if [ -n "$grid" ]; then
      run_floor "$who" "$mode" "$rep" "$grid"
    else
      for i in "${!BINS[@]}"; do [ "${LABELS[i]}" = "$who" ] && run_wsgate "$who" "${BINS[i]}" "$mode" "$rep"; done
    fi
    sleep 2
  done
done
# med WHO MODE [COLUMN]: the median of a column (8: us/rt) over the reps; empty when none.
med() { awk -v w="$1" -v m="$2" -v c="${3:-8}" '$1 == w && $2 == m {print $c}' "$WORK/rows" | sort -n |
  awk '{a[NR]=$1} END{if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo
echo "medians over $REPS reps (hold t=$a..$b s, $USERS users with 2-5 s think, $ZERO_USERS with none):"
whos=(); for i in "${!BINS[@]}"; do whos+=("${LABELS[i]}"); done
[ "$FLOOR" = 1 ] && whos+=(floor) && for g in "${GRIDS[@]:1}"; do whos+=("fl$g"); done
for w in "${whos[@]}"; do
  z=$(med "$w" zero)
  [ -n "$z" ] || { [[ $w == fl* ]] && z=$(med floor zero); } || z=$(med A zero)
  awk -v w="$w" -v t="$(med "$w" think)" -v z="$z" -v ft="$(med floor think)" \
    -v fz="$(med floor zero)" -v f="$FLOOR" 'BEGIN{
    printf "  %-5s CPU per round trip: think %.2f us, zero think %.2f us, think/zero = %.2f (target <= 1.3)", w, t, z, t / z
    if (f == 1 && w !~ /^fl/ && ft > 0 && fz > 0) printf "; /floor: think %.2fx, zero %.2fx", t / ft, z / fz
    printf "\n" }'
  echo "        with think time: hold p50 $(med "$w" think 9) ms, p99 $(med "$w" think 10) ms, sleeps per round trip $(med "$w" think 11)"
done
if [ -n "${PERF:-}" ]; then
  run_wsgate A "$WSGATE" think perf perf
  echo "top symbols of wsgate with think time (perf, self time):"
  perf report -i "$WORK/perf.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null | grep '%' | head -30
fi
