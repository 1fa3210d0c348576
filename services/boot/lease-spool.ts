import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../appliance/files/index.ts';

// Lease hook calls the appliance could not take. dnsmasq acknowledges a lease
// to the client before its hook runs, so when the appliance is down (killed,
// restarting, an orphaned dnsmasq still answering) the call is kept here, on
// disk and synced, and the boot service replays it before its next dnsmasq
// starts and asks for the lease database. The files are as untrusted as the
// hook's arguments: the replay sends them through boot.lease's own checks.

/** One spooled dnsmasq call, as the hook received it. */
export interface SpooledCall {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** Where the calls wait: `<data-dir>/boot/lease-spool` (the data directory is root's, 0700). */
export function leaseSpoolDir(dataDir: string): string {
  return join(dataDir, 'boot', 'lease-spool');
}

/** Writes one call, synced, under a name that sorts by time; returns the file's path. */
export function spoolLeaseCall(dir: string, call: SpooledCall, now: Date): string {
  // Hooks never run concurrently, but a hook of an orphaned dnsmasq might run beside a new one's: keep names unique.
  const file = join(dir, `${now.getTime().toString().padStart(15, '0')}-${randomBytes(4).toString('hex')}.json`);
  writeFileAtomic(file, JSON.stringify({ argv: call.argv, env: call.env }));
  return file;
}

export type SpoolEntry = { readonly file: string; readonly call: SpooledCall } | { readonly file: string; readonly problem: string };

/** The spooled calls, oldest first; a file that is not a call is returned with its problem (the replay logs and drops it). */
export function readLeaseSpool(dir: string): SpoolEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^\d{15}-[0-9a-f]{8}\.json$/.test(n)).sort();
  } catch {
    return [];
  }
  return names.map((name) => {
    const file = join(dir, name);
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      if (!isCall(parsed)) return { file, problem: 'not a lease hook call (argv: string[], env: {DNSMASQ_*: string})' };
      return { file, call: parsed };
    } catch (err) {
      return { file, problem: (err as Error).message };
    }
  });
}

export function removeSpooled(file: string): void {
  rmSync(file, { force: true });
}

function isCall(value: unknown): value is SpooledCall {
  if (typeof value !== 'object' || value === null) return false;
  const { argv, env } = value as { argv?: unknown; env?: unknown };
  return (
    Array.isArray(argv) &&
    argv.every((a) => typeof a === 'string') &&
    typeof env === 'object' &&
    env !== null &&
    !Array.isArray(env) &&
    Object.values(env).every((v) => typeof v === 'string')
  );
}
