# The live abort check sees errors.observe: with an observe: endpoint that
# refuses and "errors.observe == 0, abort_on_fail", a run planned for 30 s
# stops within about a second of the first failed scrape, exits 1 with the
# verdict aborted, and writes its reports saying when and why. Without
# abort_on_fail the same run goes to its end (shortened here).
. "$(dirname "$0")/lib.sh"
start_server
CLOSED=$(free_port)
chat_spec abort "{users: 2, duration: 30s}" 'errors.observe == 0, abort_on_fail' >"$WORK/spec.yaml"
printf 'observe:\n  - prometheus: "http://127.0.0.1:%s/metrics"\n    interval: 1s\n    metrics: [up]\n' "$CLOSED" >>"$WORK/spec.yaml"
t0=$(date +%s.%N)
run_wsgate "$WORK/out" run "$WORK/spec.yaml" --quiet
t1=$(date +%s.%N)
expect_rc 1
R="$WORK/out/result.json"
at=$(jq -r '.aborted.at_s' "$R")
[ "$at" != null ] || fail "not aborted: $(jq -c '{verdict, aborted, errors: .errors.observe}' "$R")"
check "$at < 1.5"
check "$t1 - $t0 < 6"
[ "$(jqr "$R" .verdict)" = aborted ] || fail "verdict $(jqr "$R" .verdict)"
jqr "$R" '.aborted.reason' | grep -qF 'errors.observe == 0, abort_on_fail: observed 1' || fail "reason: $(jqr "$R" '.aborted.reason')"
check "$(jqr "$R" .errors.observe.count) >= 1"
jqr "$R" '.errors.observe.samples[0]' | grep -qF "127.0.0.1:$CLOSED/metrics: connect: Connection refused" \
  || fail "sample: $(jq -c .errors.observe "$R")"
head -n1 "$WORK/out/summary.md" | grep -qE '^### ❌ wsgate: abort aborted after [0-9.]+ s of 30 s$' || fail "summary opens with: $(head -n1 "$WORK/out/summary.md")"
xmllint --xpath 'string(//property[@name="aborted"]/@value)' "$WORK/out/junit.xml" | grep -qF 'errors.observe == 0' || fail "junit lacks the abort"
[ -s "$WORK/out/report.html" ] || fail "no report.html"
grep -qF "warning: observe http://127.0.0.1:$CLOSED/metrics: connect: Connection refused" "$WORK/stderr" \
  || fail "the failed scrape not told on stderr under --quiet: $(cat "$WORK/stderr")"
# without abort_on_fail: judged at the end only
sed -e 's/, abort_on_fail//' -e 's/duration: 30s/duration: 3s/' "$WORK/spec.yaml" >"$WORK/full.yaml"
run_wsgate "$WORK/full" run "$WORK/full.yaml" --quiet
expect_rc 1
[ "$(jqr "$WORK/full/result.json" .aborted)" = null ] || fail "aborted without abort_on_fail"
check "$(jqr "$WORK/full/result.json" .errors.observe.count) >= 3"
pass "aborted at ${at}s of a 30 s run on the first failed scrape"
