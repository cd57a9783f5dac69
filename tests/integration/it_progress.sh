# Live progress on stderr: when stderr is not a terminal, one line every
# 10 s with elapsed time, connections, message rate, p95 of the main step
# and errors; nothing with --quiet.
. "$(dirname "$0")/lib.sh"
run_wsgate "$WORK/out" run "$DATA/it/chat-11s.yaml" --serve
expect_rc 0
[ "$(wc -l <"$WORK/stderr")" -eq 1 ] || fail "expected one progress line: $(cat "$WORK/stderr")"
line=$(cat "$WORK/stderr")
echo "$line" | grep -qE '^ *(9\.9|10\.[0-9])s/11s  connections 10  msgs/s [1-9][0-9]*  p95\(publish chat message\) [0-9.]+ (us|ms)  errors 0$' \
  || fail "progress line: $line"
# the result records the step the progress line followed; the HTML charts it
step=$(echo "$line" | sed -E 's/.*p95\((.*)\) .*/\1/')
[ "$(jqr "$WORK/out/result.json" .main_step)" = "$step" ] || fail "result.json main_step is not \"$step\""
grep -qF "<h3>Latency (ms): $step</h3>" "$WORK/out/report.html" || fail "HTML latency chart does not follow $step"
run_wsgate "$WORK/quiet" run "$DATA/it/chat-11s.yaml" --serve --quiet
expect_rc 0
[ ! -s "$WORK/stderr" ] || fail "--quiet printed: $(cat "$WORK/stderr")"
[ ! -s "$WORK/stdout" ] || fail "--quiet printed on stdout"
pass "progress: $line"
