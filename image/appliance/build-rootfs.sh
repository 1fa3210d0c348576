#!/bin/bash
# Builds the appliance's root file system as a directory. Called by
# image/Makefile:
#
#   appliance/build-rootfs.sh --alliance PATH --overlay DIR --cache DIR --out DIR
#                             [--mirror URL] [--security-mirror URL]
#
# Two stages:
#  1. Debian (slow, cached): `debootstrap --variant=minbase bookworm`, then
#     apt-get --no-install-recommends of packages.list (from bookworm,
#     bookworm-updates and bookworm-security), docs/man/locales kept out by
#     dpkg path excludes, apt lists and caches emptied, no ssh host keys, no
#     machine-id. Saved as CACHE/rootfs-<key>.tar.zst; the key hashes
#     packages.list, the debootstrap version, the mirrors and STAGE1 below. A
#     later build unpacks that tarball instead (no network needed then).
#  2. Ours (every run, seconds): dist/alliance as /usr/bin/alliance, the files
#     of the overlay (the repo's rootfs/), systemd units enabled with
#     `systemctl --root`, host name, root locked, machine-id empty.
#
# Needs root (debootstrap and chroot; tar keeps owners), debootstrap, zstd,
# and systemctl (for --root; no running systemd needed). Stage 1 mounts /proc
# inside the chroot while apt runs (kernel, initramfs-tools and dpkg's
# maintainer scripts expect it) and unmounts it on any exit.
set -euo pipefail
umask 022

here=$(cd "$(dirname "$0")" && pwd)
# Bump when stage 1 changes in a way that should invalidate cached tarballs.
STAGE1=2
SUITE=bookworm
alliance='' overlay='' cache='' out='' host_image=''
# The build machine's Debian mirror: the first deb.debian.org-like URI that
# serves bookworm (deb822 .sources or one-line .list), else deb.debian.org.
mirror=$(grep -hs -E '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
  | grep -oE 'https?://[^ ]*/debian/?( |$)' | head -n 1 | tr -d ' ' || true)
mirror=${mirror:-http://deb.debian.org/debian}
security_mirror=${mirror%/debian*}/debian-security
while [ $# -gt 0 ]; do
  case $1 in
    --alliance) alliance=$2; shift 2 ;;
    --overlay) overlay=$2; shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --host-image) host_image=$2; shift 2 ;;
    --mirror) mirror=$2; shift 2 ;;
    --security-mirror) security_mirror=$2; shift 2 ;;
    *) echo "build-rootfs.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$alliance" ] && [ -n "$overlay" ] && [ -n "$cache" ] && [ -n "$out" ] && [ -n "$host_image" ] || { echo "usage: build-rootfs.sh --alliance PATH --overlay DIR --host-image DIR --cache DIR --out DIR [--mirror URL]" >&2; exit 2; }
[ -f "$host_image/x86_64/SHA256SUMS" ] || { echo "build-rootfs.sh: $host_image/x86_64 holds no host image (build it with 'make -C image host')" >&2; exit 1; }
[ -x "$alliance" ] || { echo "build-rootfs.sh: $alliance is not an executable (build it with 'make build')" >&2; exit 1; }
[ -d "$overlay" ] || { echo "build-rootfs.sh: the overlay $overlay is not a directory" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "build-rootfs.sh: needs root (debootstrap, chroot, and files owned by root in the image)" >&2; exit 1; }
PATH=$PATH:/usr/sbin:/sbin
for tool in debootstrap zstd systemctl; do
  command -v $tool >/dev/null || { echo "build-rootfs.sh: $tool is missing (apt-get install debootstrap zstd systemd)" >&2; exit 1; }
done

packages=$(sed 's/#.*//' "$here/packages.list" | tr -s ' \t\n' '\n' | sed '/^$/d' | LC_ALL=C sort -u)
debootstrap_version=$(dpkg-query -W -f '${Version}' debootstrap 2>/dev/null || debootstrap --version)
key=$( { echo "stage1 $STAGE1"; echo "suite $SUITE"; echo "debootstrap $debootstrap_version"; echo "mirror $mirror"; echo "security $security_mirror"; echo "$packages"; } | sha256sum | cut -c1-16)
tarball=$cache/rootfs-$key.tar.zst

