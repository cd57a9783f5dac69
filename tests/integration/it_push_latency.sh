# Receive-only steps with expect.latency_from: the quote stream's latency is
# measured from the server's timestamp (small), while the same step without
# latency_from measures the wait for the next quote (one quote period).
# A latency_from field the message lacks fails the step as a protocol error.
. "$(dirname "$0")/lib.sh"
start_server --quote-rate 4
run_wsgate "$WORK/out" run "$DATA/it/push-quotes.yaml" --target "ws://127.0.0.1:$SERVER_PORT" --seed 5
expect_rc 0
R="$WORK/out/result.json"
step() { jqr "$R" ".steps[] | select(.name==\"$1\") | $2"; }
us_p50=$(step "quote push us" .latency_us.p50)
ms_p50=$(step "quote push ms" .latency_us.p50)
wait_p50=$(step "quote wait" .latency_us.p50)
check "$(step "quote push us" .ok) >= 8"
check "$(step "quote push us" .failed) == 0"
check "$us_p50 < 50000"
check "$ms_p50 < 50000"
# 4 quotes a second: waiting for the next one takes about 250 ms
check "$wait_p50 > 200000 && $wait_p50 < 300000"
check "$wait_p50 > 4 * $us_p50"

run_wsgate "$WORK/miss" run "$DATA/it/push-missing-field.yaml" --target "ws://127.0.0.1:$SERVER_PORT"
M="$WORK/miss/result.json"
[ "$(jqr "$M" '.steps[] | select(.name=="push") | .ok')" = 0 ] || fail "steps without the field counted ok"
check "$(jqr "$M" '.steps[] | select(.name=="push") | .failed') >= 3"
check "$(jqr "$M" '.errors.protocol.count') >= 3"
jqr "$M" '.errors.protocol.samples[0]' | grep -q "latency_from field 'meta.sentAt' is missing" || fail "error sample: $(jqr "$M" '.errors.protocol.samples[0]')"
pass "push latency: us p50 ${us_p50} us, ms p50 ${ms_p50} us, wait p50 ${wait_p50} us"
