#!/usr/bin/env bash
# issue 16: what a Prometheus scrape of /metrics costs the runner, amplified
# so that run-to-run noise cannot hide it. The same load twice per
# repetition against one `wsgate serve`, both with --metrics-listen: once
# never scraped, once scraped RATE times a second over one keep-alive
# connection (as Prometheus does; python's http.client, its CPU is not the
# runner's). The runner's CPU (user + sys, /usr/bin/time) of each; the
# difference divided by the scrapes made is the CPU of one scrape; one
# scrape a second as a share of the runner's CPU per second (the unscraped
# run's CPU / its wall time) is the figure the issue asks for. The order of
# the two runs alternates; medians over REPS repetitions.
#
#   bench/scrape_cost.sh                        3 reps x 30 s, 5,000 users, 200 scrapes/s
#   USERS=19500 RAMP=20 bench/scrape_cost.sh    the issue's size, when the machine allows
#   PLAIN=1 bench/scrape_cost.sh                also a run without --metrics-listen per
#                                               rep: the once-a-second render's cost
#                                               (not amplified: as noisy as it is)
#
# A pair is only comparable when both runs held the same users: each row
# ends with the peak connections of the unscraped and the scraped run.
# Users are idle-ish chat users: each subscribes to its own room and
# publishes every 2 to 5 s (PAUSE), so the runner's CPU per second is low and
# a scrape's share is high: the unfavourable case.
# Bounded: every run under `timeout RAMP+DURATION+60`; the scraper stops
# after RAMP+DURATION+10 s or when the run's port closes.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh
REPS=${REPS:-3}; DURATION=${DURATION:-30}; USERS=${USERS:-5000}; RATE=${RATE:-200}
RAMP=${RAMP:-10}; PAUSE=${PAUSE:-between(2s, 5s)}; PLAIN=${PLAIN:-0}
WSGATE=${WSGATE:-../build/wsgate}
[ -x "$WSGATE" ] || { echo "build wsgate first (or WSGATE=path)" >&2; exit 2; }
WORK=$(mktemp -d /tmp/wsgate-scrape.XXXXXX)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

start_serve --threads 1
publish_spec scrape "$port" "$USERS" "$RAMP" "$DURATION" "$PAUSE" 'room:{{vu.id}}' >"$WORK/spec.yaml"

# scraper PORT RATE SECONDS: GETs /metrics RATE times a second on one
# keep-alive connection (reconnecting while the run starts), writes the
# number of 200 answers to $WORK/scrapes and the last body to metrics.txt.
scraper() {
  python3 - "$@" "$WORK" <<'PY'
import http.client, sys, time
port, rate, secs, work = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
end, n, conn, body, seen = time.monotonic() + secs, 0, None, b"", False
nxt = time.monotonic()
while time.monotonic() < end:
    try:
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/metrics")
        resp = conn.getresponse()
        body = resp.read()
        if resp.status == 200:
            n, seen = n + 1, True
    except OSError:
        conn = None
        if seen:  # the run ended and took its port with it
            break
        time.sleep(0.05)
        continue
    nxt += 1.0 / rate
    time.sleep(max(0.0, nxt - time.monotonic()))
open(work + "/scrapes", "w").write("%d\n" % n)
open(work + "/metrics.txt", "wb").write(body)
PY
}

# settle: waits (at most 60 s) until the server holds no connection of the
# run before, so runs do not overlap in the server's file descriptors.
settle() {
  for _ in $(seq 1 60); do
    n=$(curl -s "http://127.0.0.1:$port/metrics" |
      awk '/^wsgate_serve_connections\{/ {s += $2} END {print s + 0}')
    [ "$n" -eq 0 ] && return 0
    sleep 1
  done
}

