#!/usr/bin/env bash
# Same-run A/B of two wsgate binaries on the CPU-per-round-trip workload
# (bench/specs/cpu_roundtrip.yaml: 1,000 users, publish -> message_ack, no
# think time), against one `wsgate serve`, alternating A and B so machine
# noise hits both alike. Prints round trips and client CPU per round trip.
#
#   bench/ab_roundtrip.sh OLD_WSGATE NEW_WSGATE      (REPS=2 DURATION=8 USERS=1000)
set -euo pipefail
cd "$(dirname "$0")/.."
A=${1:?usage: bench/ab_roundtrip.sh A_BINARY B_BINARY}
B=${2:?usage: bench/ab_roundtrip.sh A_BINARY B_BINARY}
REPS=${REPS:-2}; DURATION=${DURATION:-8}; USERS=${USERS:-1000}
WORK=$(mktemp -d /tmp/wsgate-ab.XXXXXX)
"$B" serve --port 0 >"$WORK/serve.out" 2>&1 &
SRV=$!
trap 'kill $SRV 2>/dev/null || true; wait $SRV 2>/dev/null || true; if [ -n "${KEEP:-}" ]; then echo "raw: $WORK" >&2; else rm -rf "$WORK"; fi' EXIT
for _ in $(seq 1 50); do grep -q 127.0.0.1 "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
port=$(grep -oE '127\.0\.0\.1:[0-9]+' "$WORK/serve.out" | head -n1 | cut -d: -f2)
sed -e "s/@USERS@/$USERS/; s/@DURATION@/$DURATION/; s#ws://127.0.0.1:8080#ws://127.0.0.1:$port#" \
  bench/specs/cpu_roundtrip.yaml >"$WORK/spec.yaml"
printf '%-4s %-3s %12s %12s %10s\n' rep bin round_trips cpu_s us/rt
for rep in $(seq 1 "$REPS"); do
  for v in A B; do
    bin=$A; [ "$v" = B ] && bin=$B
    /usr/bin/time -f '%U %S' -o "$WORK/time" timeout $((DURATION + 60)) \
      "$bin" run "$WORK/spec.yaml" --threads 1 --quiet --out "$WORK/$v$rep" || true
    rt=$(jq '.steps[] | select(.name=="publish") | .ok' "$WORK/$v$rep/result.json")
    cpu=$(awk '{ print $1 + $2 }' "$WORK/time")
    printf '%-4s %-3s %12s %12s %10.1f\n' "$rep" "$v" "$rt" "$cpu" "$(awk "BEGIN { print $cpu * 1e6 / $rt }")"
  done
done
