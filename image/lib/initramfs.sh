# Shared steps of the busybox initramfs builds: host/build.sh,
# installer/build-iso.sh and test-instance/build.sh source this file (after
# their own `set -euo pipefail`). Each function takes everything it uses as
# arguments; errors name the calling script, as the scripts' own do.
#
# Everything here feeds reproducible images ("the same inputs give the same
# bytes"): keep the order of operations, modes and mtimes as they are.

initramfs_prog=${0##*/}

initramfs_die() {
  echo "$initramfs_prog: $*" >&2
  exit 1
}

# unpack_debs WORK DEB...: unpacks (never installs) the kernel package into
# WORK/kernel, most of which stays out of the image, and the rest together
# into WORK/pkgs.
unpack_debs() {
  local work=$1 deb
  shift
  for deb in "$@"; do
    case $(basename "$deb") in
      linux-image-*) dpkg-deb -x "$deb" "$work/kernel" ;;
      *) dpkg-deb -x "$deb" "$work/pkgs" ;;
    esac
  done
}

# kernel_version KERNEL_DIR: prints the one kernel version unpacked there.
# (Called as $(...), where bash drops set -e: hence the explicit exits.)
kernel_version() {
  local kver
  kver=$(ls "$1/lib/modules") || exit
  [ "$(echo "$kver" | wc -l)" = 1 ] || initramfs_die "expected one kernel, found: $kver"
  echo "$kver"
}

# merged_usr_root ROOT DIR...: Debian's merged /usr (/bin, /sbin and /lib
# point into /usr) plus the DIRs, relative to ROOT.
merged_usr_root() {
  local root=$1 dir
  shift
  mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib"
  for dir in "$@"; do mkdir -p "$root/$dir"; done
  ln -s usr/bin "$root/bin"
  ln -s usr/sbin "$root/sbin"
  ln -s usr/lib "$root/lib"
}

# install_busybox BUSYBOX ROOT: busybox and a link for each applet it has
# that ROOT's /usr/bin does not have yet.
install_busybox() {
  local busybox=$1 root=$2 applet
  cp "$busybox" "$root/usr/bin/busybox"
  for applet in $("$busybox" --list); do
    [ -e "$root/usr/bin/$applet" ] || ln -s busybox "$root/usr/bin/$applet"
  done
}

# copy_shared_libs PKGS ROOT: only the .so files (no gconv, docs, tools) of
# the unpacked packages; bookworm keeps some in /lib, some in /usr/lib.
copy_shared_libs() {
  local pkgs=$1 root=$2 dir
  for dir in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu; do
    [ -d "$pkgs/$dir" ] || continue
    find "$pkgs/$dir" -maxdepth 1 -name '*.so*' \( -type f -o -type l \) -exec cp -a {} "$root/usr/lib/x86_64-linux-gnu/" \;
  done
  ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"
}

# require_libs ROOT WHERE LIB...: fails at build time, not at boot, when a
# library is not in ROOT (WHERE names the image in the message).
require_libs() {
  local root=$1 where=$2 lib
  shift 2
  for lib in "$@"; do
    [ -e "$root/usr/lib/x86_64-linux-gnu/$lib" ] || initramfs_die "$lib is missing from $where"
  done
}

# install_modules BUSYBOX KERNEL_DIR KVER MODULES_LIST ROOT: the modules of
# MODULES_LIST and what they depend on, indexed for busybox modprobe, and
# their names in ROOT/etc/modules. Debian ships no modules.dep (depmod runs
# at install), so make one with the static busybox's depmod, pick the
# closure, then index the subset.
install_modules() {
  local busybox=$1 kernel=$2 kver=$3 list=$4 root=$5
  local kmods=$kernel/lib/modules/$kver wanted name line ko
  "$busybox" depmod -b "$kernel" "$kver"
  wanted=$(sed 's/#.*//' "$list" | tr -s ' \n' '\n' | sed '/^$/d')
  for name in $wanted; do
    if grep -Eq "/${name//_/[_-]}\.ko$" "$kmods/modules.builtin"; then continue; fi
    line=$(grep -E "/${name//_/[_-]}\.ko:" "$kmods/modules.dep") || initramfs_die "no module $name in $kver"
    for ko in ${line/:/}; do
      mkdir -p "$root/usr/lib/modules/$kver/$(dirname "$ko")"
      cp "$kmods/$ko" "$root/usr/lib/modules/$kver/$ko"
    done
  done
  cp "$kmods/modules.builtin" "$kmods/modules.order" "$root/usr/lib/modules/$kver/"
  "$busybox" depmod -b "$root" "$kver"
  echo "$wanted" > "$root/etc/modules"
}

# compress_executable ALLIANCE LEVEL PACKED: the executable, zstd-compressed,
# as PACKED/usr/lib/alliance/alliance.zst. The kernel unpacks the initramfs
# into a tmpfs capped at half the RAM it sees, so it travels compressed (in
# an archive of its own, not compressed twice) and /init unpacks it.
compress_executable() {
  local alliance=$1 level=$2 packed=$3
  mkdir -p "$packed/usr/lib/alliance"
  zstd -q "-$level" -T0 -f "$alliance" -o "$packed/usr/lib/alliance/alliance.zst"
}

# write_os_release ROOT NAME ID KVER ALLIANCE: /etc/os-release, its build id
# the start of the executable's SHA-256.
write_os_release() {
  local root=$1 name=$2 id=$3 kver=$4 build
  build=$(sha256sum "$5" | cut -c1-12)
  cat > "$root/etc/os-release" <<OS
NAME="$name"
ID=$id
ID_LIKE=debian
BUILD_ID=$build
VERSION_ID="12"
PRETTY_NAME="$name (Debian 12 libraries, kernel $kver, alliance $build)"
OS
}

# cpio_archive DIR STAMP: DIR's contents as a newc cpio archive (owned by
# root) on stdout. Same inputs, same bytes: sorted names, and every mtime set
# to STAMP (--reproducible already drops inode and device numbers).
cpio_archive() {
  find "$1" -mindepth 1 -exec touch -h -d "@$2" {} +
  (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible)
}

# zstd_initrd KERNEL_DIR KVER PACKED ROOT STAMP: on stdout, two archives back
# to back, which the kernel unpacks in turn (as it does early microcode):
# PACKED uncompressed (it holds the already compressed executable), then ROOT
# zstd-compressed. No --ultra/--long: up to level 19 the window stays at
# 8 MiB, the memory the kernel (or zstd in /init) needs to unpack.
zstd_initrd() {
  local kernel=$1 kver=$2 packed=$3 root=$4 stamp=$5
  grep -q '^CONFIG_RD_ZSTD=y' "$kernel/boot/config-$kver" || initramfs_die "$kver cannot unpack a zstd initramfs"
  cpio_archive "$packed" "$stamp"
  cpio_archive "$root" "$stamp" | zstd -q -19 -T0
}
