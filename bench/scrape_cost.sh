#!/usr/bin/env bash
# issue 16, item 3: what watching a run with Prometheus costs the runner.
# The same load twice per repetition against one `wsgate serve`: without
# --metrics-listen, and with it plus a scrape of /metrics every second
# (curl, as Prometheus with scrape_interval: 1s). The runner's CPU (user +
# sys, /usr/bin/time) of each, the difference in % of the plain run, and the
# medians over the repetitions (the order alternates).
#
#   bench/scrape_cost.sh                       3 reps x 15 s, 2,000 users
#   REPS=5 DURATION=30 USERS=5000 bench/scrape_cost.sh
#   EVERY=0.02 bench/scrape_cost.sh            50 scrapes a second: the cost of
#                                              one scrape rises above the noise
#                                              (extra CPU / scrapes, in ms)
#
# Bounded: every run under `timeout DURATION+60`, the scrape loop ends with it.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh
REPS=${REPS:-3}; DURATION=${DURATION:-15}; USERS=${USERS:-2000}; EVERY=${EVERY:-1}
WSGATE=${WSGATE:-../build/wsgate}
[ -x "$WSGATE" ] || { echo "build wsgate first (or WSGATE=path)" >&2; exit 2; }
WORK=$(mktemp -d /tmp/wsgate-scrape.XXXXXX)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

start_serve --threads 1
publish_spec scrape "$port" "$USERS" 2 "$DURATION" 1s 'room:{{vu.id}}' >"$WORK/spec.yaml"

# cpu [wsgate options...]: the runner's CPU seconds for one run
cpu() {
  /usr/bin/time -f '%U %S' -o "$WORK/time" timeout $((DURATION + 60)) \
    "$WSGATE" run "$WORK/spec.yaml" --threads 1 --quiet --out "$WORK/out" "$@" >/dev/null 2>"$WORK/err" || true
  jq -e '.steps[] | select(.name == "publish") | .ok > 0' "$WORK/out/result.json" >/dev/null ||
    { echo "the run published nothing: $(tail -3 "$WORK/err")" >&2; exit 3; }
  tail -1 "$WORK/time" | awk '{printf "%.3f", $1 + $2}'
}
# scraped: a run with --metrics-listen and a scrape every second
scraped() {
  local mport; mport=$(free_port)
  : >"$WORK/scrapes"
  ( end=$((SECONDS + DURATION + 10))
    while [ $SECONDS -lt $end ]; do
      curl -s -o "$WORK/metrics.txt" "http://127.0.0.1:$mport/metrics" && echo >>"$WORK/scrapes"
      sleep "$EVERY"
    done ) &
  local loop=$!
  cpu --metrics-listen "127.0.0.1:$mport"
  kill "$loop" 2>/dev/null; wait "$loop" 2>/dev/null || true
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

printf '%-4s %10s %10s %8s %8s %12s\n' rep plain_s scraped_s extra_% scrapes ms/scrape
: >"$WORK/plain"; : >"$WORK/scraped"; : >"$WORK/extra"; : >"$WORK/per"
for r in $(seq 1 "$REPS"); do
  if [ $((r % 2)) -eq 1 ]; then p=$(cpu); s=$(scraped); else s=$(scraped); p=$(cpu); fi
  n=$(wc -l <"$WORK/scrapes")
  x=$(awk -v p="$p" -v s="$s" 'BEGIN {printf "%.2f", (s - p) / p * 100}')
  m=$(awk -v p="$p" -v s="$s" -v n="$n" 'BEGIN {printf "%.3f", n ? (s - p) * 1000 / n : 0}')
  printf '%-4s %10s %10s %8s %8s %12s\n' "$r" "$p" "$s" "$x" "$n" "$m"
  echo "$p" >>"$WORK/plain"; echo "$s" >>"$WORK/scraped"; echo "$x" >>"$WORK/extra"; echo "$m" >>"$WORK/per"
done
printf '%-4s %10s %10s %8s %8s %12s\n' med "$(median <"$WORK/plain")" "$(median <"$WORK/scraped")" \
  "$(median <"$WORK/extra")" - "$(median <"$WORK/per")"
echo "users $USERS, ${DURATION} s, a scrape every $EVERY s, /metrics $(wc -c <"$WORK/metrics.txt") bytes"
