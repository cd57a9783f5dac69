# protocol: text and send: carrying any byte, against the echo peer
# (peers/hostile_server.py echo, which logs each text message's length and
# bytes): "A\u0000B" reaches the peer as the 3 bytes 41 00 42; the text
# predicates (contains, ~, json == null) match the raw replies; under
# protocol: json the same replies match nothing (timeouts, exit 1).
# ctest: parallel
. "$(dirname "$0")/lib.sh"
start_hostile echo --seconds 30
T="ws://127.0.0.1:$PEER_PORT"

run_wsgate "$WORK/text" run "$DATA/it/text_echo.yaml" --target "$T"
expect_rc 0
R="$WORK/text/result.json"
grep -q '^text 3 410042$' "$WORK/peer.err" || fail "the NUL message did not arrive as 3 bytes: $(head -3 "$WORK/peer.err")"
[ "$(jqr "$R" '.steps[] | select(.name=="nul") | .ok')" -eq 1 ] || fail "nul step: $(jq -c '.steps' "$R")"
check "$(jqr "$R" '.steps[] | select(.name=="hello") | .ok') >= 2"
check "$(jqr "$R" '.steps[] | select(.name=="json") | .ok') >= 1"
[ "$(jqr "$R" '[.steps[] | .failed] | add')" -eq 0 ] || fail "failed steps: $(jq -c '.steps' "$R")"
pass "text: 41 00 42 sent whole; contains, ~ and json == null matched"

sed 's/protocol: text/protocol: json/' "$DATA/it/text_echo.yaml" >"$WORK/json.yaml"
run_wsgate "$WORK/json" run "$WORK/json.yaml" --target "$T"
expect_rc 1
R="$WORK/json/result.json"
[ "$(jqr "$R" '.steps[] | select(.name=="nul") | .failed')" -eq 1 ] || fail "json: nul matched a text reply"
check "$(jqr "$R" '.errors.timeout.count') >= 1"
pass "json: the text predicates match no raw reply"
