// Real qemu-img (Debian qemu-utils): a tiny raw base, a qcow2 over it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAllianceError } from '../../../../appliance/errors/index.ts';
import { makeInstanceDisk, removeInstanceFiles } from '../../../../services/agent/hypervisor/instance-disk.ts';

const dir = mkdtempSync(join(tmpdir(), 'alliance-disk-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

interface Info {
  readonly format: string;
  readonly 'virtual-size': number;
  readonly 'backing-filename'?: string;
  readonly 'backing-filename-format'?: string;
}
const info = (path: string): Info => JSON.parse(execFileSync('qemu-img', ['info', '--output=json', path], { encoding: 'utf8' })) as Info;

test('makeInstanceDisk() makes a qcow2 backed by the raw base, grown to the asked size', async () => {
  const base = join(dir, 'base.raw');
  execFileSync('qemu-img', ['create', '-q', '-f', 'raw', base, '1M']);
  const disk = join(dir, 'i1', 'disk.qcow2');
  await makeInstanceDisk(disk, { base, baseFormat: 'raw', sizeGiB: 2 });
  const got = info(disk);
  assert.equal([got.format, got['virtual-size'], got['backing-filename'], got['backing-filename-format']], ['qcow2', 2 * 1024 ** 3, base, 'raw']);
  assert.not.ok(existsSync(`${disk}.new`));
});

test('makeInstanceDisk() never shrinks an image larger than the asked size', async () => {
  const base = join(dir, 'big.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', base, '3G']);
  const disk = join(dir, 'i2', 'disk.qcow2');
  await makeInstanceDisk(disk, { base, baseFormat: 'qcow2', sizeGiB: 1 });
  assert.is(info(disk)['virtual-size'], 3 * 1024 ** 3);
});

test('makeInstanceDisk() answers a base that is not an image with APL_HYPERVISOR_DISK_FAILED and makes no disk', async () => {
  const base = join(dir, 'junk.qcow2');
  writeFileSync(base, 'not an image');
  const disk = join(dir, 'i3', 'disk.qcow2');
  try {
    await makeInstanceDisk(disk, { base, baseFormat: 'qcow2', sizeGiB: 1 });
    assert.unreachable();
  } catch (err) {
    assert.ok(isAllianceError(err, 'APL_HYPERVISOR_DISK_FAILED'), String(err));
    assert.match((err as Error).message, 'qcow2');
  }
  assert.not.ok(existsSync(disk));
});

test('removeInstanceFiles() removes the directory, and is fine when it is gone', async () => {
  await removeInstanceFiles(join(dir, 'i1'));
  assert.not.ok(existsSync(join(dir, 'i1')));
  await removeInstanceFiles(join(dir, 'i1'));
});

test.run();
