# Connecting without the token the server requires: the upgrade is refused
# with HTTP 401, counted as http_status errors with the code in the sample.
. "$(dirname "$0")/lib.sh"
run_wsgate "$WORK/out" run "$DATA/it/chat-no-token.yaml" --serve
expect_rc 1
R="$WORK/out/result.json"
n=$(jqr "$R" '.errors.http_status.count')
check "$n >= 20"
jqr "$R" '.errors.http_status.samples[0]' | grep -q "HTTP 401" || fail "sample lacks the status code"
[ "$(jqr "$R" '.steps[] | select(.name=="connect") | .ok')" -eq 0 ] || fail "connects succeeded without a token"
[ "$(jqr "$R" '.errors.refused.count')" -eq 0 ] || fail "401 miscounted as refused"
pass "auth refused: $n http_status errors"
