# The per-second time series adds up to the run's totals, shows the ramp in
# its active connections, and puts a server's ack delay into every second's
# percentiles.
. "$(dirname "$0")/lib.sh"
serve_chat "$WORK/spec.yaml" series "{users: 20, ramp_up: 2s, duration: 5s}" -- --ack-delay 40ms
run_wsgate "$WORK/out" run "$WORK/spec.yaml" --seed 5 --quiet
expect_rc 0
R="$WORK/out/result.json"
n=$(jqr "$R" '.series | length')
check "$n >= 5 && $n <= 8"
[ "$(jqr "$R" '[.series[].sent] | add')" = "$(jqr "$R" '.messages.sent')" ] || fail "series sent does not add up"
[ "$(jqr "$R" '[.series[].received] | add')" = "$(jqr "$R" '.messages.received')" ] || fail "series received does not add up"
[ "$(jqr "$R" '[.series[].steps.ping.count // 0] | add')" = "$(jqr "$R" '.steps[] | select(.name=="ping") | .ok')" ] || fail "series ping count does not add up"
[ "$(jqr "$R" '[.series[].steps.connect.count // 0] | add')" = "20" ] || fail "series connect count"
a0=$(jqr "$R" '.series[0].active'); a3=$(jqr "$R" '.series[3].active')
check "$a0 >= 5 && $a0 <= 15 && $a3 == 20"
# every second with pings reports the 40 ms delay
jq -e '[.series[] | .steps.ping | select(. != null) | .p50_ms] | all(. >= 40 and . < 60)' "$R" >/dev/null || fail "per-second p50 not near 40 ms: $(jq -c '[.series[].steps.ping.p50_ms]' "$R")"
"$WSGATE" report "$R" --format json | cmp -s - "$R" || fail "series does not survive report"
pass "series: $n seconds, active $a0 -> $a3"
