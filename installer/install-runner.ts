import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { createZstdDecompress } from 'node:zlib';
import { installErrors } from './errors.ts';
import { ext4LabelOf, readPartitionTable, SECTOR, TABLE_BYTES, type PartitionTable } from './read-partition-table.ts';
import type { InstallFile, InstallPlan, InstallStep, TargetDisk } from './plan-install.ts';
import { formatBytes } from '../appliance/cli/index.ts';

// The installer's I/O edge: reads the image and the target disk, and carries
// out the plan's steps with sfdisk, mkfs.ext4 and debugfs. The install files
// go into the data file system with debugfs (no mount, no partition device
// node, no ext4 module): the same path in the live environment and in tests,
// where the target disk is a plain file.

export interface RunnerIo {
  readonly out: (text: string) => void;
  /** Milliseconds now, for progress rates. */
  readonly now?: () => number;
}

/** The image's bytes as a stream: decompressed when it is a .zst file. */
export function openImage(path: string): Readable {
  const raw = createReadStream(path, { highWaterMark: 4 << 20 });
  return path.endsWith('.zst') ? raw.pipe(createZstdDecompress()) : raw;
}

/** The first `bytes` bytes of the (decompressed) image. */
export async function readImageHead(path: string, bytes = 1 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  const stream = openImage(path);
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    got += (chunk as Buffer).length;
    if (got >= bytes) break;
  }
  stream.destroy();
  return Buffer.concat(chunks).subarray(0, bytes);
}

/**
 * Checks the image against the SHA256SUMS file beside it (the line naming it).
 * @throws AllianceError APL_INSTALL_IMAGE_INVALID (no image, no line), APL_INSTALL_IMAGE_CHECKSUM.
 */
export async function verifyImage(path: string, io: RunnerIo): Promise<void> {
  if (!existsSync(path)) throw installErrors.IMAGE_INVALID({ image: path, problem: 'it does not exist' });
  const sums = join(dirname(path), 'SHA256SUMS');
  const line = existsSync(sums) ? readFileSync(sums, 'utf8').split('\n').find((l) => l.trim().split(/\s+\*?/)[1] === basename(path)) : undefined;
  const expected = line?.trim().split(/\s+/)[0]?.toLowerCase();
  if (expected === undefined) throw installErrors.IMAGE_INVALID({ image: path, problem: `${sums} has no line for ${basename(path)}` });
  io.out(`checking ${basename(path)} (${formatBytes(statSync(path).size)}) against SHA256SUMS\n`);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  const actual = hash.digest('hex');
  if (actual !== expected) throw installErrors.IMAGE_CHECKSUM({ image: path, actual, expected, sums });
}

/** What the target holds now: size, partition table, and the ext2/3/4 label of each partition. */
export async function inspectTarget(path: string): Promise<TargetDisk> {
  const kind = statSync(path).isBlockDevice() ? 'block' : 'file';
  const sizeBytes = kind === 'block' ? Number(run('read the disk size', 'blockdev', ['--getsize64', path]).trim()) : statSync(path).size;
  const fh = await openOrThrow(path, 'r', 'read the disk');
  try {
    const head = await readAt(fh, 0, Math.min(TABLE_BYTES, sizeBytes));
    let table: PartitionTable;
    try {
      table = readPartitionTable(head);
    } catch (err) {
      // A damaged GPT: treat as holding something, so wipe is needed.
      table = { scheme: 'gpt', diskGuid: '', alternateLba: 0, partitions: [{ number: 1, start: 0, sectors: 0, type: '', uuid: '', name: (err as Error).message, attributeBits: [] }] };
    }
    const labels: Record<number, string> = {};
    for (const p of table.partitions) {
      if (p.sectors <= 0 || (p.start + 2) * SECTOR + 1024 > sizeBytes) continue;
      const label = ext4LabelOf(await readAt(fh, p.start * SECTOR + 1024, 1024));
      if (label !== undefined && label !== '') labels[p.number] = label;
    }
    return { path, kind, sizeBytes, table, labels };
  } finally {
    await fh.close();
  }
}