mkdir -p "$cache" "$(dirname "$out")"
work=$(realpath "$(mktemp -d "$(dirname "$out")/.work.XXXXXX")")
proc_mounted=''
cleanup() {
  if [ -n "$proc_mounted" ]; then umount "$proc_mounted" || umount -l "$proc_mounted" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- Stage 1: Debian, cached -------------------------------------------------
if [ ! -f "$tarball" ]; then
  root=$work/stage1
  echo "build-rootfs.sh: no $tarball; debootstrap $SUITE from $mirror (minutes)"
  t0=$(date +%s)
  debootstrap --variant=minbase "$SUITE" "$root" "$mirror"

  # Keep docs, man pages and translations out of every package installed from
  # now on, and delete what minbase already put there (copyright files stay:
  # the licences travel with the binaries).
  cat > "$root/etc/dpkg/dpkg.cfg.d/01-alliance-nodoc" <<'EOF'
# Alliance appliance: no documentation, man pages or translations.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
# Kernel modules an appliance on a server never loads (~150 MB): sound, TV and
# cameras, wireless and bluetooth, staging and industrial-I/O drivers, and the
# desktop GPUs (servers' BMC graphics, ast and mgag200, and simpledrm stay).
path-exclude /lib/modules/*/kernel/sound/*
path-exclude /lib/modules/*/kernel/drivers/media/*
path-exclude /lib/modules/*/kernel/drivers/net/wireless/*
path-exclude /lib/modules/*/kernel/net/wireless/*
path-exclude /lib/modules/*/kernel/net/mac80211/*
path-exclude /lib/modules/*/kernel/drivers/bluetooth/*
path-exclude /lib/modules/*/kernel/net/bluetooth/*
path-exclude /lib/modules/*/kernel/drivers/staging/*
path-exclude /lib/modules/*/kernel/drivers/iio/*
path-exclude /lib/modules/*/kernel/drivers/gpu/drm/amd/*
path-exclude /lib/modules/*/kernel/drivers/gpu/drm/nouveau/*
path-exclude /lib/modules/*/kernel/drivers/gpu/drm/radeon/*
path-exclude /lib/modules/*/kernel/drivers/gpu/drm/i915/*
EOF
  find "$root/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete 2>/dev/null || true
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  rm -rf "$root"/usr/share/{man,info,groff,lintian,linda}/* 2>/dev/null || true
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  # apt: never recommends, no translations.
  cat > "$root/etc/apt/apt.conf.d/90-alliance" <<'EOF'
// Alliance appliance: the image is built without recommends; keep it so.
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
EOF
  cat > "$root/etc/apt/sources.list" <<EOF
deb $mirror $SUITE main
deb $mirror $SUITE-updates main
deb $security_mirror $SUITE-security main
EOF
  # No service starts inside the chroot (removed again below).
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  # initramfs-tools: all storage and NIC drivers (the build machine is not
  # the target, so MODULES=dep would be wrong); the default, said explicitly.
  mkdir -p "$root/etc/initramfs-tools/conf.d"
  echo 'MODULES=most' > "$root/etc/initramfs-tools/conf.d/alliance.conf"

  mount -t proc proc "$root/proc"; proc_mounted=$root/proc
  chroot "$root" env DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 apt-get -q update
  # shellcheck disable=SC2086
  chroot "$root" env DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 apt-get -q -y --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install $packages
  chroot "$root" env DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 apt-get -q -y \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold upgrade
  umount "$root/proc"; proc_mounted=''

  # Empty caches, lists and logs; nothing machine-specific.
  rm -f "$root/usr/sbin/policy-rc.d"
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/debconf/*-old \
         "$root"/var/lib/dpkg/*-old "$root"/var/log/apt/* "$root"/var/log/dpkg.log "$root"/var/log/bootstrap.log \
         "$root"/var/log/alternatives.log "$root"/tmp/* "$root"/var/tmp/* "$root"/root/.bash_history
  rm -f "$root"/etc/ssh/ssh_host_*   # made at first boot (rootfs/etc/systemd/system/ssh.service.d)
  : > "$root/etc/machine-id"
  rm -f "$root/var/lib/dbus/machine-id"
  : > "$root/etc/resolv.conf"        # debootstrap copied the build machine's
  echo "build-rootfs.sh: stage 1 took $(( $(date +%s) - t0 )) s; $(du -sh "$root" | cut -f1) installed"

  tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' --acls -cf - . | zstd -q -T0 -10 > "$tarball.tmp"
  mv -f "$tarball.tmp" "$tarball"
  # Tarballs of other keys are stale (another package list or mirror).
  find "$cache" -maxdepth 1 -name 'rootfs-*.tar.zst' ! -name "rootfs-$key.tar.zst" -delete
  rm -rf "$root"
  echo "build-rootfs.sh: cached $tarball ($(du -h "$tarball" | cut -f1))"
fi

# --- Stage 2: ours, every run ------------------------------------------------
root=$work/root
mkdir -p "$root"
zstd -q -d -c "$tarball" | tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' --acls -xf -

install -m 0755 "$alliance" "$root/usr/bin/alliance"
# The image network-booted hosts run, where boot.image_dir looks by default.
install -d -m 0755 "$root/usr/lib/alliance/host-image/x86_64"
install -m 0644 "$host_image/x86_64/vmlinuz" "$host_image/x86_64/initrd.img" "$host_image/x86_64/SHA256SUMS" "$root/usr/lib/alliance/host-image/x86_64/"
# The overlay: its files and links (not its README), owned by root. Git keeps
# only the executable bit, so modes are set here: 0755 or 0644, whatever the
# checkout's umask; directories the image lacks are made 0755 (umask 022).
# -u: replace Debian's file whatever the dates (without it cpio keeps a file
# newer than ours: a fresh clone's checkout is older than a fresh debootstrap,
# and Debian's unconfigured /etc/fstab won, so the data partition went unmounted).
(cd "$overlay" && find . -mindepth 1 \( -type f -o -type l \) ! -path ./README.md -print0 \
  | cpio --quiet -0 -pdmu -R 0:0 "$root")
(cd "$overlay" && find . -mindepth 1 -type f ! -path ./README.md) | while read -r f; do
  if [ -x "$overlay/$f" ]; then chmod 0755 "$root/$f"; else chmod 0644 "$root/$f"; fi
done
mkdir -p "$root/boot/efi"   # the ESP's mount point (etc/fstab)

echo alliance > "$root/etc/hostname"
cat > "$root/etc/hosts" <<'EOF'
127.0.0.1	localhost
127.0.1.1	alliance
::1	localhost ip6-localhost ip6-loopback
ff02::1	ip6-allnodes
ff02::2	ip6-allrouters
EOF
# Root is locked: no password, no password login anywhere (ssh needs a key;
# the console's shell is the way in at the machine).
sed -i 's/^root:[^:]*:/root:*:/' "$root/etc/shadow"
# Empty (not absent): systemd makes one at first boot and treats that boot
# as the first (ConditionFirstBoot, presets).
: > "$root/etc/machine-id"

# Units: ours, and the system's we rely on. The consoles own tty1 and ttyS0,
# so the gettys that would fight for them are masked.
units=(alliance.service alliance-console.service alliance-serial-console.service alliance-firstboot.service
       alliance-dhcp-dns.path systemd-networkd.service systemd-timesyncd.service ssh.service)
systemctl --root="$root" enable "${units[@]}" >/dev/null 2>&1
systemctl --root="$root" mask getty@tty1.service serial-getty@ttyS0.service >/dev/null 2>&1
# e2scrub checks ext4 on LVM snapshots; there is no LVM here, and its reaper
# took ~18 s of the first boot under TCG.
systemctl --root="$root" disable e2scrub_reap.service e2scrub_all.timer >/dev/null 2>&1
# libvirtd by socket activation only: started when the agent first calls
# virsh, not at every boot (it costs seconds under TCG, and most appliances
# run no instances). libvirt-guests would start it at boot, so it goes too.
systemctl --root="$root" disable libvirtd.service libvirt-guests.service >/dev/null 2>&1
systemctl --root="$root" enable libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket >/dev/null 2>&1
# /etc/resolv.conf is a plain file (no systemd-resolved): the console and the
# first-boot step write it; until then it says where it comes from.
cat > "$root/etc/resolv.conf" <<'EOF2'
# No DNS servers yet: the appliance console (System, or Network for a static
# address) and the installer's first-boot step write them here.
EOF2
chmod 0644 "$root/etc/resolv.conf"
mkdir -p "$root/var/lib/alliance"   # the data partition's mount point
# libvirt's "default" NAT network (virbr0, its own dnsmasq) would autostart
# with libvirtd and answer DHCP next to ours: the appliance defines networks.
rm -f "$root/etc/libvirt/qemu/networks/autostart/default.xml"
for unit in "${units[@]}"; do
  [ "$(systemctl --root="$root" is-enabled "$unit" 2>/dev/null)" = enabled ] || { echo "build-rootfs.sh: $unit is not enabled in the image" >&2; exit 1; }
done

# Overlay files may touch what the initramfs carries (initramfs-tools config,
# modules); regenerate then, and only then (needs /proc in the chroot).
if [ -d "$overlay/etc/initramfs-tools" ] || [ -d "$overlay/etc/modprobe.d" ]; then
  mount -t proc proc "$root/proc"; proc_mounted=$root/proc
  chroot "$root" update-initramfs -u -k all
  umount "$root/proc"; proc_mounted=''
fi

kver=$(ls "$root/lib/modules")
[ "$(echo "$kver" | wc -l)" = 1 ] || { echo "build-rootfs.sh: expected one kernel, found: $kver" >&2; exit 1; }
[ -f "$root/boot/vmlinuz-$kver" ] && [ -f "$root/boot/initrd.img-$kver" ] || { echo "build-rootfs.sh: no kernel or initrd in /boot" >&2; exit 1; }
build=$(sha256sum "$alliance" | cut -c1-12)
printf 'ALLIANCE_BUILD=%s\nROOTFS_KEY=%s\nKERNEL=%s\n' "$build" "$key" "$kver" > "$root/etc/alliance-release"

rm -rf "$out"
mv "$root" "$out"
echo "appliance root: kernel $kver, alliance $build, Debian layer $key, $(du -sh "$out" | cut -f1) in $out"
