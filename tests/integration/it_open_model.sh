# Open model (load.arrival_rate): every arrival is one session (connect,
# on_start, session.iterations tasks, close); arrivals beyond max_users
# running sessions are dropped and counted; shards slice the arrivals so
# their merge is the whole schedule.
. "$(dirname "$0")/lib.sh"
start_server
spec() { # spec FILE DURATION MAX_USERS PAUSE
  cat >"$1" <<YAML
version: 1
name: open-model
target: ws://127.0.0.1:$SERVER_PORT
load:
  arrival_rate: {rate: 20/s, duration: $2, max_users: $3, session: {iterations: 2}}
scenarios:
  - name: chatter
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}"}
    on_start:
      - name: hello
        send: '{"action":"subscribe","channel":"u{{vu.id}}"}'
        expect: {match: 'type == "subscription_confirmed"', timeout: 3s}
    tasks:
      - name: ping
        pause: $4
        send: '{"action":"publish","channel":"u{{vu.id}}","message":{"id":"x"}}'
        expect: {match: 'type == "message_ack"', timeout: 3s}
assertions:
  - arrivals.dropped == 0
  - arrivals.started == 80
YAML
}
step() { jqr "$1" ".steps[] | select(.name==\"$2\") | .$3"; }

# 1. 20/s for 4 s, room for all: exactly 80 sessions of 2 tasks each.
spec "$WORK/open.yaml" 4s 100 100ms
run_wsgate "$WORK/o1" run "$WORK/open.yaml" --quiet
expect_rc 0
R="$WORK/o1/result.json"
[ "$(jqr "$R" '.load.model')" = open ] || fail "load.model $(jqr "$R" '.load.model')"
[ "$(jqr "$R" '[.arrivals.planned, .arrivals.started, .arrivals.dropped] | join(",")')" = 80,80,0 ] ||
  fail "arrivals $(jq -c .arrivals "$R")"
[ "$(step "$R" connect ok)" = 80 ] || fail "connects $(step "$R" connect ok), want 80 (one per arrival)"
[ "$(step "$R" connect failed)" = 0 ] || fail "failed connects"
[ "$(step "$R" hello ok)" = 80 ] || fail "hello $(step "$R" hello ok), want 80"
[ "$(step "$R" ping ok)" = 160 ] || fail "pings $(step "$R" ping ok), want 2 per session"
[ "$(jqr "$R" '.errors | [.[].count] | add')" = 0 ] || fail "errors: $(jq -c .errors "$R")"
peak=$(jqr "$R" '.connections.peak'); check "$peak >= 1 && $peak <= 100"
grep -q "open model, 20/s arrivals, sessions of 2 tasks, at most 100 at once" "$WORK/o1/summary.md" ||
  fail "run shape: $(grep Run: "$WORK/o1/summary.md")"
grep -q "\*\*Arrivals:\*\* 80 planned, 80 started, 0 dropped" "$WORK/o1/summary.md" || fail "arrivals line"
pass "80 arrivals, 80 sessions, 160 tasks, 0 dropped"

# 2. At most 2 sessions of ~0.6 s at 20/s: most arrivals are dropped, each
# counted, and the slots are reused (never more than 2 connections).
spec "$WORK/cap.yaml" 2s 2 300ms
run_wsgate "$WORK/o2" run "$WORK/cap.yaml" --quiet
expect_rc 1 # arrivals.dropped == 0 fails, and so does started == 80
R="$WORK/o2/result.json"
started=$(jqr "$R" '.arrivals.started'); dropped=$(jqr "$R" '.arrivals.dropped')
[ "$(jqr "$R" '.arrivals.planned')" = 40 ] || fail "planned $(jqr "$R" '.arrivals.planned'), want 40"
[ $((started + dropped)) = 40 ] || fail "started $started + dropped $dropped != 40 arrivals"
check "$dropped > 0 && $started >= 2"
[ "$(step "$R" connect ok)" = "$started" ] || fail "connects $(step "$R" connect ok) != sessions $started"
check "$(jqr "$R" '.connections.peak') <= 2"
[ "$(jqr "$R" '.assertions[0].passed')" = false ] || fail "arrivals.dropped == 0 should fail"
[ "$(jqr "$R" '.assertions[0].observed')" = "$dropped" ] || fail "observed dropped"
pass "max_users 2: $started started + $dropped dropped = 40"

