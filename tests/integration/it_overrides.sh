# Overrides of the load size and variables against `wsgate serve`: the
# users and duration result.json reports are the overridden ones (and the
# run lasts that long, not the spec's 60 s), --var reaches the templates
# (the spec's own path is refused by the server), the flag wins over its
# variable and the variable over the spec, $WSGATE_OUT and $WSGATE_BASELINE
# stand in for their flags, every report records the overrides, validate
# sees what run would, shards merge only with the same overrides, and bad
# values exit 2 with one line naming the flag or variable, writing nothing.
. "$(dirname "$0")/lib.sh"
start_server
cat >"$WORK/spec.yaml" <<YAML
version: 1
name: overridden
target: ws://127.0.0.1:$SERVER_PORT
variables:
  path: nochat
load: {users: 40, ramp_up: 10s, duration: 60s}
scenarios:
  - name: chatter
    connect: {url: "{{target}}/ws/{{path}}?token=t{{vu.id}}"}
    tasks:
      - name: ping
        pause: 100ms
        send: '{"action":"ping"}'
        expect: {match: 'type == "pong"', timeout: 2s}
YAML
S=$WORK/spec.yaml
R() { jqr "$WORK/$1/result.json" "$2"; }

# flags over variables over the spec
WSGATE_USERS=9 WSGATE_DURATION=50s run_wsgate "$WORK/flags" run "$S" --users 3 --duration 2s \
  --ramp-up 0s --var path=chat --var tag=ci-42 --quiet
expect_rc 0
[ "$(R flags .users_planned)/$(R flags .planned_s)" = 3/2 ] ||
  fail "planned $(R flags .users_planned) users, $(R flags .planned_s) s; want 3, 2"
[ "$(R flags .connections.peak)/$(R flags '.steps[0].ok')" = 3/3 ] ||
  fail "peak $(R flags .connections.peak), connects $(R flags '.steps[0].ok'); want 3 users"
check "$(R flags '.series | length') <= 4"
[ "$(jq -c .overrides "$WORK/flags/result.json")" = \
  '{"users":3,"duration_s":2,"ramp_up_s":0,"max_connecting":null,"vars":{"path":"chat","tag":"ci-42"}}' ] ||
  fail "overrides: $(jq -c .overrides "$WORK/flags/result.json")"
TEXT="users 3, duration 2s, ramp-up 0s, var path=chat, var tag=ci-42"
grep -qF "**Overrides:** $TEXT" "$WORK/flags/summary.md" || fail "summary.md lacks the overrides"
grep -qF "<dt>Overrides</dt><dd>$TEXT</dd>" "$WORK/flags/report.html" || fail "report.html lacks them"
[ "$(xmllint --xpath 'string(//property[@name="overrides"]/@value)' "$WORK/flags/junit.xml")" = "$TEXT" ] ||
  fail "junit.xml lacks the overrides property"

# the variables alone: users and duration from them, the spec's path (the
# server refuses it: --var above is what made the connects succeed), the
# reports in $WSGATE_OUT, the baseline from $WSGATE_BASELINE
set +e
WSGATE_USERS=2 WSGATE_DURATION=1s WSGATE_OUT="$WORK/env" WSGATE_BASELINE="$WORK/flags/result.json" \
  "$WSGATE" run "$S" --ramp-up 0s --quiet >"$WORK/stdout" 2>"$WORK/stderr"
RC=$?
set -e
expect_rc 1
[ "$(R env .users_planned)/$(R env .planned_s)/$(R env '.steps[0].failed')" = 2/1/2 ] ||
  fail "env run: $(R env .users_planned) users, $(R env .planned_s) s, $(R env '.steps[0].failed') refused"
[ "$(R env .baseline.path)" = "$WORK/flags/result.json" ] || fail "WSGATE_BASELINE not used"
[ "$(jq -c .overrides "$WORK/env/result.json")" = '{"users":2,"duration_s":1,"ramp_up_s":0,"max_connecting":null,"vars":{}}' ] ||
  fail "env overrides: $(jq -c .overrides "$WORK/env/result.json")"

# no override: null, and the spec's own numbers
"$WSGATE" validate "$S" >"$WORK/v0" 2>&1 || fail "validate: $(cat "$WORK/v0")"
grep -qF "40 users" "$WORK/v0" || fail "validate without overrides: $(cat "$WORK/v0")"
WSGATE_USERS=12 "$WSGATE" validate "$S" --duration 15s --var path=x >"$WORK/v1" 2>&1 ||
  fail "validate: $(cat "$WORK/v1")"
grep -qF "12 users" "$WORK/v1" || fail "validate with WSGATE_USERS: $(cat "$WORK/v1")"

