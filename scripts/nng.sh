#!/usr/bin/env bash
# Builds the libnng the bus addon links: Debian 12's nng 1.5.2 source package
# (its own patches applied as Debian does), plus ours from
# appliance/bus/native/nng-patches/, as a position-independent static archive in
# .toolchain/nng/. Debian ships only a non-PIC static libnng, and its shared one
# has the close deadlock our patch fixes, so the addon carries its own copy.
# TLS stays with Debian's shared mbedtls (libmbedtls14), which apt keeps patched.
# Idempotent: rebuilt only when the source or a patch changes.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=1.5.2
DEBIAN_REVISION=2
POOL=http://deb.debian.org/debian/pool/main/n/nng
# From nng_1.5.2-2.dsc (Debian 12).
ORIG_SHA256=f8b25ab86738864b1f2e3128e8badab581510fa8085ff5ca9bb980d317334c46
DEBIAN_SHA256=ecf0bcd3b5645b95aa1f1f58519547bcfaaab81a863f88a59178d72fdfdffd72

TC=.toolchain
DOWNLOADS=$TC/downloads
PREFIX=$TC/nng
PATCHES=appliance/bus/native/nng-patches
say() { printf 'nng: %s\n' "$*" >&2; }

stamp=$( { echo "$VERSION-$DEBIAN_REVISION"; cat "$PATCHES"/*.patch; } | sha256sum | cut -d' ' -f1)
if [ -f "$PREFIX/lib/libnng.a" ] && [ "$(cat "$PREFIX/.stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi

fetch() { # name sha256
  local file=$DOWNLOADS/$1
  if [ -f "$file" ] && echo "$2  $file" | sha256sum --quiet -c - 2>/dev/null; then return; fi
  mkdir -p "$DOWNLOADS"
  say "downloading $1"
  curl -fsS --retry 3 -o "$file.part" "$POOL/$1" || { say "cannot download $POOL/$1; is deb.debian.org reachable?"; exit 1; }
  echo "$2  $file.part" | sha256sum --quiet -c - || { say "$1 does not match its pinned sha256; not using it"; rm -f "$file.part"; exit 1; }
  mv "$file.part" "$file"
}
fetch "nng_$VERSION.orig.tar.gz" "$ORIG_SHA256"
fetch "nng_$VERSION-$DEBIAN_REVISION.debian.tar.xz" "$DEBIAN_SHA256"

say "building libnng $VERSION (static, PIC, with $(ls "$PATCHES" | wc -l) patch(es) of ours)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xzf "$DOWNLOADS/nng_$VERSION.orig.tar.gz" -C "$work"
src=$work/nng-$VERSION
tar -xJf "$DOWNLOADS/nng_$VERSION-$DEBIAN_REVISION.debian.tar.xz" -C "$src"
# Debian's series, in order; lines starting with '#' are patches Debian leaves out.
while read -r p; do
  case "$p" in ''|'#'*) continue ;; esac
  patch -s -p1 -d "$src" < "$src/debian/patches/$p"
done < "$src/debian/patches/series"
for p in "$PATCHES"/*.patch; do
  patch -s -p1 -d "$src" < "$p"
done

rm -rf "$PREFIX"
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PWD/$PREFIX" \
  -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DNNG_ENABLE_TLS=ON \
  -DNNG_TESTS=OFF -DNNG_TOOLS=OFF -DNNG_ENABLE_NNGCAT=OFF -Wno-dev >"$work/cmake.log" 2>&1 \
  || { cat "$work/cmake.log" >&2; exit 1; }
cmake --build "$work/build" -j"$(nproc)" >"$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; exit 1; }
cmake --install "$work/build" >/dev/null
echo "$stamp" > "$PREFIX/.stamp"
