# The end of a run closes every connection politely and on time: each user
# writes a close frame (1000) and waits for the server's close by its own
# deadline (vu_lws.c write_close), not through libwebsockets' per-connection
# close timeouts. A server that answers ends the connection at once; one
# that never answers (peers/hostile_server.py deaf) still gets the close
# frame and is dropped after the close grace (2 s): the run ends on time.
. "$(dirname "$0")/lib.sh"
spec() {
  cat <<YAML
version: 1
name: end-close
target: ws://127.0.0.1:$1
load: {users: 20, ramp_up: 200ms, duration: 2s}
scenarios:
  - name: idle
    connect: {url: "{{target}}/ws", timeout: 5s}
YAML
}
# run_timed NAME PORT: runs the spec against PORT; WALL = its seconds,
# RUN = the engine's own (result.json ended_at - started_at: no process
# start-up or report writing, which a loaded CI machine stretches)
run_timed() {
  spec "$2" >"$WORK/$1.yaml"
  local t0
  t0=$(date +%s.%N)
  run_wsgate "$WORK/$1" run "$WORK/$1.yaml"
  WALL=$(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.2f", t1 - t0 }')
  expect_rc 0
  R="$WORK/$1/result.json"
  [ "$(jqr "$R" '.steps[0].ok')" -eq 20 ] || fail "$1: not every user connected"
  [ "$(jqr "$R" '[.errors[].count] | add')" -eq 0 ] || fail "$1: errors: $(jq -c .errors "$R")"
  RUN=$(awk -v a="$(date -d "$(jqr "$R" .started_at)" +%s.%N)" -v b="$(date -d "$(jqr "$R" .ended_at)" +%s.%N)" \
    'BEGIN { printf "%.2f", b - a }')
}
# closes: how many close frames (1000) the peer logged, once it logged 20
# or 10 s passed (its threads may log after the run ended on a loaded host)
closes() {
  local n=0
  for _ in $(seq 1 100); do
    n=$(grep -c '^close 1000$' "$WORK/peer.err" || true)
    [ "$n" -ge 20 ] && break
    sleep 0.1
  done
  echo "$n"
}

# a server that answers the close: the run ends without waiting the grace
start_hostile echo --seconds 30
run_timed answered "$PEER_PORT"
n=$(closes)
[ "$n" -eq 20 ] || fail "answered: $n close frames logged: $(sort "$WORK/peer.err" | uniq -c)"
check "$RUN < 2 + 1"
check "$WALL < 2 + 6"
answered=$RUN
stop_server

# a server that never answers: the close frame still goes out, and the run
# waits the close grace (2 s) at most
start_hostile deaf --seconds 30
run_timed deaf "$PEER_PORT"
n=$(closes)
[ "$n" -eq 20 ] || fail "deaf: $n close frames logged: $(sort "$WORK/peer.err" | uniq -c)"
check "$RUN >= 2 + 1.8 && $RUN < 2 + 2 + 1"
check "$WALL < 2 + 2 + 6"
stop_server
pass "end close: run of 2 s planned ended after ${answered} s (close answered), ${RUN} s (never answered); 20 close frames (1000) each"
