import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseDisk, describeDisk, diskRefusal } from '../../installer/choose-disk.ts';
import { parseLsblk, type Disk } from '../../installer/list-disks.ts';
import { refusal } from '../_support/refusal.ts';

const GiB = 1024 ** 3;
const rules = { minimumBytes: 3 * GiB, mediumMounts: ['/run/medium'] };

// What lsblk -J -b -o NAME,PATH,TYPE,SIZE,MODEL,TRAN,RM,RO,LOG-SEC,FSTYPE,LABEL,MOUNTPOINTS prints (trimmed).
const dev = (name: string, more: Record<string, unknown> = {}): Record<string, unknown> => ({
  name, path: `/dev/${name}`, type: 'disk', size: 8 * GiB, model: null, tran: null, rm: false, ro: false, 'log-sec': 512, fstype: null, label: null, mountpoints: [null], ...more,
});
const LSBLK = JSON.stringify({
  blockdevices: [
    dev('loop0', { type: 'loop' }),
    dev('sda', { size: 500 * GiB, model: 'Samsung SSD 870 ', tran: 'sata', children: [dev('sda1', { type: 'part', fstype: 'ext4', label: 'home' })] }),
    dev('sdb', { size: 16 * GiB, model: 'Cruzer', tran: 'usb', rm: true, fstype: 'iso9660', label: 'ALLIANCE-INSTALL', mountpoints: ['/run/medium'], children: [dev('sdb1', { type: 'part', fstype: 'iso9660', label: 'ALLIANCE-INSTALL' }), dev('sdb2', { type: 'part', fstype: 'vfat' })] }),
    dev('sr0', { type: 'rom', size: 1 * GiB, fstype: 'iso9660', label: 'ALLIANCE-ANSWERS', rm: true }),
    dev('vda'),
    dev('vdb', { size: 2 * GiB }),
    dev('nvme0n1', { size: 256 * GiB, tran: 'nvme', 'log-sec': 4096 }),
    dev('vdc', { ro: true }),
    dev('vdd', { children: [dev('vdd1', { type: 'part', mountpoints: ['/mnt'] })] }),
    dev('zram0', { size: 0 }),
  ],
});
const disks = parseLsblk(LSBLK);
const byName = (name: string): Disk => disks.find((d) => d.name === name)!;

test('parseLsblk() keeps disks and CD drives (not loop or zram), with sizes, models, partitions and volumes', () => {
  assert.equal(disks.map((d) => d.name), ['sda', 'sdb', 'sr0', 'vda', 'vdb', 'nvme0n1', 'vdc', 'vdd']);
  assert.equal(byName('sda'), {
    name: 'sda', path: '/dev/sda', type: 'disk', sizeBytes: 500 * GiB, model: 'Samsung SSD 870', transport: 'sata', removable: false, readOnly: false, sectorSize: 512,
    volumes: [{ path: '/dev/sda1', fstype: 'ext4', label: 'home', mountpoints: [] }], partitionCount: 1,
  });
  assert.is(byName('sdb').removable, true);
});

const verdicts: { disk: string; code: string | undefined }[] = [
  { disk: 'sda', code: undefined },
  { disk: 'sdb', code: 'APL_INSTALL_DISK_BOOT_MEDIUM' },
  { disk: 'sr0', code: 'APL_INSTALL_DISK_BOOT_MEDIUM' },
  { disk: 'vda', code: undefined },
  { disk: 'vdb', code: 'APL_INSTALL_DISK_TOO_SMALL' },
  { disk: 'nvme0n1', code: 'APL_INSTALL_DISK_SECTOR_SIZE' },
  { disk: 'vdc', code: 'APL_INSTALL_DISK_READ_ONLY' },
  { disk: 'vdd', code: 'APL_INSTALL_DISK_MOUNTED' },
];
for (const c of verdicts) {
  test(`diskRefusal() says ${c.code ?? 'nothing'} for ${c.disk}`, () => {
    assert.is((diskRefusal(byName(c.disk), rules) as { code?: string } | undefined)?.code, c.code);
  });
}

test('diskRefusal() names both sizes for a small disk', () => {
  assert.match(diskRefusal(byName('vdb'), rules)!.message, /it holds 2 GiB and the appliance needs at least 3 GiB/);
});

test('diskRefusal() finds the medium by its mount point when it has another label', () => {
  const medium = { ...byName('vda'), volumes: [{ path: '/dev/vda', fstype: 'iso9660', label: 'OTHER', mountpoints: ['/run/medium'] }] };
  assert.is((diskRefusal(medium, rules) as { code?: string }).code, 'APL_INSTALL_DISK_BOOT_MEDIUM');
});

test('chooseDisk() takes a named disk by path or /dev/NAME', () => {
  assert.is(chooseDisk(disks, '/dev/vda', rules).name, 'vda');
});

const choices: { name: string; disks: readonly Disk[]; want: string; code: string; says: string }[] = [
  { name: 'a disk that does not exist, listing those that do', disks, want: '/dev/sdz', code: 'APL_INSTALL_DISK_NOT_FOUND', says: 'disks here: /dev/sda, /dev/sdb' },
  { name: 'the disk it booted from', disks, want: '/dev/sdb', code: 'APL_INSTALL_DISK_BOOT_MEDIUM', says: 'the installer booted from it' },
  { name: '"auto" with two fitting disks, naming them', disks, want: 'auto', code: 'APL_INSTALL_DISK_AMBIGUOUS', says: '2 disks could take the appliance (/dev/sda 500 GiB, /dev/vda 8 GiB)' },
  { name: '"auto" with no fitting disk, saying why for each', disks: [byName('sdb'), byName('vdb')], want: 'auto', code: 'APL_INSTALL_DISK_NONE', says: '/dev/sdb: boot medium; /dev/vdb: too small' },
];
for (const c of choices) {
  test(`chooseDisk() refuses ${c.name}`, () => {
    const err = refusal(() => chooseDisk(c.disks, c.want, rules));
    assert.is(err.code, c.code);
    assert.ok(err.message.includes(c.says), err.message);
  });
}

test('chooseDisk() "auto" takes the only disk that fits (CD drives are never candidates)', () => {
  assert.is(chooseDisk([byName('sdb'), byName('sr0'), byName('vda'), byName('vdb')], 'auto', rules).name, 'vda');
});

test('describeDisk() gives path, size, model, transport, removable and partitions on one line', () => {
  assert.is(describeDisk(byName('sda')), '/dev/sda           500 GiB  Samsung SSD 870  sata  1 partition(s)');
  assert.is(describeDisk(byName('sdb')), '/dev/sdb            16 GiB  Cruzer  usb  removable  2 partition(s)');
  assert.is(describeDisk(byName('vda')), '/dev/vda             8 GiB  (no model)  blank');
});

test.run();
