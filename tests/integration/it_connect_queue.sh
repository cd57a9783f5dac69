# The connect pipeline against a server that upgrades slowly (serve
# --accept-rate 20): with load.max_connecting 5, the other users wait for a
# slot in order, their connect latency includes the wait (timed from the
# planned start), the ramp's achieved rate falls below its plan, every user
# ends as connected, failed or abandoned, and the summary says so. A bad
# max_connecting is a file:line error. --max-connecting replaces the spec's
# (more slots: fewer users wait; the reports record it), and a bad one is
# one line, exit 2.
. "$(dirname "$0")/lib.sh"
start_server --accept-rate 20
cat >"$WORK/q.yaml" <<YAML
version: 1
name: connect-queue
target: ws://127.0.0.1:$SERVER_PORT
load: {users: 100, duration: 4s, ramp_up: 1s, max_connecting: 5}
scenarios:
  - name: chatter
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}", timeout: 10s}
    tasks:
      - name: ping
        pause: 100ms
        send: '{"action":"ping"}'
        expect: {match: 'type == "pong"', timeout: 2s}
YAML
run_wsgate "$WORK/out" run "$WORK/q.yaml" --threads 1 --quiet
expect_rc 0
R="$WORK/out/result.json"
ok=$(jqr "$R" '.steps[0].ok')
failed=$(jqr "$R" '.steps[0].failed')
ab=$(jqr "$R" '.connections.abandoned')
# each user connects once (no drops, a 10 s timeout): 100 attempts
[ $((ok + failed + ab)) -eq 100 ] || fail "$ok ok + $failed failed + $ab abandoned != 100 users"
check "$ok >= 40 && $ok <= 95 && $ab >= 5" # 20/s for about 4 s
[ "$(jqr "$R" '.connect.max_connecting')" -eq 5 ] || fail "max_connecting $(jq -c .connect "$R")"
[ "$(jqr "$R" '.connect.planned')" -eq 100 ] || fail "planned $(jq -c .connect "$R")"
[ "$(jqr "$R" '.connect.connected')" -eq "$ok" ] || fail "connected != connect ok"
planned=$(jqr "$R" '.connect.planned_per_s')
achieved=$(jqr "$R" '.connect.achieved_per_s')
check "$planned >= 95 && $planned <= 105"        # 100 users over 0.99 s: the 1 s floor
check "$achieved >= 12 && $achieved <= 28"       # the server's 20/s
[ "$(jqr "$R" '.connect.behind')" = true ] || fail "not behind: $(jq -c .connect "$R")"
waited=$(jqr "$R" '.connect.waited')
maxq=$(jqr "$R" '.connect.max_waiting')
wait_s=$(jqr "$R" '.connect.max_wait_s')
check "$waited >= 50 && $maxq >= 40 && $wait_s >= 1.5"
# the wait is in the connect latency: the slowest connect waited at least as long
max_ms=$(jqr "$R" '.steps[0].latency_us.max / 1000')
check "$max_ms >= $wait_s * 1000"
p50_ms=$(jqr "$R" '.steps[0].latency_us.p50 / 1000')
check "$p50_ms >= 500" # an unqueued loopback connect takes about 1 ms
grep -q "ramp: 100/s planned, [0-9]*/s achieved; up to $maxq users waited for a connect slot (max [0-9.]* s, load.max_connecting 5)" \
  "$WORK/out/summary.md" || fail "summary lacks the ramp line: $(grep -i ramp "$WORK/out/summary.md")"
grep -q 'id="ramp-behind"' "$WORK/out/report.html" || fail "report.html lacks the ramp line"

# --max-connecting over the spec's 5: with 60 slots at most 40 of the 100
# users wait (they waited by the dozens above), and every report says so
run_wsgate "$WORK/ovr" run "$WORK/q.yaml" --threads 1 --max-connecting 60 --quiet
expect_rc 0
O="$WORK/ovr/result.json"
[ "$(jqr "$O" '.connect.max_connecting')" -eq 60 ] || fail "override: $(jq -c .connect "$O")"
[ "$(jqr "$O" '.overrides.max_connecting')" -eq 60 ] || fail "overrides: $(jq -c .overrides "$O")"
omaxq=$(jqr "$O" '.connect.max_waiting')
check "$omaxq <= 40 && $omaxq < $maxq"
[ $(($(jqr "$O" '.steps[0].ok') + $(jqr "$O" '.steps[0].failed') + $(jqr "$O" '.connections.abandoned'))) -eq 100 ] ||
  fail "override run: the counts do not add up to 100: $(jq -c '[.steps[0].ok, .steps[0].failed, .connections.abandoned]' "$O")"
grep -qF '**Overrides:** max-connecting 60' "$WORK/ovr/summary.md" || fail "summary.md lacks the override"
for bad in 0 1000001 2.5; do
  run_wsgate "$WORK/bad" run "$WORK/q.yaml" --max-connecting "$bad" --quiet
  expect_rc 2
  [ "$(wc -l <"$WORK/stderr")" -eq 1 ] || fail "--max-connecting $bad: not one line: $(cat "$WORK/stderr")"
  grep -q -- "--max-connecting" "$WORK/stderr" || fail "$(cat "$WORK/stderr")"
  [ ! -e "$WORK/bad/result.json" ] || fail "--max-connecting $bad wrote a result"
done

# max_connecting: from 1, strictly a whole number, with file:line
sed 's/max_connecting: 5/max_connecting: 0/' "$WORK/q.yaml" >"$WORK/bad.yaml"
run_wsgate "$WORK/bad" validate "$WORK/bad.yaml"
expect_rc 2
grep -q "bad.yaml:4:.*max_connecting must be from 1 to" "$WORK/stderr" || fail "$(cat "$WORK/stderr")"
sed 's/max_connecting: 5/max_connecting: 2.5/' "$WORK/q.yaml" >"$WORK/bad.yaml"
run_wsgate "$WORK/bad" validate "$WORK/bad.yaml"
expect_rc 2
grep -q "bad.yaml:4:.*max_connecting" "$WORK/stderr" || fail "$(cat "$WORK/stderr")"
pass "connect queue: $ok ok + $failed failed + $ab abandoned; $planned/s planned, $achieved/s achieved; up to $maxq waited, $wait_s s (--max-connecting 60: $omaxq)"