# shards: each runs its slice of the overridden users; merge keeps the
# overrides, and refuses shards run with different ones
for k in 1 2; do
  run_wsgate "$WORK/s$k" run "$S" --shard "$k/2" --users 4 --duration 1s --ramp-up 0s --var path=chat --quiet
  expect_rc 0
  [ "$(R "s$k" .connections.peak)" = 2 ] || fail "shard $k ran $(R "s$k" .connections.peak) users, want 2"
done
"$WSGATE" merge "$WORK/s1/result.json" "$WORK/s2/result.json" --out "$WORK/merged" --quiet ||
  fail "merge exit $?"
[ "$(jq -c .overrides.users "$WORK/merged/result.json")/$(R merged .users_planned)" = 4/4 ] ||
  fail "merged: $(jq -c '{overrides, users_planned}' "$WORK/merged/result.json")"
set +e
"$WSGATE" merge "$WORK/s1/result.json" "$WORK/flags/result.json" --quiet >/dev/null 2>"$WORK/merge.err"
RC=$?
set -e
[ "$RC" -eq 2 ] || [ "$RC" -eq 3 ] || fail "merge of different overrides exit $RC"
grep -qF "ran with different overrides" "$WORK/merge.err" || fail "merge: $(cat "$WORK/merge.err")"

# bad input: exit 2, one line naming the flag or variable and what to
# write, and no report folder
bad() {
  local want=$1; shift
  rm -rf "$WORK/bad"
  set +e
  env "$@" --out "$WORK/bad" --quiet >"$WORK/stdout" 2>"$WORK/stderr"
  RC=$?
  set -e
  expect_rc 2
  grep -qF -- "$want" "$WORK/stderr" || fail "$*: want \"$want\", got: $(cat "$WORK/stderr")"
  [ "$(wc -l <"$WORK/stderr")" -eq 1 ] || fail "$*: more than one line: $(cat "$WORK/stderr")"
  [ ! -e "$WORK/bad" ] || fail "$*: wrote $WORK/bad"
}
bad '--users "+5" has a sign; write --users 5' "$WSGATE" run "$S" --users +5
bad '--users "1.5" is not a whole number; write --users 1 or --users 2' "$WSGATE" run "$S" --users 1.5
bad '--users must be at least 1' "$WSGATE" run "$S" --users 0
bad 'WSGATE_USERS "1_000" has digit separators; write WSGATE_USERS=1000' WSGATE_USERS=1_000 "$WSGATE" run "$S"
bad 'WSGATE_USERS is set but empty' WSGATE_USERS= "$WSGATE" run "$S"
bad '--duration: "30" has no unit' "$WSGATE" run "$S" --duration 30
bad 'WSGATE_DURATION must be more than 0' WSGATE_DURATION=0s "$WSGATE" run "$S"
bad 'the ramp-up (20.00 s, from --ramp-up) must be shorter than the duration (5.00 s, from --duration)' \
  "$WSGATE" run "$S" --duration 5s --ramp-up 20s
bad '--var "path" needs NAME=VALUE' "$WSGATE" run "$S" --var path
bad '--var vu: the name is reserved' "$WSGATE" run "$S" --var vu=1
bad '--var path is given twice' "$WSGATE" run "$S" --var path=a --var path=b
bad '--users: the load reaches 500 users at once, over the limit of 100 set by --max-users' \
  "$WSGATE" run "$S" --users 500 --max-users 100
sed 's/^load: .*/load: {arrival_rate: {rate: 5\/s, duration: 2s, max_users: 10}}/' "$S" >"$WORK/open.yaml"
bad 'open.yaml:6: --users cannot apply: the load is load.arrival_rate (the open model)' \
  "$WSGATE" run "$WORK/open.yaml" --users 5
sed 's/^load: .*/load: {stages: [{duration: 1s, users: 2}]}/' "$S" >"$WORK/stages.yaml"
bad 'stages.yaml:6: --ramp-up cannot apply: load.stages sets each stage' \
  "$WSGATE" run "$WORK/stages.yaml" --ramp-up 1s
set +e
WSGATE_OUT= "$WSGATE" run "$S" --quiet >/dev/null 2>"$WORK/stderr"
RC=$?
set -e
expect_rc 2
grep -qF 'WSGATE_OUT is set but empty' "$WORK/stderr" || fail "WSGATE_OUT=: $(cat "$WORK/stderr")"
# validate refuses the same
set +e
"$WSGATE" validate "$S" --users 1e3 >/dev/null 2>"$WORK/stderr"
RC=$?
set -e
expect_rc 2
grep -qF -- '--users "1e3" is not a whole number; write --users 1000' "$WORK/stderr" ||
  fail "validate --users 1e3: $(cat "$WORK/stderr")"
pass "overrides: users and duration used, --var in the templates, flags over variables, recorded in every report; bad values exit 2"
