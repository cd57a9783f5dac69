# ThreadSanitizer guard: drives the threaded paths of a TSan-built wsgate
# (cmake -DWSGATE_TSAN=ON) and fails on any TSan report. Run by CTest as
#   bash tests/tsan/run.sh PATH/TO/wsgate SOURCE_DIR
# Each run is bounded by its spec (a few seconds) and by `timeout`:
#   a. run --threads 2 --serve: reconnects, the chat room, and the mixed spec
#      (chat fan-out, quotes, collaboration documents across service threads)
#   b. serve --threads 2 with drops and random delays, run --threads 2 at it
#   c. an abort_on_fail assertion that aborts the run mid-way
#   d. SIGINT mid-run
#   e. run --serve --threads 2 with open-model arrivals (process-wide max_users)
#   f. run --serve --threads 2 --live FILE --metrics-listen :0, scraped meanwhile
# libwebsockets, libev and OpenSSL are not instrumented; each lws context
# lives in one thread, so their internal locking is invisible but not needed.

# TSan maps its shadow memory at fixed addresses; kernels with
# vm.mmap_rnd_bits > 28 can place the binary or libraries there ("FATAL:
# ThreadSanitizer: unexpected memory mapping"). Then the whole script runs
# again without address randomization (setarch -R is inherited by every
# wsgate it starts).
if [ -z "${WSGATE_TSAN_NO_ASLR:-}" ] &&
   "$1" --version 2>&1 >/dev/null | grep -q 'unexpected memory mapping'; then
  echo "tsan: unexpected memory mapping (vm.mmap_rnd_bits > 28?): running under setarch -R"
  export WSGATE_TSAN_NO_ASLR=1
  exec setarch "$(uname -m)" -R bash "$0" "$@"
fi

. "$(dirname "$0")/../integration/lib.sh"
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"

# no_report FILE WHAT: fails if FILE (a stderr) holds a TSan report.
no_report() {
  if grep -q 'ThreadSanitizer' "$1"; then
    cat "$1" >&2
    fail "$2: ThreadSanitizer report above"
  fi
}

# tsan_run NAME RCS ARGS...: runs `wsgate ARGS... --out $WORK/NAME` within
# 60 s (stdout and stderr in $WORK/NAME.out and NAME.err), sets RC and R
# (its result.json); fails on a TSan report or an exit status not in RCS
# (such as "0 1").
tsan_run() {
  local name=$1 rcs=$2; shift 2
  set +e
  timeout -k 5 60 "$WSGATE" "$@" --out "$WORK/$name" >"$WORK/$name.out" 2>"$WORK/$name.err"
  RC=$?
  set -e
  no_report "$WORK/$name.err" "$name"
  [[ " $rcs " == *" $RC "* ]] || fail "$name: exit $RC, expected one of $rcs: $(head -c 2000 "$WORK/$name.err")"
  R="$WORK/$name/result.json"
  [ -f "$R" ] || fail "$name: no result.json"
}

# stop_serve: stops the server of start_server with SIGTERM; it must still
# be running, exit 0 and have printed no TSan report.
stop_serve() {
  kill -0 "$SERVER_PID" 2>/dev/null || fail "serve exited early: $(head -c 4000 "$WORK/serve.err")"
  kill -TERM "$SERVER_PID"
  local rc=0
  wait "$SERVER_PID" || rc=$?
  SERVER_PID=""
  no_report "$WORK/serve.err" serve
  [ "$rc" -eq 0 ] || fail "serve exit $rc: $(head -c 2000 "$WORK/serve.err")"
}

step_ok() { jqr "$R" "[.steps[] | select(.name==\"$1\") | .ok] | add // 0"; }

# a. Embedded server, two client and two service threads. Not --quiet, so
# the monitor's progress callback runs too.
tsan_run a-reconnect "0 1" run "$DATA/it/reconnect.yaml" --serve --threads 2
check "$(step_ok reconnect) >= 4"
[ "$(jqr "$R" .threads)" = 2 ] || fail "a-reconnect: threads $(jqr "$R" .threads)"
sed -e 's/ramp_up: 1s/ramp_up: 500ms/' -e 's/duration: 4s/duration: 2s/' \
  "$DATA/it/chat-short.yaml" >"$WORK/chat.yaml"
tsan_run a-chat "0 1" run "$WORK/chat.yaml" --serve --threads 2
check "$(step_ok 'publish chat message') >= 20"
sed -e 's/users: 60/users: 24/' -e 's/ramp_up: 5s/ramp_up: 500ms/' -e 's/duration: 25s/duration: 3s/' \
  "$SRC/specs/mixed.yaml" >"$WORK/mixed.yaml"
tsan_run a-mixed "0 1" run "$WORK/mixed.yaml" --serve --threads 2 --quiet
check "$(step_ok connect) >= 24"
pass "a: run --serve --threads 2 (reconnect, chat, mixed)"

# b. A separate server with two threads that drops a third of the
# connections (half of them abruptly) and delays replies at random and
# fan-out a little; the client's verdict does not matter, only that it ends.
start_server --threads 2 --ack-delay 'between(1ms, 40ms)' --fanout-delay 5ms \
  --drop-after 700ms --drop-fraction 0.3
