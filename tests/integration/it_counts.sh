# Counts that add up, whatever the moment a run ends: many short runs (1-2 s,
# 1-20 users, ramp 0 and ramp = duration, ws:// and wss://, two at once,
# a runner that stalls past the end, a server that answers upgrades late or
# never) each end with every connect it owed counted once:
#   connect ok + failed + connections.abandoned == connections.attempts
#   and every user whose first start fell inside the run is among them
#   (connect ok + failed + abandoned >= connect.planned),
# no run counts more connections open than users (connections.peak, the
# series, the --live feed's connections_open, /metrics), and result.json
# has no warnings. A result doctored to not add up shows its warning in
# summary.md and on the terminal.
# ctest: parallel
. "$(dirname "$0")/lib.sh"
PEER=""
stop_all() {
  [ -z "$PEER" ] || { kill "$PEER" 2>/dev/null || true; wait "$PEER" 2>/dev/null || true; }
  cleanup
}
trap stop_all EXIT

# spec NAME TARGET LOAD [TLS-BLOCK [TASKS]]: one scenario whose users
# subscribe once and then hold (or run TASKS), under LOAD (a flow map)
spec() {
  cat <<YAML
version: 1
name: $1
target: $2
load: $3
${4:+tls: $4}
scenarios:
  - name: counter
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}", timeout: 3s}
    on_start:
      - name: subscribe
        send: '{"action":"subscribe","channel":"room:c","userId":"u{{vu.id}}"}'
        expect: {match: 'type == "subscription_confirmed"', timeout: 3s}
${5:-}
YAML
}

# counts_add_up OUT USERS: the checks above on OUT/result.json
# load USERS DURATION [ramp]: all users at t0, or ramped over the whole
# duration (one ramp stage: the last start falls just before the end)
load() { [ -z "${3:-}" ] && echo "{users: $1, duration: $2}" || echo "{stages: [{duration: $2, users: $1}]}"; }

counts_add_up() {
  local R=$1/result.json users=$2
  [ -f "$R" ] || fail "$1: no result.json ($(head -c 500 "$WORK/stderr"))"
  local ok failed ab planned peak
  ok=$(jqr "$R" '.steps[0].ok'); failed=$(jqr "$R" '.steps[0].failed')
  ab=$(jqr "$R" '.connections.abandoned'); planned=$(jqr "$R" '.connect.planned')
  [ $((ok + failed + ab)) -ge "$planned" ] \
    || fail "$1: $ok ok + $failed failed + $ab abandoned < $planned users whose first connect was due"
  local attempts
  attempts=$(jq -r '.connections.attempts // "missing"' "$R")
  [ "$attempts" = $((ok + failed + ab)) ] \
    || fail "$1: $ok ok + $failed failed + $ab abandoned != $attempts attempts"
  peak=$(jqr "$R" '.connections.peak')
  [ "$peak" -le "$users" ] || fail "$1: peak $peak connections for $users users"
  [ "$(jqr "$R" '[.series[].active] | max // 0')" -le "$users" ] || fail "$1: series active above $users users"
  [ "$(jqr "$R" '.warnings | length')" -eq 0 ] || fail "$1: warnings $(jq -c .warnings "$R")"
  echo "$attempts"
}

start_server --threads 2
WS="ws://127.0.0.1:$SERVER_PORT"

# 1. ws://, users x ramp x duration; the end falls in the middle of the ramp
#    or of the subscribe
n=0
for users in 1 2 7 20; do
  for ramp in "" ramp; do
    spec "c$n" "$WS" "$(load "$users" 1s $ramp)" >"$WORK/c$n.yaml"
    run_wsgate "$WORK/c$n" run "$WORK/c$n.yaml" --quiet
    counts_add_up "$WORK/c$n" "$users" >/dev/null
    n=$((n + 1))
  done
done
pass "ws://: $n runs of 1-20 users, ramp 0 and 1 s, counts add up"

# 2. a runner that stalls past the end (its loop blocked 1.2 s at the first
#    tick): the users whose starts came during the stall never connect, and
#    are counted, not lost
spec stall "$WS" "$(load 8 1s ramp)" >"$WORK/stall.yaml"
WSGATE_TEST_STALL_MS=1200 run_wsgate "$WORK/stall" run "$WORK/stall.yaml" --quiet --threads 1
a=$(counts_add_up "$WORK/stall" 8)
un=$(jqr "$WORK/stall/result.json" '.connections.unstarted')
check "$un >= 1 && $a >= 8"
grep -q "never started" "$WORK/stall/summary.md" || fail "summary does not say connects never started"
pass "a stalled runner: $un planned connects never started, counted as abandoned"

# 3. a server that answers upgrades late (--accept-rate): runs end with
#    connects waiting for their upgrade; and two runs at once
stop_server
start_server --accept-rate 5
SLOW="ws://127.0.0.1:$SERVER_PORT"
RUNS=()
for users in 3 20; do
  spec "slow$users" "$SLOW" "$(load "$users" 1s)" >"$WORK/slow$users.yaml"
  "$WSGATE" run "$WORK/slow$users.yaml" --quiet --out "$WORK/slow$users" >/dev/null 2>&1 &
  RUNS+=($!)
