# protocol: graphql against a real server: graphql-ws 6 on ws (Node,
# tests/servers/graphql, installed by ./setup.sh test; skipped with 77 when
# node or its node_modules are missing), on a free loopback port.
#  1. specs/graphql.yaml: subscribers (first next, fan-out latency from the
#     server's ts), publishers (mutation -> next -> complete, a query, a
#     ticks subscription to its complete): 0 errors, exit 0, and the run's
#     end sends complete for every subscription still running.
#  2. two subscribes with one fixed id: the server closes with 4409, counted
#     as errors.close_4409 (not closed), exit 1.
#  3. a query with a bad field: its step fails with the server's message in
#     the protocol sample; the good query beside it passes.
#  3b. a query whose resolver throws: the server's next carries errors,
#     which fail its step with the first error's message in the sample.
#  4. the server killed mid-run: exit 1 with every report written.
#  5. protocol: graphql-apollo, the same spec against subscriptions-transport-ws
#     (start/data/stop, ka): 0 errors, a stop for every running subscription,
#     and a bad field fails its step with the server's message.
# ctest: parallel
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/spec_checks.sh"
GQL="$SRC/tests/servers/graphql"
command -v node >/dev/null || { echo "SKIP: node is not installed"; exit 77; }
[ -d "$GQL/node_modules/graphql-ws" ] || { echo "SKIP: run ./setup.sh test (npm ci in $GQL)"; exit 77; }
start_listener graphql node "$GQL/server.js" 0
T="ws://127.0.0.1:$LISTEN_PORT"
step() { jqr "$1" ".steps[] | select(.name==\"$2\") | .$3"; }

run_wsgate "$WORK/ok" run "$SRC/specs/graphql.yaml" --target "$T"
expect_rc 0
R="$WORK/ok/result.json"
check_metrics "$R"
[ "$(jqr "$R" '[.errors[] | .count] | add')" -eq 0 ] || fail "errors: $(jq -c '.errors' "$R")"
[ "$(step "$R" connect ok)" -eq 6 ] || fail "connects (init -> ack): $(jq -c '.steps[0]' "$R")"
[ "$(step "$R" msgs ok)" -eq 3 ] || fail "subscriptions timed to their first next"
check "$(step "$R" post ok) >= 10"
[ "$(step "$R" post.complete ok)" -eq "$(step "$R" post ok)" ] || fail "a mutation without its complete"
check "$(step "$R" ticks.complete ok) >= 1"
check "$(jqr "$R" '.steps[] | select(.name=="ticks.complete") | .latency_us.p50') >= 300000"
check "$(step "$R" fan-out ok) >= $(step "$R" post ok)"
# each subscriber's msgs subscription still ran at the end: one complete each
check "$(grep -c '^client complete ' "$WORK/graphql.out") >= 3"
pass "$(step "$R" post ok) mutations, $(step "$R" fan-out ok) deliveries, $(grep -c '^client complete ' "$WORK/graphql.out") completes at the end, 0 errors"

run_wsgate "$WORK/dup" run "$DATA/it/graphql_4409.yaml" --target "$T"
expect_rc 1
R="$WORK/dup/result.json"
check "$(jqr "$R" '.errors.close_4409.count') >= 1"
[ "$(jqr "$R" '.errors.closed.count')" -eq 0 ] || fail "4409 counted as closed: $(jq -c '.errors' "$R")"
jqr "$R" '.errors.close_4409.samples[0]' | grep -q 'code 4409' ||
  fail "sample: $(jqr "$R" '.errors.close_4409.samples[0]')"
jqr "$R" '.assertions[0].text' | grep -q close_4409
[ "$(jqr "$R" '.assertions[0].passed')" = false ] || fail "errors.close_4409 == 0 passed"
pass "reused id: $(jqr "$R" '.errors.close_4409.count') x close_4409"

run_wsgate "$WORK/err" run "$DATA/it/graphql_error.yaml" --target "$T"
expect_rc 1
R="$WORK/err/result.json"
check "$(step "$R" bad failed) >= 1"
[ "$(step "$R" bad ok)" -eq 0 ] || fail "a bad query passed"
check "$(step "$R" good ok) >= 1"
jqr "$R" '.errors.protocol.samples[0]' | grep -q 'GraphQL error: Cannot query field' ||
  fail "sample: $(jqr "$R" '.errors.protocol.samples[0]')"
