# expect.fail_if: a matching message fails the step immediately as
# unexpected_message, with the message in the sample; no timeout waited for.
. "$(dirname "$0")/lib.sh"
t0=$(date +%s%N)
run_wsgate "$WORK/out" run "$DATA/it/fail-if.yaml" --serve
elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_rc 1
R="$WORK/out/result.json"
n=$(jqr "$R" '.errors.unexpected_message.count')
check "$n >= 8"   # 4 users, a try every ~200 ms for 2 s
[ "$(jqr "$R" '.errors.timeout.count')" -eq 0 ] || fail "waited for the timeout"
[ "$(jqr "$R" '.steps[] | select(.name=="bogus action") | .failed')" -eq "$n" ] || fail "failed != unexpected messages"
[ "$(jqr "$R" '.steps[] | select(.name=="bogus action") | .ok')" -eq 0 ] || fail "step counted ok"
jqr "$R" '.errors.unexpected_message.samples[0]' | grep -q 'bogus action: got a message matching .type == "error".: {"type":"error"' \
  || fail "sample: $(jqr "$R" '.errors.unexpected_message.samples[0]')"
check "$elapsed_ms < 8000"   # the 10 s expect timeout was never waited for
pass "fail_if: $n unexpected messages in ${elapsed_ms} ms"
