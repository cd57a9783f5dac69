# The chat workload against the embedded server passes, and every report
# carries the numbers of the run.
. "$(dirname "$0")/lib.sh"
run_wsgate "$WORK/out" run "$DATA/it/chat-short.yaml" --serve --threads 2 --seed 7
expect_rc 0
R="$WORK/out/result.json"
for f in result.json junit.xml summary.md report.html results.csv; do [ -s "$WORK/out/$f" ] || fail "missing $f"; done
[ -z "$(ls -A "$WORK/out" | grep -v -E '^(result.json|junit.xml|summary.md|report.html|results.csv)$' || true)" ] || fail "stray files in out/"

[ "$(jqr "$R" '.steps[] | select(.name=="connect") | .ok')" -eq 20 ] || fail "connect ok != 20 users"
[ "$(jqr "$R" '.steps[] | select(.name=="connect") | .failed')" -eq 0 ] || fail "connect failures"
[ "$(jqr "$R" '.steps[] | select(.name=="subscribe room") | .ok')" -eq 20 ] || fail "subscribe ok != 20"
pub=$(jqr "$R" '.steps[] | select(.name=="publish chat message") | .ok')
# 20 users, ~3 s of tasks each at 200-400 ms think time: roughly 150-300 publishes.
check "$pub >= 80"
p50=$(jqr "$R" '.steps[] | select(.name=="publish chat message") | .latency_us.p50')
check "$p50 > 0 && $p50 < 100000"
sent=$(jqr "$R" '.messages.sent'); recv=$(jqr "$R" '.messages.received')
check "$sent >= $pub + 20"
# every other subscriber receives each publish: far more received than sent
check "$recv > $sent"
[ "$(jqr "$R" '.connections.peak')" -eq 20 ] || fail "peak connections != 20"
[ "$(jqr "$R" '.assertions | length')" -eq 4 ] || fail "assertions missing"
[ "$(jqr "$R" '[.assertions[] | select(.passed)] | length')" -eq 4 ] || fail "an assertion failed"
jqr "$R" '.assertions[] | select(.text | startswith("p50(subscribe room)")) | .observed' >/dev/null
xmllint --noout "$WORK/out/junit.xml" || fail "junit.xml not well-formed"
[ "$(xmllint --xpath 'string(/testsuites/testsuite/@tests)' "$WORK/out/junit.xml")" = 4 ] || fail "junit tests != 4"
[ "$(xmllint --xpath 'string(/testsuites/testsuite/@failures)' "$WORK/out/junit.xml")" = 0 ] || fail "junit failures != 0"
grep -q "passed" "$WORK/out/summary.md" || fail "summary has no verdict"
grep -q "publish chat message" "$WORK/stdout" || fail "stdout summary lacks steps"
pass "chat run: $pub publishes, p50 ${p50} us, $recv received"
