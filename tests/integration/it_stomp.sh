# protocol: stomp against a real broker: Debian's RabbitMQ with Web-STOMP,
# started here on free loopback ports in a private directory
# (peers/rabbitmq.sh; skipped with 77 when the package is missing).
#  1. specs/stomp.yaml: publishers SEND with a receipt, subscribers count
#     the fan-out on /topic/x with its latency from the body's ts: 0 errors,
#     exit 0, every user connected (CONNECT/CONNECTED), heart-beats kept
#     the connections open.
#  2. the same with a wrong passcode: every connect fails with the broker's
#     ERROR (kind protocol, "STOMP ERROR: Bad CONNECT" in the sample), exit 1.
#  3. tests/data/it/stomp_frames.yaml: an escaped header and a body holding
#     a NUL byte come back whole.
#  4. tests/data/it/stomp_ack.yaml: an ack: client-individual consumer with
#     prefetch-count 1 gets every message the producer sent, because each
#     MESSAGE is ACKed (without the ACKs the broker stops after one).
#  5. tests/data/it/stomp_nack.yaml: a first delivery matching nack_if is
#     NACKed, so the broker redelivers it with redelivered:true.
# ctest: parallel
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/spec_checks.sh"
. "$(dirname "$0")/peers/rabbitmq.sh"
rabbitmq_start
T="ws://127.0.0.1:$RMQ_STOMP_PORT"
step() { jqr "$1" ".steps[] | select(.name==\"$2\") | .$3"; }

run_wsgate "$WORK/ok" run "$SRC/specs/stomp.yaml" --target "$T"
expect_rc 0
R="$WORK/ok/result.json"
check_metrics "$R"
[ "$(jqr "$R" '[.errors[] | .count] | add')" -eq 0 ] || fail "errors: $(jq -c '.errors' "$R")"
[ "$(step "$R" connect ok)" -eq 6 ] || fail "connects: $(jq -c '.steps[0]' "$R")"
[ "$(step "$R" subscribe ok)" -eq 3 ] || fail "subscribes (timed to their RECEIPT)"
check "$(step "$R" send ok) >= 30"
check "$(step "$R" fan-out ok) >= $(step "$R" send ok)"
[ "$(step "$R" send failed)" -eq 0 ] || fail "sends without a RECEIPT"
pass "fan-out: $(step "$R" send ok) sends with receipts, $(step "$R" fan-out ok) deliveries, 0 errors"

sed 's/passcode: guest/passcode: wrong/' "$SRC/specs/stomp.yaml" >"$WORK/bad.yaml"
run_wsgate "$WORK/bad" run "$WORK/bad.yaml" --target "$T"
expect_rc 1
R="$WORK/bad/result.json"
[ "$(step "$R" connect ok)" -eq 0 ] || fail "a connect succeeded with a wrong passcode"
check "$(step "$R" connect failed) >= 6"
[ "$(jqr "$R" '.errors.protocol.count')" -eq "$(step "$R" connect failed)" ] ||
  fail "connect failures are not all protocol errors: $(jq -c '.errors' "$R")"
jqr "$R" '.errors.protocol.samples[0]' | grep -q "STOMP ERROR: Bad CONNECT" ||
  fail "sample: $(jqr "$R" '.errors.protocol.samples[0]')"
pass "wrong passcode: $(step "$R" connect failed) x '$(jqr "$R" '.errors.protocol.samples[0]')'"

run_wsgate "$WORK/frames" run "$DATA/it/stomp_frames.yaml" --target "$T"
expect_rc 0
R="$WORK/frames/result.json"
check "$(step "$R" delivered ok) >= 3"
pass "escaped header and NUL body: $(step "$R" delivered ok) round trips"

run_wsgate "$WORK/ack" run "$DATA/it/stomp_ack.yaml" --target "$T"
expect_rc 0
R="$WORK/ack/result.json"
check "$(step "$R" send ok) >= 10"
check "$(step "$R" delivered ok) >= $(step "$R" send ok) - 2"
pass "ack: client-individual with prefetch 1: $(step "$R" delivered ok) of $(step "$R" send ok) delivered"

run_wsgate "$WORK/nack" run "$DATA/it/stomp_nack.yaml" --target "$T"
expect_rc 0
R="$WORK/nack/result.json"
[ "$(step "$R" redelivered ok)" -eq 1 ] || fail "no redelivery after the NACK: $(jq -c '.steps, .errors.timeout' "$R")"
check "$(step "$R" delivered ok) >= 2"
pass "nack_if: NACKed once, redelivered with redelivered:true ($(step "$R" delivered ok) deliveries)"
