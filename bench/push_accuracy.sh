#!/usr/bin/env bash
# Push and fan-out latency against a known server delay (issue 3: "push and
# fan-out latency agree with a server-injected delay within 2 ms at 1,000
# users"). For each delay D, a fresh `wsgate serve --push-delay D
# --fanout-delay D` (each notification is stamped, then sent D later; each
# chat message is relayed D after it arrived) and one `wsgate run` of
# bench/specs/push_accuracy.yaml: 1 : 10 : 9 publishers, notified users
# (one push a second each) and listeners in ROOMS chat rooms (default 50:
# ~9 listeners each at 1,000 users; ROOMS=1 puts all 450 in one room, so
# every publish is written to 449 sockets at once). Prints, per users and D, the
# reported p50/p95 of "push" (latency_from ts_us) and "fan-out"
# (latency_from message.sentAtUs) and the p50's error against D. D = 0 is
# the transport alone, for comparison.
#
#   bench/push_accuracy.sh                      1,000 users, D = 0 and 20 ms, 1 rep
#   REPS=3 bench/push_accuracy.sh               medians of 3 runs
#   USERS="100 1000" DELAYS="0 5 50" ROOMS="50 1" HOLD=20 bench/push_accuracy.sh
#   WSGATE=../build/wsgate bench/push_accuracy.sh   (default build-release/wsgate)
#
# Bounded: each run under timeout (ramp + hold + 60 s); at most 10 reps.
set -euo pipefail
cd "$(dirname "$0")"
USERS=${USERS:-1000}; DELAYS=${DELAYS:-0 20}; ROOMS=${ROOMS:-50}; REPS=${REPS:-1}; HOLD=${HOLD:-15}
SERVER_THREADS=${SERVER_THREADS:-1}
[ "$REPS" -ge 1 ] && [ "$REPS" -le 10 ] || { echo "REPS must be 1 to 10" >&2; exit 2; }
WSGATE=${WSGATE:-build-release/wsgate}
[ -x "$WSGATE" ] || ./build.sh
WORK=$(mktemp -d /tmp/wsgate-push.XXXXXX)
SRV=
cleanup() {
  [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "raw: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# serve D: a fresh server with both delays D ms; sets SRV and PORT.
serve() {
  "$WSGATE" serve --port 0 --push-delay "$1ms" --fanout-delay "$1ms" --threads "$SERVER_THREADS" \
    >"$WORK/serve.log" 2>&1 &
  SRV=$!
  PORT=
  for _ in $(seq 1 100); do
    PORT=$(grep -oE '127\.0\.0\.1:[0-9]+' "$WORK/serve.log" | head -n1 | cut -d: -f2 || true)
    [ -n "$PORT" ] && return 0
    sleep 0.05
  done
  cat "$WORK/serve.log" >&2
  exit 3
}

for rep in $(seq 1 "$REPS"); do
  for u in $USERS; do
    ramp=$(( (u + 199) / 200 ))
    for r in $ROOMS; do
      spec="$WORK/spec-$u-$r.yaml"
      sed -E -e "s/^  users: [0-9]+/  users: $u/" -e "s/^  ramp_up: [0-9]+s/  ramp_up: ${ramp}s/" \
        -e "s/^  duration: [0-9]+s/  duration: $((ramp + HOLD))s/" \
        -e "s/random\.int\(1, 50\)/random.int(1, $r)/g" specs/push_accuracy.yaml >"$spec"
      for d in $DELAYS; do
        serve "$d"
        out="$WORK/out-$u-$r-$d-$rep"
        timeout $((ramp + HOLD + 60)) "$WSGATE" run "$spec" --target "ws://127.0.0.1:$PORT" \
          --out "$out" --quiet || true
        kill "$SRV"; wait "$SRV" 2>/dev/null || true; SRV=
        jq -c --argjson u "$u" --argjson r "$r" --argjson d "$d" '
          def s(n): [.steps[] | select(.name == n)][0];
          {users: $u, rooms: $r, delay: $d, errors: ([.errors[] | .count] | add),
           push_n: s("push").ok, push_p50: s("push").latency_us.p50, push_p95: s("push").latency_us.p95,
           fan_n: s("fan-out").ok, fan_p50: s("fan-out").latency_us.p50, fan_p95: s("fan-out").latency_us.p95}' \
          "$out/result.json" >>"$WORK/rows.jsonl"
      done
    done
  done
done

# medians over the reps, in ms
printf '%-6s %5s %6s %5s %9s %9s %9s %11s %9s %9s %9s %11s %7s\n' users rooms D_ms reps push_n push_p50 push_p95 push_err fan_n fan_p50 fan_p95 fan_err errors
jq -rs '
  def med: sort | if length == 0 then null else .[(length - 1) / 2 | floor] end;
  def ms: if . == null then "-" else (. / 1000 * 1000 | round / 1000 | tostring) end;
  group_by([.users, .rooms, .delay])[] |
  . as $g | ($g[0].delay * 1000) as $d |
  [$g[0].users, $g[0].rooms, $g[0].delay, ($g | length),
   ([$g[].push_n] | med), ([$g[].push_p50] | med | ms), ([$g[].push_p95] | med | ms),
   ([$g[].push_p50] | med | if . == null then "-" else ((. - $d) | ms) end),
   ([$g[].fan_n] | med), ([$g[].fan_p50] | med | ms), ([$g[].fan_p95] | med | ms),
   ([$g[].fan_p50] | med | if . == null then "-" else ((. - $d) | ms) end),
   ([$g[].errors] | add)] | @tsv' "$WORK/rows.jsonl" |
  awk -F'\t' '{printf "%-6s %5s %6s %5s %9s %9s %9s %11s %9s %9s %9s %11s %7s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13}'
echo "p50/p95 in ms, medians over the reps; err = p50 - D (target: 0 to 2 ms at 1,000 users)."
