#!/usr/bin/env bash
# issue 5, item 7 (second half): does wsgate add latency of its own at scale?
# Users publish every 2-5 s (the guide's pacing: between(2s, 5s)), each in
# its own room (no fan-out), against `wsgate serve --threads 2`; the same
# spec at 100 users and at 19,500 users, one after the other against the
# same server. Prints publish->ack p50/p99 for both, the p99 difference
# (target: within 2 ms), and client/server CPU.
#
#   bench/p99_scale.sh                      100 and 19,500 users, 60 s hold
#   SIZES="100 5000" HOLD=30 bench/p99_scale.sh
#
# Bounded: each run under timeout (ramp + hold + 60 s).
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh
SIZES=${SIZES:-100 19500}; HOLD=${HOLD:-60}; SERVER_THREADS=${SERVER_THREADS:-2}
SOURCES=${SOURCES:-127.0.0.1-127.0.0.8}
WSGATE=${WSGATE:-build-release/wsgate}
[ -x "$WSGATE" ] || ./build.sh
WORK=$(mktemp -d /tmp/wsgate-p99.XXXXXX)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null || true; work_cleanup; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
start_serve --threads "$SERVER_THREADS"
TICK=$(getconf CLK_TCK)
srv_cpu() { awk -v t="$TICK" '{printf "%.2f", ($14 + $15) / t}' "/proc/$SRV/stat"; }
printf '%-8s %10s %8s %10s %10s %10s %9s %9s\n' users publishes failed p50_ms p99_ms max_ms cli_cpu% srv_cpu%
for u in $SIZES; do
  ramp=$(( (u + 2999) / 3000 ))
  publish_spec "p99-scale-$u" "$port" "$u" "$ramp" $((ramp + HOLD)) "between(2s, 5s)" "room:{{vu.id}}" >"$WORK/spec$u.yaml"
  s0=$(srv_cpu)
  /usr/bin/time -f '%U %S %e' -o "$WORK/time$u" timeout $((ramp + HOLD + 60)) "$WSGATE" run "$WORK/spec$u.yaml" \
    --source-addrs "$SOURCES" --out "$WORK/out$u" --quiet || true
  read -r cu cs wall <"$WORK/time$u" || true
  cpus=$(awk -v u="$cu" -v s="$cs" -v w="$wall" -v a="$s0" -v b="$(srv_cpu)" \
    'BEGIN{printf "%.0f\t%.0f", 100 * (u + s) / w, 100 * (b - a) / w}')
  jq -r --arg u "$u" --arg cpus "$cpus" '.steps[] | select(.name == "publish") |
    [$u, .ok, .failed, (.latency_us.p50 / 1000), (.latency_us.p99 / 1000), (.latency_us.max / 1000),
     ($cpus | split("\t") | .[0]), ($cpus | split("\t") | .[1])] | @tsv' "$WORK/out$u/result.json" |
    awk -F'\t' '{printf "%-8s %10s %8s %10.3f %10.3f %10.3f %9s %9s\n", $1, $2, $3, $4, $5, $6, $7, $8}'
done
# Steady state only: the ramp second(s) have every user subscribe and send
# its first publish at once. Merge the per-second histograms of the hold
# (from 2 s after the ramp to 1 s before the end) and take p50/p99 by rank.
hold_pct() { # RESULT RAMP -> "p50_ms p99_ms count"
  python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); ramp = int(sys.argv[2])
last = max(s["t"] for s in r["series"])
counts = {}
for s in r["series"]:
    h = s.get("steps", {}).get("publish")
    if not h or s["t"] < ramp + 2 or s["t"] > last - 1:
        continue
    pairs = h["histogram"].split(";")[5]  # "bucket:count,..." (bucket indexes)
    for p in filter(None, pairs.split(",")):
        i, c = p.split(":"); counts[int(i)] = counts.get(int(i), 0) + int(c)
n = sum(counts.values())
def value_us(i):  # bucket index -> its midpoint (src/result/hist.c layout)
    if i < 2048:
        return i
    top, sub = (i - 2048) // 1024 + 11, (i - 2048) % 1024 + 1024
    lo = sub << (top - 10)
    return lo + ((1 << (top - 10)) - 1) / 2
def pct(q):
    need, acc = q * n, 0
    for i in sorted(counts):
        acc += counts[i]
        if acc >= need:
            return value_us(i) / 1000
    return float("nan")
print(f"{pct(0.50):.3f} {pct(0.99):.3f} {n}")
PY
}
echo
printf '%-8s %12s %12s %12s   (hold only)\n' users publishes p50_ms p99_ms
for u in $SIZES; do
  read -r p50 p99 n <<<"$(hold_pct "$WORK/out$u/result.json" $(( (u + 2999) / 3000 )))"
  printf '%-8s %12s %12s %12s\n' "$u" "$n" "$p50" "$p99"
  eval "p99_$u=$p99"
done
set -- $SIZES
first=$1; last=${!#}
awk -v a="$(eval echo \$p99_$first)" -v b="$(eval echo \$p99_$last)" -v x="$first" -v y="$last" \
  'BEGIN{printf "hold p99 at %s users minus at %s users: %+.3f ms (target: within 2 ms)\n", y, x, b - a}'
