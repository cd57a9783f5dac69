# Closed-model stages (ramp up, hold, ramp down), scenario weights and the
# three think-time forms, over one real run: every user connects exactly
# once, users split by weight exactly, the per-second active connections
# rise, hold and fall as the stages say, and each pause form paces its
# tasks at about its mean (a pause that were 0 or stuck would be far off).
. "$(dirname "$0")/lib.sh"
start_server
task() {
  cat <<YAML
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}", timeout: 2s}
    on_start:
      - name: hello $1
        send: '{"action":"ping"}'
        expect: {match: 'type == "pong"', timeout: 2s}
    tasks:
      - name: ping $1
        pause: $2
        send: '{"action":"ping"}'
        expect: {match: 'type == "pong"', timeout: 2s}
YAML
}
{
  cat <<YAML
version: 1
name: load-shapes
target: ws://127.0.0.1:$SERVER_PORT
load:
  stages:
    - {duration: 2s, users: 30}
    - {duration: 2s, users: 30}
    - {duration: 2s, users: 0}
scenarios:
  - name: constant
    weight: 1
YAML
  task constant 300ms
  printf '  - name: between\n    weight: 1\n'
  task between "between(100ms, 500ms)"
  printf '  - name: exponential\n    weight: 2\n'
  task exponential "exponential(300ms)"
} >"$WORK/shapes.yaml"
run_wsgate "$WORK/out" run "$WORK/shapes.yaml"
expect_rc 0
R="$WORK/out/result.json"
step() { jqr "$R" ".steps[] | select(.name==\"$1\") | $2"; }
[ "$(step connect .ok)" -eq 30 ] || fail "connects: $(step connect .ok), expected 30 (one per user)"
[ "$(step connect .failed)" -eq 0 ] || fail "failed connects"
# weights 1:1:2 over 30 users: 7 whole blocks of 4 give 7, 7, 14; users 28
# and 29 take the first two places of a block (constant, between)
a=$(step "hello constant" .ok); b=$(step "hello between" .ok); c=$(step "hello exponential" .ok)
[ "$a $b $c" = "8 8 14" ] || fail "users per scenario $a $b $c, expected 8 8 14"
[ "$(jqr "$R" '[.series[].active] | max')" -eq 30 ] || fail "peak active $(jqr "$R" '[.series[].active] | max')"
first=$(jqr "$R" '.series[0].active')
mid=$(jqr "$R" '[.series[] | select(.t == 2 or .t == 3) | .active] | min')
down=$(jqr "$R" '[.series[] | select(.t == 4) | .active] | first // 0')
check "$first > 0 && $first < 30"     # ramping up in the first second
check "$mid == 30"                    # holding
check "$down > 0 && $down < 30"       # ramping down
# each user's active time sums to about 30 x 4 s; per scenario, tasks ~
# users x 4 s / (0.3 s mean pause + round trip): 8 x 13 ~ 107, 8 x 13 ~ 107, 14 x 13 ~ 187
pc=$(step "ping constant" .ok); pb=$(step "ping between" .ok); pe=$(step "ping exponential" .ok)
check "$pc >= 55 && $pc <= 160"
check "$pb >= 55 && $pb <= 160"
check "$pe >= 100 && $pe <= 300"
stop_server
pass "stages 0->30->30->0, weights 8/8/14, tasks $pc / $pb / $pe"