# 3. Two shards at once, merged: the arrivals add up to the whole.
pids=()
for k in 1 2; do
  "$WSGATE" run "$WORK/open.yaml" --shard $k/2 --out "$WORK/s$k" --quiet >"$WORK/s$k.log" 2>&1 &
  pids+=($!)
done
for k in 1 2; do
  set +e; wait "${pids[$((k - 1))]}"; rc=$?; set -e
  [ "$rc" -eq 1 ] || fail "shard $k exit $rc (started == 80 cannot hold in one shard): $(cat "$WORK/s$k.log")"
  [ "$(jqr "$WORK/s$k/result.json" '[.arrivals.planned, .arrivals.started, .users_planned] | join(",")')" = 40,40,50 ] ||
    fail "shard $k: $(jq -c '[.arrivals, .users_planned]' "$WORK/s$k/result.json")"
done
"$WSGATE" merge "$WORK"/s1/result.json "$WORK"/s2/result.json --out "$WORK/m" >"$WORK/merge.out" 2>&1 ||
  fail "merge exit $?: $(cat "$WORK/merge.out")"
M="$WORK/m/result.json"
[ "$(jqr "$M" '[.arrivals.planned, .arrivals.started, .arrivals.dropped] | join(",")')" = 80,80,0 ] ||
  fail "merged arrivals $(jq -c .arrivals "$M")"
[ "$(step "$M" connect ok)" = 80 ] || fail "merged connects $(step "$M" connect ok)"
[ "$(step "$M" ping ok)" = 160 ] || fail "merged pings $(step "$M" ping ok)"
# ids are disjoint: each session publishes on its own id's channel, so a
# shared id would add broadcasts to the 80 confirmations and 160 acks
[ "$(jqr "$M" '.messages.received')" = 240 ] || fail "received $(jqr "$M" '.messages.received'), want 240"
[ "$(jqr "$M" '.verdict')" = pass ] || fail "merged verdict $(jq -c .assertions "$M")"
pass "shards 1/2 + 2/2 merge into 80 sessions"

# 4. A close step ends an open-model session (the next arrival is a new
# one): 5/s for 2 s with sessions of 1 task ending in a close is exactly 10
# connects and 10 closes, not a session reconnecting until graceful_stop.
cat >"$WORK/close.yaml" <<YAML
version: 1
name: open-close
target: ws://127.0.0.1:$SERVER_PORT
load:
  arrival_rate: {rate: 5/s, duration: 2s, max_users: 20, graceful_stop: 5s, session: {iterations: 1}}
scenarios:
  - name: closer
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}"}
    tasks:
      - name: cycle
        steps:
          - {name: hi, send: '{"action":"publish","channel":"c{{vu.id}}","message":{"id":"x"}}'}
          - {sleep: 200ms}
          - {name: bye, close: {code: 4000}}
YAML
run_wsgate "$WORK/o4" run "$WORK/close.yaml" --quiet
expect_rc 0
R="$WORK/o4/result.json"
[ "$(jqr "$R" '[.arrivals.planned, .arrivals.started, .arrivals.dropped] | join(",")')" = 10,10,0 ] ||
  fail "close arrivals $(jq -c .arrivals "$R")"
[ "$(step "$R" connect ok)" = 10 ] || fail "close: connects $(step "$R" connect ok), want 10"
[ "$(step "$R" bye ok)" = 10 ] || fail "close: closes $(step "$R" bye ok), want 10"
[ "$(step "$R" hi ok)" = 10 ] || fail "close: sends $(step "$R" hi ok), want 10"
pass "open model: a close step ends the session (10 arrivals, 10 connects)"