/** Carries out the plan's steps in order. `imageHead` is readImageHead(image) (the MBR boot code comes from it). */
export async function runPlan(plan: InstallPlan, options: { image: string; imageHead: Buffer }, io: RunnerIo): Promise<void> {
  for (const step of plan.steps) await runStep(step, plan.target, options, io);
}

async function runStep(step: InstallStep, target: string, options: { image: string; imageHead: Buffer }, io: RunnerIo): Promise<void> {
  switch (step.kind) {
    case 'write-image':
      return writeImage(options.image, target, step.bytes, io);
    case 'partition':
      io.out('writing the partition table\n');
      run('write the partition table', 'sfdisk', ['--quiet', '--no-reread', '--no-tell-kernel', '--wipe', 'never', '--wipe-partitions', 'never', target], step.script);
      return;
    case 'write-boot-code': {
      const fh = await openOrThrow(target, 'r+', 'write the boot code');
      try {
        await fh.write(options.imageHead.subarray(0, step.bytes), 0, step.bytes, 0);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return;
    }
    case 'reread-partitions': {
      const reread = spawnSync('blockdev', ['--rereadpt', target], { encoding: 'utf8' });
      if (reread.status !== 0) run('tell the kernel about the new partitions', 'partx', ['-u', target]);
      // What the whole disk's cache holds of the data partition must not outlive the writes through the partition's node.
      run('flush the disk\'s buffers', 'blockdev', ['--flushbufs', target]);
      return;
    }
    case 'make-data-fs': {
      io.out(`making the data file system (${formatBytes(step.sizeBytes)}, label ${step.label})\n`);
      const fs = await dataFs(target, step);
      const where = fs.device ? [fs.device] : ['-E', `offset=${step.offsetBytes}`, target, `${Math.floor(step.sizeBytes / 1024)}k`];
      run('make the data file system', 'mkfs.ext4', ['-F', '-q', '-L', step.label, ...where]);
      return;
    }
    case 'keep-data-fs': {
      io.out('keeping the data file system of the earlier install\n');
      // 0: clean, 1: errors corrected (a journal replayed after an unclean stop, for one).
      run('check the kept data file system', 'e2fsck', ['-p', (await dataFs(target, step)).path], undefined, [0, 1]);
      return;
    }
    case 'write-install-files':
      io.out(`writing ${step.files.map((f) => f.path).join(', ')}\n`);
      writeInstallFiles((await dataFs(target, step)).path, step.files);
      return;
    case 'sync':
      spawnSync('sync');
      if (statSync(target).isBlockDevice()) spawnSync('blockdev', ['--flushbufs', target]);
      return;
  }
}

async function writeImage(image: string, target: string, bytes: number, io: RunnerIo): Promise<void> {
  const now = io.now ?? Date.now;
  const started = now();
  let reported = 0;
  let written = 0;
  const fh = await openOrThrow(target, 'r+', 'write the image');
  const stream = openImage(image);
  try {
    for await (const chunk of stream) {
      const part = (chunk as Buffer).subarray(0, bytes - written);
      let done = 0;
      while (done < part.length) {
        const { bytesWritten } = await fh.write(part, done, part.length - done, written + done);
        done += bytesWritten;
      }
      written += part.length;
      // A line every 5 % (20 lines on a serial console, not a flood).
      const percent = Math.floor((written * 100) / bytes);
      if (percent >= reported + 5 || written >= bytes) {
        reported = percent - (percent % 5);
        const t = now();
        const rate = written / Math.max(0.001, (t - started) / 1000);
        io.out(`writing the image: ${formatBytes(written)} of ${formatBytes(bytes)} (${Math.floor((written * 100) / bytes)}%, ${formatBytes(rate)}/s)\n`);
      }
      if (written >= bytes) break;
    }
    if (written < bytes) throw installErrors.WRITE_FAILED({ action: 'write the image', reason: `${image} ended after ${written} of ${bytes} bytes` });
    await fh.sync();
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('APL_')) throw err;
    throw installErrors.WRITE_FAILED({ action: `write the image onto ${target}`, reason: (err as Error).message }, { cause: err });
  } finally {
    stream.destroy();
    await fh.close();
  }
  io.out(`image written in ${((now() - started) / 1000).toFixed(1)} s\n`);
}

