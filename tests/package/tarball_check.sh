#!/usr/bin/env bash
# The tarball is relocatable: unpacked into a fresh directory elsewhere, its
# bin/wsgate runs from another working directory, its man page and examples
# sit beside it, and nothing in it points back at the build tree. Needs the
# runtime libraries installed (as the tarball's INSTALL says). Quick (about
# 10 s), but not in CI: it checks the output of ./setup.sh package.
#
#   ./setup.sh package && tests/package/tarball_check.sh [dist/wsgate-VERSION-linux-x86_64.tar.gz]
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$(pwd)
tgz=${1:-$(ls dist/wsgate-*-linux-x86_64.tar.gz 2>/dev/null | head -1)}
[ -n "$tgz" ] && [ -f "$tgz" ] || { echo "tarball_check: no tarball; run ./setup.sh package first" >&2; exit 2; }
tgz=$(realpath "$tgz")

work=$(mktemp -d /tmp/wsgate-tarball-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/opt" "$work/elsewhere"
tar -xzf "$tgz" -C "$work/opt"
top=$(ls "$work/opt")
root=$work/opt/$top
for f in bin/wsgate share/man/man1/wsgate.1.gz share/doc/wsgate/examples/chat.yaml share/doc/wsgate/INSTALL; do
  [ -e "$root/$f" ] || { echo "tarball_check: $top/$f missing" >&2; exit 1; }
done
if readelf -d "$root/bin/wsgate" | grep -Eq 'R(UN)?PATH'; then
  echo "tarball_check: bin/wsgate has an RPATH/RUNPATH" >&2; exit 1
fi
if grep -q "$src" "$root/bin/wsgate"; then
  echo "tarball_check: bin/wsgate names the build tree $src" >&2; exit 1
fi

cd "$work/elsewhere"
sed -e 's/^  duration: .*/  duration: 4s/' -e 's/^  ramp_up: .*/  ramp_up: 1s/' \
  "$root/share/doc/wsgate/examples/chat.yaml" > chat.yaml
env -i PATH=/usr/bin:/bin "$root/bin/wsgate" --version
env -i PATH=/usr/bin:/bin "$root/bin/wsgate" run chat.yaml --serve --out out --quiet
grep -Eq '"verdict":[[:space:]]*"pass"' out/result.json
man -l "$root/share/man/man1/wsgate.1.gz" 2>/dev/null | grep -q 'wsgate merge' ||
  { echo "tarball_check: the man page does not render" >&2; exit 1; }
echo "tarball_check: pass: $(basename "$tgz") unpacked in $work/opt ran chat.yaml from $work/elsewhere"
