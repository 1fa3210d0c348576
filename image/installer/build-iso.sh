#!/bin/bash
# Builds the installer ISO: a hybrid ISO 9660 image (CD/DVD, or written to a
# USB stick as it is) that boots a live busybox environment running
# `alliance install`, and carries the appliance's raw disk image. Called by
# image/Makefile:
#
#   installer/build-iso.sh --alliance PATH --image RAW --out ISO
#                          [--zstd-level N] [--image-zstd-level N] DEB...
#
# Boot: BIOS through ISOLINUX (El Torito, and isohdpfx.bin in the MBR for a
# USB stick); UEFI through an El Torito EFI image (FAT) holding systemd-boot
# as EFI/BOOT/BOOTX64.EFI with the kernel and initrd beside it. Volume label
# ALLIANCE-INSTALL. The DEBs are the kernel, busybox-static, and the tools and
# libraries of the live environment (see image/Makefile); unpacked with
# dpkg-deb, never installed. Needs dpkg-deb, cpio, zstd, xorriso, mkfs.vfat,
# mtools, isolinux, syslinux-common, systemd-boot-efi. No root.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/initramfs.sh"
alliance='' image='' out='' level=19 image_level=10
debs=()
while [ $# -gt 0 ]; do
  case $1 in
    --alliance) alliance=$2; shift 2 ;;
    --image) image=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --zstd-level) level=$2; shift 2 ;;
    --image-zstd-level) image_level=$2; shift 2 ;;
    -*) echo "build-iso.sh: unknown option $1" >&2; exit 2 ;;
    *) debs+=("$1"); shift ;;
  esac
