# Each knob of `wsgate serve` turns the matching assertion of the specs in
# specs/ red (exit 1), and the observed value in result.json and junit.xml
# shows why; --broadcasts-before-ack, on the contrary, must change nothing:
# the ack latency is still measured to the ack. The specs are shortened to
# a few seconds (same users) and pointed at the server with --target.
. "$(dirname "$0")/lib.sh"

# shorten SPEC SECONDS: a copy of specs/SPEC.yaml whose load lasts SECONDS
# with a 1 s ramp.
shorten() {
  local dst="$WORK/$1-$2s.yaml"
  sed -E -e "s/^  duration: [0-9]+s/  duration: ${2}s/" -e 's/^  ramp_up: [0-9]+s/  ramp_up: 1s/' \
    "$SRC/specs/$1.yaml" >"$dst"
  grep -qE "^  duration: ${2}s" "$dst" || fail "specs/$1.yaml: no '  duration: Ns' line to shorten"
  echo "$dst"
}

# knob_run NAME SPEC SECONDS SERVE-OPTIONS...: starts the server with the
# options, runs the shortened spec against it into $WORK/NAME, stops it.
knob_run() {
  local name=$1 spec
  spec=$(shorten "$2" "$3")
  shift 3
  start_server "$@"
  run_wsgate "$WORK/$name" run "$spec" --target "ws://127.0.0.1:$SERVER_PORT" --seed 5 --quiet
  stop_server
  R="$WORK/$name/result.json"
}

# field of the assertion whose text starts with $1
asrt() { jqr "$R" ".assertions[] | select(.text | startswith(\"$1\")) | $2"; }
step() { jqr "$R" ".steps[] | select(.name==\"$1\") | $2"; }
# red ASSERTION-PREFIX: that assertion failed, and junit.xml carries its observed value
red() {
  [ "$(asrt "$1" .passed)" = false ] || fail "$1 passed: $(jq -c .assertions "$R")"
  local obs msg
  obs=$(asrt "$1" .observed_text)
  msg=$(xmllint --xpath "string(//testcase[starts-with(@name,'$1')]/failure/@message)" "$(dirname "$R")/junit.xml")
  case "$msg" in *"observed $obs,"*) ;; *) fail "junit failure of $1 lacks \"observed $obs\": $msg" ;; esac
}
# failed_only PREFIX...: exactly these assertions failed
failed_only() {
  local got want
  got=$(jq -r '[.assertions[] | select(.passed == false) | .text] | sort | join("|")' "$R")
  want=$(for p in "$@"; do jq -r --arg p "$p" '.assertions[] | select(.text | startswith($p)) | .text' "$R"; done | sort | paste -sd'|')
  [ -n "$want" ] && [ "$got" = "$want" ] || fail "failed assertions [$got], expected [$want]"
}

# --ack-delay: every reply 400 ms late. The edit ack p95 (< 300 ms) goes red
# with the delay as observed value; the join and resume replies too; the
# pushes relayed to other editors do not wait, so their latency stays low.
knob_run ack-delay collaboration 6 --ack-delay 400ms
expect_rc 1
red "p95(apply document operation)"
check "$(asrt 'p95(apply document operation)' .observed) >= 399 && $(asrt 'p95(apply document operation)' .observed) < 460"
red "p50(join document)"
check "$(step 'join document' .latency_us.p50) >= 399000"
check "$(step 'remote operation' .latency_us.p95) < 100000"
failed_only "p95(apply document operation)" "p50(join document)" "p95(resume session)"
pass "ack delay 400ms: apply p95 $(asrt 'p95(apply document operation)' .observed_text), join p50 $(step 'join document' .latency_us.p50) us"

# --refuse-auth: every upgrade gets 401; connect.success_rate observes 0%,
# every attempt is an http_status error naming 401, nothing else ran.
knob_run refuse-auth chat 3 --refuse-auth
expect_rc 1
red "connect.success_rate"
[ "$(asrt connect.success_rate .observed)" = 0 ] || fail "connect success rate $(asrt connect.success_rate .observed)"
[ "$(step connect .ok)" -eq 0 ] || fail "connects succeeded"
att=$(step connect .failed)
check "$att >= 50"
[ "$(jqr "$R" .errors.http_status.count)" -eq "$att" ] || fail "http_status errors != failed connects"
jqr "$R" '.errors.http_status.samples[0]' | grep -q 401 || fail "sample lacks 401: $(jq -c .errors.http_status "$R")"
[ "$(step 'subscribe room' .ok)" -eq 0 ] || fail "subscribed without a connection"
pass "refuse auth: $att attempts, success rate $(asrt connect.success_rate .observed_text)"

