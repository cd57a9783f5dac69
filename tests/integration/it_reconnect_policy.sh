# connect.reconnect: automatic reconnects after a drop. Against a server
# that drops every connection 500 ms after it opens (a 1001 close frame, or
# cut without one), users reconnect after the backoff, run on_reconnect and
# resume their task (on_start runs once per user); the drop counts as
# errors.closed or errors.reset by how it came. Against a server that dies,
# users give up after max_attempts (reconnects.failures) and the exponential
# backoff bounds how many attempts the patient ones make.
. "$(dirname "$0")/lib.sh"

for mode in close abrupt; do
  extra="" kind=closed other=reset
  [ "$mode" = abrupt ] && extra=--drop-abrupt kind=reset other=closed
  start_server --drop-after 500ms --drop-fraction 1 $extra
  run_wsgate "$WORK/$mode" run "$DATA/it/reconnect-policy.yaml" --target "ws://127.0.0.1:$SERVER_PORT" --quiet
  stop_server
  expect_rc 0
  R="$WORK/$mode/result.json"
  step() { jqr "$R" ".steps[] | select(.name==\"$1\") | .$2"; }
  rec=$(step reconnects ok)
  check "$rec >= 8"                                   # 4 users, a drop every ~0.6 s for 3 s
  [ "$(step reconnects failed)" -eq 0 ] || fail "$mode: users gave up"
  [ "$(step reconnects latency_us.count)" -eq "$rec" ] || fail "$mode: reconnect latency samples"
  check "$(step reconnects latency_us.min) >= 50000"  # backoff 100ms -20% jitter, from the drop
  att=$(jqr "$R" .connections.reconnect_attempts)
  ab=$(jqr "$R" .connections.abandoned)
  [ "$att" -eq $((rec + ab)) ] || fail "$mode: attempts $att != $rec reconnects + $ab abandoned"
  [ "$(step connect ok)" -eq $((4 + rec)) ] || fail "$mode: connects $(step connect ok) != 4 + $rec"
  [ "$(step 'subscribe room' ok)" -eq 4 ] || fail "$mode: on_start ran again: $(step 'subscribe room' ok)"
  res=$(step resubscribe ok)
  check "$res >= $rec - 4 && $res <= $rec"
  check "$(step publish ok) > $rec"                    # the tasks resumed after each reconnect
  drops=$(jqr "$R" ".errors.$kind.count")
  check "$drops >= $rec && $drops <= $rec + 4"
  [ "$(jqr "$R" ".errors.$other.count")" -eq 0 ] || fail "$mode drops counted as $other: $(jq -c .errors "$R")"
  # the spec's 4, and the floor connect.success_rate > 0% (no assertion of its judges connect)
  [ "$(jqr "$R" '[.assertions[] | select(.passed)] | length')" -eq 5 ] || fail "$mode: assertions: $(jq -c .assertions "$R")"
  grep -q "Automatic reconnect attempts:\*\* $att" "$WORK/$mode/summary.md" || fail "$mode: summary lacks the attempts"
  grep -q "name=\"reconnect_attempts\" value=\"$att\"" "$WORK/$mode/junit.xml" || fail "$mode: junit lacks the attempts"
  grep -q "name=\"reconnects\" value=\"$rec\"" "$WORK/$mode/junit.xml" || fail "$mode: junit lacks the reconnects"
  pass "reconnect policy ($mode): $rec reconnects, $res resubscribes, $drops $kind"
done

# The server dies once every user has connected (at most 5 s in): 4 quick
# users make 3 refused attempts each and give up; 4 patient users (800 ms,
# then 1.6 s, then 3.2 s) make 1 or 2 attempts in the time left, never 10.
start_server
(
  for _ in $(seq 1 100); do
    [ "$(ss -Htn state established "( sport = :$SERVER_PORT )" | wc -l)" -ge 8 ] && break
    sleep 0.05
  done
  kill -9 "$SERVER_PID"
) &
killer=$!
run_wsgate "$WORK/giveup" run "$DATA/it/reconnect-giveup.yaml" --target "ws://127.0.0.1:$SERVER_PORT" --quiet
wait "$killer" || true
SERVER_PID=""
expect_rc 1
R="$WORK/giveup/result.json"
[ "$(jqr "$R" '.steps[] | select(.name=="connect") | .ok')" -eq 8 ] || fail "the 8 users did not connect before the kill"
[ "$(jqr "$R" '.steps[] | select(.name=="reconnects") | .ok')" -eq 0 ] || fail "reconnected to a dead server"
[ "$(jqr "$R" '.steps[] | select(.name=="reconnects") | .failed')" -eq 4 ] || fail "gave up: $(jq -c '.steps[] | select(.name=="reconnects")' "$R"), expected the 4 quick users"
att=$(jqr "$R" .connections.reconnect_attempts)
check "$att >= 12 + 4 && $att <= 12 + 8"
[ "$(jqr "$R" '.steps[] | select(.name=="connect") | .failed')" -eq "$att" ] || fail "failed connects != attempts $att"
[ "$(jqr "$R" .errors.refused.count)" -eq "$att" ] || fail "refused != attempts $att"
[ "$(jqr "$R" '.assertions[0].observed')" = 4 ] || fail "reconnects.failures observed $(jq -c '.assertions[0]' "$R")"
grep -q 'name="reconnects_gave_up" value="4"' "$WORK/giveup/junit.xml" || fail "junit lacks the users that gave up"
pass "reconnect policy (server dies): $att attempts, 4 users gave up"

# Dropped 300 ms after each connect, in the middle of on_start's 5 s sleep:
# every reconnect runs on_start again from the top, never on_reconnect.
start_server --drop-after 300ms --drop-fraction 1
run_wsgate "$WORK/early" run "$DATA/it/reconnect-early.yaml" --target "ws://127.0.0.1:$SERVER_PORT" --quiet
stop_server
expect_rc 0
R="$WORK/early/result.json"
step() { jqr "$R" ".steps[] | select(.name==\"$1\") | .$2"; }
rec=$(step reconnects ok)
check "$rec >= 4"
[ "$(step connect ok)" -eq $((2 + rec)) ] || fail "early: connects $(step connect ok) != 2 + $rec"
[ "$(step hello ok)" -eq "$(step connect ok)" ] || fail "early: on_start did not rerun on each connection"
[ "$(step resubscribe ok)" -eq 0 ] || fail "early: on_reconnect ran before on_start finished"
[ "$(step publish ok)" -eq 0 ] || fail "early: tasks ran before on_start finished"
pass "reconnect policy (drop during on_start): $rec reconnects, on_start each time"
