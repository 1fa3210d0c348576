import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { imageLayout, minimumDiskBytes, planInstall, type ImageLayout, type InstallFile, type TargetDisk } from '../../installer/plan-install.ts';
import type { PartitionTable, TablePartition } from '../../installer/read-partition-table.ts';
import { refusal } from '../_support/refusal.ts';

const ESP = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';
const ROOT = '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709';
const LINUX = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';
const GiB = 1024 ** 3;
const part = (number: number, start: number, sectors: number, more: Partial<TablePartition> = {}): TablePartition => ({ number, start, sectors, type: LINUX, uuid: '', name: '', attributeBits: [], ...more });

// The image's layout: 256 MiB ESP, 1.25 GiB root, 256 MiB data; 1.75 GiB in all.
const imageTable: PartitionTable = {
  scheme: 'gpt',
  diskGuid: 'B1016F6C-2F95-B14B-A724-BEE7EF49BF56',
  alternateLba: 3674111,
  partitions: [
    part(1, 2048, 524288, { type: ESP, uuid: '378E1EF1-72CF-C04F-AA59-05B966D250B1', name: 'ALLIANCEESP', attributeBits: [2] }),
    part(2, 526336, 2621440, { type: ROOT, uuid: 'C7CA10A0-13A8-E545-B128-408FD65CFD46', name: 'alliance-root' }),
    part(3, 3147776, 524288, { uuid: 'A3EFEE58-5CC5-B148-BBEE-E225718C3F5A', name: 'alliance-data' }),
  ],
};
const image: ImageLayout = imageLayout(imageTable, 'alliance.raw');
const files: InstallFile[] = [{ path: 'install/answers.json', mode: 0o600, content: '{}\n' }];
const blank: TargetDisk = { path: '/dev/vda', kind: 'block', sizeBytes: 8 * GiB, table: { scheme: 'none', diskGuid: '', alternateLba: 0, partitions: [] }, labels: {} };
const gpt = (partitions: TablePartition[]): PartitionTable => ({ scheme: 'gpt', diskGuid: 'X', alternateLba: 16777215, partitions });
const options = { wipe: false, imageName: 'alliance.raw', files };
const LAST_USABLE_8G = 16777216 - 34;

test('imageLayout() takes the size from the backup header, copies p1 and p2, and puts data where the image has it', () => {
  assert.equal(
    { sizeBytes: image.sizeBytes, headBytes: image.headBytes, dataStart: image.dataStart, copied: image.copied.map((p) => p.number), data: image.data?.number },
    { sizeBytes: 3674112 * 512, headBytes: 3147776 * 512, dataStart: 3147776, copied: [1, 2], data: 3 },
  );
  assert.is(minimumDiskBytes(image), 3674112 * 512 + GiB);
});

test('imageLayout() without a data partition puts it after the root, aligned to 1 MiB', () => {
  const layout = imageLayout({ ...imageTable, partitions: imageTable.partitions.slice(0, 2).map((p) => (p.number === 2 ? { ...p, sectors: 2621000 } : p)) }, 'x');
  assert.is(layout.dataStart, 3147776);
});

const badImages: { name: string; table: PartitionTable; says: string }[] = [
  { name: 'an MBR image', table: { ...imageTable, scheme: 'mbr' }, says: 'an MBR partition table, not GPT' },
  { name: 'one partition', table: { ...imageTable, partitions: imageTable.partitions.slice(0, 1) }, says: 'it has 1 partition(s)' },
  { name: 'four partitions', table: { ...imageTable, partitions: [...imageTable.partitions, part(4, 4000000, 10)] }, says: 'expected at most 3' },
  { name: 'a root before the ESP', table: { ...imageTable, partitions: [part(1, 600000, 100), part(2, 2048, 1000)] }, says: 'does not follow the EFI system partition' },
  { name: 'a disk end inside the root', table: { ...imageTable, alternateLba: 3000000 }, says: 'inside the root partition' },
];
for (const c of badImages) {
  test(`imageLayout() refuses ${c.name}`, () => {
    const err = refusal(() => imageLayout(c.table, 'alliance.raw'));
    assert.is(err.code, 'APL_INSTALL_IMAGE_INVALID');
    assert.ok(err.message.includes(c.says), err.message);
  });
}

test('planInstall() on a blank disk writes the head, a table with data to the end, makes the data file system, writes the files', () => {
  const plan = planInstall(image, blank, options);
  assert.equal(plan.steps.map((s) => s.kind), ['write-image', 'partition', 'write-boot-code', 'reread-partitions', 'make-data-fs', 'write-install-files', 'sync']);
  assert.equal(plan.steps[0], { kind: 'write-image', bytes: 3147776 * 512 });
  assert.is(
    (plan.steps[1] as { script: string }).script,
    [
      'label: gpt',
      'label-id: B1016F6C-2F95-B14B-A724-BEE7EF49BF56',
      'unit: sectors',
      'sector-size: 512',
      '',
      `1 : start=2048, size=524288, type=${ESP}, uuid=378E1EF1-72CF-C04F-AA59-05B966D250B1, name="ALLIANCEESP", attrs="LegacyBIOSBootable"`,
      `2 : start=526336, size=2621440, type=${ROOT}, uuid=C7CA10A0-13A8-E545-B128-408FD65CFD46, name="alliance-root"`,
      `3 : start=3147776, size=${LAST_USABLE_8G - 3147776 + 1}, type=${LINUX}, uuid=A3EFEE58-5CC5-B148-BBEE-E225718C3F5A, name="alliance-data"`,
      '',
    ].join('\n'),
  );
  assert.equal(plan.steps[4], { kind: 'make-data-fs', partition: 3, offsetBytes: 3147776 * 512, sizeBytes: (LAST_USABLE_8G - 3147776 + 1) * 512, label: 'alliance-data' });
  assert.equal(plan.data, { start: 3147776, sectors: LAST_USABLE_8G - 3147776 + 1, kept: false });
  assert.is(plan.erases, 'nothing (no partition table)');
});

