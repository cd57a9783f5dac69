#!/usr/bin/env bash
# Proves the tarball's bundled libraries: makes a minimal Debian bookworm
# root with mmdebstrap (variant essential: glibc and the essential tools,
# no apt, none of wsgate's libraries, not even libstdc++), checks that they
# are absent, unpacks the tarball there into a directory with spaces in its
# name, and runs its example chat.yaml (shortened to 6 s) with --serve from
# another directory; it must exit 0 with a passing result.json, and the
# process must have mapped its libraries, the libev plugin included, from
# the tarball's lib/ and nothing but glibc from the root.
#
# Needs root and mmdebstrap (apt-get install mmdebstrap) and fetches about
# 15 MB from the Debian mirror; 3 to 7 minutes here, mostly mmdebstrap.
# Not part of CI or ctest.
#
#   ./setup.sh package && tests/package/bundle_check.sh [dist/wsgate-VERSION-linux-x86_64.tar.gz]
set -euo pipefail
cd "$(dirname "$0")/../.."

MIRROR=${MIRROR:-http://deb.debian.org/debian}
tgz=${1:-$(ls dist/wsgate-*-linux-x86_64.tar.gz 2>/dev/null | head -1)}
if [ -z "$tgz" ] || [ ! -f "$tgz" ]; then
  echo "bundle_check: no tarball; run ./setup.sh package first" >&2
  exit 2
fi
command -v mmdebstrap >/dev/null || { echo "bundle_check: needs mmdebstrap (apt-get install mmdebstrap)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "bundle_check: run as root (mmdebstrap's root mode)" >&2; exit 2; }

work=$(mktemp -d /tmp/wsgate-bundle-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$tgz" "$work/wsgate.tar.gz"

# Runs inside the new root.
cat > "$work/inside.sh" <<'INSIDE'
set -eu
for so in libwebsockets.so.17 libwebsockets-evlib_ev.so libcyaml.so.1 libyaml-0.so.2 \
          libcjson.so.1 libxml2.so.2 libssl.so.3 libcrypto.so.3 libev.so.4 libstdc++.so.6; do
  if [ -e "/usr/lib/x86_64-linux-gnu/$so" ] || [ -e "/lib/x86_64-linux-gnu/$so" ]; then
    echo "inside: $so is installed in the root; the check would prove nothing" >&2
    exit 1
  fi
done
dest="/srv/odd place/wsgate here"
mkdir -p "$dest" /tmp/elsewhere
tar -xzf /tmp/wsgate.tar.gz -C "$dest"
root=$(echo "$dest"/wsgate-*-linux-x86_64)
echo "inside: $("$root/bin/wsgate" --version) at $root/bin/wsgate, glibc $(ldd --version | sed -n '1s/.* //p')"
cd /tmp/elsewhere
sed -e 's/^  duration: .*/  duration: 6s/' -e 's/^  ramp_up: .*/  ramp_up: 2s/' \
  "$root/share/doc/wsgate/examples/chat.yaml" > chat.yaml
grep -q '^  duration: 6s' chat.yaml
set +e
"$root/bin/wsgate" run chat.yaml --serve --out out --quiet &
pid=$!
sleep 3
# the path is the sixth field onward (it has spaces)
maps=$(sed -E -n 's/^([^ ]+ +){5}(.*\.so.*)$/\2/p' "/proc/$pid/maps" | sort -u)
wait "$pid"
code=$?
set -e
echo "inside: wsgate run exited $code"
echo "$maps" | sed 's/^/inside: mapped /'
echo "$maps" | grep -Fxq "$root/lib/libwebsockets-evlib_ev.so" ||
  { echo "inside: the libev plugin was not loaded from lib/" >&2; exit 1; }
outside=$(echo "$maps" | grep -vF "$root/lib/" |
  grep -Ev '/(ld-linux-x86-64|libc|libm|libdl|libpthread|libnss_[a-z]+|libresolv)\.so' || true)
if [ -n "$outside" ]; then
  echo "inside: mapped from outside the tarball: $outside" >&2
  exit 1
fi
grep -Eq '"verdict":[[:space:]]*"pass"' out/result.json
exit "$code"
INSIDE

start=$(date +%s)
mmdebstrap --variant=essential --quiet \
  --customize-hook='copy-in "'"$work"'/wsgate.tar.gz" "'"$work"'/inside.sh" /tmp' \
  --customize-hook='chroot "$1" sh /tmp/inside.sh' \
  bookworm /dev/null "$MIRROR"
echo "bundle_check: pass: $(basename "$tgz") ran chat.yaml (exit 0) in a bookworm root without wsgate's libraries in $(( $(date +%s) - start )) s"