pass "error message: $(step "$R" bad failed) failed, '$(jqr "$R" '.errors.protocol.samples[0]' | head -c 120)'"

run_wsgate "$WORK/nexterr" run "$DATA/it/graphql_next_error.yaml" --target "$T"
expect_rc 1
R="$WORK/nexterr/result.json"
check "$(step "$R" broken failed) >= 1"
[ "$(step "$R" broken ok)" -eq 0 ] || fail "a next with errors passed its step"
check "$(step "$R" good ok) >= 1"
jqr "$R" '.errors.protocol.samples[0]' | grep -q 'GraphQL error in next: boom: the resolver failed' ||
  fail "sample: $(jqr "$R" '.errors.protocol.samples[0]')"
pass "errors in next: $(step "$R" broken failed) failed, '$(jqr "$R" '.errors.protocol.samples[0]' | head -c 120)'"

sed -e 's/duration: 8s/duration: 3s/' "$SRC/specs/graphql.yaml" >"$WORK/kill.yaml"
set +e
"$WSGATE" run "$WORK/kill.yaml" --target "$T" --out "$WORK/kill" >"$WORK/stdout" 2>"$WORK/stderr" &
RUN_PID=$!
sleep 1.5
stop_server
wait "$RUN_PID"
RC=$?
set -e
expect_rc 1
R="$WORK/kill/result.json"
for f in result.json junit.xml summary.md; do [ -s "$WORK/kill/$f" ] || fail "no $f after the kill"; done
check "$(step "$R" connect ok) >= 6"
check "$(jqr "$R" '.errors.reset.count + .errors.closed.count + .errors.refused.count') >= 1"
pass "server killed: exit 1, reports written, errors $(jq -c '[.errors | to_entries[] | select(.value.count > 0) | {(.key): .value.count}] | add' "$R")"

start_listener graphql2 node "$GQL/server.js" 0
T="ws://127.0.0.1:$LISTEN_PORT"
sed -e 's/duration: 8s/duration: 3s/' -e 's/protocol: graphql$/protocol: graphql-apollo/' \
  -e 's/, ping_interval: 2s//' -e 's#/graphql"#/apollo"#' -e 's/type == "next"/type == "data"/' \
  "$SRC/specs/graphql.yaml" >"$WORK/apollo.yaml"
grep -q 'protocol: graphql-apollo' "$WORK/apollo.yaml" || fail "apollo.yaml: no protocol line"
run_wsgate "$WORK/apollo" run "$WORK/apollo.yaml" --target "$T"
expect_rc 0
R="$WORK/apollo/result.json"
[ "$(jqr "$R" '[.errors[] | .count] | add')" -eq 0 ] || fail "apollo errors: $(jq -c '.errors' "$R")"
[ "$(step "$R" msgs ok)" -eq 3 ] || fail "apollo: subscriptions timed to their first data"
check "$(step "$R" post.complete ok) >= 5"
check "$(step "$R" fan-out ok) >= $(step "$R" post ok)"
check "$(grep -c '^client stop ' "$WORK/graphql2.out") >= 3"
sed -e 's/protocol: graphql$/protocol: graphql-apollo/' -e 's#/graphql"#/apollo"#' \
  "$DATA/it/graphql_error.yaml" >"$WORK/apollo_err.yaml"
run_wsgate "$WORK/aerr" run "$WORK/apollo_err.yaml" --target "$T"
expect_rc 1
R="$WORK/aerr/result.json"
[ "$(step "$R" bad ok)" -eq 0 ] || fail "apollo: a bad query passed"
check "$(step "$R" good ok) >= 1"
jqr "$R" '.errors.protocol.samples[0]' | grep -q 'GraphQL error: Cannot query field' ||
  fail "apollo sample: $(jqr "$R" '.errors.protocol.samples[0]')"
pass "graphql-apollo: $(step "$WORK/apollo/result.json" post ok) mutations, $(grep -c '^client stop ' "$WORK/graphql2.out") stops at the end, bad field failed"
