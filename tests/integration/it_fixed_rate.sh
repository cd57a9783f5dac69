# task.rate runs a task on a fixed schedule and times its first step from
# the intended send time (no coordinated omission): when the server stalls
# for 1.5 s, the sends queued behind the stall show it in p95, while a task
# paced by a pause after each reply records the stall once and hides it.
. "$(dirname "$0")/lib.sh"
start_server --stall-after 2s --stall-for 1500ms
cat >"$WORK/spec.yaml" <<YAML
version: 1
name: fixed-rate
target: ws://127.0.0.1:$SERVER_PORT
load: {users: 4, duration: 5s}
scenarios:
  - name: fixed
    connect: {url: "{{target}}/ws/chat?token=f{{vu.id}}"}
    tasks:
      - name: fixed ping
        rate: 20/s
        send: '{"action":"ping"}'
        expect: {match: 'type == "pong"', timeout: 5s}
  - name: closed
    connect: {url: "{{target}}/ws/chat?token=c{{vu.id}}"}
    tasks:
      - name: closed ping
        pause: 50ms
        send: '{"action":"ping"}'
        expect: {match: 'type == "pong"', timeout: 5s}
YAML
run_wsgate "$WORK/out" run "$WORK/spec.yaml" --quiet
expect_rc 0
R="$WORK/out/result.json"
lat() { jqr "$R" ".steps[] | select(.name==\"$1\") | .$2"; }
[ "$(lat "fixed ping" failed)" = 0 ] && [ "$(lat "closed ping" failed)" = 0 ] || fail "failed pings"
# 2 users x 20/s x 5 s = 200 starts: the schedule catches up after the stall
n=$(lat "fixed ping" ok); check "$n >= 160 && $n <= 202"
fp95=$(lat "fixed ping" latency_us.p95); fmax=$(lat "fixed ping" latency_us.max)
cp95=$(lat "closed ping" latency_us.p95); cmax=$(lat "closed ping" latency_us.max)
echo "fixed: $n samples, p95 $fp95 us, max $fmax us; closed: p95 $cp95 us, max $cmax us"
check "$fmax >= 1200000" # both saw the stall once...
check "$cmax >= 1200000"
check "$fp95 >= 750000"  # ...but only the fixed schedule counts the sends it held back
check "$cp95 < 375000"
pass "fixed-rate p95 $fp95 us vs pause-after-reply p95 $cp95 us across a 1.5 s stall"
