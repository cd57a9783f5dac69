# `wsgate report` renders every report of a run again from its result.json,
# byte for byte, for a passing and a failing run.
. "$(dirname "$0")/lib.sh"
run_wsgate "$WORK/pass" run "$DATA/it/chat-short.yaml" --serve --quiet
expect_rc 0
run_wsgate "$WORK/fail" run "$DATA/it/chat-no-token.yaml" --serve --quiet
expect_rc 1
for run in pass fail; do
  "$WSGATE" report "$WORK/$run/result.json" --out "$WORK/$run-again"
  for f in result.json junit.xml summary.md report.html results.csv; do
    cmp "$WORK/$run/$f" "$WORK/$run-again/$f" || fail "$run: $f differs when rendered again"
  done
  "$WSGATE" report "$WORK/$run/result.json" --format junit | cmp - "$WORK/$run/junit.xml" || fail "$run: --format junit"
  "$WSGATE" report "$WORK/$run/result.json" | cmp - "$WORK/$run/summary.md" || fail "$run: default md"
  "$WSGATE" report "$WORK/$run/result.json" --format html | cmp - "$WORK/$run/report.html" || fail "$run: --format html"
  "$WSGATE" report "$WORK/$run/result.json" --format csv | cmp - "$WORK/$run/results.csv" || fail "$run: --format csv"
  "$WSGATE" report "$WORK/$run/result.json" --format gitlab-load-performance | jq -e '.metrics.http_reqs.rate >= 0' >/dev/null ||
    fail "$run: --format gitlab-load-performance"
done
# a file that is not a result: exit 2 with the path in the message
echo '{"schema_version": 9}' >"$WORK/bogus.json"
set +e; "$WSGATE" report "$WORK/bogus.json" >/dev/null 2>"$WORK/stderr"; RC=$?; set -e
expect_rc 2
grep -q "bogus.json: schema_version 9 is not supported" "$WORK/stderr" || fail "message: $(cat "$WORK/stderr")"
set +e; "$WSGATE" report "$WORK/pass/result.json" --format pdf >/dev/null 2>&1; RC=$?; set -e
expect_rc 2
pass "reports rendered again byte for byte"
