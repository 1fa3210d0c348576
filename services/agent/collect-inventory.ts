import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { arch, hostname, networkInterfaces, release } from 'node:os';
import { join } from 'node:path';
import si from 'systeminformation';
import type { Inventory } from '../../appliance/contracts/index.ts';
import { PCI_KINDS, toInventory, type RawInventory } from './to-inventory.ts';

// The I/O half of inventory: systeminformation (which runs lsblk, dmidecode
// and friends and reads /proc), plus what it does not cover, read straight
// from sysfs: every network interface (not only those with addresses) and
// PCI class codes. Each source that fails leaves its part empty: a host with
// an unreadable /sys still gets an inventory, just a thinner one.

export interface CollectOptions {
  /** Where sysfs is; tests point it at a copy. */
  readonly sysRoot?: string;
  /** pci.ids files to name vendors and devices by; the first readable one is used. */
  readonly pciIdsPaths?: readonly string[];
}

const PCI_IDS_PATHS = ['/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids'];

/** The machine's hardware as the contract's Inventory. Takes a few hundred milliseconds. */
export async function collectInventory(options: CollectOptions = {}): Promise<Inventory> {
  return toInventory(await collectRawInventory(options));
}

export async function collectRawInventory(options: CollectOptions = {}): Promise<RawInventory> {
  const sys = options.sysRoot ?? '/sys';
  const [system, cpu, flags, mem, diskLayout, blockDevices, nics, nicStats, graphics] = await Promise.all([
    settle(si.system(), { manufacturer: '', model: '', serial: '', uuid: '' }),
    settle(si.cpu(), { manufacturer: '', brand: '', vendor: '', cores: 0, physicalCores: 0, processors: 0, flags: '' }),
    settle(si.cpuFlags(), ''),
    settle(si.mem(), { total: 0 }),
    settle(si.diskLayout(), []),
    settle(si.blockDevices(), []),
    settle(si.networkInterfaces(), []),
    settle(si.networkStats('*'), []),
    settle(si.graphics(), { controllers: [] }),
  ]);
  // Not si.osInfo(): it calls exec(cmd, undefined, callback), which the single executable's
  // patched child_process turns into a throw that takes the whole process down.
  const osRelease = parseOsRelease(readText('/etc/os-release') ?? readText('/usr/lib/os-release') ?? '');
  const pciDevices = readPciDevices(sys);
  return {
    system: pick(system, ['manufacturer', 'model', 'serial', 'uuid']),
    // si.cpu() leaves flags empty on some kernels; si.cpuFlags() reads them itself, but without
    // lscpu it looks for ARM's `features` line only, so x86 `flags` are read here last.
    cpu: { ...pick(cpu, ['manufacturer', 'brand', 'vendor', 'cores', 'physicalCores', 'processors']), flags: cpu.flags || flags || cpuinfoFlags(readText('/proc/cpuinfo') ?? '') },
    mem: { total: mem.total },
    diskLayout: diskLayout.map((d) => pick(d, ['device', 'type', 'name', 'size', 'serialNum', 'interfaceType'])),
    blockDevices: blockDevices.map((b) => pick(b, ['name', 'type', 'size', 'physical', 'model', 'serial'])),
    nics: (Array.isArray(nics) ? nics : [nics]).map((n) => pick(n, ['iface', 'mac', 'internal', 'virtual', 'operstate', 'speed'])),
    nicStats: nicStats.map((n) => pick(n, ['iface', 'operstate'])),
    sysNet: readSysNet(sys),
    addresses: Object.fromEntries(Object.entries(networkInterfaces()).map(([name, list]) => [name, (list ?? []).map((a) => a.address)])),
    graphics: graphics.controllers.map((g) => ({ vendor: g.vendor, model: g.model, busAddress: g.busAddress ?? g.pciBus })),
    pciDevices,
    pciNames: pciNamesFor(pciDevices, options.pciIdsPaths ?? PCI_IDS_PATHS),
    os: { hostname: hostname(), kernel: release(), distro: osRelease.NAME ?? '', release: osRelease.VERSION_ID ?? '', arch: arch() },
  };
}

