# The HTTP step before connecting: a login POST whose JSON reply's token
# (or session cookie) is captured and sent on the WebSocket upgrade. Also:
# refused auth fails the login as http_status 401 and nothing connects; a
# capture that finds nothing and a closed port fail the step with the
# right kinds; neither the password nor a token reaches any output.
. "$(dirname "$0")/lib.sh"
export WSGATE_TEST_SECRET="pw-$RANDOM-secret"
step() { jqr "$1" ".steps[] | select(.name==\"$2\") | $3"; }

run_wsgate "$WORK/bearer" run "$DATA/it/http-login.yaml" --serve
expect_rc 0
R="$WORK/bearer/result.json"
[ "$(step "$R" login .ok)" -eq 5 ] || fail "expected 5 logins"
[ "$(step "$R" connect .ok)" -eq 5 ] || fail "expected 5 bearer connects"
[ "$(step "$R" subscribe .ok)" -eq 5 ] || fail "expected 5 subscribe acks"
[ "$(jqr "$R" '.errors.http_status.count')" -eq 0 ] || fail "upgrade refused despite the token"
lat=$(step "$R" login .latency_us.p50)
check "$lat > 0 && $lat < 2000000"
cat "$WORK/stdout" "$WORK/stderr" >"$WORK/bearer/console.txt"

run_wsgate "$WORK/cookie" run "$DATA/it/http-cookie.yaml" --serve
expect_rc 0
[ "$(step "$WORK/cookie/result.json" connect .ok)" -eq 5 ] || fail "cookie connects"
cat "$WORK/stdout" "$WORK/stderr" >"$WORK/cookie/console.txt"

# neither the password nor any issued token (wsg-...) in files or console
if grep -rlE "$WSGATE_TEST_SECRET|wsg-[0-9a-f]{16}" "$WORK/bearer" "$WORK/cookie"; then
  fail "a secret leaked into the files above"
fi

start_server --refuse-auth
run_wsgate "$WORK/refused" run "$DATA/it/http-login.yaml" --target "ws://127.0.0.1:$SERVER_PORT"
expect_rc 1
R="$WORK/refused/result.json"
[ "$(jqr "$R" '.errors.http_status.samples[0]')" = "login: HTTP 401" ] || fail "401 sample"
check "$(step "$R" login .failed) >= 5"
[ "$(step "$R" login .ok)" -eq 0 ] || fail "a refused login counted ok"
[ "$(step "$R" connect .ok) + $(step "$R" connect .failed)" = "0 + 0" ] || fail "connected without a login"
jqr "$R" '.assertions[] | select(.text | startswith("login.success_rate")) | .passed | tostring' | grep -qx false \
  || fail "login.success_rate assertion did not fail"
stop_server

# connections dropped by the server: each user logs in again before it
# reconnects (after the backoff), with the fresh token
start_server --drop-after 500ms --drop-fraction 1
sed 's/duration: 2s/duration: 3s/' "$DATA/it/http-login.yaml" >"$WORK/drops.yaml"
run_wsgate "$WORK/drops" run "$WORK/drops.yaml" --target "ws://127.0.0.1:$SERVER_PORT"
stop_server
R="$WORK/drops/result.json"
logins=$(step "$R" login .ok)
connects=$(step "$R" connect .ok)
check "$logins >= 10 && $connects >= 10 && $connects <= $logins"
[ "$(step "$R" login .failed)" -eq 0 ] || fail "a re-login failed"

# a capture that finds nothing: protocol error naming the field
sed 's/json.access_token/json.nope/' "$DATA/it/http-login.yaml" >"$WORK/nope.yaml"
run_wsgate "$WORK/nope" run "$WORK/nope.yaml" --serve
expect_rc 1
jqr "$WORK/nope/result.json" '.errors.protocol.samples[0]' | grep -qF "login: capture json.nope found nothing" \
  || fail "missing capture sample"

# nothing listening: refused
run_wsgate "$WORK/closed" run "$DATA/it/http-login.yaml" --target "ws://127.0.0.1:9"
expect_rc 1
check "$(jqr "$WORK/closed/result.json" '.errors.refused.count') >= 5"
jqr "$WORK/closed/result.json" '.errors.refused.samples[0]' | grep -qx "login: connection refused" \
  || fail "refused sample"
# a peer that accepts and never answers: the step's timeout (1s here)
start_hostile silent --seconds 15
sed 's/expect_status: 200/expect_status: 200\n          timeout: 1s/' "$DATA/it/http-login.yaml" >"$WORK/slow.yaml"
run_wsgate "$WORK/silent" run "$WORK/slow.yaml" --target "ws://127.0.0.1:$PEER_PORT"
stop_server
expect_rc 1
jqr "$WORK/silent/result.json" '.errors.timeout.samples[0]' | grep -qx "login: no HTTP response within 1.00 s" \
  || fail "timeout sample: $(jq -c .errors.timeout "$WORK/silent/result.json")"
check "$(step "$WORK/silent/result.json" login .failed) >= 5"
pass "login: bearer and cookie connect, 401, missing capture and refused counted"
