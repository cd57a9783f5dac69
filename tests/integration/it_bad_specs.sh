# Invalid specs: exit 2, exactly one line on stderr naming file:line and
# what to write instead, nothing run, no output files.
# ctest: parallel
. "$(dirname "$0")/lib.sh"
B="$DATA/it/bad"
# fixture  expected line  words the message must contain
while IFS='|' read -r file line words; do
  [ -z "$file" ] && continue
  rm -rf "$WORK/out"
  run_wsgate "$WORK/out" run "$B/$file" --serve
  expect_rc 2
  [ "$(wc -l <"$WORK/stderr")" -eq 1 ] || fail "$file: stderr is not one line: $(cat "$WORK/stderr")"
  grep -q "^$B/$file:$line: " "$WORK/stderr" || fail "$file: no '$file:$line:' prefix: $(cat "$WORK/stderr")"
  for w in $words; do grep -qi -- "$w" "$WORK/stderr" || fail "$file: message lacks '$w': $(cat "$WORK/stderr")"; done
  # --out is created only once the spec is accepted: a refused spec writes nothing
  [ ! -e "$WORK/out" ] || fail "$file: output directory was created"
  [ ! -s "$WORK/stdout" ] || fail "$file: printed on stdout"
  pass "$file: $(cat "$WORK/stderr")"
done <<'CASES'
unknown-key.yaml|15|unknown expect_type expect
bad-duration.yaml|8|duration 5s
unknown-metric.yaml|22|unknown "subscribe rom" "subscribe room"
bad-fail-if.yaml|16|fail_if predicate
sleep-and-send.yaml|14|sleep beside own
reconnect-on-start.yaml|12|reconnect task
users-exponent.yaml|5|load.users "1e3" whole 1000
max-attempts-junk.yaml|9|max_attempts "5x" digits
tls-resume-junk.yaml|8|tls_resume "sometimes" true false
connect-url-port.yaml|8|connect.url 99999 1-65535
yaml-tab.yaml|5|tab spaces replace
yaml-quote.yaml|5|close quote opened
yaml-latin1.yaml|5|UTF-8 0xE9 save
CASES

# A bad target is found at load (exit 2, nothing run): the spec's own at its
# line, an override by the flag or variable that carries it.
set +e; "$WSGATE" validate "$B/target-port.yaml" >/dev/null 2>"$WORK/stderr"; RC=$?; set -e
expect_rc 2
grep -q "^$B/target-port.yaml:2: target \"ws://127.0.0.1:99999\": port \"99999\" is not 1-65535" \
  "$WORK/stderr" || fail "target-port: $(cat "$WORK/stderr")"
rm -rf "$WORK/out"
run_wsgate "$WORK/out" run "$B/target-port.yaml"
expect_rc 2
[ ! -e "$WORK/out" ] || fail "target-port: output directory was created"
for t in "ws://127.0.0.1:" "ws://[::1"; do
  run_wsgate "$WORK/out" run "$DATA/it/chat-short.yaml" --target "$t"
  expect_rc 2
  grep -qF -- "--target \"$t\": " "$WORK/stderr" || fail "--target $t: $(cat "$WORK/stderr")"
  [ "$(wc -l <"$WORK/stderr")" -eq 1 ] || fail "--target $t: stderr is not one line"
done
set +e; WSGATE_TARGET="ws://127.0.0.1:99999" "$WSGATE" validate "$DATA/it/chat-short.yaml" \
  >/dev/null 2>"$WORK/stderr"; RC=$?; set -e
expect_rc 2
grep -q 'WSGATE_TARGET "ws://127.0.0.1:99999": port' "$WORK/stderr" || fail "WSGATE_TARGET: $(cat "$WORK/stderr")"
pass "bad targets: $(cat "$WORK/stderr")"

# validate reports the same errors and runs nothing; good specs validate.
set +e; "$WSGATE" validate "$B/bad-duration.yaml" >/dev/null 2>"$WORK/stderr"; RC=$?; set -e
expect_rc 2
set +e; "$WSGATE" validate "$SRC"/specs/*.yaml "$DATA/it/chat-short.yaml" >"$WORK/stdout" 2>"$WORK/stderr"; RC=$?; set -e
expect_rc 0

# usage errors are exit 2 as well
set +e; "$WSGATE" run >/dev/null 2>&1; RC=$?; set -e; expect_rc 2
set +e; "$WSGATE" run "$DATA/it/chat-short.yaml" --threads zero >/dev/null 2>&1; RC=$?; set -e; expect_rc 2
set +e; "$WSGATE" frobnicate >/dev/null 2>&1; RC=$?; set -e; expect_rc 2
set +e; "$WSGATE" run "$WORK/no-such.yaml" >/dev/null 2>"$WORK/stderr"; RC=$?; set -e; expect_rc 2
pass "usage errors"
