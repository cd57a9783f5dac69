#!/usr/bin/env bash
# The tarball is relocatable: unpacked into a fresh directory elsewhere, its
# bin/wsgate runs from another working directory, its man page and examples
# sit beside it, its libraries are in lib/ (RUNPATH $ORIGIN/../lib, the
# libwebsockets libev plugin among them, each library resolving inside lib/
# or to glibc), and nothing in it points back at the build tree.
# tests/package/bundle_check.sh runs it where the libraries are not
# installed. Quick (about 10 s), but not in CI: it checks the output of
# ./setup.sh package.
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
runpath=$(readelf -d "$root/bin/wsgate" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
if [ "$runpath" != '$ORIGIN/../lib' ]; then
  echo "tarball_check: bin/wsgate's RUNPATH is '$runpath', want \$ORIGIN/../lib" >&2; exit 1
fi
for f in libwebsockets.so.17 libwebsockets-evlib_ev.so libssl.so.3 libxml2.so.2; do
  [ -f "$root/lib/$f" ] || { echo "tarball_check: $top/lib/$f missing" >&2; exit 1; }
done
# Everything the binary and the plugin load comes from lib/ or is glibc's.
outside=$(ldd "$root/bin/wsgate" "$root/lib/libwebsockets-evlib_ev.so" |
  awk '$2 == "=>" { print $1, $3 }' | grep -v " $root/" |
  grep -Ev '^(libc|libm|libdl|libpthread|librt)\.so' || true)
if [ -n "$outside" ]; then
  echo "tarball_check: loaded from outside lib/:" >&2
  echo "$outside" >&2
  exit 1
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
