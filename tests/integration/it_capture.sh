# expect.capture and count capture: a field of a matched WebSocket message
# goes into a per-user variable that later templates use. Each chat publish
# carries the id captured from the previous ack, and the predicates name
# the exact ids the chain must produce (an empty or stale value times out),
# one of them through a predicate that is a template ('id == "{{prev}}/u{{vu.id}}"');
# resume_session sends the sequence captured from operation_applied, which
# the server echoes as lastSequence (>= 1, nothing missed). A capture that
# finds nothing fails its step with a protocol error naming the field.
. "$(dirname "$0")/lib.sh"
start_server
run_wsgate "$WORK/out" run "$DATA/it/capture.yaml" --target "ws://127.0.0.1:$SERVER_PORT" --quiet
stop_server
expect_rc 0
R="$WORK/out/result.json"
step() { jqr "$R" ".steps[] | select(.name==\"$1\") | .$2"; }
n=$(step first ok)
check "$n >= 3"
for s in second templated third "from count" edit resume; do
  [ "$(step "$s" failed)" -eq 0 ] || fail "$s failed: $(jq -c .errors "$R")"
done
check "$(step templated ok) >= $n - 1"
check "$(step second ok) >= $n - 1 && $(step third ok) >= $n - 1 && $(step 'from count' ok) >= $n - 1"
check "$(step resume ok) >= 3 && $(step resume ok) >= $(step edit ok) - 1"
[ "$(step 'capture nothing' failed)" -eq 1 ] || fail "a capture that found nothing did not fail its step"
[ "$(jqr "$R" .errors.protocol.count)" -eq 1 ] || fail "protocol errors: $(jq -c .errors.protocol "$R")"
jqr "$R" '.errors.protocol.samples[0]' | grep -q "capture nothing: capture no_such_field found no" \
  || fail "sample: $(jqr "$R" '.errors.protocol.samples[0]')"
[ "$(jqr "$R" '.errors.timeout.count')" -eq 0 ] || fail "timeouts: $(jq -c .errors.timeout "$R")"
pass "capture: $n chains of 4 publishes, $(step resume ok) resumes with the captured sequence"
