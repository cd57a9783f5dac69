#!/usr/bin/env bash
# Proves the .deb on a machine that never built wsgate: makes a clean Debian
# bookworm root with mmdebstrap (variant apt: essential packages and apt,
# none of wsgate's libraries), installs the .deb there with apt, which must
# pull in its Depends from the Debian mirror, and runs the packaged example
# chat.yaml (shortened to 6 s) with --serve; it must exit 0 with a passing
# result.json.
#
# Slow (a minute or two, about 60 MB from the mirror) and needs root and
# mmdebstrap (apt-get install mmdebstrap): not part of CI or ctest.
#
#   ./setup.sh package && tests/package/install_check.sh [dist/wsgate_VERSION_amd64.deb]
set -euo pipefail
cd "$(dirname "$0")/../.."

MIRROR=${MIRROR:-http://deb.debian.org/debian}
deb=${1:-$(ls dist/wsgate_*_amd64.deb 2>/dev/null | head -1)}
if [ -z "$deb" ] || [ ! -f "$deb" ]; then
  echo "install_check: no .deb; run ./setup.sh package first" >&2
  exit 2
fi
command -v mmdebstrap >/dev/null || { echo "install_check: needs mmdebstrap (apt-get install mmdebstrap)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "install_check: run as root (mmdebstrap's root mode)" >&2; exit 2; }

work=$(mktemp -d /tmp/wsgate-install-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$deb" "$work/wsgate.deb"

# Runs inside the new root after apt installed the .deb.
cat > "$work/inside.sh" <<'INSIDE'
set -eu
echo "inside: $(wsgate --version) at $(command -v wsgate)"
for p in libwebsockets17 libcyaml1 libcjson1 libev4; do
  dpkg-query -W -f='inside: ${Package} ${Version} ${Status}\n' "$p"
done
test -f /usr/share/man/man1/wsgate.1.gz
test -f /usr/share/doc/wsgate/examples/chat.yaml
sed -e 's/^  duration: .*/  duration: 6s/' -e 's/^  ramp_up: .*/  ramp_up: 2s/' \
  /usr/share/doc/wsgate/examples/chat.yaml > /tmp/chat-short.yaml
grep -q '^  duration: 6s' /tmp/chat-short.yaml
cd /tmp
set +e
wsgate run /tmp/chat-short.yaml --serve --out /tmp/out
code=$?
set -e
echo "inside: wsgate run exited $code"
grep -Eq '"verdict":[[:space:]]*"pass"' /tmp/out/result.json
ls /tmp/out
exit "$code"
INSIDE

start=$(date +%s)
mmdebstrap --variant=apt --quiet \
  --customize-hook='copy-in "'"$work"'/wsgate.deb" "'"$work"'/inside.sh" /tmp' \
  --customize-hook='chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/wsgate.deb' \
  --customize-hook='chroot "$1" sh /tmp/inside.sh' \
  bookworm "$work/root.tar" "$MIRROR"
echo "install_check: pass: $deb installed with apt into a clean bookworm root and ran chat.yaml (exit 0) in $(( $(date +%s) - start )) s"
