# Guard rails for a spec from a pull request: a constant URL outside
# --allow-hosts is refused at its line (exit 2); a templated one to a
# blocked address is counted as blocked and never reaches the listener
# there (which a run without the rule does reach); a name resolving into a
# blocked range is refused after DNS; {{env.GITHUB_TOKEN}} needs
# --allow-env and its value appears in no file, stdout or stderr; a spec
# over --max-users is refused before anything runs, also for one shard.
# ctest: parallel
. "$(dirname "$0")/lib.sh"

# run_validate ARGS...: wsgate validate (no --out), status in RC.
run_validate() {
  set +e
  "$WSGATE" validate "$@" >"$WORK/stdout" 2>"$WORK/stderr"
  RC=$?
  set -e
}

# --- a constant URL outside the allow list: refused at load, file:line ---
cat >"$WORK/const.yaml" <<'YAML'
version: 1
name: const
target: ws://127.0.0.1:9
load: {users: 1, duration: 1s}
scenarios:
  - name: elsewhere
    connect:
      url: "ws://127.0.0.3:9/ws"
YAML
run_validate "$WORK/const.yaml" --allow-hosts 127.0.0.1
expect_rc 2
grep -qF "$WORK/const.yaml:8: scenarios[0].connect.url: 127.0.0.3:9 is not in --allow-hosts" \
  "$WORK/stderr" || fail "constant URL: $(cat "$WORK/stderr")"
set +e
WSGATE_ALLOW_HOSTS="localhost,127.0.0.1/32" "$WSGATE" run "$WORK/const.yaml" --out "$WORK/c2" \
  >"$WORK/stdout" 2>"$WORK/stderr"
RC=$?
set -e
expect_rc 2
grep -qF "const.yaml:8: scenarios[0].connect.url: 127.0.0.3:9 is not in WSGATE_ALLOW_HOSTS" \
  "$WORK/stderr" || fail "constant URL, variable: $(cat "$WORK/stderr")"
[ ! -e "$WORK/c2" ] || fail "a refused spec created its output directory"
pass "constant URL refused at its line (flag and variable)"

# --- a templated URL to a blocked address: counted, never connected ------
cat >"$WORK/listener.py" <<'PY'
import socket, sys
s = socket.socket()
s.bind(("127.0.0.2", 0))
s.listen(64)
print("listening on 127.0.0.2:%d" % s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    print("accepted", flush=True)
    c.close()
PY
start_listener peer python3 "$WORK/listener.py"
PEER=$LISTEN_PORT
cat >"$WORK/templated.yaml" <<YAML
version: 1
name: templated
target: ws://127.0.0.1:9
variables:
  net: "127.0.0."
load: {users: 2, duration: 2s}
scenarios:
  - name: spread
    connect:
      url: "ws://{{net}}{{vu.id}}:$PEER/ws"
assertions:
  - errors.blocked == 0
YAML
# without a rule, user 2 reaches the listener: the check below can fail
run_wsgate "$WORK/t0" run "$WORK/templated.yaml" --quiet
grep -q accepted "$WORK/peer.out" || fail "control run: the listener saw no connection"
[ "$(jqr "$WORK/t0/result.json" '.errors.blocked.count')" -eq 0 ] || fail "control run: blocked"
: >"$WORK/peer.out"
run_wsgate "$WORK/t1" run "$WORK/templated.yaml" --quiet --block-hosts 127.0.0.2
expect_rc 1
R="$WORK/t1/result.json"
n=$(jqr "$R" '.errors.blocked.count')
check "$n >= 2" # user 2 tries again after each refusal
jqr "$R" '.errors.blocked.samples[0]' |
  grep -qF "connect (spread): 127.0.0.2:$PEER is blocked by --block-hosts entry 127.0.0.2" ||
  fail "blocked sample: $(jqr "$R" '.errors.blocked.samples[0]')"
check "$(jqr "$R" '.errors.refused.count') >= 1" # user 1 went to 127.0.0.1 as before
[ "$(jq -r '.assertions[] | select(.text == "errors.blocked == 0") | .passed' "$R")" = false ] ||
  fail "errors.blocked assertion did not fail"
sleep 0.3
! grep -q accepted "$WORK/peer.out" || fail "the blocked listener saw a connection"
# the allow list does the same through the variable
WSGATE_ALLOW_HOSTS=127.0.0.1 run_wsgate "$WORK/t2" run "$WORK/templated.yaml" --quiet
expect_rc 1
jqr "$WORK/t2/result.json" '.errors.blocked.samples[0]' | grep -qF "is not in WSGATE_ALLOW_HOSTS" ||
  fail "allow sample: $(jqr "$WORK/t2/result.json" '.errors.blocked.samples[0]')"
sleep 0.3
! grep -q accepted "$WORK/peer.out" || fail "a listener outside the allow list saw a connection"
stop_server
pass "templated URL: $n blocked, none reached 127.0.0.2"

# --- a name resolving into a blocked range -------------------------------
start_server
cat >"$WORK/local.yaml" <<YAML
version: 1
name: local
target: ws://localhost:$SERVER_PORT
load: {users: 2, duration: 1s}
scenarios:
  - name: chatter
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}"}
YAML
run_wsgate "$WORK/l0" run "$WORK/local.yaml" --quiet
expect_rc 0 # localhost resolves and connects without the rule
run_wsgate "$WORK/l1" run "$WORK/local.yaml" --quiet --block-hosts 127.0.0.0/8
expect_rc 1
R="$WORK/l1/result.json"
check "$(jqr "$R" '.errors.blocked.count') >= 2"
[ "$(jqr "$R" '.steps[] | select(.name == "connect") | .ok')" -eq 0 ] || fail "localhost connected"
jqr "$R" '.errors.blocked.samples[0]' |
  grep -qE "localhost:$SERVER_PORT \((127\.0\.0\.1|::ffff:127\.0\.0\.1)\) is blocked by --block-hosts entry 127\.0\.0\.0/8" ||
  fail "localhost sample: $(jqr "$R" '.errors.blocked.samples[0]')"
