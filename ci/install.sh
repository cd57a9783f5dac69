#!/bin/sh
# Installs a released wsgate without compiling: downloads
# wsgate-VERSION-linux-x86_64.tar.gz (x86_64 Linux, glibc >= 2.36; it
# carries its other libraries) and the .sha256 file the release workflow
# publishes beside it, checks the checksum, unpacks it under the tool cache
# and prints the directory holding bin/wsgate's executable (nothing else
# goes to stdout). A version already installed there is reused.
#
#   WSGATE_VERSION       0.1.0 or v0.1.0 (required)
#   WSGATE_REPO          OWNER/NAME of the GitHub repository with the
#                        releases (used when WSGATE_DOWNLOAD_URL is empty)
#   WSGATE_DOWNLOAD_URL  the directory holding the tarball and its .sha256
#                        instead of the release (a mirror; file:// works);
#                        default https://github.com/REPO/releases/download/vVERSION
#   WSGATE_INSTALL_DIR   default $RUNNER_TOOL_CACHE/wsgate/VERSION/x64, else
#                        ${XDG_CACHE_HOME:-$HOME/.cache}/wsgate/VERSION/x64
#
#   bin=$(sh ci/install.sh) && PATH="$bin:$PATH"
#
# Exit 1 with one line on stderr when the download, the checksum or the
# unpacked binary is wrong; nothing is installed then. The GitLab template
# (ci/gitlab/wsgate.gitlab-ci.yml) carries the same wsgate_install function
# (tests/unit/ci/test_ci_templates.c keeps them identical).
set -eu

wsgate_install() {
  v=${WSGATE_VERSION:-}
  v=${v#v}
  case $v in
    [0-9]*.[0-9]*) ;;
    *) echo "install: WSGATE_VERSION is '${WSGATE_VERSION:-}'; set a released version such as 0.1.0" >&2; return 1 ;;
  esac
  name=wsgate-$v-linux-x86_64
  if [ -n "${WSGATE_DOWNLOAD_URL:-}" ]; then
    base=${WSGATE_DOWNLOAD_URL%/}
  elif [ -n "${WSGATE_REPO:-}" ]; then
    base=https://github.com/$WSGATE_REPO/releases/download/v$v
  else
    echo "install: set WSGATE_REPO (OWNER/NAME) or WSGATE_DOWNLOAD_URL" >&2
    return 1
  fi
  dest=${WSGATE_INSTALL_DIR:-${RUNNER_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}}/wsgate/$v/x64}
  if [ -x "$dest/$name/bin/wsgate" ]; then
    echo "install: wsgate $v already in $dest" >&2
    echo "$dest/$name/bin"
    return 0
  fi
  [ "$(uname -m)" = x86_64 ] || { echo "install: the release tarball is for x86_64, this is $(uname -m); build from source" >&2; return 1; }
  mkdir -p "$dest"
  tmp=$(mktemp -d "$dest/.download.XXXXXX")
  if ! curl -fsSL --retry 3 -o "$tmp/$name.tar.gz" "$base/$name.tar.gz" ||
     ! curl -fsSL --retry 3 -o "$tmp/$name.tar.gz.sha256" "$base/$name.tar.gz.sha256"; then
    rm -rf "$tmp"
    echo "install: cannot download $base/$name.tar.gz and its .sha256" >&2
    return 1
  fi
  want=$(cut -d' ' -f1 "$tmp/$name.tar.gz.sha256")
  got=$(sha256sum "$tmp/$name.tar.gz" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then
    rm -rf "$tmp"
    echo "install: checksum mismatch for $base/$name.tar.gz: sha256 $got, its .sha256 says ${want:-nothing}; nothing installed" >&2
    return 1
  fi
  if ! tar -xzf "$tmp/$name.tar.gz" -C "$tmp" ||
     [ "$("$tmp/$name/bin/wsgate" --version 2>/dev/null)" != "wsgate $v" ]; then
    rm -rf "$tmp"
    echo "install: $name.tar.gz does not hold a wsgate $v that runs here (glibc >= 2.36 needed); nothing installed" >&2
    return 1
  fi
  rm -rf "${dest:?}/$name"
  mv "$tmp/$name" "$dest/$name"
  rm -rf "$tmp"
  echo "install: wsgate $v from $base into $dest" >&2
  echo "$dest/$name/bin"
}

wsgate_install
