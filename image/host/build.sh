#!/bin/bash
# Builds the host netboot image: a Debian kernel and an initramfs whose /init
# brings up the network and runs `alliance agent`. Called by image/Makefile:
#
#   host/build.sh --alliance PATH --out DIR [--zstd-level N] DEB...
#
# The DEBs are the kernel package, busybox-static and the shared libraries the
# executable needs; they are unpacked with dpkg-deb, never installed. Runs as
# any user; needs dpkg-deb, cpio and zstd.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
alliance='' out='' level=19
debs=()
while [ $# -gt 0 ]; do
  case $1 in
    --alliance) alliance=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --zstd-level) level=$2; shift 2 ;;
    -*) echo "build.sh: unknown option $1" >&2; exit 2 ;;
    *) debs+=("$1"); shift ;;
  esac
done
[ -n "$alliance" ] && [ -n "$out" ] && [ ${#debs[@]} -gt 0 ] || { echo "usage: build.sh --alliance PATH --out DIR DEB..." >&2; exit 2; }
[ -x "$alliance" ] || { echo "build.sh: $alliance is not an executable (build it with 'make build')" >&2; exit 1; }
for tool in dpkg-deb cpio zstd; do
  command -v $tool >/dev/null || { echo "build.sh: $tool is missing (apt-get install dpkg cpio zstd)" >&2; exit 1; }
done

mkdir -p "$out"
work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root   # becomes the initramfs
mkdir -p "$work/kernel" "$work/pkgs" "$root"

# 1. Unpack. The kernel package apart (most of it stays out), the rest together.
for deb in "${debs[@]}"; do
  case $(basename "$deb") in
    linux-image-*) dpkg-deb -x "$deb" "$work/kernel" ;;
    *) dpkg-deb -x "$deb" "$work/pkgs" ;;
  esac
done
kver=$(ls "$work/kernel/lib/modules")
[ "$(echo "$kver" | wc -l)" = 1 ] || { echo "build.sh: expected one kernel, found: $kver" >&2; exit 1; }
busybox=$work/pkgs/bin/busybox   # static, so it also runs here as a build tool

# 2. Directory layout. Debian's merged /usr: /bin, /sbin and /lib point into /usr.
mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib/x86_64-linux-gnu,lib64,etc,proc,sys,dev,run,tmp,var/lib,root}
ln -s usr/bin "$root/bin"
ln -s usr/sbin "$root/sbin"
ln -s usr/lib "$root/lib"
chmod 1777 "$root/tmp"

# 3. busybox and a link for each applet it has. Its ip, cat, df, free, ... are
# also what systeminformation shells out to for the inventory.
cp "$busybox" "$root/usr/bin/busybox"
for applet in $("$busybox" --list); do
  [ -e "$root/usr/bin/$applet" ] || ln -s busybox "$root/usr/bin/$applet"
done

# lsblk and lscpu from util-linux: systeminformation lists disks with lsblk
# (without it the inventory has no disks) and reads CPU caches with lscpu.
install -m 0755 "$work/pkgs/bin/lsblk" "$work/pkgs/usr/bin/lscpu" "$root/usr/bin/"

# 4. Shared libraries: only the .so files (no gconv, docs, tools) from libc6,
# libgcc-s1, libstdc++6, mbedtls and lsblk's libraries; bookworm keeps some in
# /lib, some in /usr/lib.
for dir in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu; do
  [ -d "$work/pkgs/$dir" ] || continue
  find "$work/pkgs/$dir" -maxdepth 1 -name '*.so*' \( -type f -o -type l \) -exec cp -a {} "$root/usr/lib/x86_64-linux-gnu/" \;
done
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"
# The executable's own needs, checked now rather than at boot.
# (ldd dist/alliance, the bus addon pkg extracts at run time, ldd lsblk, ldd zstd.)
for lib in ld-linux-x86-64.so.2 libc.so.6 libdl.so.2 libm.so.6 libpthread.so.0 libgcc_s.so.1 libstdc++.so.6 \
           libmbedtls.so.14 libmbedx509.so.1 libmbedcrypto.so.7 \
           libblkid.so.1 libmount.so.1 libsmartcols.so.1 libudev.so.1 libselinux.so.1 libpcre2-8.so.0 \
           libz.so.1 liblzma.so.5 liblz4.so.1; do
  [ -e "$root/usr/lib/x86_64-linux-gnu/$lib" ] || { echo "build.sh: $lib is missing from the image" >&2; exit 1; }