# --drop-after/--drop-fraction: half the quote connections are dropped by
# the server 1 s after they open: a 1001 close frame counts as
# errors.closed, a cut without a close frame (--drop-abrupt) as
# errors.reset. The assertion on that kind goes red with the count, the
# other kind stays 0, and the user connects again after 1 s, so connects
# exceed users.
for mode in close abrupt; do
  extra="" kind=closed other=reset sample='closed by the server (code 1001)'
  if [ "$mode" = abrupt ]; then
    extra=--drop-abrupt kind=reset other=closed sample='dropped without a close frame'
  fi
  knob_run "drop-$mode" market-data 5 --drop-after 1s --drop-fraction 0.5 $extra
  expect_rc 1
  red "errors.$kind == 0"
  n=$(jqr "$R" ".errors.$kind.count")
  [ "$(asrt "errors.$kind" .observed)" = "$n" ] || fail "observed != errors.$kind.count"
  check "$n >= 5"
  [ "$(jqr "$R" ".errors.$other.count")" -eq 0 ] || fail "$mode drops counted as $other: $(jq -c .errors "$R")"
  jqr "$R" ".errors.$kind.samples[0]" | grep -qF "$sample" || fail "$kind sample: $(jq -c ".errors.$kind" "$R")"
  con=$(step connect .ok)
  check "$con > 50 && $con <= 50 + $n"
  check "$(step 'subscribe market streams' .ok) == $con"
  failed_only "errors.$kind"
  pass "drop ($mode): $n $kind, $con connects for 50 users"
done

# --quote-rate 2 instead of 10: the push rate assertion (>= 300/s) goes red
# with about 50 users x 2/s as observed; push latency is unaffected.
knob_run quote-rate market-data 5 --quote-rate 2
expect_rc 1
red "rate(quote push)"
rate=$(asrt 'rate(quote push)' .observed)
check "$rate > 50 && $rate < 110"
check "$(step 'quote push' .ok) <= 50 * 2 * 5 + 50"
failed_only "rate(quote push)"
pass "quote rate 2/s: push rate $(asrt 'rate(quote push)' .observed_text)"

# --broadcasts-before-ack 5 with a 100 ms ack delay: five unrelated
# broadcasts precede every reply. Ack latency is still measured to the ack
# (p50 near 100 ms, not ~0 from the first broadcast), nothing fails, and
# the broadcasts are received and counted as traffic.
knob_run broadcasts chat 4 --broadcasts-before-ack 5 --ack-delay 100ms
expect_rc 0
for s in "subscribe room" "publish chat message"; do
  p50=$(step "$s" .latency_us.p50)
  check "$p50 >= 99000 && $p50 < 140000"
  [ "$(step "$s" .failed)" -eq 0 ] || fail "$s failures"
done
[ "$(jqr "$R" '[.errors[] | .count] | add')" -eq 0 ] || fail "errors: $(jq -c '.errors | map_values(.count)' "$R")"
replies=$(( $(step 'subscribe room' .ok) + $(step 'publish chat message' .ok) ))
check "$(jqr "$R" .messages.received) >= 6 * $replies"
pass "broadcasts before ack: publish p50 $(step 'publish chat message' .latency_us.p50) us, $(jqr "$R" .messages.received) received for $replies replies"

# --push-interval 3s instead of 1s: the notification event rate (>= 35/s)
# goes red with about 50 users / 3 s as observed; event latency, heartbeats
# and logins are unaffected.
if [ -f "$SRC/specs/notifications.yaml" ]; then
  knob_run push-interval notifications 7 --push-interval 3s
  expect_rc 1
  red "rate(server event)"
  rate=$(asrt 'rate(server event)' .observed)
  check "$rate > 8 && $rate < 25"
  failed_only "rate(server event)"
  [ "$(step login .ok)" -eq 50 ] || fail "logins"
  pass "push interval 3s: event rate $(asrt 'rate(server event)' .observed_text)"
fi
