# Reading a result is bounded and its errors say where: /dev/zero and an
# endless pipe stop at the size limit ($WSGATE_MAX_RESULT_MB, default
# 256 MiB) within seconds; a truncated or malformed result.json names
# FILE:LINE:COLUMN; report and merge exit 2 with one line.
. "$(dirname "$0")/lib.sh"

# report_rc ARGS...: runs `wsgate report ARGS` (bounded), sets RC
report_rc() {
  set +e
  timeout 20 "$WSGATE" report "$@" >"$WORK/stdout" 2>"$WORK/stderr"
  RC=$?
  set -e
}

report_rc /dev/zero
expect_rc 2
grep -qxF "wsgate: /dev/zero: larger than 256 MiB (WSGATE_MAX_RESULT_MB raises the limit)" "$WORK/stderr" \
  || fail "/dev/zero: $(cat "$WORK/stderr")"

set +e
yes '{' | WSGATE_MAX_RESULT_MB=1 timeout 20 "$WSGATE" report /dev/stdin >"$WORK/stdout" 2>"$WORK/stderr"
RC=$?
set -e
expect_rc 2
grep -qxF "wsgate: /dev/stdin: larger than 1 MiB (WSGATE_MAX_RESULT_MB raises the limit)" "$WORK/stderr" \
  || fail "pipe: $(cat "$WORK/stderr")"

# a real result, cut after its third line, and one with a stray character
start_server
chat_spec bounds "{users: 2, duration: 1s}" >"$WORK/spec.yaml"
run_wsgate "$WORK/out" run "$WORK/spec.yaml"
expect_rc 0
stop_server
R="$WORK/out/result.json"
head -n 3 "$R" >"$WORK/cut.json"
cols=$(($(sed -n 3p "$R" | wc -c)))   # the third line's bytes + 1: just after its end
report_rc "$WORK/cut.json"
expect_rc 2
grep -qxF "wsgate: $WORK/cut.json:3:$cols: truncated JSON (ends inside an object)" "$WORK/stderr" \
  || fail "truncated: $(cat "$WORK/stderr")"
sed -e '2s/^\(.\)/\1#/' "$R" >"$WORK/bad.json"
set +e
"$WSGATE" merge "$R" "$WORK/bad.json" --out "$WORK/merged" >"$WORK/stdout" 2>"$WORK/stderr"
RC=$?
set -e
expect_rc 2
grep -qF "$WORK/bad.json:2:2: malformed JSON (unexpected '#')" "$WORK/stderr" \
  || fail "malformed: $(cat "$WORK/stderr")"
[ "$(wc -l <"$WORK/stderr")" -eq 1 ] || fail "more than one line: $(cat "$WORK/stderr")"
: >"$WORK/empty.json"
report_rc "$WORK/empty.json"
expect_rc 2
grep -qF "empty file" "$WORK/stderr" || fail "empty: $(cat "$WORK/stderr")"
report_rc "$R"
expect_rc 0
pass "result bounds: /dev/zero and a pipe stop at the limit; truncated and malformed files name the position"
