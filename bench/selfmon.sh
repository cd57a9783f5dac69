#!/usr/bin/env bash
# issue 14 item 4: what does the generator's self-watch cost? A/B of two
# client binaries, alternated (A B A B ...), against one `wsgate serve`:
# USERS users publishing every PAUSE for HOLD s with --threads T. Prints the
# client's CPU (user+sys of the whole process, /usr/bin/time) per run and
# the medians, and NEW's own figures (generator.cpu_pct_max,
# loop_lag_p99_ms). The self-watch adds a 10 ms probe timer per worker (100
# wake-ups a second each) and one getrusage + /proc/self/statm read a
# second; an idle run shows its cost best.
#
#   bench/selfmon.sh OLD_WSGATE NEW_WSGATE
#   REPS=5 USERS=10 PAUSE=1s HOLD=10 THREADS=2 bench/selfmon.sh A B
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh
A=${1:?usage: selfmon.sh OLD_WSGATE NEW_WSGATE}
B=${2:?usage: selfmon.sh OLD_WSGATE NEW_WSGATE}
REPS=${REPS:-3}; USERS=${USERS:-10}; PAUSE=${PAUSE:-1s}; HOLD=${HOLD:-10}; THREADS=${THREADS:-2}
[ "$REPS" -ge 1 ] && [ "$REPS" -le 10 ] || { echo "REPS must be 1-10" >&2; exit 2; }
WORK=$(mktemp -d /tmp/wsgate-selfmon.XXXXXX)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null || true; work_cleanup; }
trap cleanup EXIT
WSGATE=$B start_serve
publish_spec selfmon "$port" "$USERS" 1 "$HOLD" "$PAUSE" 'room:{{vu.id}}' >"$WORK/spec.yaml"

run_one() { # label binary rep: prints cpu seconds
  local out="$WORK/$1-$3"
  /usr/bin/time -f '%U %S' -o "$out.time" timeout $((HOLD + 60)) \
    "$2" run "$WORK/spec.yaml" --threads "$THREADS" --out "$out" >/dev/null 2>&1 || true
  awk '{ printf "%.3f\n", $1 + $2 }' "$out.time"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%-4s %-4s %10s %18s\n' rep bin cpu_s "new: lag_p99_ms"
: >"$WORK/a.cpu"; : >"$WORK/b.cpu"
for rep in $(seq 1 "$REPS"); do
  a=$(run_one old "$A" "$rep"); echo "$a" >>"$WORK/a.cpu"
  printf '%-4s %-4s %10s\n' "$rep" old "$a"
  b=$(run_one new "$B" "$rep"); echo "$b" >>"$WORK/b.cpu"
  lag=$(jq -r '.generator.loop_lag_p99_ms // "-"' "$WORK/new-$rep/result.json" 2>/dev/null || echo -)
  printf '%-4s %-4s %10s %18s\n' "$rep" new "$b" "$lag"
done
ma=$(median <"$WORK/a.cpu"); mb=$(median <"$WORK/b.cpu")
echo "median cpu_s: old $ma, new $mb ($USERS users, $HOLD s, $THREADS threads):" \
  "$(awk -v a="$ma" -v b="$mb" -v h="$HOLD" 'BEGIN { printf "%+.3f s, %+.2f%% of one core", b - a, 100 * (b - a) / (h + 1) }')"
