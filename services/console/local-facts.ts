import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { InterfaceView, StoreCheck } from './console-model.ts';

// What the console reads of the machine itself, without the appliance: it
// must say something useful when the appliance is down.

const SYS_NET = '/sys/class/net';

function readSys(name: string, file: string): string | null {
  try {
    return readFileSync(join(SYS_NET, name, file), 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * Every interface but loopback, with its MAC, whether it is up, and its
 * addresses (IPv4 first; IPv6 link-local left out: nobody manages over it).
 * os.networkInterfaces() alone misses interfaces that have no address.
 */
export function readInterfaces(): InterfaceView[] {
  let names: string[];
  try {
    names = readdirSync(SYS_NET);
  } catch {
    names = [];
  }
  const addressed = networkInterfaces();
  return names
    .filter((name) => name !== 'lo')
    .sort()
    .map((name) => {
      const infos = addressed[name] ?? [];
      const v4 = infos.filter((i) => i.family === 'IPv4').map((i) => i.cidr ?? i.address);
      const v6 = infos.filter((i) => i.family === 'IPv6' && !i.address.toLowerCase().startsWith('fe80:')).map((i) => i.cidr ?? i.address);
      const operstate = readSys(name, 'operstate');
      // Interfaces whose drivers report no carrier state say "unknown" while they pass traffic (tun, dummy).
      const flags = Number.parseInt(readSys(name, 'flags') ?? '0', 16);
      const up = operstate === 'up' || (operstate === 'unknown' && (flags & 1) === 1);
      return { name, mac: readSys(name, 'address') ?? '', up, addresses: [...v4, ...v6] };
    });
}

/** The interface of the IPv4 default route, to start the network form on. */
export function defaultRouteInterface(): string | undefined {
  try {
    const lines = readFileSync('/proc/net/route', 'utf8').split('\n').slice(1);
    for (const l of lines) {
      const [iface, destination, , , , , , mask] = l.trim().split(/\s+/);
      if (destination === '00000000' && mask === '00000000' && iface) return iface;
    }
  } catch {
    // no /proc: no default
  }
  return undefined;
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\u0000', 'latin1');

/** Looks at the store file the way a careful operator would: is it there, readable, and a SQLite database at all. */
export function checkStoreFile(path: string): StoreCheck {
  if (!existsSync(path)) return { kind: 'missing', path };
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const header = Buffer.alloc(SQLITE_HEADER.length);
    const read = readSync(fd, header, 0, header.length, 0);
    if (read < header.length || !header.equals(SQLITE_HEADER)) return { kind: 'unreadable', path, detail: 'not a SQLite database' };
    return { kind: 'ok', path };
  } catch (err) {
    return { kind: 'unreadable', path, detail: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
