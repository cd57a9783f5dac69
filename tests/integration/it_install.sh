# ci/install.sh, the installer of the GitHub action and the GitLab template,
# offline: a release directory served as file:// holding a tarball with the
# release's layout (wsgate-VERSION-linux-x86_64/bin/wsgate, here the wsgate
# under test; tests/package/bundle_check.sh proves the real tarball's
# libraries) and the .sha256 file release.yml publishes. It installs and the
# installed wsgate runs; a second run reuses it; a wrong checksum, a missing
# .sha256, a tarball of another version and an unset version each exit 1
# with one clear line and install nothing.
# ctest: parallel
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || { echo "skip: needs curl"; exit 77; }
INSTALL=$SRC/ci/install.sh
version=$("$WSGATE" --version | awk '{print $2}')
name=wsgate-$version-linux-x86_64

# release DIR VERSION_INSIDE: a release directory whose tarball holds a
# wsgate printing VERSION_INSIDE, with its .sha256.
release() {
  local dir=$1 inside=$2
  mkdir -p "$dir/stage/$name/bin" "$dir/stage/$name/lib"
  if [ "$inside" = "$version" ]; then
    cp "$WSGATE" "$dir/stage/$name/bin/wsgate"
  else
    printf '#!/bin/sh\necho "wsgate %s"\n' "$inside" > "$dir/stage/$name/bin/wsgate"
    chmod +x "$dir/stage/$name/bin/wsgate"
  fi
  tar -czf "$dir/$name.tar.gz" -C "$dir/stage" "$name"
  (cd "$dir" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
}

# install URL DEST [VERSION]: runs the installer; stdout in $WORK/out,
# stderr in $WORK/err, exit status in RC.
install() {
  set +e
  env -u RUNNER_TOOL_CACHE WSGATE_VERSION="${3-v$version}" WSGATE_DOWNLOAD_URL="$1" \
    WSGATE_INSTALL_DIR="$2" HOME="$WORK/home" sh "$INSTALL" >"$WORK/out" 2>"$WORK/err"
  RC=$?
  set -e
}

# nothing_installed DEST: no wsgate tree and no leftover download in DEST.
nothing_installed() {
  [ -z "$(ls -A "$1" 2>/dev/null)" ] || fail "something was installed in $1: $(ls -A "$1")"
}

release "$WORK/rel" "$version"
install "file://$WORK/rel" "$WORK/tc"
[ "$RC" -eq 0 ] || fail "install exit $RC: $(cat "$WORK/err")"
bin=$(cat "$WORK/out")
[ "$bin" = "$WORK/tc/$name/bin" ] || fail "install printed '$bin', want $WORK/tc/$name/bin"
[ "$(PATH="$bin:/usr/bin:/bin" wsgate --version)" = "wsgate $version" ] || fail "the installed wsgate does not run"
PATH="$bin:/usr/bin:/bin" wsgate validate "$SRC/specs/chat.yaml" >/dev/null || fail "the installed wsgate cannot validate chat.yaml"
[ -z "$(ls -A "$WORK/tc" | grep -v "^$name$")" ] || fail "leftovers in the install dir: $(ls -A "$WORK/tc")"
pass "installed $name from file:// into $WORK/tc; wsgate --version runs"

# A second run reuses the installed one (no download: the release is gone).
mv "$WORK/rel" "$WORK/rel.moved"
install "file://$WORK/rel" "$WORK/tc"
[ "$RC" -eq 0 ] && [ "$(cat "$WORK/out")" = "$bin" ] || fail "reinstall exit $RC: $(cat "$WORK/err")"
grep -q "already in" "$WORK/err" || fail "reinstall did not say it reused: $(cat "$WORK/err")"
mv "$WORK/rel.moved" "$WORK/rel"
pass "a second install reuses $bin"

# A checksum that does not match: exit 1, one line naming both sums.
cp -r "$WORK/rel" "$WORK/bad"
echo "0000000000000000000000000000000000000000000000000000000000000000  $name.tar.gz" > "$WORK/bad/$name.tar.gz.sha256"
install "file://$WORK/bad" "$WORK/tc-bad"
[ "$RC" -eq 1 ] || fail "wrong checksum: exit $RC, want 1"
[ "$(wc -l < "$WORK/err")" -eq 1 ] || fail "wrong checksum: want one line, got: $(cat "$WORK/err")"
grep -q "checksum mismatch for file://$WORK/bad/$name.tar.gz: sha256 $(cut -d' ' -f1 "$WORK/rel/$name.tar.gz.sha256"), its .sha256 says 0000000000000000000000000000000000000000000000000000000000000000; nothing installed" "$WORK/err" ||
  fail "wrong checksum: unclear message: $(cat "$WORK/err")"
[ ! -s "$WORK/out" ] || fail "wrong checksum printed a directory: $(cat "$WORK/out")"
nothing_installed "$WORK/tc-bad"
pass "a wrong checksum exits 1: $(cat "$WORK/err")"

# No .sha256 beside the tarball: refused, not installed unchecked.
rm "$WORK/bad/$name.tar.gz.sha256"
install "file://$WORK/bad" "$WORK/tc-nosum"
[ "$RC" -eq 1 ] && grep -q "cannot download file://$WORK/bad/$name.tar.gz and its .sha256" "$WORK/err" ||
  fail "missing .sha256: exit $RC: $(cat "$WORK/err")"
nothing_installed "$WORK/tc-nosum"
pass "a missing .sha256 exits 1"

# A tarball whose wsgate is another version than asked for.
release "$WORK/other" "9.9.9"
install "file://$WORK/other" "$WORK/tc-other"
[ "$RC" -eq 1 ] && grep -q "does not hold a wsgate $version that runs here" "$WORK/err" ||
  fail "wrong version inside: exit $RC: $(cat "$WORK/err")"
nothing_installed "$WORK/tc-other"
pass "a tarball of another version exits 1"

# No version.
install "file://$WORK/rel" "$WORK/tc-nov" ""
[ "$RC" -eq 1 ] && grep -q "WSGATE_VERSION is ''; set a released version" "$WORK/err" ||
  fail "no version: exit $RC: $(cat "$WORK/err")"
nothing_installed "$WORK/tc-nov"
pass "no version exits 1"
