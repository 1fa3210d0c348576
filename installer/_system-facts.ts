import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import * as tls from 'node:tls';
import { installErrors } from './errors.ts';
import type { Nic } from './ask-answers.ts';
import { run } from './install-runner.ts';
import { LSBLK_COLUMNS, parseLsblk, type Disk } from './list-disks.ts';

// What the installer reads from the machine: disks, NICs, mounts, the answer file.

export function listDisks(): Disk[] {
  return parseLsblk(run('list the disks', 'lsblk', ['-J', '-b', '-o', LSBLK_COLUMNS]));
}

/** Ethernet interfaces with a device behind them (not virtual), by name. */
export function listNics(): Nic[] {
  const root = '/sys/class/net';
  if (!existsSync(root)) return [];
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return '';
    }
  };
  return readdirSync(root)
    .filter((name) => read(join(root, name, 'type')) === '1' && existsSync(join(root, name, 'device')))
    .sort()
    .map((name) => ({ name, mac: read(join(root, name, 'address')).toLowerCase(), up: read(join(root, name, 'carrier')) === '1' }));
}

/** The mount point holding a path (longest prefix in /proc/self/mountinfo), or undefined. */
export function mountPointOf(path: string): string | undefined {
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  const points = text.split('\n').map((line) => line.split(' ')[4]?.replace(/\\040/g, ' ')).filter((p): p is string => p !== undefined);
  return points.filter((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`)).sort((a, b) => b.length - a.length)[0];
}

/**
 * The answer file's text, from a local path or an http(s) URL (30 s timeout;
 * https is checked against Node's CAs and the system's).
 * @throws AllianceError APL_INSTALL_ANSWERS_UNREADABLE.
 */
export async function loadAnswerText(source: string, timeoutMs = 30_000): Promise<string> {
  if (/^https?:\/\//i.test(source)) {
    try {
      const system = tls.getCACertificates('system');
      if (system.length > 0) tls.setDefaultCACertificates([...tls.getCACertificates('bundled'), ...system]);
    } catch {
      // An older runtime or no system store: Node's own CAs only.
    }
    try {
      const answer = await fetch(source, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
      if (!answer.ok) throw new Error(`HTTP ${answer.status} ${answer.statusText}`);
      return await answer.text();
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message;
      throw installErrors.ANSWERS_UNREADABLE({ source, reason: cause ? `${(err as Error).message} (${cause})` : (err as Error).message }, { cause: err });
    }
  }
  try {
    return await readFile(source, 'utf8');
  } catch (err) {
    throw installErrors.ANSWERS_UNREADABLE({ source, reason: (err as Error).message }, { cause: err });
  }
}
