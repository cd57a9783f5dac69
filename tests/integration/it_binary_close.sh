# send_binary with base64:, hex: and random(N) payloads, and a close step
# after which the user connects again and runs on_start afresh.
. "$(dirname "$0")/lib.sh"
start_server
run_wsgate "$WORK/out" run "$DATA/it/binary-close.yaml" --target "ws://127.0.0.1:$SERVER_PORT" --seed 4
expect_rc 0
R="$WORK/out/result.json"
ok() { jqr "$R" ".steps[] | select(.name==\"$1\") | .ok"; }
failed() { jqr "$R" "[.steps[].failed] | add"; }
conn=$(ok connect); b64=$(ok "b64 ping"); hex=$(ok "hex ping"); rnd=$(ok "random bytes"); bye=$(ok bye)
[ "$(failed)" = 0 ] || fail "failed steps: $(jq -c '.steps' "$R")"
# 2 users, a cycle of about 200 ms for 3 s: each close leads to a new connection
check "$bye >= 10 && $bye <= 34"
check "$conn == $b64"
check "$conn >= $bye + 1 && $conn <= $bye + 2"
check "$hex >= $bye && $hex <= $bye + 2"
check "$rnd >= $bye && $rnd <= $bye + 2"
check "$(jqr "$R" '.errors.total // ([.errors[].count] | add)') == 0"
pass "binary/close: $conn connects, $b64 base64 pings, $hex hex pings, $rnd random frames, $bye closes"
