# The per-second series goes to disk while a run goes on: the spool is an
# unlinked file in $TMPDIR (the run holds it open, the directory stays
# empty, before, during and after), and result.json's series comes back
# whole from it (one entry a second, the per-second publishes adding up to
# the step's total, `report` rendering the same files again). A $TMPDIR
# where no file can be made fails the run at its start: exit 3, the
# directory and what to do named on one line.
# ctest: parallel
. "$(dirname "$0")/lib.sh"
STEP="publish chat message"
sed -e 's/^name: chat-11s/name: spool/' -e 's/duration: 11s/duration: 5s/' \
  "$DATA/it/chat-11s.yaml" >"$WORK/spool.yaml"
mkdir "$WORK/tmp"

TMPDIR="$WORK/tmp" "$WSGATE" run "$WORK/spool.yaml" --serve --threads 2 --quiet --out "$WORK/out" \
  >"$WORK/stdout" 2>"$WORK/stderr" &
WPID=$!
spooled=""
for _ in $(seq 1 40); do
  sleep 0.1
  for fd in /proc/$WPID/fd/*; do
    target=$(readlink "$fd" 2>/dev/null || true)
    case "$target" in "$WORK/tmp/wsgate-series."*" (deleted)") spooled=$target ;; esac
  done
  [ -n "$spooled" ] && break
done
[ -n "$spooled" ] || fail "no unlinked spool file open in $WORK/tmp: $(ls -l /proc/$WPID/fd 2>&1 | head -20)"
[ -z "$(ls -A "$WORK/tmp")" ] || fail "the spool has a name during the run: $(ls -A "$WORK/tmp")"
set +e; wait "$WPID"; RC=$?; set -e
expect_rc 0
[ -z "$(ls -A "$WORK/tmp")" ] || fail "left in TMPDIR: $(ls -A "$WORK/tmp")"

n=$(jqr "$WORK/out/result.json" '.series | length')
check "$n >= 5 && $n <= 8"
sum=$(jq --arg s "$STEP" '[.series[].steps[$s].count // 0] | add' "$WORK/out/result.json")
total=$(jqr "$WORK/out/result.json" ".steps[] | select(.name == \"$STEP\") | .ok")
[ "$sum" -eq "$total" ] || fail "per-second publishes add up to $sum, result.json says $total"
check "$total > 100"
"$WSGATE" report "$WORK/out/result.json" --out "$WORK/again" >/dev/null 2>"$WORK/stderr" \
  || fail "report: $(cat "$WORK/stderr")"
for f in result.json report.html results.csv; do
  [ ! -f "$WORK/out/$f" ] || cmp -s "$WORK/out/$f" "$WORK/again/$f" || fail "$f rendered again differs"
done
pass "series spooled in an unlinked file and read back whole ($n seconds, $total publishes)"

TMPDIR="$WORK/nowhere" run_wsgate "$WORK/out2" run "$WORK/spool.yaml" --serve --quiet
expect_rc 3
grep -q "$WORK/nowhere.*TMPDIR" "$WORK/stderr" || fail "message: $(cat "$WORK/stderr")"
[ "$(wc -l <"$WORK/stderr")" -eq 1 ] || fail "more than one line: $(cat "$WORK/stderr")"
pass "a TMPDIR that cannot take the spool: exit 3 with one line"
