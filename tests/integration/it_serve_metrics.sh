# serve's GET /metrics: a Prometheus text exposition whose numbers move
# under a chat run (connections open during it, messages counted exactly
# once each way), and --leak-per-message 64KB keeping 64 KiB per received
# message (leaked_bytes_total = messages * 65536, resident memory grows by
# at least half of it).
. "$(dirname "$0")/lib.sh"
metric() { awk -v n="$2" '$1 == n { print $2 }' "$1"; }
scrape() { curl -sf "http://127.0.0.1:$SERVER_PORT/metrics" >"$1" || fail "GET /metrics failed"; }

start_server
scrape "$WORK/m0"
grep -q '^# TYPE process_resident_memory_bytes gauge$' "$WORK/m0" || fail "no TYPE line: $(cat "$WORK/m0")"
[ "$(metric "$WORK/m0" wsgate_serve_messages_received_total)" = 0 ] || fail "messages before the run"
rss0=$(metric "$WORK/m0" process_resident_memory_bytes)
check "$rss0 > 1000000"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$SERVER_PORT/metrics")" = 405 ] \
  || fail "POST /metrics is not 405"

chat_spec metrics "{users: 4, duration: 3s}" >"$WORK/spec.yaml"
"$WSGATE" run "$WORK/spec.yaml" --out "$WORK/out" >"$WORK/stdout" 2>"$WORK/stderr" &
WPID=$!
open=0
for _ in $(seq 1 40); do
  sleep 0.1
  scrape "$WORK/mid"
  open=$(metric "$WORK/mid" 'wsgate_serve_connections{protocol="chat"}')
  [ "$open" = 4 ] && break
done
set +e; wait "$WPID"; RC=$?; set -e
expect_rc 0
[ "$open" = 4 ] || fail "open chat connections during the run: $open, expected 4"
scrape "$WORK/m1"
R="$WORK/out/result.json"
[ "$(metric "$WORK/m1" wsgate_serve_messages_received_total)" = "$(jqr "$R" .messages.sent)" ] \
  || fail "received $(metric "$WORK/m1" wsgate_serve_messages_received_total) != sent $(jqr "$R" .messages.sent)"
[ "$(metric "$WORK/m1" wsgate_serve_messages_sent_total)" = "$(jqr "$R" .messages.received)" ] \
  || fail "sent != received"
[ "$(metric "$WORK/m1" 'wsgate_serve_connections{protocol="chat"}')" = 0 ] || fail "connections left open"
check "$(metric "$WORK/m1" process_cpu_seconds_total) > $(metric "$WORK/m0" process_cpu_seconds_total)"
[ "$(metric "$WORK/m1" wsgate_serve_leaked_bytes_total)" = 0 ] || fail "leaked without the knob"
stop_server

start_server --leak-per-message 64KB
chat_spec metrics "{users: 4, duration: 3s}" >"$WORK/spec.yaml"
scrape "$WORK/l0"
"$WSGATE" run "$WORK/spec.yaml" --out "$WORK/out2" >"$WORK/stdout" 2>"$WORK/stderr" || fail "leaking run failed"
scrape "$WORK/l1"
n=$(metric "$WORK/l1" wsgate_serve_messages_received_total)
leaked=$(metric "$WORK/l1" wsgate_serve_leaked_bytes_total)
[ "$leaked" = $((n * 65536)) ] || fail "leaked $leaked for $n messages"
grow=$(( $(metric "$WORK/l1" process_resident_memory_bytes) - $(metric "$WORK/l0" process_resident_memory_bytes) ))
check "$grow > $leaked / 2"
stop_server

# Overload reporting: a server whose loop is held up (the process stopped
# for 600 ms) says so on stderr within two seconds and at its stop, and
# /metrics keeps the worst lag; the accept-queue counter is there.
start_server
sleep 1.2
kill -STOP "$SERVER_PID"; sleep 0.6; kill -CONT "$SERVER_PID"
for _ in $(seq 1 40); do grep -q 'overloaded at t=' "$WORK/serve.err" && break; sleep 0.1; done
grep -qE 'wsgate serve: overloaded at t=[0-9]+ s: event loop up to [0-9]+ ms late' "$WORK/serve.err" \
  || fail "no overload line: $(cat "$WORK/serve.err")"
late=$(grep -oE 'up to [0-9]+ ms' "$WORK/serve.err" | head -1 | grep -oE '[0-9]+')
check "$late >= 400"
scrape "$WORK/o1"
check "$(metric "$WORK/o1" wsgate_serve_loop_lag_max_seconds) >= 0.4"
metric "$WORK/o1" wsgate_serve_listen_overflows_total | grep -qE '^[0-9]+$' || fail "no accept-queue counter"
stop_server
grep -qE 'wsgate serve: overloaded in [0-9]+ of [0-9]+ s' "$WORK/serve.err" || fail "no overload summary"
pass "serve /metrics: $n messages, $leaked bytes kept, RSS +$grow; a held-up loop reported ${late} ms late"
