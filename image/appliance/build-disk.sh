#!/bin/bash
# Builds the appliance's raw disk image from its root file system. Called by
# image/Makefile:
#
#   appliance/build-disk.sh --rootfs DIR|TARBALL --out FILE [--data-mib N]
#
# GPT (sfdisk on a plain file), 1 MiB aligned:
#   p1  EFI system partition, FAT32, 256 MiB, label ALLIANCEESP, GPT attribute
#       LegacyBIOSBootable: the kernel and initrd (copied from the root's
#       /boot), SYSLINUX for BIOS (SYSLINUX's gptmbr.bin in the first 440
#       bytes boots the partition with that attribute) and systemd-boot for
#       UEFI (EFI/BOOT/BOOTX64.EFI, the removable-media path: no NVRAM entry)
#   p2  root, ext4, label alliance-root: what the root holds plus 40% (at
#       least 512 MiB), in 64 MiB steps
#   p3  data, ext4, label alliance-data, 256 MiB, empty: /var/lib/alliance
#       (the installer puts one spanning the rest of the target disk there)
# The ext4 file systems are made as files of their own (`mkfs.ext4 -d`, no
# mount) and copied in with dd; the ESP is made in place (mkfs.vfat --offset,
# mtools' FILE@@OFFSET, syslinux --offset), as test-instance/build.sh does.
# No loop device, no mount. Root only for reading a root file system owned by
# root (mkfs.ext4 -d copies owners as it finds them). Needs sfdisk,
# mkfs.ext4 (e2fsprogs >= 1.43 for -d), mkfs.vfat, mtools, syslinux,
# syslinux-common, systemd-boot-efi.
set -euo pipefail

rootfs='' out='' data_mib=256
esp_mib=256
while [ $# -gt 0 ]; do
  case $1 in
    --rootfs) rootfs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --data-mib) data_mib=$2; shift 2 ;;
    *) echo "build-disk.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$rootfs" ] && [ -n "$out" ] || { echo "usage: build-disk.sh --rootfs DIR|TARBALL --out FILE [--data-mib N]" >&2; exit 2; }
PATH=$PATH:/usr/sbin:/sbin
for tool in sfdisk mkfs.ext4 e2fsck mkfs.vfat mcopy mmd syslinux; do
  command -v $tool >/dev/null || { echo "build-disk.sh: $tool is missing (apt-get install fdisk e2fsprogs dosfstools mtools syslinux syslinux-common systemd-boot-efi)" >&2; exit 1; }
done
gptmbr=/usr/lib/syslinux/mbr/gptmbr.bin
sdboot=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
[ -f $gptmbr ] || { echo "build-disk.sh: $gptmbr is missing (apt-get install syslinux-common)" >&2; exit 1; }
[ -f $sdboot ] || { echo "build-disk.sh: $sdboot is missing (apt-get install systemd-boot-efi)" >&2; exit 1; }

# The kernel command line of both boot loaders. Predictable NIC names (no
# net.ifnames=0): first boot matches NICs by MAC. Serial last: the kernel's and
# systemd's messages (and /dev/console) go to ttyS0.
CMDLINE='root=LABEL=alliance-root rw console=tty1 console=ttyS0,115200n8 quiet'

mkdir -p "$(dirname "$out")"
work=$(realpath "$(mktemp -d "$(dirname "$out")/.work.XXXXXX")")
trap 'rm -rf "$work"' EXIT

if [ -d "$rootfs" ]; then
  root=$rootfs
else
  root=$work/root
  mkdir -p "$root"
  case $rootfs in
    *.zst) zstd -q -d -c "$rootfs" | tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' --acls -xf - ;;
    *) tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' --acls -xf "$rootfs" ;;
  esac
fi
kver=$(ls "$root/lib/modules")
[ "$(echo "$kver" | wc -l)" = 1 ] || { echo "build-disk.sh: expected one kernel in $root, found: $kver" >&2; exit 1; }
vmlinuz=$root/boot/vmlinuz-$kver
initrd=$root/boot/initrd.img-$kver
[ -f "$vmlinuz" ] && [ -f "$initrd" ] || { echo "build-disk.sh: no $vmlinuz or $initrd" >&2; exit 1; }
mkdir -p "$root/var/lib/alliance"   # the data partition's mount point

