# count: every chat broadcast is counted and timed from the sender's sentAt
# (fan-out latency), whatever step the user is in; 4 users in one room, so
# each publish reaches the 3 others. A count without latency_from only counts.
. "$(dirname "$0")/lib.sh"
start_server
run_wsgate "$WORK/out" run "$DATA/it/fanout-count.yaml" --target "ws://127.0.0.1:$SERVER_PORT" --seed 2
expect_rc 0
R="$WORK/out/result.json"
step() { jqr "$R" ".steps[] | select(.name==\"$1\") | $2"; }
pub=$(step publish .ok)
fan=$(step fanout .ok)
acks=$(step acks .ok)
check "$pub >= 20"
# a publish whose broadcast arrives after the run's end is not seen
check "$fan <= 3 * $pub && $fan >= 3 * $pub - 12"
check "$(step fanout .latency_us.count) == $fan"
check "$(step fanout .latency_us.p50) < 50000"
check "$acks >= $pub && $acks <= $pub + 4"
check "$(step acks .latency_us.count) == 0"
check "$(step fanout .failed) == 0"
[ "$(jqr "$R" ".assertions | map(.passed) | all")" = true ] || fail "assertions: $(jq -c .assertions "$R")"
pass "fan-out: $pub publishes, $fan broadcasts timed (p50 $(step fanout .latency_us.p50) us), $acks acks"
