# --baseline: relative assertions pass and fail against a previous result,
# the reports carry deltas that match the two files, and a baseline that
# cannot answer an assertion is refused before anything runs (exit 2).
. "$(dirname "$0")/lib.sh"
LOAD="{users: 5, duration: 3s}"
serve_chat "$WORK/base.yaml" baseline "$LOAD" "p50(ping) < 1s" -- --ack-delay 20ms
WSGATE_GIT_COMMIT=0123456789abcdef0123 WSGATE_GIT_REF=main run_wsgate "$WORK/base" run "$WORK/base.yaml" --quiet
expect_rc 0
stop_server
serve_chat "$WORK/slower.yaml" baseline "$LOAD" "p50(ping) < baseline * 1.5" -- --ack-delay 60ms
run_wsgate "$WORK/slow" run "$WORK/slower.yaml" --baseline "$WORK/base/result.json" --quiet
expect_rc 1
R="$WORK/slow/result.json"
b50=$(jqr "$WORK/base/result.json" '.steps[] | select(.name=="ping") | .latency_us.p50')
n50=$(jqr "$R" '.steps[] | select(.name=="ping") | .latency_us.p50')
thr=$(jqr "$R" '.assertions[0].threshold')
check "$thr > $b50 * 1.5 / 1000 - 0.01 && $thr < $b50 * 1.5 / 1000 + 0.01"
[ "$(jqr "$R" '.baseline.steps[] | select(.name=="ping") | .latency_us.p50')" = "$b50" ] || fail "baseline figures not in the result"
# the p50 cell: "🔴 NOW (was THEN, +X% worse)", times as the reports print
# them (3 significant digits in ms), the baseline named by its commit and ref
delta=$(awk "BEGIN { printf \"%+.1f%%\", ($n50 - $b50) / $b50 * 100 }")
ms() { awk -v us="$1" 'BEGIN { v = us / 1000; printf(v < 10 ? "%.2f ms" : v < 100 ? "%.1f ms" : "%.0f ms", v) }'; }
cell="🔴 $(ms "$n50") (was $(ms "$b50"), $delta worse)"
row=$(grep '^| ping' "$WORK/slow/summary.md")
case "$row" in *" | $cell | "*) ;; *) fail "summary lacks the p50 cell \"$cell\": $row" ;; esac
grep -qF 'against the baseline 0123456789ab (main):' "$WORK/slow/summary.md" || fail "baseline not named by commit: $(grep baseline "$WORK/slow/summary.md")"
grep -qF "$WORK/base/result.json" "$WORK/slow/summary.md" && fail "summary names the baseline by its path"
grep -qF "<td class=\"n worse\">$cell</td>" "$WORK/slow/report.html" || fail "report.html lacks the p50 cell"
xmllint --noout "$WORK/slow/junit.xml"
[ "$(xmllint --xpath 'string(//property[@name="baseline"]/@value)' "$WORK/slow/junit.xml")" = "0123456789ab (main)" ] || fail "junit baseline property"
grep -q 'class="baseline"' "$WORK/slow/report.html" || fail "report.html lacks the baseline line"
"$WSGATE" report "$R" --format md | cmp -s - "$WORK/slow/summary.md" || fail "deltas do not re-render"
chat_spec baseline "$LOAD" "p50(ping) < baseline * 4" >"$WORK/loose.yaml"
run_wsgate "$WORK/loose" run "$WORK/loose.yaml" --baseline "$WORK/base/result.json" --quiet
expect_rc 0
# refused before running: no baseline, unreadable baseline, baseline without the step
chat_spec baseline "$LOAD" "p50(ping) < baseline + 5ms" >"$WORK/rel.yaml"
run_wsgate "$WORK/x1" run "$WORK/rel.yaml" --quiet
expect_rc 2
grep -q 'rel.yaml:[0-9]*: assertion .*--baseline' "$WORK/stderr" || fail "no-baseline message: $(cat "$WORK/stderr")"
run_wsgate "$WORK/x2" run "$WORK/rel.yaml" --baseline "$WORK/nope.json" --quiet
expect_rc 2
sed 's/name: ping/name: pong/; s/p50(ping)/p50(pong)/' "$WORK/rel.yaml" >"$WORK/renamed.yaml"
run_wsgate "$WORK/x3" run "$WORK/renamed.yaml" --baseline "$WORK/base/result.json" --quiet
expect_rc 2
grep -q 'baseline has no step "pong"' "$WORK/stderr" || fail "missing-step message: $(cat "$WORK/stderr")"
[ ! -e "$WORK/x1" ] && [ ! -e "$WORK/x3" ] || fail "a refused run wrote reports"
pass "baseline p50 $b50 us -> $n50 us ($delta), threshold $thr ms"