/** The source's answer, or the fallback (which covers the fields used) when it fails. */
async function settle<T>(promise: Promise<T>, fallback: Partial<T>): Promise<T> {
  try {
    return (await promise) ?? (fallback as T);
  } catch {
    return fallback as T;
  }
}

function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, from[k]])) as Pick<T, K>;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** /sys/class/net: an interface is virtual when its device sits under /sys/devices/virtual. */
function readSysNet(sys: string): RawInventory['sysNet'] {
  return list(join(sys, 'class', 'net')).map((name) => {
    const dir = join(sys, 'class', 'net', name);
    let real = dir;
    try {
      real = realpathSync(dir);
    } catch {
      // a vanished interface: keep the name
    }
    // Reading speed fails (EINVAL) while the link is down; -1 means unknown.
    const speed = Number(readText(join(dir, 'speed')) ?? NaN);
    return {
      name,
      mac: readText(join(dir, 'address')) ?? '',
      operstate: readText(join(dir, 'operstate')) ?? '',
      speedMbps: Number.isFinite(speed) && speed > 0 ? speed : null,
      virtual: real.includes('/devices/virtual/'),
    };
  });
}

function readPciDevices(sys: string): RawInventory['pciDevices'] {
  const base = join(sys, 'bus', 'pci', 'devices');
  return list(base).flatMap((address) => {
    const number = (file: string): number => Number.parseInt(readText(join(base, address, file)) ?? '', 16);
    const device = { address, classCode: number('class'), vendorId: number('vendor'), deviceId: number('device') };
    return Object.values(device).some((v) => typeof v === 'number' && Number.isNaN(v)) ? [] : [device];
  });
}

/** Names from pci.ids for the devices the inventory lists (GPUs, FC HBAs) only; the file is read only when there are some. */
function pciNamesFor(devices: RawInventory['pciDevices'], paths: readonly string[]): Record<string, string> {
  const wanted = devices.filter((d) => PCI_KINDS[(d.classCode >>> 8) & 0xffff] !== undefined);
  if (wanted.length === 0) return {};
  const ids = paths.map(readText).find((t) => t !== undefined);
  if (ids === undefined) return {};
  const hex = (n: number) => n.toString(16).padStart(4, '0');
  return lookupPciNames(ids, wanted.map((d) => [hex(d.vendorId), hex(d.deviceId)] as const));
}

/** os-release(5): KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m === null) continue;
    const raw = m[2]!.trim();
    fields[m[1]!] = /^(["']).*\1$/.test(raw) ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  }
  return fields;
}

/**
 * Reads pci.ids ("vvvv  Vendor" lines, then "\tdddd  Device" lines under each)
 * for the wanted ids only.
 */
export function lookupPciNames(ids: string, wanted: readonly (readonly [vendor: string, device: string])[]): Record<string, string> {
  const vendors = new Set(wanted.map(([v]) => v));
  const devices = new Set(wanted.map(([v, d]) => `${v}:${d}`));
  const names: Record<string, string> = {};
  let vendor: string | undefined;
  for (const line of ids.split('\n')) {
    if (line.startsWith('C ')) break; // the device class list follows the vendors
    const v = /^([0-9a-f]{4})\s+(.+)$/.exec(line);
    if (v !== null) {
      vendor = vendors.has(v[1]!) ? v[1]! : undefined;
      if (vendor !== undefined) names[vendor] = v[2]!.trim();
      continue;
    }
    const d = vendor === undefined ? null : /^\t([0-9a-f]{4})\s+(.+)$/.exec(line);
    if (d !== null && devices.has(`${vendor}:${d[1]}`)) names[`${vendor}:${d[1]}`] = d[2]!.trim();
  }
  return names;
}

/** The first `flags` (x86) or `Features` (ARM) line of /proc/cpuinfo. Pure. */
export function cpuinfoFlags(cpuinfo: string): string {
  return /^(?:flags|Features)\s*:\s*(.*)$/im.exec(cpuinfo)?.[1]?.trim() ?? '';
}
