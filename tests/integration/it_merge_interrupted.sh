# A merge of shards where one was interrupted is not a pass: verdict
# interrupted, exit 1 (the merge itself was not signalled), and every
# report names the interrupted shard.
. "$(dirname "$0")/lib.sh"
serve_chat "$WORK/spec.yaml" merge-stop "{users: 4, duration: 3s}" "connect.success_rate > 0%"
"$WSGATE" run "$WORK/spec.yaml" --shard 1/2 --out "$WORK/s1" --quiet >"$WORK/s1.log" 2>&1 \
  || fail "shard 1 exit $?: $(cat "$WORK/s1.log")"
set +e
"$WSGATE" run "$WORK/spec.yaml" --shard 2/2 --out "$WORK/s2" --quiet >"$WORK/s2.log" 2>&1 &
pid=$!
sleep 1.2
kill -TERM "$pid"
wait "$pid"; rc=$?
set -e
[ "$rc" -eq 143 ] || fail "shard 2 exit $rc: $(cat "$WORK/s2.log")"
[ "$(jqr "$WORK/s1/result.json" .verdict)" = pass ] || fail "shard 1 verdict"

run_wsgate "$WORK/m" merge "$WORK/s1/result.json" "$WORK/s2/result.json"
expect_rc 1
M="$WORK/m/result.json"
[ "$(jqr "$M" .verdict)" = interrupted ] || fail "merged verdict $(jq .verdict "$M")"
[ "$(jq -r .stop_signal "$M")" = null ] || fail "merged stop_signal"
[ "$(jq -c '[.shards[] | .interrupted]' "$M")" = '[false,true]' ] || fail "rows: $(jq -c .shards "$M")"
[ "$(jqr "$M" '.shards[1].stop_signal')" = SIGTERM ] || fail "row signal"
head -n1 "$WORK/m/summary.md" | grep -qE '^### ⚠️ wsgate: merge-stop interrupted: shard 2/2 after [0-9]+\.[0-9] s of 3 s$' \
  || fail "summary.md opens with: $(head -n1 "$WORK/m/summary.md")"
[ "$(xmllint --xpath 'string(/testsuites/testsuite/@errors)' "$WORK/m/junit.xml")" = 1 ] || fail "junit errors"
xmllint --xpath 'string(//testcase[@name="run completed"]/error/@message)' "$WORK/m/junit.xml" \
  | grep -q '^interrupted: shard 2/2 by SIGTERM after' || fail "junit message"
head -n1 "$WORK/stdout" | grep -q '^wsgate: merge-stop INTERRUPTED: shard 2/2 by SIGTERM' \
  || fail "stdout: $(head -n1 "$WORK/stdout")"
# the merged file re-renders the same verdict
"$WSGATE" report "$M" --format md >"$WORK/again.md"
[ "$(head -n1 "$WORK/again.md")" = "$(head -n1 "$WORK/m/summary.md")" ] || fail "re-render"
# without the interrupted shard (--allow-partial) the merge is judged as usual
run_wsgate "$WORK/p" merge "$WORK/s1/result.json" --allow-partial
[ "$(jqr "$WORK/p/result.json" .verdict)" != interrupted ] || fail "partial merge interrupted"
pass "merge with an interrupted shard: verdict interrupted, exit 1, shard 2/2 named"
