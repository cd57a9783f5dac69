# Push and fan-out latency against a known server delay: wsgate serve
# --push-delay 30ms stamps each notification and sends it 30 ms later, and
# --fanout-delay 30ms relays each chat message 30 ms after it arrived. The
# reported latencies (latency_from ts_us, and message.sentAtUs from the
# publisher's clock) must be at least 30 ms and not far above it: a knob
# that does nothing, or a latency_from that reads the wrong clock, fails.
# bench/push_accuracy.sh measures the same at 1,000 users.
. "$(dirname "$0")/lib.sh"
D=30000 # us
start_server --push-delay 30ms --fanout-delay 30ms --push-interval 250ms
sed -E -e 's/^  users: [0-9]+/  users: 50/' -e 's/^  ramp_up: [0-9]+s/  ramp_up: 1s/' \
  -e 's/^  duration: [0-9]+s/  duration: 5s/' -e 's/pause: between\(1s, 3s\)/pause: 500ms/' \
  -e 's/random\.int\(1, 50\)/random.int(1, 1)/g' \
  "$SRC/bench/specs/push_accuracy.yaml" >"$WORK/spec.yaml"
grep -q '^  users: 50$' "$WORK/spec.yaml" || fail "bench/specs/push_accuracy.yaml: no '  users: N' line"
grep -q 'pause: 500ms' "$WORK/spec.yaml" || fail "bench/specs/push_accuracy.yaml: publish pause not found"
[ "$(grep -c 'room:{{random.int(1, 1)}}' "$WORK/spec.yaml")" -eq 2 ] || fail "bench/specs/push_accuracy.yaml: rooms not found"
run_wsgate "$WORK/out" run "$WORK/spec.yaml" --target "ws://127.0.0.1:$SERVER_PORT" --seed 3 --quiet
expect_rc 0
R="$WORK/out/result.json"
step() { jqr "$R" ".steps[] | select(.name==\"$1\") | $2"; }
[ "$(jqr "$R" '[.errors[] | .count] | add')" -eq 0 ] || fail "errors $(jq -c '.errors | map_values(.count)' "$R")"
# 50 users: 3 publishers, 29 notified, 18 listeners (user k: scenario k % 20)
check "$(step push .ok) >= 100"   # 29 users, 4 pushes a second, ~3.5 s each
check "$(step fan-out .ok) >= 50" # 3 publishers, ~2 publishes a second, 18 listeners in 1 room
for m in push fan-out; do
  p50=$(step "$m" .latency_us.p50)
  min=$(step "$m" .latency_us.min)
  check "$min >= $D - 500"            # never earlier than the delay (0.5 ms for clock slew)
  check "$p50 >= $D && $p50 < $D + 40000"
  pass "$m: $(step "$m" .ok) samples, min $min us, p50 $p50 us with $D us injected"
done
