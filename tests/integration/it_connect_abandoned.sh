# Every connect attempt ends as ok, failed or abandoned: against a peer that
# never answers the upgrade, the attempts the server accepted equal connect
# ok + failed + connections.abandoned, where abandoned are those still
# pending when the run ended (they do not count against success_rate).
. "$(dirname "$0")/lib.sh"
start_hostile silent --seconds 15
run_wsgate "$WORK/out" run "$DATA/it/abandoned.yaml" --target "ws://127.0.0.1:$PEER_PORT" --quiet
expect_rc 1
R="$WORK/out/result.json"
ok=$(jqr "$R" '.steps[0].ok')
failed=$(jqr "$R" '.steps[0].failed')
ab=$(jqr "$R" '.connections.abandoned')
[ "$ok" -eq 0 ] || fail "connected to a silent peer"
check "$failed >= 6 && $ab >= 1"          # first attempts time out; second ones are cut by the end
[ "$(jqr "$R" .errors.timeout.count)" -eq "$failed" ] || fail "timeouts != failed connects"
# the peer accepts in a 0.2 s loop: wait (bounded) until it has seen them all
want=$((ok + failed + ab))
for _ in $(seq 1 50); do
  [ "$(grep -c accepted "$WORK/peer.err")" -ge "$want" ] && break
  sleep 0.1
done
seen=$(grep -c accepted "$WORK/peer.err")
[ "$seen" -eq "$want" ] || fail "server saw $seen attempts, wsgate counted $ok ok + $failed failed + $ab abandoned"
[ "$(jqr "$R" '.assertions[0].observed')" = "$ab" ] || fail "connections.abandoned observed: $(jq -c '.assertions[0]' "$R")"
[ "$(jqr "$R" '.steps[0].success_rate')" = 0 ] || fail "success_rate $(jqr "$R" '.steps[0].success_rate') (abandoned must not count)"
grep -q "Connects abandoned:\*\* $ab" "$WORK/out/summary.md" || fail "summary lacks the abandoned connects"
grep -q "name=\"connect_abandoned\" value=\"$ab\"" "$WORK/out/junit.xml" || fail "junit lacks the abandoned connects"
pass "connect accounting: $seen attempts = $ok ok + $failed failed + $ab abandoned"
