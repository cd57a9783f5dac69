# SIGINT ends the run early: exit 130, partial results written, and every
# report says interrupted (never passed); SIGTERM likewise with exit 143.
. "$(dirname "$0")/lib.sh"
start_server

# interrupt_run SIGNAL OUTDIR: starts the 4 s chat-short run, sends SIGNAL
# after 1.5 s and waits; sets RC and ELAPSED_MS.
interrupt_run() {
  local t0 pid
  t0=$(date +%s%N)
  set +e
  "$WSGATE" run "$DATA/it/chat-short.yaml" --target "ws://127.0.0.1:$SERVER_PORT" --out "$2" \
    >"$WORK/stdout" 2>"$WORK/stderr" &
  pid=$!
  sleep 1.5
  kill -"$1" "$pid"
  wait "$pid"; RC=$?
  set -e
  ELAPSED_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

# check_reports OUTDIR SIGNAME: the verdict in result.json, summary.md,
# junit.xml and stdout.
check_reports() {
  local R="$1/result.json" J="$1/junit.xml"
  [ "$(jqr "$R" '.interrupted')" = true ] || fail "result not marked interrupted"
  [ "$(jqr "$R" '.verdict')" = interrupted ] || fail "verdict $(jq .verdict "$R")"
  [ "$(jqr "$R" '.stop_signal')" = "$2" ] || fail "stop_signal $(jq .stop_signal "$R")"
  [ "$(jqr "$R" '.planned_s')" = 4 ] || fail "planned_s $(jq .planned_s "$R")"
  head -n1 "$1/summary.md" | grep -qE '^### ⚠️ wsgate: chat-short interrupted after [0-9]+\.[0-9] s of 4 s$' \
    || fail "summary.md opens with: $(head -n1 "$1/summary.md")"
  grep -q 'passed' "$1/summary.md" && fail "summary.md says passed"
  [ "$(xmllint --xpath 'string(/testsuites/testsuite/@errors)' "$J")" = 1 ] || fail "junit errors: $(head -c 600 "$J")"
  [ "$(xmllint --xpath 'string(/testsuites/@errors)' "$J")" = 1 ] || fail "junit root errors"
  xmllint --xpath 'string(//testcase[@name="run completed"]/error/@message)' "$J" \
    | grep -qE "^interrupted by $2 after [0-9.]+ s of 4 s" || fail "junit error message"
  head -n1 "$WORK/stdout" | grep -q "^wsgate: chat-short INTERRUPTED by $2 after" \
    || fail "stdout opens with: $(head -n1 "$WORK/stdout")"
  grep -q '<title>wsgate: chat-short interrupted after' "$1/report.html" || fail "html title"
}

interrupt_run INT "$WORK/out"
expect_rc 130
R="$WORK/out/result.json"
# the planned run is 4 s: stopping must not wait for it
check "$ELAPSED_MS < 3500"
[ "$(jqr "$R" '.steps[] | select(.name=="connect") | .ok')" -ge 1 ] || fail "no connects before the interrupt"
check_reports "$WORK/out" SIGINT
# re-rendered from result.json, the reports say the same
"$WSGATE" report "$R" --format md >"$WORK/again.md" || fail "report exit $?"
[ "$(head -n1 "$WORK/again.md")" = "$(head -n1 "$WORK/out/summary.md")" ] || fail "report re-render: $(head -n1 "$WORK/again.md")"
first_ms=$ELAPSED_MS

interrupt_run TERM "$WORK/term"
expect_rc 143
check "$ELAPSED_MS < 3500"
check_reports "$WORK/term" SIGTERM
pass "interrupted runs stopped after ${first_ms} and ${ELAPSED_MS} ms and say so in every report"
