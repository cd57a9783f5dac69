# A server that acknowledges 300 ms late turns the subscribe assertion red,
# and the reports show the observed p50 near 300 ms.
. "$(dirname "$0")/lib.sh"
start_server --ack-delay 300ms
run_wsgate "$WORK/out" run "$DATA/it/chat-short.yaml" --target "ws://127.0.0.1:$SERVER_PORT" --seed 3
expect_rc 1
R="$WORK/out/result.json"
p50=$(jqr "$R" '.steps[] | select(.name=="subscribe room") | .latency_us.p50')
check "$p50 >= 299000 && $p50 < 330000"
[ "$(jqr "$R" '.assertions[] | select(.text | startswith("p50(subscribe room)")) | .passed')" = false ] || fail "subscribe assertion passed"
[ "$(jqr "$R" '.assertions[] | select(.text | startswith("connect.success_rate")) | .passed')" = true ] || fail "connect assertion failed"
J="$WORK/out/junit.xml"
xmllint --noout "$J"
msg=$(xmllint --xpath 'string(//testcase[starts-with(@name,"p50(subscribe room)")]/failure/@message)' "$J")
echo "$msg" | grep -qE 'observed 3[0-2][0-9] ms, expected < 200 ms' || fail "junit failure text: $msg"
grep -E 'p50\(subscribe room\)' "$WORK/out/summary.md" | grep -qE '\| 3[0-2][0-9] ms \|' || fail "summary lacks observed p50"
grep -q "failed" "$WORK/out/summary.md" || fail "summary verdict not failed"
pass "ack delay: subscribe p50 ${p50} us; $msg"
