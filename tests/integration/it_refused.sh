# Nothing listens on the target port: every connect is refused, counted as
# such, assertions fail (exit 1), reports are still written, no crash.
. "$(dirname "$0")/lib.sh"
start_server
port=$SERVER_PORT
stop_server   # the port is now closed
run_wsgate "$WORK/out" run "$DATA/it/chat-short.yaml" --target "ws://127.0.0.1:$port"
expect_rc 1
R="$WORK/out/result.json"
refused=$(jqr "$R" '.errors.refused.count')
check "$refused >= 20"
[ "$(jqr "$R" '.steps[] | select(.name=="connect") | .ok')" -eq 0 ] || fail "connects succeeded"
jqr "$R" '.errors.refused.samples[0]' | grep -q "connect" || fail "no refused sample"
[ "$(jqr "$R" '.assertions[] | select(.text | startswith("connect.success_rate")) | .passed')" = false ] || fail "success rate passed"
xmllint --noout "$WORK/out/junit.xml"
grep -q refused "$WORK/out/summary.md" || fail "summary lacks refused errors"
pass "refused: $refused refused connects"
