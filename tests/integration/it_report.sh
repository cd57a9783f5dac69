# `wsgate report` renders every report of a run again from its result.json,
# byte for byte, for a passing and a failing run.
. "$(dirname "$0")/lib.sh"
run_wsgate "$WORK/pass" run "$DATA/it/chat-short.yaml" --serve --quiet --threads 1
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
# reports a reviewer reads at a glance, on a real run (chat-short: 4 s of load)
P="$WORK/pass"
grep -q '^| Step | Count | Failed | Rate | Avg | p50 | p90 | p95 | p99 | Max |$' "$P/summary.md" || fail "summary.md step header"
row=$(grep '^| publish chat message |' "$P/summary.md")
ok=$(jqr "$P/result.json" '.steps[] | select(.name=="publish chat message") | .ok')
dur=$(jqr "$P/result.json" '.duration_s')
rate=$(awk -v n="$ok" -v d="$dur" 'BEGIN { v = n / d; printf(v < 10 ? "%.2f/s" : v < 100 ? "%.1f/s" : "%.0f/s", v) }')
case "$row" in *" | $rate | "*) ;; *) fail "publish rate $rate ($ok in $dur s) not in: $row" ;; esac
echo "$row" | grep -qE '^(\| [^|]+ ){3}\| [0-9.]+/s (\| [0-9.]+ (us|ms) ){6}\|$' || fail "publish row: $row"
# the same latency reads the same in the assertion table and the step table
p99=$(echo "$row" | awk -F' \\| ' '{ print $9 }')
grep -qF "| p99(publish chat message) \\< 500ms | $p99 |" "$P/summary.md" || fail "p99 $p99 differs between the tables"
grep -qF "$p99" "$P/report.html" || fail "report.html shows p99 otherwise than $p99"
# JUnit: observed value and threshold in system-out, the step's seconds as time
J="$P/junit.xml"
xmllint --noout "$J"
tc='//testcase[@name="p99(publish chat message) < 500ms"]'
out=$(xmllint --xpath "string($tc/system-out)" "$J")
case "$out" in "observed: $p99"*"threshold: < 500 ms"*"step: publish chat message, "*" s with samples"*) ;; *) fail "system-out: $out" ;; esac
t=$(xmllint --xpath "string($tc/@time)" "$J")
check "$t >= 2 && $t <= 6"
[ "$(xmllint --xpath 'string(//testcase[@name="errors.timeout == 0"]/@time)' "$J")" != 0 ] || fail "errors testcase time 0"
# HTML: a chart and a distribution per step that ran, full width, values on hover
H="$P/report.html"
for id in chart-latency chart-distribution chart-latency-1 chart-distribution-1; do
  grep -q "<svg id=\"$id\" xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\"" "$H" || fail "report.html lacks $id"
done
grep -q '<rect class="hover"[^>]*><title>1 s: p50 [0-9.]* [mu]s, p95' "$H" || fail "report.html: no values on hover"
grep -q '<script\|https://' "$H" && fail "report.html fetches or runs something"
# errors by kind over time: the refused upgrades of the failing run, every second
F="$WORK/fail/result.json"
[ "$(jq '[.series[] | .errors_by_kind.http_status // 0] | add' "$F")" = "$(jqr "$F" '.errors.http_status.count')" ] ||
  fail "series errors_by_kind.http_status does not add up to errors.http_status.count"
grep -q '<h3>Errors per second by kind</h3>' "$WORK/fail/report.html" || fail "report.html: no errors by kind"
grep -q '<polyline class="http_status"' "$WORK/fail/report.html" || fail "report.html: no http_status line"
# plural forms: one thread here
grep -qE ' · 1 thread$' "$P/summary.md" || fail "summary.md: $(tail -1 "$P/summary.md")"
"$WSGATE" validate "$DATA/it/chat-short.yaml" | grep -q '(1 scenario, 4 assertions, 20 users)' || fail "validate plural"
# a file that is not a result: exit 2 with the path in the message
echo '{"schema_version": 9}' >"$WORK/bogus.json"
set +e; "$WSGATE" report "$WORK/bogus.json" >/dev/null 2>"$WORK/stderr"; RC=$?; set -e
expect_rc 2
grep -q "bogus.json: schema_version 9 is not supported" "$WORK/stderr" || fail "message: $(cat "$WORK/stderr")"
set +e; "$WSGATE" report "$WORK/pass/result.json" --format pdf >/dev/null 2>&1; RC=$?; set -e
expect_rc 2
pass "reports rendered again byte for byte"