# 5. With graceful_stop 0 the run ends right after the last arrival: the
# arrivals due in the last tick are started or dropped, never lost, so
# started + dropped == planned (2000/s: about one arrival per 0.5 ms).
cat >"$WORK/burst.yaml" <<YAML
version: 1
name: open-burst
target: ws://127.0.0.1:$SERVER_PORT
load:
  arrival_rate: {rate: 2000/s, duration: 1s, max_users: 100, graceful_stop: 0s, session: {iterations: 1}}
scenarios:
  - name: nap
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}"}
    tasks:
      - {name: nap, steps: [{name: nap, sleep: 10ms}]}
YAML
run_wsgate "$WORK/o5" run "$WORK/burst.yaml" --quiet
R="$WORK/o5/result.json"
[ -f "$R" ] || fail "burst: no result (rc $RC)"
planned=$(jqr "$R" '.arrivals.planned'); started=$(jqr "$R" '.arrivals.started')
dropped=$(jqr "$R" '.arrivals.dropped')
[ "$planned" = 2000 ] || fail "burst: planned $planned"
[ $((started + dropped)) = 2000 ] || fail "burst: started $started + dropped $dropped != 2000"
pass "2000/s, graceful_stop 0: $started started + $dropped dropped = 2000"

# 6. Rates divide by the time the load ran, not the arrival window: 10/s
# for 1 s of 1.5 s sessions runs about 2.5 s (the last session ends ~0.9 s
# + 1.5 s after t0), so duration_s covers it and rate(connect) = 10 / it.
cat >"$WORK/long.yaml" <<YAML
version: 1
name: open-long
target: ws://127.0.0.1:$SERVER_PORT
load:
  arrival_rate: {rate: 10/s, duration: 1s, max_users: 20, session: {iterations: 1}}
scenarios:
  - name: lingers
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}"}
    tasks:
      - {name: linger, steps: [{name: linger, sleep: 1500ms}]}
assertions:
  - rate(connect) < 1000/s
YAML
run_wsgate "$WORK/o6" run "$WORK/long.yaml" --quiet
expect_rc 0
R="$WORK/o6/result.json"
d=$(jqr "$R" '.duration_s'); obs=$(jqr "$R" '.assertions[0].observed')
[ "$(step "$R" connect ok)" = 10 ] || fail "long: connects $(step "$R" connect ok)"
check "$d >= 2.3 && $d < 10"
check "$obs > 9.9 / $d && $obs < 10.1 / $d"
pass "open model: duration_s $d s (arrivals over 1 s), rate(connect) $obs/s"

# 7. max_users holds for the whole process, whichever worker runs the
# sessions: with 2 threads and 2 scenarios, arrival k goes to worker k mod 2
# and scenario k mod 2, so one worker runs every long session; they still
# fill the 4 places (a per-worker split of 2 + 2 ran only 2 long ones).
cat >"$WORK/mix.yaml" <<YAML
version: 1
name: open-mix
target: ws://127.0.0.1:$SERVER_PORT
load:
  arrival_rate: {rate: 10/s, duration: 1s, max_users: 4, session: {iterations: 1}}
scenarios:
  - name: long
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}"}
    tasks:
      - {name: long, steps: [{name: long, sleep: 1500ms}]}
  - name: short
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}"}
    tasks:
      - {name: short, steps: [{name: short, sleep: 10ms}]}
YAML
run_wsgate "$WORK/o7" run "$WORK/mix.yaml" --threads 2 --quiet
expect_rc 0
R="$WORK/o7/result.json"
[ "$(jqr "$R" '.threads')" = 2 ] || fail "mix: threads $(jqr "$R" '.threads')"
# long arrivals 0, 2, 4, 6, 8 (every 0.2 s, 1.5 s each): with one process-
# wide count the first 3 or 4 run (4 unless a short session lingers on a
# loaded machine); split 2 + 2 per worker, only 2 could.
long=$(step "$R" long ok); peak=$(jqr "$R" '.connections.peak')
check "$long >= 3 && $long <= 4 && $peak >= 3 && $peak <= 4"
[ $(($(jqr "$R" '.arrivals.started') + $(jqr "$R" '.arrivals.dropped'))) = 10 ] || fail "mix: arrivals"
pass "max_users 4 over 2 threads: peak $peak, $long long sessions"
