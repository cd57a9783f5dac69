# System calls per message on the client's hot path, counted with strace
# (counts, not timings): one send and one receive per round trip. Two
# regressions this catches: a writeable round trip per message (lws turns
# POLLOUT on and off: two epoll_ctl per message) and a read(2) of
# /dev/urandom per frame mask (src/engine/wsrand.c serves masks from getrandom
# blocks instead). Skips (77) where strace cannot trace.
. "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || { echo "skip: no strace"; exit 77; }
strace -f -o /dev/null true 2>/dev/null || { echo "skip: strace cannot trace here"; exit 77; }
start_server
set +e
# LeakSanitizer cannot run under ptrace: the sanitizer build checks the rest
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -c -o "$WORK/strace.txt" "$WSGATE" run "$DATA/it/syscalls.yaml" \
  --target "ws://127.0.0.1:$SERVER_PORT" --out "$WORK/out" --quiet >"$WORK/stdout" 2>"$WORK/stderr"
RC=$?
set -e
stop_server
expect_rc 0
sent=$(jqr "$WORK/out/result.json" .messages.sent)
acks=$(jqr "$WORK/out/result.json" '.steps[] | select(.name == "publish") | .ok')
check "$acks >= 200"
calls() { awk -v s="$1" '$NF == s {print $4} $(NF-1) == s {print $4}' "$WORK/strace.txt" | head -1; }
sends=$(calls sendto); reads=$(calls read); ctls=$(calls epoll_ctl)
sends=${sends:-0}; reads=${reads:-0}; ctls=${ctls:-0}
# one sendto per frame (plus the 20 upgrade requests)
check "$sends <= $sent * 1.1 + 40"
# set-up costs a few calls per connection; nothing per message
check "$ctls <= 10 * 20 + $sent * 0.05"
check "$reads <= 200 + $sent * 0.05"
pass "syscalls: $sent frames sent, $acks acks: sendto $sends, epoll_ctl $ctls, read $reads"