# run RATE|plain: one run; prints "CPU_S WALL_S SCRAPES PEAK_CONNECTIONS"
run() {
  local mode=$1 mport opts=() loop=
  settle
  echo 0 >"$WORK/scrapes"
  if [ "$mode" != plain ]; then
    mport=$(free_port)
    opts=(--metrics-listen "127.0.0.1:$mport")
    if [ "$mode" != 0 ]; then
      scraper "$mport" "$mode" $((RAMP + DURATION + 10)) &
      loop=$!
    fi
  fi
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$WORK/time" timeout $((RAMP + DURATION + 60)) \
    "$WSGATE" run "$WORK/spec.yaml" --quiet --out "$WORK/out" "${opts[@]}" >/dev/null 2>"$WORK/err" || true
  t1=$(date +%s.%N)
  [ -n "$loop" ] && { wait "$loop" 2>/dev/null || true; }
  jq -e '.steps[] | select(.name == "publish") | .ok > 0' "$WORK/out/result.json" >/dev/null || {
    echo "the run published nothing: $(tail -3 "$WORK/err")" \
      "$(jq -c '[.errors | to_entries[] | select(.value.count > 0) | {(.key): .value.samples[0]}]' \
        "$WORK/out/result.json" 2>&1)" >&2
    exit 3
  }
  local peak; peak=$(jq -r '.connections.peak' "$WORK/out/result.json")
  echo "$peak" >>"$WORK/peaks"
  tail -1 "$WORK/time" | awk -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" -v n="$(cat "$WORK/scrapes")" \
    -v p="$peak" '{printf "%.3f %.3f %d %d", $1 + $2, w, n, p}'
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

printf '%-4s %9s %9s %9s %8s %11s %9s %10s %13s\n' rep quiet_s scraped_s plain_s scrapes us/scrape cpu_s/s share_1/s peak_q/s
for f in quiet scraped plain per cps share peaks; do : >"$WORK/$f"; done
for r in $(seq 1 "$REPS"); do
  if [ $((r % 2)) -eq 1 ]; then q=$(run 0); s=$(run "$RATE"); else s=$(run "$RATE"); q=$(run 0); fi
  p="- - - -"; [ "$PLAIN" = 1 ] && p=$(run plain)
  read -r qc qw _ qp <<<"$q"; read -r sc _ sn sp <<<"$s"; read -r pc _ _ _ <<<"$p"
  # us per scrape; the unscraped run's CPU per wall second; one scrape a second as % of it
  us=$(awk -v a="$sc" -v b="$qc" -v n="$sn" 'BEGIN {printf "%.1f", n ? (a - b) * 1e6 / n : 0}')
  cps=$(awk -v c="$qc" -v w="$qw" 'BEGIN {printf "%.4f", c / w}')
  share=$(awk -v u="$us" -v c="$cps" 'BEGIN {printf "%.3f", u / 1e6 / c * 100}')
  printf '%-4s %9s %9s %9s %8s %11s %9s %9s%% %13s\n' "$r" "$qc" "$sc" "$pc" "$sn" "$us" "$cps" "$share" "$qp/$sp"
  echo "$qc" >>"$WORK/quiet"; echo "$sc" >>"$WORK/scraped"; echo "$us" >>"$WORK/per"
  echo "$cps" >>"$WORK/cps"; echo "$share" >>"$WORK/share"; [ "$PLAIN" = 1 ] && echo "$pc" >>"$WORK/plain"
done
pm=-; [ "$PLAIN" = 1 ] && pm=$(median <"$WORK/plain")
printf '%-4s %9s %9s %9s %8s %11s %9s %9s%%\n' med "$(median <"$WORK/quiet")" "$(median <"$WORK/scraped")" \
  "$pm" - "$(median <"$WORK/per")" "$(median <"$WORK/cps")" "$(median <"$WORK/share")"
echo "users $USERS (peak connections $(sort -n "$WORK/peaks" | head -1) to $(sort -n "$WORK/peaks" | tail -1)), ramp ${RAMP} s + ${DURATION} s," \
  "pause $PAUSE, $RATE scrapes/s in the scraped runs, /metrics $(wc -c <"$WORK/metrics.txt") bytes"
