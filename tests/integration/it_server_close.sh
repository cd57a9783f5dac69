# The server closes first. Each user answers with a close frame echoing
# the server's code and closes its TCP connection at once: the user writes
# that answer itself (vu_lws.c on_peer_close), since libwebsockets' own
# answer arms a timeout per connection, a sorted insert, so a server that
# closed n users at once cost the client O(n^2). The drop counts as
# "closed by the server". Then `wsgate serve --drop-at` closes every user
# at one moment, and every one of them sees it.
. "$(dirname "$0")/lib.sh"
spec() { # port duration
  cat <<YAML
version: 1
name: server-close
target: ws://127.0.0.1:$1
load: {users: 20, ramp_up: 200ms, duration: $2}
scenarios:
  - name: idle
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}", timeout: 5s}
YAML
}
# count WORD N: lines "WORD..." in the peer's log, once N came or 10 s passed
count() {
  local n=0
  for _ in $(seq 1 100); do
    n=$(grep -c "^$1" "$WORK/peer.err" || true)
    [ "$n" -ge "$2" ] && break
    sleep 0.1
  done
  echo "$n"
}

# a peer that closes every connection first with 4003 (users reconnect
# after their 1 s backoff: 40 connections in 1.6 s, none near the end)
start_hostile closer --seconds 30
spec "$PEER_PORT" 1600ms >"$WORK/closer.yaml"
run_wsgate "$WORK/closer" run "$WORK/closer.yaml" --quiet
expect_rc 0
R="$WORK/closer/result.json"
opened=$(jqr "$R" '.steps[0].ok')
check "$opened >= 20"
answers=$(count answer "$opened")
[ "$answers" -eq "$opened" ] || fail "$answers answers to $opened server closes"
[ "$(grep -c '^answer 4003$' "$WORK/peer.err")" -eq "$answers" ] ||
  fail "an answer did not echo 4003: $(grep '^answer' "$WORK/peer.err" | sort | uniq -c)"
eofs=$(count eof "$answers")
[ "$eofs" -eq "$answers" ] || fail "$eofs of $answers connections closed by the client within 3 s"
[ "$(jqr "$R" '.errors.closed.count')" -eq "$opened" ] || fail "errors: $(jq -c .errors "$R")"
jqr "$R" '.errors.closed.samples[0]' | grep -q "closed by the server (code 4003)" ||
  fail "sample: $(jq -c .errors.closed "$R")"
stop_server

# wsgate serve --drop-at 2s: the 20 users, connected by then, are closed
# with 1001 (none before); each reconnects after its 1 s backoff and is
# closed again as soon as it opens
start_server --drop-at 2s
spec "$SERVER_PORT" 4s >"$WORK/drop.yaml"
run_wsgate "$WORK/drop" run "$WORK/drop.yaml" --quiet
expect_rc 0
R="$WORK/drop/result.json"
closed=$(jqr "$R" '.errors.closed.count')
check "$closed >= 40 && $closed <= $(jqr "$R" '.steps[0].ok')"
jqr "$R" '.errors.closed.samples[0]' | grep -q "closed by the server (code 1001)" ||
  fail "sample: $(jq -c .errors.closed "$R")"
[ "$(jqr "$R" '.series[0].errors')" -eq 0 ] || fail "closed before --drop-at: $(jq -c '.series[0]' "$R")"
stop_server
set +e
"$WSGATE" serve --port 0 --drop-at 1s --drop-after 1s >"$WORK/stdout" 2>"$WORK/stderr"
RC=$?
set -e
expect_rc 2
grep -q -- "--drop-at and --drop-after" "$WORK/stderr" || fail "$(cat "$WORK/stderr")"
pass "server close: $answers answers echoing 4003, $eofs closed at once; --drop-at closed $closed"
