# connect.ping_interval: WebSocket ping frames, their round trip as the
# "ws.ping" metric, beside normal traffic; a peer that never answers shows up
# as ping failures and timeout errors.
. "$(dirname "$0")/lib.sh"
run_wsgate "$WORK/idle" run "$DATA/it/ping.yaml" --serve
expect_rc 0
R="$WORK/idle/result.json"
n=$(jqr "$R" '.steps[] | select(.name=="ws.ping") | .ok')
check "$n >= 35 && $n <= 55"   # 5 users, 2 s, every 200 ms
run_wsgate "$WORK/chat" run "$DATA/it/chat-ping.yaml" --serve
expect_rc 0
R="$WORK/chat/result.json"
pings=$(jqr "$R" '.steps[] | select(.name=="ws.ping") | .ok')
pubs=$(jqr "$R" '.steps[] | select(.name=="publish chat message") | .ok')
check "$pings >= 150 && $pubs >= 80"   # 20 users x ~3.5 s / 300 ms; publishes unaffected
start_hostile deaf --seconds 10
run_wsgate "$WORK/deaf" run "$DATA/it/ping.yaml" --target "ws://127.0.0.1:$PEER_PORT"
expect_rc 1
R="$WORK/deaf/result.json"
failed=$(jqr "$R" '.steps[] | select(.name=="ws.ping") | .failed')
check "$failed >= 20"
jqr "$R" '.errors.timeout.samples[0]' | grep -q "no pong within 200.0 ms" || fail "no pong sample"
pass "ping: $n idle pings, $pings pings beside $pubs publishes, $failed unanswered"
