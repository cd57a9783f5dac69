# An assertion with abort_on_fail stops a hopeless run soon after its grace
# period, exits 1, and every report says it was aborted, when and why.
. "$(dirname "$0")/lib.sh"
start_server --ack-delay 300ms
cat >"$WORK/spec.yaml" <<YAML
version: 1
name: abort
target: ws://127.0.0.1:$SERVER_PORT
load: {users: 5, duration: 30s}
scenarios:
  - name: chatter
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}"}
    tasks:
      - name: ping
        pause: 100ms
        send: '{"action":"ping"}'
        expect: {match: 'type == "pong"', timeout: 2s}
assertions:
  - p50(ping) < 100ms, abort_on_fail after 2s
  - connect.success_rate == 100%
YAML
t0=$(date +%s.%N)
run_wsgate "$WORK/out" run "$WORK/spec.yaml" --quiet
t1=$(date +%s.%N)
expect_rc 1
R="$WORK/out/result.json"
at=$(jqr "$R" '.aborted.at_s')
check "$at >= 2 && $at < 3.5"
check "$t1 - $t0 < 2 + 2 + 1.5"
jqr "$R" '.aborted.reason' | grep -q 'p50(ping) < 100ms, abort_on_fail after 2s: observed 3[0-9][0-9]' || fail "reason: $(jqr "$R" '.aborted.reason')"
[ "$(jqr "$R" '.verdict')" = fail ] || fail "verdict"
grep -q 'Aborted' "$WORK/out/summary.md" || fail "summary does not say aborted"
xmllint --xpath 'string(//property[@name="aborted"]/@value)' "$WORK/out/junit.xml" | grep -q 'p50(ping)' || fail "junit lacks the abort"
# the same assertion without abort_on_fail runs to the end (shortened here)
sed -e 's/, abort_on_fail after 2s//' -e 's/duration: 30s/duration: 4s/' "$WORK/spec.yaml" >"$WORK/full.yaml"
run_wsgate "$WORK/full" run "$WORK/full.yaml" --quiet
expect_rc 1
[ "$(jqr "$WORK/full/result.json" '.aborted')" = null ] || fail "aborted without abort_on_fail"
pass "aborted at ${at}s of a 30 s run"
