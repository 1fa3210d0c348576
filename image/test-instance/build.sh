#!/bin/bash
# Builds the test instance image: a raw disk that boots under qemu (BIOS) into
# a busybox initramfs whose /init prints what the NoCloud seed says on the
# serial console (see init). Called by image/Makefile:
#
#   test-instance/build.sh --out FILE [--size-mib N] KERNEL_DEB BUSYBOX_STATIC_DEB
#
# Layout: an MBR (SYSLINUX's mbr.bin) and one active FAT16 partition from
# 1 MiB to the end holding ldlinux.*, syslinux.cfg, vmlinuz and initrd.img.
# Everything is written into the image file (mkfs.vfat --offset, mtools'
# FILE@@OFFSET, syslinux --offset): no loop device, no mount, no root. Needs
# dpkg-deb, cpio, gzip, sfdisk, mkfs.vfat (dosfstools), mcopy (mtools),
# syslinux and syslinux-common.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/initramfs.sh"
out='' size_mib=64
debs=()
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$2; shift 2 ;;
    --size-mib) size_mib=$2; shift 2 ;;
    -*) echo "build.sh: unknown option $1" >&2; exit 2 ;;
    *) debs+=("$1"); shift ;;
  esac
done
[ -n "$out" ] && [ ${#debs[@]} -eq 2 ] || { echo "usage: build.sh --out FILE [--size-mib N] KERNEL_DEB BUSYBOX_STATIC_DEB" >&2; exit 2; }
PATH=$PATH:/usr/sbin:/sbin
for tool in dpkg-deb cpio gzip sfdisk mkfs.vfat mcopy syslinux; do
  command -v $tool >/dev/null || { echo "build.sh: $tool is missing (apt-get install dpkg cpio gzip fdisk dosfstools mtools syslinux syslinux-common)" >&2; exit 1; }
done
mbr=/usr/lib/syslinux/mbr/mbr.bin
[ -f $mbr ] || { echo "build.sh: $mbr is missing (apt-get install syslinux-common)" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$(dirname "$out")/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$work/kernel" "$work/pkgs" "$root"

# 1. Unpack (never install) the kernel and busybox-static.
unpack_debs "$work" "${debs[@]}"
kver=$(kernel_version "$work/kernel")
busybox=$work/pkgs/bin/busybox   # static: it also runs here as a build tool

# 2. The initramfs: busybox with its applets, /init, acpid's handler.
merged_usr_root "$root" etc proc sys dev run tmp seed
install_busybox "$busybox" "$root"
install -m 0755 "$here/init" "$root/init"
install -D -m 0755 "$here/acpi/PWRF/00000080" "$root/etc/acpi/PWRF/00000080"

# 3. Kernel modules of modules.list and their dependencies, indexed for busybox modprobe.
install_modules "$busybox" "$work/kernel" "$kver" "$here/modules.list" "$root"

# Same inputs, same bytes: one mtime (the kernel package's), gzip without a name or time.
stamp=$(stat -c %Y "${debs[0]}")
cpio_archive "$root" "$stamp" | gzip -n -9 > "$work/initrd.img"

# 4. The disk: partition table, file system at 1 MiB, files, boot code.
# mtools (which syslinux runs too) dates what it writes by SOURCE_DATE_EPOCH,
# so the disk's bytes do not depend on the clock.
export SOURCE_DATE_EPOCH=$stamp
disk=$work/disk.raw
truncate -s "${size_mib}M" "$disk"
printf 'label: dos\nlabel-id: 0x616c6c69\nstart=2048, type=6, bootable\n' | sfdisk -q "$disk"
dd if=$mbr of="$disk" bs=440 count=1 conv=notrunc status=none
sectors=$(( size_mib * 2048 - 2048 ))
mkfs.vfat -F 16 -i 616c6c69 --offset 2048 "$disk" $(( sectors / 2 )) >/dev/null
export MTOOLS_SKIP_CHECK=1 MTOOLS_NO_VFAT=1
fs="$disk@@1M"
# The label through mtools: mkfs.fat dates the label's directory entry by the clock.
mlabel -i "$fs" ::TESTINST
cp "$work/kernel/boot/vmlinuz-$kver" "$work/vmlinuz"
cp "$here/syslinux.cfg" "$work/syslinux.cfg"
for f in syslinux.cfg vmlinuz initrd.img; do
  touch -d "@$stamp" "$work/$f"
  mcopy -m -i "$fs" "$work/$f" "::$f"
done
syslinux --offset $(( 2048 * 512 )) --install "$disk"

mv -f "$disk" "$out"
echo "test instance image: kernel $kver, $(du -h "$work/vmlinuz" | cut -f1) vmlinuz, $(du -h "$work/initrd.img" | cut -f1) initrd.img, ${size_mib} MiB disk in $out"
