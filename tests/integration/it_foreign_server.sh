# The specs in specs/ against a server wsgate did not write: the Node.js
# `ws` peer in peers/ws_peer.js (Debian's nodejs and node-ws, see setup.sh),
# which speaks the same JSON messages as `wsgate serve` over its own HTTP
# and WebSocket stack. Each spec, shortened, runs with --target and must
# exit 0 with no errors and every metric its assertions name produced. Then
# connect.subprotocol: the peer answers "chat.v1" on /ws/chat and accepts
# any other offer without a subprotocol (as RFC 6455 allows), which wsgate
# must report as a failed connect of kind protocol.
# ctest: parallel
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/spec_checks.sh"

command -v node >/dev/null || fail "node not found: install nodejs and node-ws (setup.sh does)"

# the peer on a free port for at most 90 s (lib.sh's cleanup stops it)
start_listener peer node "$SRC/tests/integration/peers/ws_peer.js" 0 90
PEER_PORT=$LISTEN_PORT
T="ws://127.0.0.1:$PEER_PORT"
pass "peer: $(head -n1 "$WORK/peer.out")"

# foreign NAME SECONDS: the shortened spec against the peer.
foreign() {
  local spec r
  spec=$(shorten "$SRC/specs/$1.yaml" "$2")
  run_wsgate "$WORK/$1" run "$spec" --target "$T" --seed 7 --quiet
  expect_rc 0
  r="$WORK/$1/result.json"
  [ "$(jqr "$r" .verdict)" = pass ] || fail "$1: verdict $(jqr "$r" .verdict)"
  [ "$(jqr "$r" '.assertions | length')" -ge 4 ] || fail "$1: fewer than 4 assertions"
  check_metrics "$r"
  [ "$(jqr "$r" '[.errors[] | .count] | add')" -eq 0 ] || fail "$1: errors $(jq -c '.errors | map_values(.count)' "$r")"
  pass "$1 against the peer: exit 0, steps $(jq -c '[.steps[] | "\(.name)=\(.ok)"] | join(", ")' "$r")"
}

foreign chat 4
foreign notifications 8 # its rate assertion needs a few push periods
foreign market-data 4
foreign collaboration 5
foreign mixed 7
# specs/stomp.yaml needs a STOMP broker: it_stomp.sh runs it against RabbitMQ;
# specs/socketio.yaml a Socket.IO server: it_socketio.sh runs it against socket.io;
# specs/graphql.yaml a graphql-ws server: it_graphql.sh runs it against graphql-ws
[ "$(ls "$SRC"/specs/*.yaml | grep -vEc '/(stomp|socketio|graphql)\.yaml$')" -eq 5 ] || fail "a spec in specs/ is not run here: add it"

# connect.subprotocol: answered by the peer, or left out (a protocol error)
run_wsgate "$WORK/sub" run "$DATA/it/subprotocol.yaml" --target "$T"
expect_rc 0
[ "$(jqr "$WORK/sub/result.json" '.steps[] | select(.name=="subscribe room") | .ok')" -eq 3 ] || fail "chat.v1 users did not subscribe"
sed 's/chat\.v1/chat.v9/' "$DATA/it/subprotocol.yaml" >"$WORK/v9.yaml"
run_wsgate "$WORK/v9" run "$WORK/v9.yaml" --target "$T"
expect_rc 1
R="$WORK/v9/result.json"
[ "$(jqr "$R" '.steps[] | select(.name=="connect") | .ok')" -eq 0 ] || fail "connected without the subprotocol"
check "$(jqr "$R" '.errors.protocol.count') >= 3"
jqr "$R" '.errors.protocol.samples[0]' | grep -q 'did not accept subprotocol "chat.v9" (answered none)' ||
  fail "sample: $(jqr "$R" '.errors.protocol.samples[0]')"
pass "subprotocol: chat.v1 answered; chat.v9 not answered -> $(jqr "$R" '.errors.protocol.count') protocol errors"
