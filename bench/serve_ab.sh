#!/usr/bin/env bash
# issue 5, item 8: is `wsgate serve` the bottleneck? A/B of two server
# binaries in one run, alternated (A B A B ...), the same client for both:
# `serve --ack-delay 50ms --threads T`, USERS users ramped in RAMP s
# (default 10,000 in 2 s = 5,000 connects/s), each publishing every 1 s
# for HOLD s. Per run: connect failures and connect p99 (the ramp), the
# publish p50/p99 and the p50's error against 50 ms, and the client's and
# server's CPU (% of one core over the client's whole run); medians per
# binary at the end.
#
#   bench/serve_ab.sh OLD_WSGATE NEW_WSGATE
#   REPS=3 USERS=10000 RAMP=2 HOLD=15 SERVER_THREADS=2 bench/serve_ab.sh A B
#
# The client is NEW_WSGATE (or CLIENT=...). Bounded: each run under
# timeout (ramp + hold + 60 s); every process started here is killed on exit.
set -euo pipefail
A=$(realpath "${1:?usage: serve_ab.sh OLD_WSGATE NEW_WSGATE}")
B=$(realpath "${2:?usage: serve_ab.sh OLD_WSGATE NEW_WSGATE}")
cd "$(dirname "$0")"
. ./lib.sh
REPS=${REPS:-3}; USERS=${USERS:-10000}; RAMP=${RAMP:-2}; HOLD=${HOLD:-15}
SERVER_THREADS=${SERVER_THREADS:-2}; CLIENT=${CLIENT:-$B}
[ "$REPS" -ge 1 ] && [ "$REPS" -le 10 ] || { echo "REPS must be 1-10" >&2; exit 2; }
WORK=$(mktemp -d /tmp/wsgate-serveab.XXXXXX)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null || true; work_cleanup; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
TICK=$(getconf CLK_TCK)

run_one() { # label binary rep
  local label=$1 bin=$2 rep=$3 port out="$WORK/$1-$3"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$bin" serve --port "$port" --ack-delay 50ms --threads "$SERVER_THREADS" >"$out.serve.log" 2>&1 &
  SRV=$!
  sleep 1
  kill -0 "$SRV" || { cat "$out.serve.log"; exit 3; }
  publish_spec serve-ab "$port" "$USERS" "$RAMP" $((RAMP + HOLD)) 1s room:bench >"$out.yaml"
  local s0 s1
  s0=$(awk '{print $14 + $15}' "/proc/$SRV/stat")
  /usr/bin/time -f '%U %S %e' -o "$out.time" timeout $((RAMP + HOLD + 60)) "$CLIENT" run "$out.yaml" \
    --source-addrs 127.0.0.1-127.0.0.4 --out "$out" --quiet || true
  s1=$(awk '{print $14 + $15}' "/proc/$SRV/stat")
  kill "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null || true; SRV=
  local cu cs wall
  read -r cu cs wall <"$out.time" || true
  jq -r --arg l "$label" --arg r "$rep" --argjson cu "$cu" --argjson cs "$cs" --argjson w "$wall" \
    --argjson s "$(( s1 - s0 ))" --argjson t "$TICK" '
    (.steps[] | select(.name == "connect")) as $c | (.steps[] | select(.name == "publish")) as $p |
    [$r, $l, $c.failed, ($c.latency_us.p99 / 1000), $p.ok, ($p.latency_us.p50 / 1000), ($p.latency_us.p99 / 1000),
     ($p.latency_us.p50 / 1000 - 50), (100 * ($cu + $cs) / $w), (100 * $s / $t / $w)] | @tsv' "$out/result.json" |
    tee -a "$WORK/rows.tsv" |
    awk -F'\t' '{printf "%-4s %-3s %9s %9.1f %10s %9.3f %9.1f %+10.2f %8.0f %8.0f\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10}'
}

echo "A = $A"; echo "B = $B"; echo "client = $CLIENT; $USERS users, ramp ${RAMP}s, hold ${HOLD}s, serve --ack-delay 50ms --threads $SERVER_THREADS"
printf '%-4s %-3s %9s %9s %10s %9s %9s %10s %8s %8s\n' rep bin conn_fail conn_p99 publishes p50_ms p99_ms p50_err cli_cpu% srv_cpu%
for rep in $(seq 1 "$REPS"); do
  if [ $((rep % 2)) -eq 1 ]; then run_one A "$A" "$rep"; run_one B "$B" "$rep"; else run_one B "$B" "$rep"; run_one A "$A" "$rep"; fi
done
echo "medians:"
for l in A B; do
  awk -F'\t' -v l="$l" '$2 == l' "$WORK/rows.tsv" |
    python3 -c '
import sys, statistics as st
rows = [l.rstrip("\n").split("\t") for l in sys.stdin if l.strip()]
if not rows: sys.exit(0)
m = lambda i: st.median(float(r[i]) for r in rows)
print("med  %-3s %9.0f %9.1f %10.0f %9.3f %9.1f %+10.2f %8.0f %8.0f" % (rows[0][1], m(2), m(3), m(4), m(5), m(6), m(7), m(8), m(9)))'
done
