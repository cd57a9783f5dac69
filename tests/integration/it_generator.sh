# The generator watches itself: a normal short run is not saturated, and
# one whose worker is starved (the test-only WSGATE_TEST_STALL_MS: the
# worker sleeps 900 ms in its tick once a second) is, with the warning in
# summary.md, report.html and stdout, and generator.saturated == false
# failing. The spec's expect timeout is the default 10 s, so the limit is
# 500 ms of loop lag p99: far above what a busy 2-core CI machine adds to
# an idle run, far below the starved worker's ~900 ms.
. "$(dirname "$0")/lib.sh"
serve_chat "$WORK/spec.yaml" generator "{users: 3, duration: 3s}" "generator.saturated == false"
sed -i 's/, timeout: 2s//' "$WORK/spec.yaml"

run_wsgate "$WORK/calm" run "$WORK/spec.yaml" --threads 1 --seed 5
expect_rc 0
R="$WORK/calm/result.json"
[ "$(jqr "$R" '.generator.saturated')" = false ] || fail "calm run saturated: $(jq -c '.generator | del(.series)' "$R")"
[ "$(jqr "$R" '.generator.lag_limit_ms')" = 500 ] || fail "limit $(jqr "$R" '.generator.lag_limit_ms'), expected 500"
[ "$(jqr "$R" '.generator.saturated_seconds | length')" -eq 0 ] || fail "calm run has saturated seconds"
n=$(jqr "$R" '.generator.series | length')
check "$n >= 3 && $n <= 5"
rss=$(jqr "$R" '.generator.rss_max_mb'); check "$rss > 1 && $rss < 4096"
cpu=$(jqr "$R" '.generator.cpu_pct_max'); check "$cpu > 0 && $cpu <= 200"
jqr "$R" '.generator.series[0] | .cpu_pct, .loop_lag_p99_ms, .loop_lag_max_ms, .rss_mb' >/dev/null
grep -q "load generator was saturated" "$WORK/calm/summary.md" && fail "calm summary.md warns"
grep -q "generator-saturated" "$WORK/calm/report.html" && fail "calm report.html warns"
calm_p99=$(jqr "$R" '.generator.loop_lag_p99_ms')

export WSGATE_TEST_STALL_MS=900
run_wsgate "$WORK/starved" run "$WORK/spec.yaml" --threads 1 --seed 5
unset WSGATE_TEST_STALL_MS
expect_rc 1
R="$WORK/starved/result.json"
[ "$(jqr "$R" '.generator.saturated')" = true ] || fail "starved run not saturated: $(jq -c '.generator | del(.series)' "$R")"
p99=$(jqr "$R" '.generator.loop_lag_p99_ms'); check "$p99 > 500"
check "$(jqr "$R" '[.generator.series[] | select(.saturated)] | length') >= 2"
from=$(jqr "$R" '.generator.saturated_seconds[0][0]'); to=$(jqr "$R" '.generator.saturated_seconds[0][1]')
check "$to > $from"
[ "$(jqr "$R" '.assertions[] | select(.text == "generator.saturated == false") | .observed_text')" = true ] \
  || fail "assertion did not observe true"
line="The load generator was saturated from t=$from s to t=$to s: latencies there include up to"
grep -qF "> ⚠️ $line" "$WORK/starved/summary.md" || fail "summary.md lacks the warning: $(head -c 1500 "$WORK/starved/summary.md")"
grep -qF "id=\"generator-saturated\">&#9888;&#65039; $line" "$WORK/starved/report.html" || fail "report.html lacks the warning"
grep -qF "WARNING: $line" "$WORK/stdout" || fail "stdout lacks the warning: $(cat "$WORK/stdout")"

# rendered again from the file, the warning stays
"$WSGATE" report "$R" --format md >"$WORK/again.md" || fail "report failed"
grep -qF "> ⚠️ $line" "$WORK/again.md" || fail "re-rendered summary lacks the warning"
pass "calm loop lag p99 $calm_p99 ms, starved $p99 ms (seconds $from-$to saturated)"
