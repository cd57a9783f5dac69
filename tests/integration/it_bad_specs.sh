# Invalid specs: exit 2, exactly one line on stderr naming file:line and
# what to write instead, nothing run, no output files.
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
CASES

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
