# At the end of a run, connections that wait for nothing close only after
# the last awaited reply (engine.c worker_end_deferred): otherwise every
# thinking user closes at the same instant (their timers are capped at the
# end) and those closes delay the replies still being measured: with 10,000
# users the last second's latencies rose from ~54 ms to 1.4 s against a
# 50 ms server delay. strace shows the client's system calls with their
# times: the last message_ack received must come before the first socket
# is shut down or closed. Skips (77) where strace cannot trace.
. "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || { echo "skip: no strace"; exit 77; }
strace -f -o /dev/null true 2>/dev/null || { echo "skip: strace cannot trace here"; exit 77; }
start_server --ack-delay 800ms
set +e
# LeakSanitizer cannot run under ptrace: the sanitizer build checks the rest
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -ttt -s 48 -e trace=recvfrom,shutdown,close -o "$WORK/strace.txt" "$WSGATE" run \
  "$DATA/it/end-drain.yaml" --target "ws://127.0.0.1:$SERVER_PORT" --out "$WORK/out" --quiet \
  >"$WORK/stdout" 2>"$WORK/stderr"
RC=$?
set -e
stop_server
expect_rc 0
R="$WORK/out/result.json"
acks=$(jqr "$R" '.steps[] | select(.name == "publish") | .ok')
check "$acks >= 2"
[ "$(jqr "$R" '.steps[] | select(.name == "publish") | .failed')" -eq 0 ] || fail "publishes failed"
[ "$(jqr "$R" '.steps[] | select(.name == "connect") | .ok')" -eq 21 ] || fail "not every user connected"
# the sockets: fds that received data; their first shutdown/close after
# the first ack, against the last ack
# (a recvfrom cut by another thread's call goes on in a "<... recvfrom
# resumed>" line, which holds the data: acks are matched on any line)
read -r last_ack first_close <<<"$(awk '
  / recvfrom\(/ { split($3, a, /[(,]/); sock[a[2]] = 1 }
  /message_ack/ { seen = 1; last = $2 }
  seen && / (shutdown|close)\(/ { split($3, a, /[(,)]/); if (a[2] in sock && !first) first = $2 }
  END { printf "%s %s\n", last, first }' "$WORK/strace.txt")"
[ -n "$last_ack" ] && [ -n "$first_close" ] || fail "strace shows no ack or no close: $(tail -5 "$WORK/strace.txt")"
check "$first_close >= $last_ack"
pass "end drain: $acks acks, last at $last_ack, first socket closed at $first_close"
