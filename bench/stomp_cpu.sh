#!/usr/bin/env bash
# issue 13: client CPU (user+sys) per SEND -> RECEIPT round trip with
# protocol stomp, against the same exchange hand-written with protocol
# text (CONNECT, then SEND frames with a receipt header, NUL-terminated,
# awaited as "RECEIPT") on the same broker: Debian's RabbitMQ with
# Web-STOMP, started on loopback as tests/integration/peers/rabbitmq.sh
# does. The pair is fair: the same broker, the same bytes on the wire; only
# wsgate's framing and parsing differ (RabbitMQ speaks no JSON protocol to
# compare with, and the chat publish -> ack against wsgate serve would
# measure another server). Both run in turn, REPS times; prints every
# repetition, the medians and their ratio (issue 13's target: stomp <=
# 1.3x). No think time: each user sends as soon as its receipt came.
#
#   bench/stomp_cpu.sh                          3 reps x 8 s, 20 users
#   REPS=5 DURATION=20 USERS=100 bench/stomp_cpu.sh
#   WSGATE=bench/build-release/wsgate bench/stomp_cpu.sh   (bench/build.sh)
#
# Bounded: every run under `timeout DURATION+60`; the broker is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")"
REPS=${REPS:-3}; DURATION=${DURATION:-8}; USERS=${USERS:-20}
WSGATE=${WSGATE:-../build/wsgate}
[ -x "$WSGATE" ] || { echo "build wsgate first (or set WSGATE)" >&2; exit 2; }
WORK=$(mktemp -d /tmp/wsgate-stomp-cpu.XXXXXX)
fail() { echo "FAIL: $*" >&2; exit 3; }
cleanup() { if [ -n "${KEEP:-}" ]; then echo "raw: $WORK" >&2; else rm -rf "$WORK"; fi; }
. ../tests/integration/peers/rabbitmq.sh # its exit trap stops the broker, then cleanup
rabbitmq_start

spec_head() {
  cat <<YAML
version: 1
name: stomp cpu ($1)
target: ws://127.0.0.1:$RMQ_STOMP_PORT
load: {users: $USERS, duration: ${DURATION}s}
scenarios:
  - name: sender
YAML
}
{ spec_head stomp; cat <<'YAML'
    protocol: stomp
    stomp: {login: guest, passcode: guest}
    connect: {url: "{{target}}/ws"}
    tasks:
      - name: send
        steps:
          - name: rt
            stomp: {send: /topic/wsgate-bench, body: 'hello', receipt: true}
YAML
} >"$WORK/stomp.yaml"
{ spec_head text; cat <<'YAML'
    protocol: text
    connect: {url: "{{target}}/ws", subprotocol: v12.stomp}
    on_start:
      - send: "CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:0,0\n\n\u0000"
        expect: {match: 'text ~ "^CONNECTED"'}
    tasks:
      - name: send
        steps:
          - name: rt
            send: "SEND\ndestination:/topic/wsgate-bench\nreceipt:r-{{vu.id}}\ncontent-length:5\n\nhello\u0000"
            expect: {match: 'text ~ "^RECEIPT"'}
YAML
} >"$WORK/text.yaml"

# run KIND: one run; prints the CPU per round trip in us.
run() {
  rm -rf "$WORK/out"
  /usr/bin/time -f '%U %S' -o "$WORK/time" timeout $((DURATION + 60)) \
    "$WSGATE" run "$WORK/$1.yaml" --out "$WORK/out" --quiet >/dev/null 2>&1 || true
  local rt cpu
  rt=$(jq '[.steps[] | select(.name == "rt") | .ok] | add // 0' "$WORK/out/result.json")
  cpu=$(tail -1 "$WORK/time" | awk '{print $1 + $2}')
  awk -v c="$cpu" -v r="$rt" 'BEGIN { printf "%.2f", r ? c * 1e6 / r : 0 }'
  echo " $rt $cpu $(jq '[.errors[] | .count] | add' "$WORK/out/result.json")" >>"$WORK/$1.runs"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# one run of each first, not counted: a fresh broker answers the first
# seconds several times slower (in a first try: 4,898 round trips in the
# first 5 s run, 14,000-19,000 in the later ones)
run stomp >/dev/null; run text >/dev/null
for r in $(seq 1 "$REPS"); do
  s=$(run stomp); t=$(run text)
  echo "rep $r: stomp $s us/rt ($(tail -1 "$WORK/stomp.runs" | awk '{print $1" rt, "$2" s, "$3" errors"}')), text $t us/rt ($(tail -1 "$WORK/text.runs" | awk '{print $1" rt, "$2" s, "$3" errors"}'))"
  echo "$s" >>"$WORK/s"; echo "$t" >>"$WORK/t"
done
ms=$(median <"$WORK/s"); mt=$(median <"$WORK/t")
echo "median: stomp $ms us/rt, text (hand-written frames) $mt us/rt, ratio $(awk -v a="$ms" -v b="$mt" 'BEGIN { printf "%.2f", b ? a / b : 0 }') (target <= 1.3)"