# 1. Sizes, in MiB. The root: used space + 40%, but at least + 512 MiB (a
# kernel upgrade installs a second kernel, ~300 MiB with its modules and
# initrd, before the old one can go), rounded up to 64 MiB.
used_kib=$(du -sk --one-file-system "$root" | cut -f1)
used_mib=$(( (used_kib + 1023) / 1024 ))
headroom_mib=$(( used_mib * 4 / 10 ))
[ $headroom_mib -ge 512 ] || headroom_mib=512
root_mib=$(( (used_mib + headroom_mib + 63) / 64 * 64 ))
disk_mib=$(( 1 + esp_mib + root_mib + data_mib + 1 ))   # 1 MiB in front, 1 MiB for the backup GPT
esp_start=$(( 1 * 2048 ))
root_start=$(( esp_start + esp_mib * 2048 ))
data_start=$(( root_start + root_mib * 2048 ))

# 2. The ext4 file systems, each a sparse file of its own.
# Same dates where cheap: mtools and mkfs take SOURCE_DATE_EPOCH. UUIDs stay
# random: each build gets its own (the installer gives each install new ones).
stamp=$(stat -c %Y "$vmlinuz")
export SOURCE_DATE_EPOCH=$stamp E2FSPROGS_FAKE_TIME=$stamp
# quiet() shows a tool's chatter only when it fails.
quiet() { local said; said=$("$@" 2>&1) || { echo "$said" >&2; echo "build-disk.sh: $1 failed" >&2; return 1; }; }
truncate -s "${root_mib}M" "$work/root.img"
truncate -s "${data_mib}M" "$work/data.img"
quiet mkfs.ext4 -q -F -L alliance-root -d "$root" -E root_owner=0:0 "$work/root.img"
quiet mkfs.ext4 -q -F -L alliance-data -E root_owner=0:0 "$work/data.img"
unset E2FSPROGS_FAKE_TIME
quiet e2fsck -fn "$work/root.img"
quiet e2fsck -fn "$work/data.img"

# 3. The disk: GPT, then the file systems at their offsets.
disk=$work/disk.raw
truncate -s "${disk_mib}M" "$disk"
sfdisk -q --no-reread --no-tell-kernel "$disk" <<EOF
label: gpt
first-lba: 2048
start=$esp_start, size=$(( esp_mib * 2048 )), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="ALLIANCEESP", attrs="LegacyBIOSBootable"
start=$root_start, size=$(( root_mib * 2048 )), type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name="alliance-root"
start=$data_start, size=$(( data_mib * 2048 )), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="alliance-data"
EOF
dd if=$gptmbr of="$disk" bs=440 count=1 conv=notrunc status=none
dd if="$work/root.img" of="$disk" bs=1M seek=$(( root_start / 2048 )) conv=notrunc,sparse status=none
dd if="$work/data.img" of="$disk" bs=1M seek=$(( data_start / 2048 )) conv=notrunc,sparse status=none
rm -f "$work/root.img" "$work/data.img"

# 4. The ESP, in place: FAT32 (hidden sectors = its start, which SYSLINUX's
# boot sector reads), then the files, then SYSLINUX's boot code.
quiet mkfs.vfat -F 32 -s 2 -n ALLIANCEESP --offset $esp_start "$disk" $(( esp_mib * 1024 ))
export MTOOLS_SKIP_CHECK=1   # long names: loader.conf, alliance.conf
fs="$disk@@$(( esp_start * 512 ))"
mkdir -p "$work/esp/loader/entries" "$work/esp/EFI/BOOT"
cp "$vmlinuz" "$work/esp/vmlinuz"
cp "$initrd" "$work/esp/initrd.img"
cp "$sdboot" "$work/esp/EFI/BOOT/BOOTX64.EFI"
cat > "$work/esp/syslinux.cfg" <<EOF
# BIOS: SYSLINUX (installed by image/appliance/build-disk.sh).
SERIAL 0 115200
DEFAULT alliance
PROMPT 0
TIMEOUT 10
LABEL alliance
  MENU LABEL Alliance appliance ($kver)
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND $CMDLINE
EOF
cat > "$work/esp/loader/loader.conf" <<'EOF'
default alliance.conf
timeout 1
console-mode keep
EOF
cat > "$work/esp/loader/entries/alliance.conf" <<EOF
title   Alliance appliance
version $kver
linux   /vmlinuz
initrd  /initrd.img
options $CMDLINE
EOF
find "$work/esp" -exec touch -h -d "@$stamp" {} +
mcopy -s -m -i "$fs" "$work/esp/"* "::"
syslinux --offset $(( esp_start * 512 )) --install "$disk"

mv -f "$disk" "$out"
echo "appliance disk: kernel $kver; ESP ${esp_mib} MiB, root ${root_mib} MiB (${used_kib} KiB used), data ${data_mib} MiB; ${disk_mib} MiB in $out ($(du -h "$out" | cut -f1) allocated)"
