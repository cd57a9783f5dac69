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

# Missed starts: a user busy for longer than the timed step's timeout (here
# a second expect that waits 1 s for nothing) does not send the starts it
# missed back to back, nor record them as ok with second-long latencies:
# each is a failed ping and an errors.timeout "missed start", not sent.
stop_server
start_server
cat >"$WORK/missed.yaml" <<YAML
version: 1
name: missed-starts
target: ws://127.0.0.1:$SERVER_PORT
load: {users: 2, duration: 3s}  # user 1 busy, user 2 split
scenarios:
  - name: busy
    connect: {url: "{{target}}/ws/chat?token=m{{vu.id}}"}
    tasks:
      - name: busy
        rate: 10/s
        steps:
          - {name: ping, send: '{"action":"ping"}', expect: {match: 'type == "pong"', timeout: 300ms}}
          - {name: stuck, expect: {match: 'type == "never"', timeout: 1s}}
      # first expect after a plain send: timed from the schedule too
  - name: split
    connect: {url: "{{target}}/ws/chat?token=s{{vu.id}}"}
    tasks:
      - name: split
        rate: 10/s
        steps:
          - {name: split send, send: '{"action":"ping"}'}
          - {name: split pong, expect: {match: 'type == "pong"', timeout: 5s}}
          - {name: nap, sleep: 250ms}
YAML
run_wsgate "$WORK/m" run "$WORK/missed.yaml" --quiet
R="$WORK/m/result.json"
[ -f "$R" ] || fail "missed: no result (rc $RC)"
ok=$(lat ping ok); failed=$(lat ping failed); pmax=$(lat ping latency_us.max)
stuck=$(lat stuck failed)
echo "missed: ping ok $ok failed $failed max $pmax us; stuck $stuck"
# starts at 0, ~1 s and ~2 s; each later one skips those due before it
# more than 300 ms ago (~6, then ~9): about 15 missed of 30 planned
check "$ok >= 1 && $ok <= 4 && $stuck >= 2"
check "$failed >= 12 && $ok + $failed <= 31"
check "$pmax < 400000"                      # no ok sample beyond the 300 ms timeout
jq -e '.errors.timeout.samples | map(select(test("ping: missed start"))) | length > 0' "$R" >/dev/null ||
  fail "no 'missed start' sample: $(jq -c .errors "$R")"
# the split task falls ~150 ms behind each iteration: its pong, timed from
# the schedule, shows it (measured from the actual send it would be ~1 ms)
smax=$(lat "split pong" latency_us.max)
check "$(lat "split pong" failed) == 0 && $smax >= 500000"
pass "missed starts: $failed counted as timeouts, ping max $pmax us; split pong max $smax us"
