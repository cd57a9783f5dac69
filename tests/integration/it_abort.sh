# An assertion with abort_on_fail stops a hopeless run soon after its grace
# period, exits 1, and every report says it was aborted, when and why.
. "$(dirname "$0")/lib.sh"
serve_chat "$WORK/spec.yaml" abort "{users: 5, duration: 30s}" \
  "p50(ping) < 100ms, abort_on_fail after 2s" "connect.success_rate == 100%" -- --ack-delay 300ms
t0=$(date +%s.%N)
run_wsgate "$WORK/out" run "$WORK/spec.yaml" --quiet
t1=$(date +%s.%N)
expect_rc 1
R="$WORK/out/result.json"
at=$(jqr "$R" '.aborted.at_s')
check "$at >= 2 && $at < 3.5"
check "$t1 - $t0 < 2 + 2 + 1.5"
jqr "$R" '.aborted.reason' | grep -q 'p50(ping) < 100ms, abort_on_fail after 2s: observed 3[0-9][0-9]' || fail "reason: $(jqr "$R" '.aborted.reason')"
[ "$(jqr "$R" '.verdict')" = aborted ] || fail "verdict"
head -n1 "$WORK/out/summary.md" | grep -qE '^### ❌ wsgate: abort aborted after [0-9.]+ s of 30 s$' || fail "summary opens with: $(head -n1 "$WORK/out/summary.md")"
xmllint --xpath 'string(//property[@name="aborted"]/@value)' "$WORK/out/junit.xml" | grep -q 'p50(ping)' || fail "junit lacks the abort"
xmllint --xpath 'string(//testcase[@name="run completed"]/failure/@message)' "$WORK/out/junit.xml" | grep -q '^aborted after .*: p50(ping)' || fail "junit lacks the abort failure"
# the same assertion without abort_on_fail runs to the end (shortened here)
sed -e 's/, abort_on_fail after 2s//' -e 's/duration: 30s/duration: 4s/' "$WORK/spec.yaml" >"$WORK/full.yaml"
run_wsgate "$WORK/full" run "$WORK/full.yaml" --quiet
expect_rc 1
[ "$(jqr "$WORK/full/result.json" '.aborted')" = null ] || fail "aborted without abort_on_fail"
# replies still pending when the abort fires are given up, not awaited:
# against a server that answers after 5 s, the run ends within a second
stop_server
start_server --ack-delay 5s
sed -e "s/127.0.0.1:[0-9]*/127.0.0.1:$SERVER_PORT/" -e 's/timeout: 2s/timeout: 20s/' \
    -e 's/p50(ping) < 100ms, abort_on_fail after 2s/connections.peak < 3, abort_on_fail/' "$WORK/spec.yaml" >"$WORK/slow.yaml"
t0=$(date +%s.%N)
run_wsgate "$WORK/slow" run "$WORK/slow.yaml" --quiet
t1=$(date +%s.%N)
expect_rc 1
at2=$(jqr "$WORK/slow/result.json" '.aborted.at_s')
check "$t1 - $t0 < $at2 + 1.5"
[ "$(jqr "$WORK/slow/result.json" '.errors.timeout.count')" = 0 ] || fail "given-up replies counted as timeouts"
# a lower bound on a counter cannot abort (it fails at every start): spec error
sed -e 's/p50(ping) < 100ms, abort_on_fail after 2s/messages.received >= 50, abort_on_fail/' "$WORK/spec.yaml" >"$WORK/lower.yaml"
run_wsgate "$WORK/lower" run "$WORK/lower.yaml" --quiet
expect_rc 2
grep -q 'lower.yaml:[0-9]*: .*upper bound' "$WORK/stderr" || fail "lower-bound message: $(cat "$WORK/stderr")"
pass "aborted at ${at}s of a 30 s run"
