# The server dies in the middle of the run: wsgate does not crash; the
# dropped connections and failed reconnects show up as errors in the report.
. "$(dirname "$0")/lib.sh"
start_server
( sleep 2; kill -9 "$SERVER_PID" ) &
killer=$!
run_wsgate "$WORK/out" run "$DATA/it/chat-short.yaml" --target "ws://127.0.0.1:$SERVER_PORT"
wait "$killer" || true
SERVER_PID=""
[ "$RC" -eq 0 ] || [ "$RC" -eq 1 ] || fail "exit status $RC (crash?); stderr: $(cat "$WORK/stderr")"
R="$WORK/out/result.json"
closed=$(jqr "$R" '.errors.closed.count + .errors.reset.count')
check "$closed >= 1"
refused=$(jqr "$R" '.errors.refused.count')
check "$refused >= 1"   # reconnects after the death are refused
[ "$(jqr "$R" '.steps[] | select(.name=="connect") | .ok')" -eq 20 ] || fail "the 20 users did not connect before the kill"
pass "dying server: $closed closed or reset, $refused refused reconnects, exit $RC"
