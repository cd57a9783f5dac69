# run --live: NDJSON lines arrive while the run goes on (read here from a
# FIFO as they come, each stamped with its arrival time), one per second of
# the load, each parsing as JSON; per-second publish counts add up to
# result.json's total and the per-second message counts to its series, the
# generator's per-second memory to its generator.series; the
# last line carries the verdict and exit status. A live file that fails
# (/dev/full) neither stalls nor fails the run and is reported once on
# stderr; --live - puts the lines on stdout and the summary on stderr.
. "$(dirname "$0")/lib.sh"
STEP="publish chat message"
sed -e 's/^name: chat-11s/name: live-chat/' -e 's/duration: 11s/duration: 6s/' \
  "$DATA/it/chat-11s.yaml" >"$WORK/live.yaml"

mkfifo "$WORK/live.fifo"
t0=$(date +%s.%N)
"$WSGATE" run "$WORK/live.yaml" --serve --threads 2 --live "$WORK/live.fifo" --out "$WORK/out" \
  >"$WORK/stdout" 2>"$WORK/stderr" &
WPID=$!
while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done <"$WORK/live.fifo" >"$WORK/stamped"
set +e; wait "$WPID"; RC=$?; set -e
t_end=$(date +%s.%N)
expect_rc 0
cut -d' ' -f2- "$WORK/stamped" >"$WORK/lines"
n=0
while IFS= read -r line; do
  echo "$line" | jq -e 'type == "object" and (.event | type == "string")' >/dev/null \
    || fail "line $((n + 1)) is not a JSON event: $line"
  n=$((n + 1))
done <"$WORK/lines"
[ "$(head -n1 "$WORK/lines" | jq -r .event)" = start ] || fail "first line is not the start line"
[ "$(head -n1 "$WORK/lines" | jq -r .spec)" = live-chat ] || fail "start line lacks the spec name"

# the first second arrived while the load was still running, well before the end
first=$(grep -m1 '"event":"second"' "$WORK/stamped" | cut -d' ' -f1)
[ -n "$first" ] || fail "no second line"
check "$first - $t0 < 3.5"
check "$t_end - $first > 3"

jq -s -e 'map(select(.event == "second")) | (length >= 6) and ([.[].t] == [range(length)])' \
  "$WORK/lines" >/dev/null || fail "seconds are not 0, 1, 2, ... without gaps: $(jq -c .t "$WORK/lines" | tr '\n' ' ')"
sum=$(jq -s --arg s "$STEP" '[.[] | select(.event == "second") | .steps[$s].count] | add' "$WORK/lines")
total=$(jqr "$WORK/out/result.json" ".steps[] | select(.name == \"$STEP\") | .ok")
[ "$sum" -eq "$total" ] || fail "per-second publishes add up to $sum, result.json says $total"
check "$total > 100"
live_sent=$(jq -s -c '[.[] | select(.event == "second") | .sent]' "$WORK/lines")
series_sent=$(jq -c '[.series[].sent]' "$WORK/out/result.json")
[ "$live_sent" = "$series_sent" ] || fail "live sent $live_sent != series $series_sent"
# totals so far: the last second's are the run's
last=$(grep '"event":"second"' "$WORK/lines" | tail -n1)
[ "$(echo "$last" | jq .total.sent)" -eq "$(jqr "$WORK/out/result.json" .messages.sent)" ] \
  || fail "last line's total.sent is not the run's"
[ "$(echo "$last" | jq .total.connects_ok)" -eq 10 ] || fail "connects_ok != 10"
echo "$last" | jq -e --arg s "$STEP" '.steps[$s].ok_total > 0 and (.total.errors | has("timeout"))' \
  >/dev/null || fail "last line lacks step or error totals: $last"
# the generator's own health, each second as result.json's generator.series
jq -s -e 'map(select(.event == "second")) | all(.generator | (.rss_mb > 1) and (.cpu_pct >= 0)
  and (.loop_lag_p99_ms >= 0) and (.loop_lag_max_ms >= .loop_lag_p99_ms) and (.saturated | type == "boolean"))' \
  "$WORK/lines" >/dev/null || fail "second lines lack generator figures: $last"
# (the last second closes with the run: live shows the one before it)
live_rss=$(jq -s -c '[.[] | select(.event == "second") | .generator.rss_mb][:-1]' "$WORK/lines")
series_rss=$(jq -c '[.generator.series[].rss_mb][0:'"$(echo "$live_rss" | jq length)"']' "$WORK/out/result.json")
[ "$live_rss" = "$series_rss" ] || fail "live rss_mb $live_rss != generator.series $series_rss"
end=$(tail -n1 "$WORK/lines")
echo "$end" | jq -e '.event == "end" and .verdict == "pass" and .exit_status == 0' >/dev/null \
  || fail "end line: $end"

# a live file that cannot be written: the run goes on and passes, one line on stderr
sed -e 's/duration: 6s/duration: 2s/' "$WORK/live.yaml" >"$WORK/short.yaml"
run_wsgate "$WORK/full" run "$WORK/short.yaml" --serve --live /dev/full
expect_rc 0
[ "$(grep -c -- '--live' "$WORK/stderr")" -eq 1 ] || fail "expected one --live report: $(cat "$WORK/stderr")"
grep -qE -- '--live: [0-9]+ lines not written \(first: write: No space left on device\)' "$WORK/stderr" \
  || fail "--live report: $(cat "$WORK/stderr")"
[ -s "$WORK/full/result.json" ] || fail "no result.json after a failing live file"

# --live -: stdout is only NDJSON, the summary moves to stderr
run_wsgate "$WORK/dash" run "$WORK/short.yaml" --serve --live -
expect_rc 0
jq -e -s 'length >= 4 and .[0].event == "start" and .[-1].event == "end"' "$WORK/stdout" >/dev/null \
  || fail "stdout is not the NDJSON stream: $(head -c 500 "$WORK/stdout")"
grep -q "$STEP" "$WORK/stderr" || fail "summary not on stderr"
pass "live: $n lines, first second after $(awk "BEGIN { printf \"%.1f\", $first - $t0 }") s, $sum publishes"
