# Reconnect steps: the connection is closed and opened again within the
# task, timed from the close to the new upgrade; the task then resumes on
# the new connection. Every reconnect is also a connect; users never overlap.
. "$(dirname "$0")/lib.sh"
run_wsgate "$WORK/out" run "$DATA/it/reconnect.yaml" --serve
expect_rc 0
R="$WORK/out/result.json"
rec=$(jqr "$R" '.steps[] | select(.name=="reconnect") | .ok')
res=$(jqr "$R" '.steps[] | select(.name=="resume") | .ok')
con=$(jqr "$R" '.steps[] | select(.name=="connect") | .ok')
check "$rec >= 20"
[ "$con" -eq $((rec + 5)) ] || fail "connects $con != 5 users + $rec reconnects"
check "$res >= $rec - 5 && $res <= $rec"
[ "$(jqr "$R" '.connections.peak')" -le 5 ] || fail "more connections than users"
[ "$(jqr "$R" '[.errors[] | .count] | add')" -eq 0 ] || fail "errors: $(jq -c .errors "$R")"
pass "reconnect: $rec reconnects (+5 first connects = $con), $res resumes"
