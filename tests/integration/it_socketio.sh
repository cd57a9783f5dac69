# protocol: socketio against a real Socket.IO server: npm socket.io 4.8
# (tests/servers/socketio/server.js, installed by ./setup.sh test; skipped
# with 77 when its node_modules is missing), on a free loopback port.
#  1. specs/socketio.yaml (30 users, 5 s) against a server pinging every
#     second with a 1 s timeout: 0 errors, exit 0, every user connected
#     (open packet, 40 -> 40{sid}), chat emits timed to their acks, the
#     fan-out and ticks counted, the pings answered (the server would close
#     every user after 2 s otherwise); each user leaves its namespace
#     (41) before closing: the server saw 30 "client namespace disconnect".
#  2. a server that announces pings and never sends one: the silence is
#     counted as errors.keepalive ("no Socket.IO ping"), exit 1.
#  3. a wrong auth token: the middleware's 44 fails every connect (kind
#     protocol, "Socket.IO connect error: invalid token"), exit 1.
#  4. the server killed mid-run: exit 1 with complete reports (every file,
#     the errors counted, the run's full duration).
# ctest: parallel
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/spec_checks.sh"
SIO_DIR="$SRC/tests/servers/socketio"
[ -d "$SIO_DIR/node_modules/socket.io" ] || { echo "SKIP: npm ci in tests/servers/socketio (./setup.sh test)"; exit 77; }
sio_start() { start_listener sio node "$SIO_DIR/server.js" "$@"; T="ws://127.0.0.1:$LISTEN_PORT"; }
step() { jqr "$1" ".steps[] | select(.name==\"$2\") | .$3"; }
errs() { jqr "$1" '[.errors[] | .count] | add'; }
# spec_load FILE LOAD: specs/socketio.yaml with another load: line.
spec_load() { sed "s/^load: .*/load: $2/" "$SRC/specs/socketio.yaml" >"$1"; }

sio_start --ping-interval 1000 --ping-timeout 1000
spec_load "$WORK/ok.yaml" "{users: 30, duration: 5s, ramp_up: 1s}"
run_wsgate "$WORK/ok" run "$WORK/ok.yaml" --target "$T"
[ "$RC" -eq 0 ] || cat "$WORK/stdout"
expect_rc 0
R="$WORK/ok/result.json"
check_metrics "$R"
[ "$(errs "$R")" -eq 0 ] || fail "errors: $(jq -c '.errors' "$R")"
[ "$(step "$R" connect ok)" -eq 30 ] || fail "connects: $(jq -c '.steps[0]' "$R")"
check "$(step "$R" chat_ack ok) >= 50"
[ "$(step "$R" chat_ack failed)" -eq 0 ] || fail "emits without their ack"
check "$(step "$R" fan-out ok) >= 10 * $(step "$R" chat_ack ok)"
check "$(step "$R" ticks ok) >= 22 * 6"
check "$(step "$R" pings ok) >= 22 * 2"
stop_server
grep -qF 'disconnects {"client namespace disconnect":30}' "$WORK/sio.out" \
  || fail "the server saw: $(grep disconnects "$WORK/sio.out")"
pass "$(step "$R" chat_ack ok) acks, $(step "$R" fan-out ok) fan-out, $(step "$R" pings ok) pings answered, 0 errors, 30 goodbyes"

sio_start --ping-interval 500 --ping-timeout 500 --no-ping
spec_load "$WORK/small.yaml" "{users: 4, duration: 3s}"
run_wsgate "$WORK/noping" run "$WORK/small.yaml" --target "$T"
expect_rc 1
R="$WORK/noping/result.json"
check "$(jqr "$R" '.errors.keepalive.count') >= 4"
[ "$(jqr "$R" '.errors.keepalive.count')" -eq "$(errs "$R")" ] || fail "other errors: $(jq -c '.errors' "$R")"
jqr "$R" '.errors.keepalive.samples[0]' | grep -q "no Socket.IO ping from the server for" ||
  fail "sample: $(jqr "$R" '.errors.keepalive.samples[0]')"
pass "no ping: $(jqr "$R" '.errors.keepalive.count') x '$(jqr "$R" '.errors.keepalive.samples[0]')'"
stop_server

sio_start --token right
sed 's/protocol: socketio/protocol: socketio\n    socketio: {auth: '"'"'{"token": "wrong-{{vu.id}}"}'"'"'}/' \
  "$WORK/small.yaml" >"$WORK/bad.yaml"
run_wsgate "$WORK/bad" run "$WORK/bad.yaml" --target "$T"
expect_rc 1
R="$WORK/bad/result.json"
[ "$(step "$R" connect ok)" -eq 0 ] || fail "a connect succeeded with a wrong token"
check "$(step "$R" connect failed) >= 4"
[ "$(jqr "$R" '.errors.protocol.count')" -eq "$(step "$R" connect failed)" ] ||
  fail "connect failures are not all protocol errors: $(jq -c '.errors' "$R")"
jqr "$R" '.errors.protocol.samples[0]' | grep -q "Socket.IO connect error: invalid token" ||
  fail "sample: $(jqr "$R" '.errors.protocol.samples[0]')"
pass "wrong token: $(step "$R" connect failed) x '$(jqr "$R" '.errors.protocol.samples[0]')'"

sio_start
set +e
spec_load "$WORK/kill.yaml" "{users: 10, duration: 4s}"
"$WSGATE" run "$WORK/kill.yaml" --target "$T" \
  --out "$WORK/killed" >"$WORK/stdout" 2>"$WORK/stderr" &
RUN_PID=$!
sleep 1.5
stop_server
wait "$RUN_PID"
RC=$?
set -e
expect_rc 1
R="$WORK/killed/result.json"
for f in result.json junit.xml summary.md report.html results.csv; do
  [ -s "$WORK/killed/$f" ] || fail "no $f after the server died"
done
check_metrics "$R"
check "$(errs "$R") >= 10"
check "$(step "$R" chat_ack ok) >= 1"
pass "server killed: exit 1, $(errs "$R") errors ($(jq -c '[.errors | to_entries[] | select(.value.count > 0) | .key]' "$R")), every report written"