test('planInstall() onto a file does not ask the kernel to reread, and with no files writes none', () => {
  const plan = planInstall(image, { ...blank, kind: 'file' }, { ...options, files: [] });
  assert.equal(plan.steps.map((s) => s.kind), ['write-image', 'partition', 'write-boot-code', 'make-data-fs', 'sync']);
});

const previous = gpt([part(1, 2048, 524288), part(2, 526336, 2621440), part(3, 3147776, 10000000, { uuid: 'DA7A0000-0000-0000-0000-000000000003', name: 'alliance-data' })]);
const decisions: { name: string; disk: Partial<TargetDisk>; wipe: boolean; data: { kept: boolean; sectors: number }; erases: string }[] = [
  {
    name: 'a previous install keeps its data partition (size and GUID) without wipe',
    disk: { table: previous, labels: { 2: 'alliance-root', 3: 'alliance-data' } },
    wipe: false,
    data: { kept: true, sectors: 10000000 },
    erases: 'a GPT partition table with 3 partition(s) (1: 256 MiB, 2: 1.3 GiB "alliance-root", 3: 4.8 GiB "alliance-data"); the data partition 3 is kept',
  },
  {
    name: 'a previous install keeps its data partition with wipe too',
    disk: { table: previous, labels: { 3: 'alliance-data' } },
    wipe: true,
    data: { kept: true, sectors: 10000000 },
    erases: 'a GPT partition table with 3 partition(s) (1: 256 MiB, 2: 1.3 GiB, 3: 4.8 GiB "alliance-data"); the data partition 3 is kept',
  },
  {
    name: 'a foreign disk with wipe is erased',
    disk: { table: gpt([part(1, 2048, 1000000, { name: 'home' })]), labels: { 1: 'home' } },
    wipe: true,
    data: { kept: false, sectors: LAST_USABLE_8G - 3147776 + 1 },
    erases: 'a GPT partition table with 1 partition(s) (1: 488 MiB "home")',
  },
  {
    name: 'a partition labelled alliance-data at another start is not kept (with wipe)',
    disk: { table: gpt([part(3, 4000000, 1000)]), labels: { 3: 'alliance-data' } },
    wipe: true,
    data: { kept: false, sectors: LAST_USABLE_8G - 3147776 + 1 },
    erases: 'a GPT partition table with 1 partition(s) (3: 500 KiB "alliance-data")',
  },
];
for (const c of decisions) {
  test(`planInstall(): ${c.name}`, () => {
    const plan = planInstall(image, { ...blank, ...c.disk }, { ...options, wipe: c.wipe });
    assert.equal({ kept: plan.data.kept, sectors: plan.data.sectors }, c.data);
    assert.is(plan.erases, c.erases);
    assert.ok(plan.steps.some((s) => s.kind === (c.data.kept ? 'keep-data-fs' : 'make-data-fs')));
    if (c.data.kept) assert.match((plan.steps[1] as { script: string }).script, /3 : start=3147776, size=10000000, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=DA7A0000-0000-0000-0000-000000000003/);
  });
}

const refusals: { name: string; disk: Partial<TargetDisk>; code: string; says: string[] }[] = [
  { name: 'a disk smaller than the image and 1 GiB, naming both sizes', disk: { sizeBytes: 2.5 * GiB }, code: 'APL_INSTALL_DISK_TOO_SMALL', says: ['it holds 2.5 GiB', 'at least 2.8 GiB', '1.8 GiB alliance.raw image'] },
  { name: 'a foreign GPT without wipe', disk: { table: gpt([part(1, 2048, 1000000)]), labels: { 1: 'home' } }, code: 'APL_INSTALL_DISK_IN_USE', says: ['it holds a GPT partition table with 1 partition(s) (1: 488 MiB "home")', 'set wipe = true'] },
  { name: 'an MBR disk without wipe', disk: { table: { scheme: 'mbr', diskGuid: '', alternateLba: 0, partitions: [part(1, 2048, 2048, { type: '83' })] } }, code: 'APL_INSTALL_DISK_IN_USE', says: ['an MBR partition table'] },
  { name: 'an earlier install whose data partition the new layout moves, without wipe', disk: { table: gpt([part(3, 4000000, 1000)]), labels: { 3: 'alliance-data' } }, code: 'APL_INSTALL_DISK_IN_USE', says: ['starts at sector 4000000, the image\'s data partition at 3147776'] },
];
for (const c of refusals) {
  test(`planInstall() refuses ${c.name}`, () => {
    const err = refusal(() => planInstall(image, { ...blank, ...c.disk }, options));
    assert.is(err.code, c.code);
    for (const s of c.says) assert.ok(err.message.includes(s), err.message);
  });
}

test.run();
