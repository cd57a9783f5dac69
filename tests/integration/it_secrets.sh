# Secrets never leak: a bearer header and query tokens appear in no report,
# not on stdout or stderr, not in the GitHub step summary, which is appended.
# ctest: parallel
. "$(dirname "$0")/lib.sh"
export WSGATE_TEST_SECRET="s3cr3t-$RANDOM-value"
export GITHUB_STEP_SUMMARY="$WORK/step-summary.md"
echo "# earlier step" >"$GITHUB_STEP_SUMMARY"
run_wsgate "$WORK/ok" run "$DATA/it/secrets.yaml" --serve
expect_rc 0
cat "$WORK/stdout" "$WORK/stderr" >"$WORK/ok/console.txt"
# a target carrying a token of its own, against a closed port: errors too
run_wsgate "$WORK/bad" run "$DATA/it/url-only.yaml" --target "ws://127.0.0.1:9/?access_token=$WSGATE_TEST_SECRET"
expect_rc 1
cat "$WORK/stdout" "$WORK/stderr" >"$WORK/bad/console.txt"
jqr "$WORK/bad/result.json" '.target' | grep -qF 'access_token=***' || fail "target not redacted"
if grep -rlF "$WSGATE_TEST_SECRET" "$WORK/ok" "$WORK/bad" "$GITHUB_STEP_SUMMARY"; then
  fail "the secret leaked into the files above"
fi
# the step summary kept what was there and got both runs appended
head -n1 "$GITHUB_STEP_SUMMARY" | grep -q "earlier step" || fail "step summary overwritten"
[ "$(grep -c '^### ' "$GITHUB_STEP_SUMMARY")" -eq 2 ] || fail "expected two appended summaries"
grep -q "secrets passed" "$GITHUB_STEP_SUMMARY" || fail "no verdict in the step summary"
pass "no secret in any output; step summary appended twice"