tsan_run b-drops "0 1" run "$WORK/chat.yaml" --target "ws://127.0.0.1:$SERVER_PORT" --threads 2 --quiet
check "$(step_ok connect) >= 20"
tsan_run b-reconnect "0 1" run "$DATA/it/reconnect.yaml" --target "ws://127.0.0.1:$SERVER_PORT" --threads 2 --quiet
stop_serve
start_server --threads 2 --drop-after 300ms --drop-fraction 0.5 --drop-abrupt --ack-delay 'between(1ms, 20ms)'
tsan_run b-abrupt "0 1" run "$WORK/chat.yaml" --target "ws://127.0.0.1:$SERVER_PORT" --threads 2 --quiet
stop_serve
pass "b: serve --threads 2 with drops and random delays"

# c. abort_on_fail trips after 1 s of a 30 s run (every reply takes 150 ms).
serve_chat "$WORK/abort.yaml" abort "{users: 6, duration: 30s}" \
  "p50(ping) < 50ms, abort_on_fail after 1s" -- --threads 2 --ack-delay 150ms
tsan_run c-abort "1" run "$WORK/abort.yaml" --threads 2 --quiet
[ "$(jqr "$R" '.aborted.at_s')" != null ] || fail "c-abort: not aborted"
stop_serve
pass "c: abort_on_fail at $(jqr "$R" '.aborted.at_s') s"

# d. SIGINT 1.5 s into a 4 s run.
set +e
timeout -k 5 60 "$WSGATE" run "$DATA/it/chat-short.yaml" --serve --threads 2 --out "$WORK/d-sigint" \
  >"$WORK/d-sigint.out" 2>"$WORK/d-sigint.err" &
pid=$!
sleep 1.5
kill -INT "$pid"
wait "$pid"; RC=$?
set -e
no_report "$WORK/d-sigint.err" d-sigint
[ "$RC" -eq 130 ] || fail "d-sigint: exit $RC, expected 130: $(head -c 2000 "$WORK/d-sigint.err")"
[ "$(jqr "$WORK/d-sigint/result.json" .interrupted)" = true ] || fail "d-sigint: not marked interrupted"
pass "d: SIGINT mid-run"

# e. Open model on two threads: arrivals alternate between the workers and
# scenarios, all under one process-wide max_users (some are dropped).
cat >"$WORK/open.yaml" <<'YAML'
version: 1
name: tsan-open
target: embedded
load:
  arrival_rate: {rate: 40/s, duration: 2s, max_users: 6, session: {iterations: 2}}
scenarios:
  - name: long
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}"}
    on_start:
      - name: hello
        send: '{"action":"subscribe","channel":"u{{vu.id}}"}'
        expect: {match: 'type == "subscription_confirmed"', timeout: 3s}
    tasks:
      - name: ping
        pause: 200ms
        send: '{"action":"publish","channel":"u{{vu.id}}","message":{"id":"x"}}'
        expect: {match: 'type == "message_ack"', timeout: 3s}
  - name: short
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}"}
    tasks:
      - {name: nap, steps: [{name: nap, sleep: 10ms}]}
YAML
tsan_run e-open "0 1" run "$WORK/open.yaml" --serve --threads 2
[ "$(jqr "$R" '.arrivals.started + .arrivals.dropped')" = 80 ] || fail "e-open: arrivals $(jq -c .arrivals "$R")"
check "$(jqr "$R" '.connections.peak') <= 6"
pass "e: open model, $(jqr "$R" '.arrivals.started') started, $(jqr "$R" '.arrivals.dropped') dropped"

# f. The live feed (workers' snapshots, the monitor) and the metrics
# listener's thread, scraped while the run goes on and during its linger.
set +e
timeout -k 5 60 "$WSGATE" run "$DATA/it/chat-short.yaml" --serve --threads 2 --live "$WORK/f.ndjson" \
  --metrics-listen 127.0.0.1:0 --out "$WORK/f-live" >"$WORK/f-live.out" 2>"$WORK/f-live.err" &
pid=$!
set -e
for _ in $(seq 1 100); do
  mport=$(grep -oE 'metrics on http://127\.0\.0\.1:[0-9]+' "$WORK/f-live.err" | grep -oE '[0-9]+$' || true)
  [ -n "$mport" ] && break
  sleep 0.1
done
[ -n "$mport" ] || fail "f-live: no metrics address: $(head -c 2000 "$WORK/f-live.err")"
scrapes=0
while kill -0 "$pid" 2>/dev/null; do
  curl -sf "http://127.0.0.1:$mport/metrics" >/dev/null && scrapes=$((scrapes + 1))
  sleep 0.2
done
set +e; wait "$pid"; RC=$?; set -e
no_report "$WORK/f-live.err" f-live
[ "$RC" -eq 0 ] || fail "f-live: exit $RC: $(head -c 2000 "$WORK/f-live.err")"
[ "$(tail -n1 "$WORK/f.ndjson" | jq -r .event)" = end ] || fail "f-live: no end line"
check "$scrapes >= 5"
pass "f: live feed and $scrapes scrapes"
