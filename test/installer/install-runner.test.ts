// The installer's writer end to end on plain files: a small fake appliance
// image (GPT: FAT ESP, ext4 root, empty ext4 data) made here with sfdisk,
// mkfs.vfat and mkfs.ext4, zstd-compressed with its SHA256SUMS, installed by
// `alliance install` (through the CLI, from an answer file) onto a file as
// the target disk. The bytes are read back: the GPT backup at the file's end,
// p3 spanning the rest, answers.json inside the data file system (debugfs),
// and a reinstall keeping a file that was on the data partition.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readPartitionTable } from '../../installer/read-partition-table.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'alliance-installer-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

const MiB = 1024 * 1024;
const ESP_START = 2048; // sectors
const ROOT_START = ESP_START + 16 * 2048;
const DATA_START = ROOT_START + 24 * 2048;
const IMAGE_SECTORS = DATA_START + 8 * 2048 + 2048; // 8 MiB data, 1 MiB of tail
const image = join(work, 'medium', 'alliance.raw.zst');
const raw = join(work, 'alliance.raw');

function sh(command: string, args: string[], input?: string): string {
  return execFileSync(command, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

function debugfs(disk: string, request: string): string {
  return sh('debugfs', ['-R', request, `${disk}?offset=${DATA_START * 512}`]);
}

function readBytes(file: string, position: number, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, position);
    return buffer;
  } finally {
    closeSync(fd);
  }
}

/** `alliance install` through the CLI (tsx), as the live environment runs it. */
function install(answers: string): { code: number; out: string } {
  const file = join(work, 'answers.toml');
  writeFileSync(file, answers);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'appliance', 'main.ts'), 'install', '--data-dir', join(work, 'var'), '--image', image, '--answers', file], { cwd: ROOT, encoding: 'utf8' });
  return { code: result.status ?? -1, out: `${result.stdout}${result.stderr}` };
}

test.before(() => {
  // The fake image: 1 MiB boot code marker, ESP (FAT), root (ext4 with a file), data (ext4, empty).
  writeFileSync(raw, '');
  sh('truncate', ['-s', String(IMAGE_SECTORS * 512), raw]);
  sh('sfdisk', ['--quiet', raw], [
    'label: gpt',
    'label-id: B1016F6C-2F95-B14B-A724-BEE7EF49BF56',
    `1 : start=${ESP_START}, size=${ROOT_START - ESP_START}, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="ALLIANCEESP", attrs="LegacyBIOSBootable"`,
    `2 : start=${ROOT_START}, size=${DATA_START - ROOT_START}, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name="alliance-root"`,
    `3 : start=${DATA_START}, size=${8 * 2048}, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="alliance-data"`,
    '',
  ].join('\n'));
  const fd = openSync(raw, 'r+');
  const bootCode = Buffer.alloc(440, 0xb0);
  writeSync(fd, bootCode, 0, bootCode.length, 0);
  closeSync(fd);
  sh('mkfs.vfat', ['-n', 'ALLIANCEESP', `--offset=${ESP_START}`, raw, String(16 * 1024)]);
  const rootDir = join(work, 'rootdir');
  sh('mkdir', ['-p', join(rootDir, 'etc')]);
  writeFileSync(join(rootDir, 'etc', 'os-release'), 'ID=alliance\n');
  sh('mkfs.ext4', ['-q', '-F', '-L', 'alliance-root', '-d', rootDir, '-E', `offset=${ROOT_START * 512}`, raw, `${24 * 1024}k`]);
  sh('mkfs.ext4', ['-q', '-F', '-L', 'alliance-data', '-E', `offset=${DATA_START * 512}`, raw, `${8 * 1024}k`]);
  sh('mkdir', ['-p', join(work, 'medium')]);
  sh('zstd', ['-q', '-3', raw, '-o', image]);
  writeFileSync(join(work, 'medium', 'SHA256SUMS'), `${sh('sha256sum', [image]).split(' ')[0]}  alliance.raw.zst\n`);
});

const answers = (disk: string, more = ''): string => `hostname = "gw-01"\nafter = "none"\n${more}[target]\ndisk = "${disk}"\n[network]\ninterface_mac = "52:54:00:12:34:56"\nmode = "static"\naddress = "192.0.2.10/24"\ngateway = "192.0.2.1"\ndns = ["192.0.2.53"]\n[admin]\nname = "admin"\npassword = "correct horse battery"\n`;