stop_server
pass "localhost refused after DNS (127.0.0.0/8)"

# --- {{env.GITHUB_TOKEN}}: refused by default, never shown when allowed --
export GITHUB_TOKEN="ghp-marker-$RANDOM$RANDOM-x"
cat >"$WORK/env.yaml" <<'YAML'
version: 1
name: env
target: embedded
load: {users: 2, duration: 2s}
scenarios:
  - name: chatter
    connect:
      url: "{{target}}/ws/chat?token=t{{vu.id}}&room={{env.GITHUB_TOKEN}}"
      headers: ["X-Note: {{env.GITHUB_TOKEN}}"]
    on_start:
      - name: subscribe room
        send: '{"action":"subscribe","channel":"room:a","userId":"user-{{vu.id}}"}'
        expect: {match: 'type == "subscription_confirmed"', timeout: 5s}
    tasks:
      - name: publish
        pause: 300ms
        send: '{"action":"publish","channel":"room:a","message":{"id":"x","senderId":"u","text":"{{env.GITHUB_TOKEN}}","sentAt":1}}'
        expect: {match: 'type == "never"', timeout: 5s, fail_if: 'type == "message"'}
YAML
run_validate "$WORK/env.yaml"
expect_rc 2
grep -qF "env.yaml:8: bad template in scenarios[0].connect.url: {{env.GITHUB_TOKEN}}: reading GITHUB_TOKEN needs --allow-env GITHUB_TOKEN (or WSGATE_ALLOW_ENV)" \
  "$WORK/stderr" || fail "env refusal: $(cat "$WORK/stderr")"
run_wsgate "$WORK/e1" run "$WORK/env.yaml" --allow-env GITHUB_TOKEN
cat "$WORK/stdout" "$WORK/stderr" >"$WORK/e1-console.txt"
[ "$RC" -le 1 ] || fail "allowed env run: exit $RC: $(cat "$WORK/stderr")"
R="$WORK/e1/result.json"
# the server echoed the value back into an error sample: hidden there
jqr "$R" '.errors.unexpected_message.samples[]' | grep -qF '"text":"***"' ||
  fail "echoed value not hidden: $(jq -c .errors.unexpected_message "$R")"
# a host named after the value: refused at load, the message hides it
sed 's#url: "{{target}}/ws/chat?token=t{{vu.id}}&room={{env.GITHUB_TOKEN}}"#url: "ws://{{env.GITHUB_TOKEN}}.invalid/ws"#' \
  "$WORK/env.yaml" | sed 's#target: embedded#target: ws://localhost:9#' >"$WORK/env-host.yaml"
# (names only: an address entry could admit any name, so only DNS would tell)
WSGATE_ALLOW_ENV='GITHUB_*' run_wsgate "$WORK/e2" run "$WORK/env-host.yaml" --allow-hosts localhost
expect_rc 2
grep -qF "env-host.yaml:8: scenarios[0].connect.url: ***.invalid:80 is not in --allow-hosts" \
  "$WORK/stderr" || fail "env host: $(cat "$WORK/stderr")"
cat "$WORK/stdout" "$WORK/stderr" >"$WORK/e2-console.txt"
if grep -rlF "$GITHUB_TOKEN" "$WORK/e1" "$WORK/e1-console.txt" "$WORK/e2-console.txt"; then
  fail "the value of GITHUB_TOKEN leaked into the files above"
fi
pass "env.GITHUB_TOKEN: refused by default, hidden everywhere when allowed"

# --- more users than --max-users: refused before running -----------------
cat >"$WORK/big.yaml" <<'YAML'
version: 1
name: big
target: ws://127.0.0.1:9
load:
  users: 1000
  duration: 5s
scenarios:
  - name: plain
    connect: {url: "{{target}}/ws"}
YAML
run_wsgate "$WORK/b1" run "$WORK/big.yaml" --max-users 100
expect_rc 2
grep -qF "big.yaml:5: the load reaches 1000 users at once, over the limit of 100 set by --max-users" \
  "$WORK/stderr" || fail "max users: $(cat "$WORK/stderr")"
[ ! -e "$WORK/b1" ] || fail "a refused spec created its output directory"
# a shard is judged by the whole spec, and the variable is named
WSGATE_MAX_USERS=300 run_wsgate "$WORK/b2" run "$WORK/big.yaml" --shard 1/4
expect_rc 2
grep -qF "over the limit of 300 set by WSGATE_MAX_USERS" "$WORK/stderr" || fail "shard: $(cat "$WORK/stderr")"
run_validate "$WORK/big.yaml" --max-users 1000 --max-duration 5s --max-rate 1/s
expect_rc 0
pass "--max-users 100 refuses 1000 users (also one shard of four)"
