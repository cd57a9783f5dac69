# Checks shared by the tests that run the specs in specs/ (it_specs.sh
# against wsgate serve, it_foreign_server.sh against another server).
# Source after lib.sh.

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
