#!/usr/bin/env bash
# issue 13: client CPU (user+sys) per emit -> ack round trip with protocol
# socketio, against the same exchange hand-written with protocol text
# (open packet, "40", then "42<id>[...]" awaited as "43<id>") on the same
# socket.io server (tests/servers/socketio, npm ci there first). Both run
# in turn, REPS times; prints every repetition, the medians and their ratio
# (issue 13's target: socketio <= 1.3x). No think time: each user emits as
# soon as its ack came.
#
#   bench/socketio_cpu.sh                          3 reps x 8 s, 20 users
#   REPS=5 DURATION=20 USERS=100 bench/socketio_cpu.sh
#   WSGATE=bench/build-release/wsgate bench/socketio_cpu.sh   (bench/build.sh)
#
# Bounded: every run under `timeout DURATION+60`; the server is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh
REPS=${REPS:-3}; DURATION=${DURATION:-8}; USERS=${USERS:-20}
WSGATE=${WSGATE:-../build/wsgate}
SIO_DIR=../tests/servers/socketio
[ -x "$WSGATE" ] || { echo "build wsgate first (or set WSGATE)" >&2; exit 2; }
[ -d "$SIO_DIR/node_modules/socket.io" ] || { echo "run npm ci in tests/servers/socketio" >&2; exit 2; }
WORK=$(mktemp -d /tmp/wsgate-sio-cpu.XXXXXX)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null || true; work_cleanup; }
trap cleanup EXIT

port=$(free_port)
node "$SIO_DIR/server.js" --port "$port" >"$WORK/server.log" 2>&1 &
SRV=$!
for _ in $(seq 1 100); do grep -q listening "$WORK/server.log" && break; sleep 0.1; done
grep -q listening "$WORK/server.log" || { cat "$WORK/server.log"; exit 3; }

spec_head() {
  cat <<YAML
version: 1
name: socketio cpu ($1)
target: ws://127.0.0.1:$port
load: {users: $USERS, duration: ${DURATION}s}
scenarios:
  - name: chatter
YAML
}
{ spec_head socketio; cat <<'YAML'
    protocol: socketio
    connect: {url: "{{target}}"}
    tasks:
      - name: chat
        steps:
          - name: rt
            emit: {event: chat, args: '[{"from": "{{vu.id}}", "msg": "hello"}]', ack: true}
YAML
} >"$WORK/socketio.yaml"
{ spec_head text; cat <<'YAML'
    protocol: text
    connect: {url: "{{target}}/socket.io/?EIO=4&transport=websocket"}
    on_start:
      - expect: {match: 'text ~ "^0[{]"'}
      - send: '40'
        expect: {match: 'text ~ "^40"'}
    tasks:
      - name: chat
        steps:
          - name: rt
            send: '421["chat",{"from": "{{vu.id}}", "msg": "hello"}]'
            expect: {match: 'text ~ "^431[[]"'}
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
  echo " $rt $cpu" >>"$WORK/$1.runs"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for r in $(seq 1 "$REPS"); do
  s=$(run socketio); t=$(run text)
  echo "rep $r: socketio $s us/rt ($(tail -1 "$WORK/socketio.runs" | awk '{print $1" rt, "$2" s"}')), text $t us/rt ($(tail -1 "$WORK/text.runs" | awk '{print $1" rt, "$2" s"}'))"
  echo "$s" >>"$WORK/s"; echo "$t" >>"$WORK/t"
done
ms=$(median <"$WORK/s"); mt=$(median <"$WORK/t")
echo "median: socketio $ms us/rt, text (hand-written packets) $mt us/rt, ratio $(awk -v a="$ms" -v b="$mt" 'BEGIN { printf "%.2f", b ? a / b : 0 }') (target <= 1.3)"
