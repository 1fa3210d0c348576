import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../../appliance/files/index.ts';
import { consoleErrors as systemErrors } from '../errors.ts';
import { networkdFileName } from './management-network.ts';

// Where the system settings live under an etc directory, and the one way they
// are written: atomically (temp file, fsync, rename, fsync of the directory),
// readable by all (the daemons that read them do not run as root).

export interface SystemPaths {
  /** '/etc' in production; tests pass a temporary directory. */
  readonly etcDir: string;
}

export function systemFiles(paths: SystemPaths) {
  const etc = paths.etcDir;
  return {
    networkd: join(etc, 'systemd', 'network', networkdFileName()),
    hostname: join(etc, 'hostname'),
    hosts: join(etc, 'hosts'),
    resolvConf: join(etc, 'resolv.conf'),
    timesyncd: join(etc, 'systemd', 'timesyncd.conf.d', 'alliance.conf'),
  } as const;
}

/** Writes a configuration file atomically, mode 0644, making its directories (0755) first. */
export function writeSystemFile(path: string, text: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    writeFileAtomic(path, text, 0o644);
  } catch (err) {
    throw systemErrors.SYSTEM_WRITE_FAILED({ path, reason: (err as NodeJS.ErrnoException).code ?? String(err) }, { cause: err });
  }
}

/** The file's text, or null when there is none. */
export function readSystemFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw systemErrors.SYSTEM_WRITE_FAILED({ path, reason: `cannot read it first: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }, { cause: err });
  }
}

/** Puts a file back as it was: its old text, or no file. */
export function restoreSystemFile(path: string, text: string | null): void {
  if (text !== null) return writeSystemFile(path, text);
  try {
    rmSync(path, { force: true });
  } catch (err) {
    throw systemErrors.SYSTEM_WRITE_FAILED({ path, reason: (err as NodeJS.ErrnoException).code ?? String(err) }, { cause: err });
  }
}
