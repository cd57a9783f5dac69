# SIGINT ends the run early: exit 130, partial results written and marked.
. "$(dirname "$0")/lib.sh"
start_server
t0=$(date +%s%N)
set +e
"$WSGATE" run "$DATA/it/chat-short.yaml" --target "ws://127.0.0.1:$SERVER_PORT" --out "$WORK/out" \
  >"$WORK/stdout" 2>"$WORK/stderr" &
pid=$!
sleep 1.5
kill -INT "$pid"
wait "$pid"; RC=$?
set -e
elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_rc 130
R="$WORK/out/result.json"
[ "$(jqr "$R" '.interrupted')" = true ] || fail "result not marked interrupted"
# the planned run is 4 s: stopping must not wait for it
check "$elapsed_ms < 3500"
[ "$(jqr "$R" '.steps[] | select(.name=="connect") | .ok')" -ge 1 ] || fail "no connects before the interrupt"
grep -q "Interrupted" "$WORK/out/summary.md" || fail "summary does not say interrupted"
pass "interrupted run stopped after ${elapsed_ms} ms"
