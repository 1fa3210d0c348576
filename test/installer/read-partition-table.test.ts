import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ext4LabelOf, readPartitionTable, TABLE_BYTES, type PartitionTable } from '../../installer/read-partition-table.ts';

const work = mkdtempSync(join(tmpdir(), 'alliance-ptable-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

/** The first sectors of a 64 MiB file partitioned by sfdisk with this script ('' for none). */
function headOf(script: string): Buffer {
  const file = join(work, 'disk.raw');
  writeFileSync(file, '');
  execFileSync('truncate', ['-s', '64M', file]);
  if (script !== '') execFileSync('sfdisk', ['--quiet', file], { input: script });
  return readFileSync(file).subarray(0, TABLE_BYTES);
}

const ESP = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';
const LINUX = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';
const cases: { name: string; script: string; want: Omit<PartitionTable, 'diskGuid'> & { diskGuid?: string } }[] = [
  { name: 'a blank disk as none', script: '', want: { scheme: 'none', diskGuid: '', alternateLba: 0, partitions: [] } },
  {
    name: 'an MBR with two partitions, by slot',
    script: 'label: dos\nstart=2048, size=8192, type=83\nstart=10240, size=4096, type=c\n',
    want: { scheme: 'mbr', diskGuid: '', alternateLba: 0, partitions: [
      { number: 1, start: 2048, sectors: 8192, type: '83', uuid: '', name: '', attributeBits: [] },
      { number: 2, start: 10240, sectors: 4096, type: '0c', uuid: '', name: '', attributeBits: [] },
    ] },
  },
  {
    name: 'a GPT with its GUIDs, names, attributes and the backup header at the last sector',
    script: `label: gpt\nlabel-id: 11111111-2222-3333-4444-555555555555\n1 : start=2048, size=4096, type=${ESP}, uuid=AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE, name="ALLIANCEESP", attrs="LegacyBIOSBootable"\n3 : start=8192, size=2048, type=${LINUX}, uuid=00000000-1111-2222-3333-444444444444, name="alliance-data", attrs="RequiredPartition GUID:63"\n`,
    want: { scheme: 'gpt', diskGuid: '11111111-2222-3333-4444-555555555555', alternateLba: 131071, partitions: [
      { number: 1, start: 2048, sectors: 4096, type: ESP, uuid: 'AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE', name: 'ALLIANCEESP', attributeBits: [2] },
      { number: 3, start: 8192, sectors: 2048, type: LINUX, uuid: '00000000-1111-2222-3333-444444444444', name: 'alliance-data', attributeBits: [0, 63] },
    ] },
  },
];

for (const c of cases) {
  test(`readPartitionTable() reads ${c.name}`, () => {
    assert.equal(readPartitionTable(headOf(c.script)), c.want);
  });
}

test('readPartitionTable() refuses a protective MBR without a GPT header', () => {
  const head = headOf('label: gpt\nstart=2048, size=2048\n');
  head.fill(0, 512, 1024);
  assert.throws(() => readPartitionTable(head), /no "EFI PART" header/);
});

test('ext4LabelOf() reads the label of an ext4 superblock, and nothing from other bytes', () => {
  const fs = join(work, 'fs.img');
  execFileSync('truncate', ['-s', '4M', fs]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'alliance-data', fs]);
  assert.is(ext4LabelOf(readFileSync(fs).subarray(1024, 2048)), 'alliance-data');
  execFileSync('mkfs.ext4', ['-q', '-F', fs]);
  assert.is(ext4LabelOf(readFileSync(fs).subarray(1024, 2048)), '');
  assert.is(ext4LabelOf(Buffer.alloc(1024)), undefined);
});

test.run();
