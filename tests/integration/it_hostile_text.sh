# Hostile bytes in the CI variables and --region of a live run (U+FFFE,
# U+FFFF, a stray continuation byte, the right-to-left override, U+0085, a
# control): junit.xml stays well-formed, every report stays valid UTF-8 with
# none of them raw, and so do the reports of `report` and `merge`.
# ctest: parallel
. "$(dirname "$0")/lib.sh"
sha=$'abc\xef\xbf\xbe\x80\xe2\x80\xae'
ref=$'ref\xef\xbf\xbf\xc2\x85'
region=$'eu\xef\xbf\xbf\xe2\x80\xae\x01-x'

# check_reports DIR: junit.xml parses; no report holds invalid UTF-8 or one
# of the hostile code points raw.
check_reports() {
  local dir=$1 f b
  xmllint --noout "$dir/junit.xml" || fail "$dir/junit.xml is not well-formed"
  for f in junit.xml summary.md report.html result.json; do
    iconv -f UTF-8 -t UTF-8 "$dir/$f" >/dev/null || fail "$dir/$f is not valid UTF-8"
  done
  for f in junit.xml summary.md report.html; do
    for b in $'\xef\xbf\xbe' $'\xef\xbf\xbf' $'\xe2\x80\xae' $'\xc2\x85' $'\x01'; do
      ! LC_ALL=C grep -qF "$b" "$dir/$f" || fail "$dir/$f holds $(printf %s "$b" | od -An -tx1) raw"
    done
  done
}

GITHUB_SHA=$sha GITHUB_REF_NAME=$ref run_wsgate "$WORK/run" run "$DATA/it/fail-if.yaml" --serve \
  --quiet --region "$region"
expect_rc 1
check_reports "$WORK/run"
commit=$(xmllint --xpath 'string(//property[@name="git_commit"]/@value)' "$WORK/run/junit.xml")
[ "$commit" = $'abc\\uFFFE\xef\xbf\xbd\\u202E' ] || fail "git_commit: $commit"
grep -qF 'region eu\uFFFF\u202E\u0001-x' "$WORK/run/summary.md" || fail "summary.md: region"
[ "$(jqr "$WORK/run/result.json" .ci.ref)" = $'ref\xef\xbf\xbf\xc2\x85' ] || fail "result.json: ci.ref"

"$WSGATE" report "$WORK/run/result.json" --out "$WORK/again"
check_reports "$WORK/again"
run_wsgate "$WORK/merged" merge "$WORK/run/result.json" --quiet
expect_rc 1
check_reports "$WORK/merged"
pass "hostile CI variables and region: every report well-formed"
