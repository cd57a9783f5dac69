# The runnable specs in specs/: every one validates, runs against the
# embedded server (shortened: the same users over a few seconds) and exits
# 0, and every metric its assertions name was produced: each assertion has
# an observed number, and each named step has successful samples (latency
# samples too when the assertion is on a latency).
. "$(dirname "$0")/lib.sh"

set +e
"$WSGATE" validate "$SRC"/specs/*.yaml >"$WORK/validate.out" 2>&1
RC=$?
set -e
[ "$RC" -eq 0 ] || fail "validate specs/*.yaml exit $RC: $(cat "$WORK/validate.out")"
[ "$(grep -c ': ok (' "$WORK/validate.out")" -eq "$(ls "$SRC"/specs/*.yaml | wc -l)" ] ||
  fail "validate did not report every spec ok: $(cat "$WORK/validate.out")"

# shorten SPEC SECONDS: a copy of SPEC whose load lasts SECONDS with a 1 s
# ramp; fails when the spec's load block is not in the expected shape.
shorten() {
  local src=$1 secs=$2 dst
  dst="$WORK/$(basename "$1")"
  sed -E -e "s/^  duration: [0-9]+s/  duration: ${secs}s/" -e 's/^  ramp_up: [0-9]+s/  ramp_up: 1s/' "$src" >"$dst"
  grep -qE "^  duration: ${secs}s" "$dst" || fail "$(basename "$src"): no '  duration: Ns' line to shorten"
  grep -qE '^  ramp_up: 1s' "$dst" || fail "$(basename "$src"): no '  ramp_up: Ns' line to shorten"
  echo "$dst"
}

# check_metrics RESULT: every assertion observed a value, and every step an
# assertion names has samples of the kind the assertion reads.
check_metrics() {
  local r=$1 bad
  bad=$(jq -r '.assertions[] | select(.observed == null) | .text' "$r")
  [ -z "$bad" ] || fail "assertions without an observed value: $bad"
  bad=$(jq -r '
    . as $res
    | .assertions[].text
    | (capture("^(?<agg>[a-z0-9.]+)\\((?<m>[^)]+)\\)") //
       capture("^(?<m>.+)\\.(?<agg>success_rate|count|failures|rate)\\b"))
    | select(.m | test("^(errors|messages|connections)$") | not)
    | . as $a
    | ([$res.steps[] | select(.name == $a.m)][0]) as $s
    | if $s == null then "no step \($a.m)"
      elif $s.ok < 1 then "step \($a.m): no successes"
      elif ($a.agg | test("^(p[0-9.]+|avg|min|max)$")) and $s.latency_us.count < 1 then "step \($a.m): no latency samples"
      else empty end' "$r")
  [ -z "$bad" ] || fail "$bad"
}

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