done

# 5. The agent, compressed. The kernel unpacks the initramfs into a tmpfs
# capped at half the RAM it sees at that moment, so a 135 MB file plus the
# rest fails ("Initramfs unpacking failed: write error") below ~512 MB of RAM.
# Carried as zstd, the initramfs unpacks to ~50 MB; /init lifts the cap and
# decompresses the executable (a second or two, even under TCG).
# It goes into an archive of its own (step 8), so it is not compressed twice.
packed=$work/packed
mkdir -p "$packed/usr/lib/alliance"
zstd -q "-$level" -T0 -f "$alliance" -o "$packed/usr/lib/alliance/alliance.zst"
install -m 0755 "$work/pkgs/usr/bin/zstd" "$root/usr/bin/zstd"

# 6. Kernel modules: the NIC drivers of modules.list and what they depend on.
# Debian ships no modules.dep (depmod runs at install), so make one with
# busybox's depmod, pick the closure, then index the subset for modprobe.
kmods=$work/kernel/lib/modules/$kver
"$busybox" depmod -b "$work/kernel" "$kver"
wanted=$(sed 's/#.*//' "$here/modules.list" | tr -s ' \n' '\n' | sed '/^$/d')
for name in $wanted; do
  if grep -Eq "/${name//_/[_-]}\.ko$" "$kmods/modules.builtin"; then continue; fi
  line=$(grep -E "/${name//_/[_-]}\.ko:" "$kmods/modules.dep") || { echo "build.sh: no module $name in $kver" >&2; exit 1; }
  for ko in ${line/:/}; do
    mkdir -p "$root/lib/modules/$kver/$(dirname "$ko")"
    cp "$kmods/$ko" "$root/lib/modules/$kver/$ko"
  done
done
cp "$kmods/modules.builtin" "$kmods/modules.order" "$root/lib/modules/$kver/"
"$busybox" depmod -b "$root" "$kver"
echo "$wanted" > "$root/etc/modules"

# 7. Our files: /init, the udhcpc script, /etc.
cp -a "$here/rootfs/." "$root/"
chmod 0755 "$root/init" "$root/usr/share/udhcpc/default.script"
build=$(sha256sum "$alliance" | cut -c1-12)
cat > "$root/etc/os-release" <<OS
NAME="Alliance host"
ID=alliance-host
ID_LIKE=debian
BUILD_ID=$build
VERSION_ID="12"
PRETTY_NAME="Alliance host (Debian 12 libraries, kernel $kver, alliance $build)"
OS

# 8. Pack: two newc cpio archives (owned by root) back to back, which the
# kernel unpacks in turn, as it does for early microcode: first, uncompressed,
# the one holding the already compressed executable; then everything else,
# zstd-compressed (Debian's kernel has CONFIG_RD_ZSTD=y; zstd unpacks faster
# than xz, which matters under TCG). No --ultra/--long anywhere: up to level
# 19 the window stays at 8 MiB, the memory the kernel (or zstd in /init)
# needs to unpack.
grep -q '^CONFIG_RD_ZSTD=y' "$work/kernel/boot/config-$kver" || { echo "build.sh: $kver cannot unpack a zstd initramfs" >&2; exit 1; }
# Same inputs, same bytes: sorted names, and every mtime set to the
# executable's (cpio --reproducible already drops inode and device numbers).
stamp=$(stat -c %Y "$alliance")
archive() {
  find "$1" -mindepth 1 -exec touch -h -d "@$stamp" {} +
  (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible)
}
{
  archive "$packed"
  archive "$root" | zstd -q -19 -T0
} > "$work/initrd.img"
cp "$work/kernel/boot/vmlinuz-$kver" "$work/vmlinuz"

mv -f "$work/vmlinuz" "$work/initrd.img" "$out/"
(cd "$out" && sha256sum vmlinuz initrd.img > SHA256SUMS)
echo "host image: kernel $kver, $(du -h "$out/vmlinuz" | cut -f1) vmlinuz, $(du -h "$out/initrd.img" | cut -f1) initrd.img (unpacked $(du -sch "$root" "$packed" | tail -n 1 | cut -f1), then $(du -h "$alliance" | cut -f1) of executable) in $out"
