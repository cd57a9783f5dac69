# The runnable specs in specs/: every one validates, runs against the
# embedded server (shortened: the same users over a few seconds) and exits
# 0, and every metric its assertions name was produced: each assertion has
# an observed number, and each named step has successful samples (latency
# samples too when the assertion is on a latency).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/spec_checks.sh"

set +e
"$WSGATE" validate "$SRC"/specs/*.yaml >"$WORK/validate.out" 2>&1
RC=$?
set -e
[ "$RC" -eq 0 ] || fail "validate specs/*.yaml exit $RC: $(cat "$WORK/validate.out")"
[ "$(grep -c ': ok (' "$WORK/validate.out")" -eq "$(ls "$SRC"/specs/*.yaml | wc -l)" ] ||
  fail "validate did not report every spec ok: $(cat "$WORK/validate.out")"

# run_spec NAME SECONDS: runs the shortened spec, checks exit 0 and metrics.
run_spec() {
  local spec r
  spec=$(shorten "$SRC/specs/$1.yaml" "$2")
  run_wsgate "$WORK/$1" run "$spec" --seed 7 --quiet
  expect_rc 0
  r="$WORK/$1/result.json"
  [ "$(jqr "$r" .verdict)" = pass ] || fail "$1: verdict $(jqr "$r" .verdict)"
  [ "$(jqr "$r" '.assertions | length')" -ge 5 ] || fail "$1: fewer than 5 assertions"
  check_metrics "$r"
  [ "$(jqr "$r" '[.errors[] | .count] | add')" -eq 0 ] || fail "$1: errors $(jq -c '.errors | map_values(.count)' "$r")"
  pass "$1: exit 0, $(jqr "$r" '.assertions | length') assertions, steps $(jq -c '[.steps[] | "\(.name)=\(.ok)"] | join(", ")' "$r")"
}

run_spec market-data 6
# market data: the quote stream is counted at the configured rate and the
# snapshot arrives once per terminal
r="$WORK/market-data/result.json"
users=$(jqr "$r" .users_planned)
[ "$(jqr "$r" '.steps[] | select(.name=="receive quote snapshot") | .ok')" -eq "$users" ] || fail "one snapshot per terminal"
check "$(jqr "$r" '.steps[] | select(.name=="quote push") | .ok') >= $users * 10 * 4"

run_spec collaboration 8
# collaboration: reconnects resumed, and every reconnect is also a connect
r="$WORK/collaboration/result.json"
rec=$(jqr "$r" '.steps[] | select(.name=="reconnect") | .ok')
[ "$(jqr "$r" '.steps[] | select(.name=="resume session") | .ok')" -eq "$rec" ] || fail "a reconnect was not resumed"
[ "$(jqr "$r" '.steps[] | select(.name=="connect") | .ok')" -eq $((rec + $(jqr "$r" .users_planned))) ] || fail "connects != users + reconnects"

run_spec mixed 10
# mixed: each scenario got its share of the users (3 : 2 : 1 of 60)
r="$WORK/mixed/result.json"
[ "$(jqr "$r" '.steps[] | select(.name=="subscribe room") | .ok')" -eq 30 ] || fail "mixed: chatters != 30"
[ "$(jqr "$r" '.steps[] | select(.name=="subscribe market streams") | .ok')" -eq 20 ] || fail "mixed: terminals != 20"
[ "$(jqr "$r" '.steps[] | select(.name=="join document") | .ok')" -eq 10 ] || fail "mixed: editors != 10"

if [ -f "$SRC/specs/notifications.yaml" ]; then
  run_spec notifications 8
fi
