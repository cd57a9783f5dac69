# The soak assertion red for a real leak and green without one: the chat
# workload (50 users, a ping every 100 ms each, about 500 messages a second)
# for 17 s with a 2 s ramp against `wsgate serve`, whose /metrics is
# scraped every second. With --leak-per-message 1KB the server keeps about
# 500 KB a second and drift(server.process_resident_memory_bytes) over the
# 15 s hold is some 50% (65% measured over 20 s): the run fails on it (exit
# 1). Without the leak the same run measured 0.01-0.05% and passes. 5% sits
# a decade from both. Not run under ASan (setup.sh): its shadow memory moves
# a clean server's RSS by a few percent.
# ctest: parallel
. "$(dirname "$0")/lib.sh"
soak() { # soak NAME SERVE-OPTION...: runs the soak into $WORK/NAME, sets RC and DRIFT
  local name=$1; shift
  start_server "$@"
  chat_spec "$name" "{users: 50, duration: 17s, ramp_up: 2s}" \
    'drift(server.process_resident_memory_bytes) < 5%' 'errors.total == 0' >"$WORK/$name.yaml"
  printf '%s\n' 'observe:' '  - prometheus: "{{target_http}}/metrics"' '    interval: 1s' \
    '    metrics: [process_resident_memory_bytes, wsgate_serve_leaked_bytes_total]' >>"$WORK/$name.yaml"
  run_wsgate "$WORK/$name" run "$WORK/$name.yaml"
  stop_server
  DRIFT=$(jqr "$WORK/$name/result.json" '.assertions[0].observed')
  [ "$(jqr "$WORK/$name/result.json" '.assertions[1].passed')" = true ] \
    || fail "$name: errors: $(jq -c .errors "$WORK/$name/result.json")"
  check "$(jqr "$WORK/$name/result.json" '.server.series[0].samples | length') >= 14"
}
soak leak --leak-per-message 1KB
expect_rc 1
leak_drift=$DRIFT
check "$leak_drift > 20"
grep -qE 'FAIL  drift\(server.process_resident_memory_bytes\) < 5%  \(observed [0-9.]+%, expected < 5.00%\)' \
  "$WORK/stdout" || fail "no failing drift line: $(cat "$WORK/stdout")"
soak clean
expect_rc 0
check "$DRIFT < 2 && $DRIFT > -2"
[ "$(jqr "$WORK/clean/result.json" '.server.series[1].samples[-1][1]')" = 0 ] || fail "the clean server leaked"
pass "soak: drift $leak_drift% with --leak-per-message 1KB (red), $DRIFT% without (green)"
