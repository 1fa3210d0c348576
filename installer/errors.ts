import { defineErrors } from '../appliance/errors/index.ts';

// `alliance install`: the answer file, the disk choice, the image and the
// writing. Usage and choice mistakes exit 2 (fix the answers, run again);
// failures while writing exit 1.
export const installErrors = defineErrors('INSTALL', {
  ANSWERS_UNREADABLE: {
    status: 400,
    exit: 2,
    message: 'Cannot read the answer file {source}: {reason}; check the path or URL (the installer has network only when DHCP answered)',
  },
  ANSWERS_INVALID: {
    status: 400,
    exit: 2,
    message: 'Cannot use the answer file {source}: {key} {problem}; fix it and run `alliance install --answers` again',
  },
  ANSWERS_UNKNOWN_KEY: {
    status: 400,
    exit: 2,
    message: 'Cannot use the answer file {source}: unknown key {key}; allowed here: {allowed}',
  },
  DISK_NOT_FOUND: {
    status: 404,
    exit: 2,
    message: 'Cannot install onto {disk}: no such disk; disks here: {disks}',
  },
  DISK_NONE: {
    status: 404,
    exit: 1,
    message: 'Cannot choose a disk: no disk here can take the appliance ({reasons}); add a disk of at least {minimum}, then run the installer again',
  },
  DISK_AMBIGUOUS: {
    status: 409,
    exit: 2,
    message: 'Cannot choose a disk with disk = "auto": {count} disks could take the appliance ({disks}); name one in [target] disk',
  },
  DISK_BOOT_MEDIUM: {
    status: 409,
    exit: 2,
    message: 'Cannot install onto {disk}: the installer booted from it; choose another disk',
  },
  DISK_TOO_SMALL: {
    status: 409,
    exit: 2,
    message: 'Cannot install onto {disk}: it holds {size} and the appliance needs at least {minimum} (the {image} image and 1 GiB of data); choose a bigger disk',
  },
  DISK_IN_USE: {
    status: 409,
    exit: 2,
    message: 'Cannot install onto {disk}: it holds {what}; set wipe = true in [target] to erase it, or choose another disk',
  },
  DISK_MOUNTED: {
    status: 409,
    exit: 2,
    message: 'Cannot install onto {disk}: {mounted} is mounted on {mountpoint}; unmount it first',
  },
  DISK_READ_ONLY: {
    status: 409,
    exit: 2,
    message: 'Cannot install onto {disk}: it is read-only (a write-protected stick or card?); choose another disk',
  },
  DISK_SECTOR_SIZE: {
    status: 409,
    exit: 2,
    message: 'Cannot install onto {disk}: its logical sectors are {sector} bytes and the image is made for 512; choose another disk',
  },
  IMAGE_INVALID: {
    status: 500,
    exit: 1,
    message: 'Cannot use the appliance image {image}: {problem}; rebuild it with `make -C image appliance` (or write the installer medium again)',
  },
  IMAGE_CHECKSUM: {
    status: 500,
    exit: 1,
    message: 'Cannot use the appliance image {image}: its SHA-256 is {actual}, {sums} says {expected}; the medium is damaged: write it again',
  },
  COMMAND_FAILED: {
    status: 500,
    exit: 1,
    message: 'Cannot {action}: `{command}` failed ({reason}); the disk may be half written: run the installer again',
  },
  WRITE_FAILED: {
    status: 500,
    exit: 1,
    message: 'Cannot {action}: {reason}; the disk may be half written: check it and run the installer again',
  },
  NOT_CONFIRMED: {
    status: 409,
    exit: 1,
    message: 'Not installing: {reason}; nothing was written',
  },
  NO_TERMINAL: {
    status: 400,
    exit: 2,
    message: 'Cannot ask the installation questions: stdin is not a terminal; give an answer file with --answers FILE|URL',
  },
});