/**
 * Where the data file system is for e2fsprogs: on a disk, its partition's
 * device node (e2fsck cannot reopen DEVICE?offset=N after replaying a
 * journal, and one device keeps one page cache); in a disk image file,
 * FILE?offset=N.
 */
async function dataFs(target: string, step: { partition: number; offsetBytes: number }): Promise<{ path: string; device: string | undefined }> {
  if (!statSync(target).isBlockDevice()) return { path: `${target}?offset=${step.offsetBytes}`, device: undefined };
  const disk = basename(realpathSync(target));
  // udev-less: the kernel names the partition (vda3, nvme0n1p3, mmcblk0p3); devtmpfs makes its node. Wait for both (at most 10 s).
  for (let tries = 0; tries < 100; tries++) {
    const name = readdirSync(`/sys/class/block/${disk}`).find((entry) => {
      try {
        return readFileSync(`/sys/class/block/${disk}/${entry}/partition`, 'utf8').trim() === String(step.partition);
      } catch {
        return false;
      }
    });
    if (name !== undefined && existsSync(`/dev/${name}`)) return { path: `/dev/${name}`, device: `/dev/${name}` };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw installErrors.WRITE_FAILED({ action: `find partition ${step.partition} of ${target}`, reason: 'the kernel shows no such partition after the table was written' });
}

/** Writes the files into the ext4 file system at `fs` (a device, or FILE?offset=N), creating install/ and replacing older files, then reads them back. */
export function writeInstallFiles(fs: string, files: readonly InstallFile[]): void {
  const work = mkdtempSync(join(tmpdir(), 'alliance-install-'));
  try {
    const script: string[] = [];
    const dirs = [...new Set(files.map((f) => dirname(f.path)).filter((d) => d !== '.'))];
    for (const dir of dirs) script.push(`mkdir ${dir}`, `set_inode_field ${dir} mode 040700`);
    files.forEach((file, i) => {
      const local = join(work, String(i));
      writeFileSync(local, file.content, { mode: 0o600 });
      script.push(`rm ${file.path}`, `write ${local} ${file.path}`, `set_inode_field ${file.path} mode 0${(0o100000 | file.mode).toString(8)}`, `set_inode_field ${file.path} uid 0`, `set_inode_field ${file.path} gid 0`);
    });
    writeFileSync(join(work, 'script'), `${script.join('\n')}\n`);
    run('write the install files', 'debugfs', ['-w', '-f', join(work, 'script'), fs]);
    for (const file of files) {
      const back = run('read back the install files', 'debugfs', ['-R', `cat ${file.path}`, fs]);
      if (back !== file.content) throw installErrors.WRITE_FAILED({ action: `write ${file.path} into the data file system`, reason: 'debugfs read back other bytes' });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Runs a tool; its stdout, or APL_INSTALL_COMMAND_FAILED naming the action. */
export function run(action: string, command: string, args: readonly string[], input?: string, okCodes: readonly number[] = [0]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', input, maxBuffer: 64 << 20 });
  if (result.error) throw installErrors.COMMAND_FAILED({ action, command: [command, ...args].join(' '), reason: result.error.message }, { cause: result.error });
  if (!okCodes.includes(result.status ?? -1)) {
    const reason = `${result.status === null ? `signal ${result.signal}` : `exit ${result.status}`}: ${(result.stderr || result.stdout).trim().split('\n').slice(-2).join(' / ')}`;
    throw installErrors.COMMAND_FAILED({ action, command: [command, ...args].join(' '), reason });
  }
  return result.stdout;
}

async function openOrThrow(path: string, flags: string, action: string): Promise<FileHandle> {
  try {
    return await open(path, flags);
  } catch (err) {
    throw installErrors.WRITE_FAILED({ action: `${action} (${path})`, reason: (err as Error).message }, { cause: err });
  }
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}
