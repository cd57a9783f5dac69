# A dead target never passes. Nothing listens on the target port; two specs
# judge nothing about connects: one without assertions, one asserting only
# errors.timeout == 0 (which refused connects cannot break). Before the
# implicit floor both exited 0 with "passed"; now run adds
# connect.success_rate > 0%, which fails (exit 1), and says so.
. "$(dirname "$0")/lib.sh"
start_server
port=$SERVER_PORT
stop_server # the port is now closed
chat_spec bare "{users: 2, duration: 1s}" >"$WORK/bare.yaml"
chat_spec timeouts "{users: 2, duration: 1s}" "errors.timeout == 0" >"$WORK/timeouts.yaml"

"$WSGATE" validate "$WORK/bare.yaml" >"$WORK/stdout" 2>"$WORK/stderr" || fail "validate: $(cat "$WORK/stderr")"
grep -q "warning: no assertions; run judges it by connect.success_rate > 0%" "$WORK/stderr" ||
  fail "validate does not warn: $(cat "$WORK/stderr")"

for spec in bare timeouts; do
  run_wsgate "$WORK/$spec" run "$WORK/$spec.yaml" --target "ws://127.0.0.1:$port"
  expect_rc 1
  R="$WORK/$spec/result.json"
  [ "$(jqr "$R" .verdict)" = fail ] || fail "$spec: verdict $(jqr "$R" .verdict)"
  [ "$(jqr "$R" '.assertions[] | select(.text == "connect.success_rate > 0%") | .passed')" = false ] ||
    fail "$spec: no failing floor: $(jq -c .assertions "$R")"
  grep -qF 'success\_rate > 0%' "$WORK/$spec/summary.md" || fail "$spec: summary lacks the floor"
  head -1 "$WORK/$spec/summary.md" | grep -q "failed" || fail "$spec: summary title: $(head -1 "$WORK/$spec/summary.md")"
  if [ "$spec" = bare ]; then
    grep -q "has no assertions; judging by connect.success_rate > 0%" "$WORK/stderr" ||
      fail "run does not warn: $(cat "$WORK/stderr")"
  fi
done
[ "$(jqr "$WORK/timeouts/result.json" '[.assertions[] | select(.text == "errors.timeout == 0")] | .[0].passed')" = true ] ||
  fail "the spec's own assertion should hold (no timeouts)"
pass "dead target: exit 1 with the floor connect.success_rate > 0% failing, with and without assertions"