test('alliance install writes the image onto a blank disk file: table to the end, data file system, install files', () => {
  const disk = join(work, 'blank.raw');
  writeFileSync(disk, '');
  sh('truncate', ['-s', String(1024 * MiB + IMAGE_SECTORS * 512 + 64 * MiB), disk]);
  const { code, out } = install(answers(disk));
  assert.is(code, 0, out);
  assert.match(out, /installed onto/);

  const size = statSync(disk).size;
  const sectors = size / 512;
  // The image's system region and boot code, byte for byte.
  assert.ok(readBytes(disk, 0, 440).equals(readBytes(raw, 0, 440)), 'the MBR boot code differs from the image\'s');
  assert.ok(readBytes(disk, ESP_START * 512, DATA_START * 512 - ESP_START * 512).equals(readBytes(raw, ESP_START * 512, DATA_START * 512 - ESP_START * 512)), 'p1+p2 differ from the image');
  // The backup GPT header is in the disk's last sector, and the primary points at it.
  assert.is(readBytes(disk, size - 512, 8).toString('latin1'), 'EFI PART');
  const table = readPartitionTable(readBytes(disk, 0, 34 * 512));
  assert.is(table.alternateLba, sectors - 1);
  assert.equal(table.partitions.map((p) => [p.number, p.start, p.name, p.attributeBits]), [[1, ESP_START, 'ALLIANCEESP', [2]], [2, ROOT_START, 'alliance-root', []], [3, DATA_START, 'alliance-data', []]]);
  assert.is(table.partitions[2]!.start + table.partitions[2]!.sectors - 1, sectors - 34, 'p3 does not end at the last usable sector');
  assert.match(sh('sfdisk', ['--verify', disk]), /No errors detected/);
  // The data file system spans p3 and holds the install files.
  const stats = sh('dumpe2fs', ['-h', `${disk}?offset=${DATA_START * 512}`]);
  assert.match(stats, /Filesystem volume name:\s+alliance-data/);
  const blocks = Number(/Block count:\s+(\d+)/.exec(stats)![1]) * Number(/Block size:\s+(\d+)/.exec(stats)![1]);
  assert.ok(blocks > 1000 * MiB, `the data file system holds ${blocks} bytes`);
  assert.equal(JSON.parse(debugfs(disk, 'cat install/answers.json')), {
    version: 1,
    hostname: 'gw-01',
    network: { mac: '52:54:00:12:34:56', mode: 'static', address: '192.0.2.10/24', gateway: '192.0.2.1', dns: ['192.0.2.53'] },
    ntp: [],
  });
  assert.is(debugfs(disk, 'cat install/admin-name'), 'admin\n');
  assert.is(debugfs(disk, 'cat install/admin-password'), 'correct horse battery\n');
  assert.match(debugfs(disk, 'stat install/admin-password'), /Mode:\s+0600/);

  // A reinstall (no wipe) keeps the data partition and what is on it.
  writeFileSync(join(work, 'kept.txt'), 'store\n');
  sh('debugfs', ['-w', '-R', `write ${join(work, 'kept.txt')} kept.txt`, `${disk}?offset=${DATA_START * 512}`]);
  const again = install(answers(disk).replace('gw-01', 'gw-02'));
  assert.is(again.code, 0, again.out);
  assert.match(again.out, /keeping the data file system/);
  assert.is(debugfs(disk, 'cat kept.txt'), 'store\n');
  assert.is((JSON.parse(debugfs(disk, 'cat install/answers.json')) as { hostname: string }).hostname, 'gw-02');
});

test('alliance install refuses a disk with foreign partitions without wipe, and installs over it with wipe', () => {
  const disk = join(work, 'foreign.raw');
  writeFileSync(disk, '');
  sh('truncate', ['-s', String(1024 * MiB + IMAGE_SECTORS * 512 + 64 * MiB), disk]);
  sh('sfdisk', ['--quiet', disk], 'label: gpt\nstart=2048, size=20480, name=home\n');
  const refused = install(answers(disk));
  assert.is(refused.code, 2, refused.out);
  assert.match(refused.out, /it holds a GPT partition table with 1 partition\(s\).*set wipe = true.*\[APL_INSTALL_DISK_IN_USE\]/);
  const wiped = install(answers(disk).replace('[target]\n', '[target]\nwipe = true\n'));
  assert.is(wiped.code, 0, wiped.out);
  assert.match(wiped.out, /making the data file system/);
});

test('alliance install refuses a disk smaller than the image and 1 GiB, with both sizes', () => {
  const disk = join(work, 'small.raw');
  writeFileSync(disk, '');
  sh('truncate', ['-s', String(512 * MiB), disk]);
  const { code, out } = install(answers(disk));
  assert.is(code, 2, out);
  assert.match(out, /it holds 512 MiB and the appliance needs at least 1 GiB \(the 50 MiB appliance image and 1 GiB of data\).*\[APL_INSTALL_DISK_TOO_SMALL\]/);
});

test('alliance install refuses an image whose SHA-256 does not match, writing nothing', () => {
  const sums = join(work, 'medium', 'SHA256SUMS');
  const good = readFileSync(sums, 'utf8');
  writeFileSync(sums, `${'0'.repeat(64)}  alliance.raw.zst\n`);
  const disk = join(work, 'untouched.raw');
  writeFileSync(disk, '');
  sh('truncate', ['-s', String(2048 * MiB), disk]);
  try {
    const { code, out } = install(answers(disk));
    assert.is(code, 1, out);
    assert.match(out, /the medium is damaged: write it again \[APL_INSTALL_IMAGE_CHECKSUM\]/);
    assert.ok(readBytes(disk, 0, 1024 * 1024).every((b) => b === 0), 'the disk was written');
  } finally {
    writeFileSync(sums, good);
  }
});

test.run();
