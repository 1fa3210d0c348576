import { execFile } from 'node:child_process';
import { chmod, mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { InstanceSpec } from '../../../appliance/contracts/index.ts';
import { metadataErrors } from './errors.ts';
import { renderNoCloudSeed } from './nocloud-seed.ts';

// The apply side of the NoCloud seed: the rendered files become an ISO9660
// image labelled `cidata` in the instance directory, which the libvirt driver
// attaches as a cdrom. The image is made in a private directory beside it and
// renamed into place, so a domain never sees half a seed and rerunning (or
// running after a crash) just makes it again.

const run = promisify(execFile);

const SEED_NAMES = ['user-data', 'meta-data'] as const;

/** The seed's file name inside an instance directory. */
export const SEED_FILE = 'seed.iso';

export interface WriteSeedOptions {
  /** The genisoimage executable; looked up on PATH by default. */
  readonly genisoimage?: string;
}

/**
 * Writes `<instanceDir>/seed.iso` for the instance and returns its path. Fits
 * the libvirt driver's `prepareSeed(spec, instanceDir)`. The file is 0600: the
 * user data may hold secrets, and libvirt hands the file to qemu when it starts
 * the domain.
 */
export async function writeNoCloudSeed(spec: InstanceSpec, instanceDir: string, options: WriteSeedOptions = {}): Promise<string> {
  const target = join(instanceDir, SEED_FILE);
  const files = renderNoCloudSeed(spec);
  let staging: string | undefined;
  try {
    staging = await mkdtemp(join(instanceDir, '.seed-'));
    for (const name of SEED_NAMES) await writeFile(join(staging, name), files[name], { mode: 0o600 });
    const iso = join(staging, SEED_FILE);
    await run(options.genisoimage ?? 'genisoimage', ['-output', iso, '-volid', 'cidata', '-joliet', '-rock', ...SEED_NAMES], {
      cwd: staging,
      maxBuffer: 1024 * 1024,
    });
    await chmod(iso, 0o600);
    const handle = await open(iso, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(iso, target);
    return target;
  } catch (err) {
    throw metadataErrors.SEED_FAILED({ path: target, reason: reasonOf(err) }, { cause: err });
  } finally {
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
  }
}

function reasonOf(err: unknown): string {
  const e = err as { code?: unknown; syscall?: unknown; stderr?: unknown; message?: unknown };
  if (e.code === 'ENOENT' && typeof e.syscall === 'string' && e.syscall.startsWith('spawn')) return 'genisoimage was not found';
  const stderr = typeof e.stderr === 'string' ? e.stderr.trim().split('\n').at(-1) : undefined;
  return stderr || (typeof e.message === 'string' ? e.message : String(err));
}
