#!/usr/bin/env bash
# Makes the tarball's tree run without wsgate's libraries installed: copies
# every shared library bin/wsgate needs, other than glibc's, and the
# libwebsockets libev plugin it dlopens, into lib/ beside bin/; sets the
# binary's RUNPATH to $ORIGIN/../lib and each copied library's to $ORIGIN
# (a RUNPATH serves only the object that carries it, so the libraries'
# own dependencies need theirs). The floor is then the glibc the binary and
# those libraries were built against (Debian 12 bookworm's, 2.36).
#
# CPack runs it on the tarball's staging tree only (cmake/bundle-libs.cmake);
# the .deb keeps the system's libraries and its Depends.
#
#   packaging/bundle-libs.sh ROOT      # ROOT holds bin/wsgate
set -euo pipefail
root=${1:?usage: bundle-libs.sh ROOT}
bin=$root/bin/wsgate
lib=$root/lib
[ -x "$bin" ] || { echo "bundle-libs: $bin missing" >&2; exit 1; }
command -v patchelf >/dev/null || { echo "bundle-libs: needs patchelf (apt-get install patchelf)" >&2; exit 1; }

# glibc's own libraries come from the machine it runs on; so does the
# kernel's vDSO.
glibc='^(linux-vdso\.so|ld-linux-x86-64\.so|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so|libresolv\.so|libutil\.so|libanl\.so|libnss_[a-z]*\.so|libmvec\.so)'

libdir=$(pkg-config --variable=libdir libwebsockets)
plugin=$libdir/libwebsockets-evlib_ev.so
[ -f "$plugin" ] || { echo "bundle-libs: $plugin missing (apt-get install libwebsockets-evlib-ev)" >&2; exit 1; }

mkdir -p "$lib"
# ldd lists the whole closure; the plugin brings libev, already listed.
ldd "$bin" "$plugin" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | sort -u |
  while read -r soname path; do
    if [[ $soname =~ $glibc ]]; then
      continue
    fi
    cp -L "$path" "$lib/$soname"
    chmod 0644 "$lib/$soname"
    patchelf --set-rpath '$ORIGIN' "$lib/$soname"
  done
cp -L "$plugin" "$lib/"
chmod 0644 "$lib/$(basename "$plugin")"
patchelf --set-rpath '$ORIGIN' "$lib/$(basename "$plugin")"
patchelf --set-rpath '$ORIGIN/../lib' "$bin"

# Every library the binary names must now be in lib/ or be glibc's.
for need in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  if ! [[ $need =~ $glibc ]] && [ ! -f "$lib/$need" ]; then
    echo "bundle-libs: $need is not in lib/" >&2
    exit 1
  fi
done
echo "bundle-libs: $(ls "$lib" | wc -l) libraries in lib/ ($(du -sh "$lib" | cut -f1))"
