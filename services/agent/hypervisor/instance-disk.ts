import { execFile } from 'node:child_process';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { ImageFormat } from '../../../appliance/contracts/index.ts';
import { hypervisorErrors } from './errors.ts';

const run = promisify(execFile);
const GiB = 1024 ** 3;

export interface MakeDiskOptions {
  readonly base: string;
  readonly baseFormat: ImageFormat;
  readonly sizeGiB: number;
  /** The qemu-img executable; default `qemu-img` on PATH. */
  readonly qemuImg?: string;
}

/**
 * A qcow2 root disk at `disk`, copy-on-write over the cached base image, of
 * sizeGiB or the image's own size if that is larger (never shrunk). Made
 * under a temporary name and renamed, so a disk that exists is whole.
 */
export async function makeInstanceDisk(disk: string, options: MakeDiskOptions): Promise<void> {
  const qemuImg = options.qemuImg ?? 'qemu-img';
  const fail = (err: unknown): never => {
    const reason = ((err as { stderr?: string }).stderr ?? '').trim() || (err as Error).message;
    throw hypervisorErrors.DISK_FAILED({ path: disk, reason, dir: dirname(disk) }, { cause: err });
  };
  await mkdir(dirname(disk), { recursive: true });
  const info = await run(qemuImg, ['info', '--output=json', '-f', options.baseFormat, options.base]).catch(fail);
  const baseBytes = Number((JSON.parse(info.stdout) as { 'virtual-size'?: number })['virtual-size'] ?? 0);
  const bytes = Math.max(options.sizeGiB * GiB, baseBytes);
  const temp = `${disk}.new`;
  await rm(temp, { force: true });
  await run(qemuImg, ['create', '-q', '-f', 'qcow2', '-F', options.baseFormat, '-b', options.base, temp, String(bytes)]).catch(fail);
  await rename(temp, disk);
}

/** Removes an instance's directory (disk, seed, console log); nothing when it is gone already. */
export async function removeInstanceFiles(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
