# Slow consumers against wsgate serve. Users that stop reading
# (pause_reading) in a chat room where 32 KiB messages go out 100 times a
# second fill the server's send queue until its slow-consumer cut (the
# default 4 MiB) closes them: the cut is counted in
# serve's /metrics, the client sees each as a reset of the stalled
# scenario, and result.json's slow_consumers holds the bytes they left
# unread; the users that read are not cut. A user reading at 4KB/s
# (connect.read_rate) of a ~33KB/s stream reads about its rate, and leaves
# the rest unread when it closes; the spec's slow_consumers.* assertions
# judge those figures.
. "$(dirname "$0")/lib.sh"
metric() { awk -v n="$2" '$1 == n { print $2 }' "$1"; }

start_server
sed "s/@PORT@/$SERVER_PORT/" "$DATA/it/slow-pause.yaml" >"$WORK/pause.yaml"
run_wsgate "$WORK/pause" run "$WORK/pause.yaml"
curl -sf "http://127.0.0.1:$SERVER_PORT/metrics" >"$WORK/m" || fail "GET /metrics failed"
stop_server
R="$WORK/pause/result.json"
cuts=$(metric "$WORK/m" wsgate_serve_slow_consumer_cuts_total)
resets=$(jqr "$R" .errors.reset.count)
check "$cuts >= 2"
check "$resets >= 2 && $resets <= $cuts"
jqr "$R" '.errors.reset.samples[]' | grep -v -q "connection (stalled) dropped" \
  && fail "a reset other than the stalled users': $(jqr "$R" .errors.reset.samples)"
check "$(jqr "$R" .errors.timeout.count) == 0 && $(jqr "$R" .errors.closed.count) == 0"
check "$(jqr "$R" .slow_consumers.samples) >= 2"
check "$(jqr "$R" .slow_consumers.unread_bytes_max) > 10000"
check "$(jqr "$R" .slow_consumers.unread_bytes_total) >= $(jqr "$R" .slow_consumers.unread_bytes_max)"
grep -qE '^\*\*Slow consumers:\*\* [0-9,]+ B left unread in [0-9]+ samples' "$(dirname "$R")/summary.md" \
  || fail "summary.md: no slow consumers line"
grep -q '<dt>Slow consumers</dt><dd>' "$(dirname "$R")/report.html" || fail "report.html: no slow consumers item"
quotes=$(jqr "$R" '.steps[] | select(.name=="delivered") | .ok')
check "$quotes >= 300"
check "$(jqr "$R" '.steps[] | select(.name=="stall") | .ok') >= 2"
pass "pause_reading: $cuts cuts, $resets resets, unread max $(jqr "$R" .slow_consumers.unread_bytes_max) B, the reader got $quotes messages"

start_server --quote-rate 200
sed "s/@PORT@/$SERVER_PORT/" "$DATA/it/slow-rate.yaml" >"$WORK/rate.yaml"
run_wsgate "$WORK/rate" run "$WORK/rate.yaml"
expect_rc 0
R="$WORK/rate/result.json"
trickled=$(jqr "$R" '.steps[] | select(.name=="trickled") | .ok')
full=$(jqr "$R" '.steps[] | select(.name=="quote") | .ok')
# 4 s at 4KB/s is ~100 quotes of ~165 B (plus a first read); the reader gets ~800
check "$trickled >= 40 && $trickled <= 200"
check "$full >= 500"
check "$(jqr "$R" .slow_consumers.samples) >= 1"
check "$(jqr "$R" .slow_consumers.unread_bytes_max) > 0"
check "$(jqr "$R" .errors.reset.count) == 0"
# the spec's slow_consumers.* assertions read those figures
asrt() { jqr "$R" ".assertions[] | select(.text == \"$1\") | $2"; }
[ "$(asrt 'slow_consumers.unread_bytes_max > 0' .observed)" = "$(jqr "$R" .slow_consumers.unread_bytes_max)" ] ||
  fail "slow_consumers.unread_bytes_max observed $(asrt 'slow_consumers.unread_bytes_max > 0' .observed)"
[ "$(asrt 'slow_consumers.samples >= 1' .observed)" = "$(jqr "$R" .slow_consumers.samples)" ] ||
  fail "slow_consumers.samples observed $(asrt 'slow_consumers.samples >= 1' .observed)"
[ "$(jqr "$R" '[.assertions[] | select(.text | startswith("slow_consumers.")) | .passed] | all and length == 3')" = true ] ||
  fail "slow_consumers assertions: $(jq -c .assertions "$R")"
grep -qF 'slow_consumers.unread_bytes_max > 0' "$WORK/stdout" || fail "no slow_consumers line on stdout"
pass "read_rate 4KB/s: $trickled quotes read vs $full at full speed, unread at close $(jqr "$R" .slow_consumers.unread_bytes_max) B"