done
[ -n "$alliance" ] && [ -n "$image" ] && [ -n "$out" ] && [ ${#debs[@]} -gt 0 ] || { echo "usage: build-iso.sh --alliance PATH --image RAW --out ISO DEB..." >&2; exit 2; }
[ -x "$alliance" ] || { echo "build-iso.sh: $alliance is not an executable (build it with 'make build')" >&2; exit 1; }
[ -f "$image" ] || { echo "build-iso.sh: $image is missing (make -C image appliance)" >&2; exit 1; }
PATH=$PATH:/usr/sbin:/sbin
for tool in dpkg-deb cpio zstd xorriso mkfs.vfat mcopy mmd; do
  command -v $tool >/dev/null || { echo "build-iso.sh: $tool is missing (apt-get install dpkg cpio zstd xorriso dosfstools mtools)" >&2; exit 1; }
done
isolinux_bin=/usr/lib/ISOLINUX/isolinux.bin
isohdpfx=/usr/lib/ISOLINUX/isohdpfx.bin
ldlinux=/usr/lib/syslinux/modules/bios/ldlinux.c32
sdboot=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
for f in $isolinux_bin $isohdpfx $ldlinux $sdboot; do
  [ -f "$f" ] || { echo "build-iso.sh: $f is missing (apt-get install isolinux syslinux-common systemd-boot-efi)" >&2; exit 1; }
done

mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$(dirname "$out")/.iso-work.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root   # the live initramfs
iso=$work/iso     # the ISO's file tree
mkdir -p "$work/kernel" "$work/pkgs" "$root" "$iso"/{isolinux,boot,alliance}

# 1. Unpack: the kernel apart, the rest together.
unpack_debs "$work" "${debs[@]}"
kver=$(kernel_version "$work/kernel")
busybox=$work/pkgs/bin/busybox   # static: also the build's depmod

# 2. Layout (merged /usr, as the host image's) and busybox with its applets.
merged_usr_root "$root" usr/lib/x86_64-linux-gnu lib64 etc proc sys dev run tmp var/lib root
chmod 1777 "$root/tmp"
install_busybox "$busybox" "$root"

# 3. The tools `alliance install` runs, over busybox's applets of the same name:
# lsblk, blockdev, partx, blkid (util-linux), sfdisk (fdisk), mkfs.ext4,
# e2fsck, debugfs (e2fsprogs), zstd.
# (busybox's own mke2fs/mkfs.ext2 cannot make ext4 with an offset: its links go.)
rm -f "$root"/usr/bin/{mke2fs,mkfs.ext2,mkfs.ext3,mkfs.ext4}
for tool in bin/lsblk sbin/blockdev usr/bin/partx sbin/blkid sbin/sfdisk sbin/mke2fs sbin/e2fsck sbin/debugfs usr/bin/zstd; do
  [ -f "$work/pkgs/$tool" ] || { echo "build-iso.sh: $tool is missing from the packages" >&2; exit 1; }
  rm -f "$root/usr/bin/$(basename "$tool")"
  install -m 0755 "$work/pkgs/$tool" "$root/usr/bin/"
done
ln -s mke2fs "$root/usr/bin/mkfs.ext4"
cp "$work/pkgs/etc/mke2fs.conf" "$root/etc/mke2fs.conf"

# 4. Shared libraries: only the .so files; then check each program's needs now, not at boot.
copy_shared_libs "$work/pkgs" "$root"
# (ldd dist/alliance and the bus addon; ldd of each tool of step 3.)
require_libs "$root" 'the live environment' \
  ld-linux-x86-64.so.2 libc.so.6 libdl.so.2 libm.so.6 libpthread.so.0 libgcc_s.so.1 libstdc++.so.6 \
  libmbedtls.so.14 libmbedx509.so.1 libmbedcrypto.so.7 \
  libblkid.so.1 libmount.so.1 libsmartcols.so.1 libudev.so.1 libselinux.so.1 libpcre2-8.so.0 \
  libfdisk.so.1 libuuid.so.1 libtinfo.so.6 libreadline.so.8 \
  libext2fs.so.2 libe2p.so.2 libcom_err.so.2 libss.so.2 \
  libz.so.1 liblzma.so.5 liblz4.so.1
# Each tool finds every library it needs among those it will have at boot
# (ldd on the build machine, the live environment's directory first).
for tool in lsblk blockdev partx blkid sfdisk mke2fs e2fsck debugfs zstd; do
  outside=$(LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu" ldd "$root/usr/bin/$tool" | awk '/=>/ {print $3}' | grep -v "^$root/" || true)
  [ -z "$outside" ] || { echo "build-iso.sh: $tool needs libraries the live environment lacks: $outside" >&2; exit 1; }
done

# 5. The executable, zstd-compressed in an archive of its own (as the host
# image: the kernel caps the initramfs at half the RAM while unpacking it).
packed=$work/packed
compress_executable "$alliance" "$level" "$packed"

# 6. Kernel modules of modules.list with their dependencies, indexed for busybox modprobe.
install_modules "$busybox" "$work/kernel" "$kver" "$here/modules.list" "$root"

# 7. Our files: /init, the udhcpc script, /etc.
cp -a "$here/rootfs/." "$root/"
install -m 0755 "$here/init" "$root/init"
chmod 0755 "$root/usr/share/udhcpc/default.script"
write_os_release "$root" 'Alliance installer' alliance-installer "$kver" "$alliance"

# 8. The initrd: the compressed executable's archive, then the rest zstd-compressed.
stamp=$(stat -c %Y "$alliance")
zstd_initrd "$work/kernel" "$kver" "$packed" "$root" "$stamp" > "$iso/boot/initrd.img"
cp "$work/kernel/boot/vmlinuz-$kver" "$iso/boot/vmlinuz"

# 9. The appliance image and its checksum (alliance install checks it before writing).
zstd -q "-$image_level" -T0 -f "$image" -o "$iso/alliance/alliance.raw.zst"
(cd "$iso/alliance" && sha256sum alliance.raw.zst > SHA256SUMS)

# 10. BIOS: ISOLINUX. A 3 s prompt on both consoles; "shell" gives a shell.
CMDLINE='console=tty1 console=ttyS0,115200n8 quiet'
cp "$isolinux_bin" "$ldlinux" "$iso/isolinux/"
cat > "$iso/isolinux/isolinux.cfg" <<CFG
SERIAL 0 115200
DEFAULT install
PROMPT 1
TIMEOUT 30
SAY Alliance installer: Enter (or wait 3 s) installs; type "shell" for a rescue shell.
LABEL install
  KERNEL /boot/vmlinuz
  INITRD /boot/initrd.img
  APPEND $CMDLINE
LABEL shell
  KERNEL /boot/vmlinuz
  INITRD /boot/initrd.img
  APPEND $CMDLINE alliance.shell
CFG

# 11. UEFI: a FAT image with systemd-boot and the same kernel and initrd
# (systemd-boot reads only the partition it started from).
esp=$iso/boot/efiboot.img
esp_kib=$(( ( $(stat -c %s "$iso/boot/vmlinuz") + $(stat -c %s "$iso/boot/initrd.img") + $(stat -c %s "$sdboot") ) / 1024 + 2048 ))
mkfs.vfat -C -n ALLIANCEEFI "$esp" "$esp_kib" >/dev/null
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries
mcopy -i "$esp" "$sdboot" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$esp" "$iso/boot/vmlinuz" ::/vmlinuz
mcopy -i "$esp" "$iso/boot/initrd.img" ::/initrd.img
printf 'default install.conf\ntimeout 3\nconsole-mode keep\n' > "$work/loader.conf"
printf 'title   Install Alliance\nlinux   /vmlinuz\ninitrd  /initrd.img\noptions %s\n' "$CMDLINE" > "$work/install.conf"
printf 'title   Alliance installer: rescue shell\nlinux   /vmlinuz\ninitrd  /initrd.img\noptions %s alliance.shell\n' "$CMDLINE" > "$work/shell.conf"
mcopy -i "$esp" "$work/loader.conf" ::/loader/loader.conf
mcopy -i "$esp" "$work/install.conf" "$work/shell.conf" ::/loader/entries/

# 12. The hybrid ISO.
xorriso -as mkisofs -quiet -iso-level 3 -o "$work/out.iso" -V ALLIANCE-INSTALL -J -joliet-long -R \
  -isohybrid-mbr "$isohdpfx" \
  -c isolinux/boot.cat -b isolinux/isolinux.bin -no-emul-boot -boot-load-size 4 -boot-info-table \
  -eltorito-alt-boot -e boot/efiboot.img -no-emul-boot -isohybrid-gpt-basdat \
  "$iso"
mv -f "$work/out.iso" "$out"
(cd "$(dirname "$out")" && sha256sum "$(basename "$out")" > "$(basename "$out").sha256")
echo "installer ISO: kernel $kver, $(du -h "$out" | cut -f1) (image $(du -h "$iso/alliance/alliance.raw.zst" | cut -f1), initrd $(du -h "$iso/boot/initrd.img" | cut -f1)) in $out"
