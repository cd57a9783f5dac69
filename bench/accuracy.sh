#!/usr/bin/env bash
# issue 5, item 7: `wsgate serve --ack-delay 50ms`, users publishing every
# 1 s (open pacing: pause 1s between a reply and the next publish); prints
# the reported publish->ack p50/p99, the p50's error against 50 ms, and the
# client's and server's CPU (% of one core, whole run).
#
#   bench/accuracy.sh              1,000 users, then 10,000 users, 30 s hold each
#   QUICK=1 bench/accuracy.sh      1,000 users only, 15 s hold
#   HOLD=60 SERVER_THREADS=2 bench/accuracy.sh
#
# Bounded: each run under timeout (ramp + hold + 60 s).
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh
if [ -n "${QUICK:-}" ]; then HOLD=${HOLD:-15}; SIZES=${SIZES:-1000}; fi
HOLD=${HOLD:-30}; SIZES=${SIZES:-1000 10000}; SERVER_THREADS=${SERVER_THREADS:-2}
WSGATE=${WSGATE:-build-release/wsgate}
[ -x "$WSGATE" ] || ./build.sh
WORK=$(mktemp -d /tmp/wsgate-acc.XXXXXX)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null || true; work_cleanup; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
start_serve --ack-delay 50ms --threads "$SERVER_THREADS"

TICK=$(getconf CLK_TCK)
srv_cpu() { awk -v t="$TICK" '{printf "%.2f", ($14 + $15) / t}' "/proc/$SRV/stat"; }
printf '%-8s %10s %8s %10s %10s %10s %9s %9s  %s\n' users publishes failed p50_ms p99_ms max_ms cli_cpu% srv_cpu% p50_error
for u in $SIZES; do
  ramp=$(( (u + 1999) / 2000 ))
  publish_spec "accuracy-$u" "$port" "$u" "$ramp" $((ramp + HOLD)) 1s room:bench >"$WORK/spec$u.yaml"
  s0=$(srv_cpu)
  /usr/bin/time -f '%U %S %e' -o "$WORK/time$u" timeout $((ramp + HOLD + 60)) "$WSGATE" run "$WORK/spec$u.yaml" --source-addrs 127.0.0.1-127.0.0.4 \
    --out "$WORK/out$u" --quiet || true
  read -r cu cs wall <"$WORK/time$u" || true
  cpus=$(awk -v u="$cu" -v s="$cs" -v w="$wall" -v a="$s0" -v b="$(srv_cpu)" \
    'BEGIN{printf "%.0f\t%.0f", 100 * (u + s) / w, 100 * (b - a) / w}')
  jq -r --arg u "$u" --arg cpus "$cpus" '.steps[] | select(.name == "publish") |
    [$u, .ok, .failed, (.latency_us.p50 / 1000), (.latency_us.p99 / 1000), (.latency_us.max / 1000),
     ($cpus | split("\t") | .[0]), ($cpus | split("\t") | .[1]), "\((.latency_us.p50 / 1000 - 50) * 1000 | round / 1000) ms (\((.latency_us.p50 / 50000 - 1) * 10000 | round / 100) %)"] |
    @tsv' "$WORK/out$u/result.json" |
    awk -F'\t' '{printf "%-8s %10s %8s %10.3f %10.3f %10.3f %9s %9s  %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9}'
done
echo "targets: p50 within 50.0-50.5 ms at 1,000 users, within 1 % at 10,000."