done
wait "${RUNS[@]}" || true
ab=$(jqr "$WORK/slow20/result.json" '.connections.abandoned')
counts_add_up "$WORK/slow3" 3 >/dev/null
counts_add_up "$WORK/slow20" 20 >/dev/null
check "$ab >= 1"
pass "a server upgrading 5 a second, two runs at once: counts add up ($ab abandoned)"

# 4. a peer that accepts TCP and never answers the upgrade
PY_PORT_FILE="$WORK/silent.out"
python3 "$SRC/bench/silent_peer.py" accept --seconds 20 >"$PY_PORT_FILE" 2>/dev/null &
PEER=$!
for _ in $(seq 1 100); do grep -qE '[0-9]+' "$PY_PORT_FILE" 2>/dev/null && break; sleep 0.05; done
PP=$(grep -oE '[0-9]+' "$PY_PORT_FILE" | tail -n 1)
[ -n "$PP" ] || fail "silent peer printed no port"
spec silent "ws://127.0.0.1:$PP" "$(load 10 2s ramp)" >"$WORK/silent.yaml"
run_wsgate "$WORK/silent" run "$WORK/silent.yaml" --quiet
counts_add_up "$WORK/silent" 10 >/dev/null
[ "$(jqr "$WORK/silent/result.json" '.steps[0].ok')" -eq 0 ] || fail "connected to a silent peer"
pass "a silent peer: every connect abandoned or timed out, counted once"

# 5. wss:// against serve --tls, its certificate trusted with tls.ca_file
stop_server
start_server --tls --tls-cert-out "$WORK/server.pem" --threads 2
WSS="wss://127.0.0.1:$SERVER_PORT"
for users in 1 2 20; do
  for ramp in "" ramp; do
    spec "t$users$ramp" "$WSS" "$(load "$users" 1s $ramp)" "{ca_file: $WORK/server.pem}" >"$WORK/t.yaml"
    run_wsgate "$WORK/t$users$ramp" run "$WORK/t.yaml" --quiet
    counts_add_up "$WORK/t$users$ramp" "$users" >/dev/null
  done
done
pass "wss://: counts add up"

# 6. reconnects (reconnect steps, and a server closing half the connections
#    every 300 ms under an automatic reconnect policy), over TLS: never more
#    connections open than users in result.json, the live feed or /metrics
stop_server
start_server --tls --tls-cert-out "$WORK/server.pem" --threads 2 --drop-after 300ms --drop-fraction 0.5
RC_TASK='    tasks:
      - name: again
        pause: 50ms
        steps: [{name: reconnect, reconnect: true}]'
spec rc "wss://127.0.0.1:$SERVER_PORT" "$(load 10 2s)" "{ca_file: $WORK/server.pem}" "$RC_TASK" \
  | sed "/connect:/s|timeout: 3s}|timeout: 3s, reconnect: {max_attempts: 5, backoff: 50ms}}|" >"$WORK/rc.yaml"
MPORT=$(free_port)
"$WSGATE" run "$WORK/rc.yaml" --quiet --out "$WORK/rc" --live "$WORK/rc.live" \
  --metrics-listen "127.0.0.1:$MPORT" >"$WORK/stdout" 2>"$WORK/stderr" &
RUN=$!
most=0
for _ in $(seq 1 40); do
  v=$(curl -sf "http://127.0.0.1:$MPORT/metrics" 2>/dev/null | awk '$1 == "wsgate_connections_open" {print $2}' || true)
  [ -n "$v" ] && [ "${v%.*}" -gt "$most" ] && most=${v%.*}
  kill -0 "$RUN" 2>/dev/null || break
  sleep 0.1
done
wait "$RUN" || true
[ "$most" -le 10 ] || fail "/metrics: $most connections open for 10 users"
counts_add_up "$WORK/rc" 10 >/dev/null
live_max=$(jq -s '[.[] | select(.event == "second") | .total.connections_open] | max // 0' "$WORK/rc.live")
[ "$live_max" -le 10 ] || fail "--live: $live_max connections open for 10 users"
check "$(jq '[.steps[] | select(.name == "reconnect") | .ok] | add // 0' "$WORK/rc/result.json") >= 10"
pass "reconnects over TLS: at most $live_max (live), $most (/metrics) connections open for 10 users"

# 7. a result whose counts do not add up says so in every report
jq '.connections.attempts += 1 | .warnings = ["connect counts do not add up: test"]' \
  "$WORK/c0/result.json" >"$WORK/bad.json"
"$WSGATE" report "$WORK/bad.json" --out "$WORK/bad" >"$WORK/bad.out" 2>&1 || true
grep -q "Warning:\*\* connect counts do not add up" "$WORK/bad/summary.md" || fail "summary.md lacks the warning"
grep -q "count-warning" "$WORK/bad/report.html" || fail "report.html lacks the warning"
pass "a warning in result.json shows in summary.md and report.html"
