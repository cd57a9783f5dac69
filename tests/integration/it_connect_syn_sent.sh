# A connect is timed by connect.timeout alone, whatever libwebsockets' own
# timeouts are (5 s for the TCP connect by default): against a listener that
# never accepts, most connects stay in SYN-SENT; every one must fail at
# connect.timeout (6.5 s) as a timeout ("no upgrade within"), never earlier
# as lws's "Unable to connect" (counted as refused before engine.c set lws's
# timeouts past the run's end), and the retries are abandoned at the end.
. "$(dirname "$0")/lib.sh"
start_listener peer python3 "$SRC/tests/integration/peers/backlog_peer.py" --seconds 20
cat >"$WORK/spec.yaml" <<YAML
version: 1
name: syn-sent
target: ws://127.0.0.1:$LISTEN_PORT
load: {users: 8, duration: 8s}
scenarios:
  - name: pending
    connect: {url: "{{target}}/ws", timeout: 6500ms}
    tasks:
      - name: never sent
        send: 'x'
YAML
run_wsgate "$WORK/out" run "$WORK/spec.yaml" --quiet
expect_rc 1
R="$WORK/out/result.json"
[ "$(jq '.errors.refused.count // 0' "$R")" -eq 0 ] ||
  fail "connects cut before connect.timeout: $(jq -c .errors.refused "$R")"
[ "$(jqr "$R" '.steps[0].failed')" -eq 8 ] || fail "failed connects: $(jq -c '.steps[0]' "$R")"
[ "$(jqr "$R" '.errors.timeout.count')" -eq 8 ] || fail "timeouts: $(jq -c .errors "$R")"
jq -e '.errors.timeout.samples | all(test("no upgrade within 6.5"))' "$R" >/dev/null ||
  fail "timeout texts: $(jq -c .errors.timeout.samples "$R")"
[ "$(jqr "$R" '.connections.abandoned')" -eq 8 ] || fail "abandoned: $(jq -c .connections "$R")"
pass "8 pending connects: 8 timeouts at connect.timeout, 8 retries abandoned at the end"
