# A hostile peer never crashes wsgate: each misbehaviour ends up as errors of
# the right kind in a complete report, and the run ends on time.
. "$(dirname "$0")/lib.sh"
# mode | jq filter that must hold on result.json
while IFS='|' read -r mode cond; do
  [ -z "$mode" ] && continue
  start_hostile "$mode" --seconds 15
  t0=$(date +%s%N)
  run_wsgate "$WORK/$mode" run "$DATA/it/hostile.yaml" --target "ws://127.0.0.1:$PEER_PORT"
  elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  stop_server
  [ "$RC" -eq 0 ] || [ "$RC" -eq 1 ] || fail "$mode: exit $RC; stderr: $(cat "$WORK/stderr")"
  R="$WORK/$mode/result.json"
  [ -s "$R" ] && [ -s "$WORK/$mode/junit.xml" ] || fail "$mode: reports missing"
  jq -e "$cond" "$R" >/dev/null || fail "$mode: '$cond' does not hold: $(jq -c .errors "$R")"
  check "$elapsed_ms < 8000"
  pass "$mode: $(jq -c '[.errors | to_entries[] | select(.value.count > 0) | {(.key): .value.count}]' "$R") in ${elapsed_ms} ms"
done <<'CASES'
close|.errors.closed.count > 0 and (.errors.closed.samples[0] | test("connect")) and .steps[0].ok == 0
http200|.errors.http_status.count > 0 and (.errors.http_status.samples[0] | test("HTTP 200"))
silent|.errors.timeout.count > 0 and (.errors.timeout.samples[0] | test("no upgrade within"))
badframe|.steps[0].ok > 0 and (.errors.closed.count + .errors.reset.count + .errors.protocol.count) > 0
huge|.steps[0].ok > 0 and (.errors.protocol.samples | any(test("message over 1048576 bytes dropped"))) and .steps[1].ok > 0
CASES
