# connect.subprotocol against wsgate serve: /ws/chat accepts "chat.v1" (the
# users connect and chat); a subprotocol no path accepts is refused with
# HTTP 400 (kind http_status, every connect failed, exit 1); and one that
# another path accepts is refused the same way on /ws/quotes.
. "$(dirname "$0")/lib.sh"
start_server
T="ws://127.0.0.1:$SERVER_PORT"

run_wsgate "$WORK/ok" run "$DATA/it/subprotocol.yaml" --target "$T"
expect_rc 0
R="$WORK/ok/result.json"
[ "$(jqr "$R" '.steps[] | select(.name=="connect") | .ok')" -eq 3 ] || fail "connects: $(jq -c '.steps[0]' "$R")"
[ "$(jqr "$R" '.steps[] | select(.name=="connect") | .failed')" -eq 0 ] || fail "failed connects with chat.v1"
[ "$(jqr "$R" '.steps[] | select(.name=="subscribe room") | .ok')" -eq 3 ] || fail "subscribes with chat.v1"
check "$(jqr "$R" '.steps[] | select(.name=="chat ping") | .ok') >= 3"
pass "chat.v1 accepted: 3 connects, $(jqr "$R" '.steps[] | select(.name=="chat ping") | .ok') pings"

# refused: chat.v9 on /ws/chat, chat.v1 on /ws/quotes
sed 's/chat\.v1/chat.v9/' "$DATA/it/subprotocol.yaml" >"$WORK/v9.yaml"
sed 's#/ws/chat?#/ws/quotes?#' "$DATA/it/subprotocol.yaml" >"$WORK/quotes.yaml"
for f in v9 quotes; do
  run_wsgate "$WORK/$f" run "$WORK/$f.yaml" --target "$T"
  expect_rc 1
  R="$WORK/$f/result.json"
  [ "$(jqr "$R" '.steps[] | select(.name=="connect") | .ok')" -eq 0 ] || fail "$f: a connect succeeded"
  check "$(jqr "$R" '.errors.http_status.count') >= 3"
  [ "$(jqr "$R" '[.errors[] | .count] | add')" -eq "$(jqr "$R" '.errors.http_status.count')" ] ||
    fail "$f: other errors than http_status: $(jq -c '.errors | map_values(.count)' "$R")"
  jqr "$R" '.errors.http_status.samples[0]' | grep -q "upgrade refused with HTTP 400" ||
    fail "$f: sample $(jqr "$R" '.errors.http_status.samples[0]')"
  pass "$f: refused, $(jqr "$R" '.errors.http_status.count') x '$(jqr "$R" '.errors.http_status.samples[0]')'"
done
