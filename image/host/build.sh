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
. "$here/../lib/initramfs.sh"
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
unpack_debs "$work" "${debs[@]}"
kver=$(kernel_version "$work/kernel")
busybox=$work/pkgs/bin/busybox   # static, so it also runs here as a build tool

# 2. Directory layout: merged /usr.
merged_usr_root "$root" usr/lib/x86_64-linux-gnu lib64 etc proc sys dev run tmp var/lib root
chmod 1777 "$root/tmp"

# 3. busybox and its applets. Its ip, cat, df, free, ... are also what
# systeminformation shells out to for the inventory.
install_busybox "$busybox" "$root"

# lsblk and lscpu from util-linux: systeminformation lists disks with lsblk
# (without it the inventory has no disks) and reads CPU caches with lscpu.
install -m 0755 "$work/pkgs/bin/lsblk" "$work/pkgs/usr/bin/lscpu" "$root/usr/bin/"

# 4. Shared libraries: the .so files of libc6, libgcc-s1, libstdc++6, mbedtls
# and lsblk's libraries. The executable's own needs, checked now rather than
# at boot (ldd dist/alliance, the bus addon pkg extracts at run time, ldd
# lsblk, ldd zstd).
copy_shared_libs "$work/pkgs" "$root"
require_libs "$root" 'the image' \
  ld-linux-x86-64.so.2 libc.so.6 libdl.so.2 libm.so.6 libpthread.so.0 libgcc_s.so.1 libstdc++.so.6 \
  libmbedtls.so.14 libmbedx509.so.1 libmbedcrypto.so.7 \
  libblkid.so.1 libmount.so.1 libsmartcols.so.1 libudev.so.1 libselinux.so.1 libpcre2-8.so.0 \
  libz.so.1 liblzma.so.5 liblz4.so.1

# 5. The agent, compressed. The kernel unpacks the initramfs into a tmpfs
# capped at half the RAM it sees at that moment, so a 135 MB file plus the
# rest fails ("Initramfs unpacking failed: write error") below ~512 MB of RAM.
# Carried as zstd, the initramfs unpacks to ~50 MB; /init lifts the cap and
# decompresses the executable (a second or two, even under TCG).
# It goes into an archive of its own (step 8), so it is not compressed twice.
packed=$work/packed
compress_executable "$alliance" "$level" "$packed"
install -m 0755 "$work/pkgs/usr/bin/zstd" "$root/usr/bin/zstd"

# 6. Kernel modules: the NIC drivers of modules.list and what they depend on.
install_modules "$busybox" "$work/kernel" "$kver" "$here/modules.list" "$root"

# 7. Our files: /init, the udhcpc script, /etc.
cp -a "$here/rootfs/." "$root/"
chmod 0755 "$root/init" "$root/usr/share/udhcpc/default.script"
write_os_release "$root" 'Alliance host' alliance-host "$kver" "$alliance"

# 8. Pack: the archive holding the compressed executable, then everything
# else zstd-compressed (Debian's kernel has CONFIG_RD_ZSTD=y; zstd unpacks
# faster than xz, which matters under TCG). Every mtime is the executable's.
stamp=$(stat -c %Y "$alliance")
zstd_initrd "$work/kernel" "$kver" "$packed" "$root" "$stamp" > "$work/initrd.img"
cp "$work/kernel/boot/vmlinuz-$kver" "$work/vmlinuz"

mv -f "$work/vmlinuz" "$work/initrd.img" "$out/"
(cd "$out" && sha256sum vmlinuz initrd.img > SHA256SUMS)
echo "host image: kernel $kver, $(du -h "$out/vmlinuz" | cut -f1) vmlinuz, $(du -h "$out/initrd.img" | cut -f1) initrd.img (unpacked $(du -sch "$root" "$packed" | tail -n 1 | cut -f1), then $(du -h "$alliance" | cut -f1) of executable) in $out"
