import type { Inventory } from '../../appliance/contracts/index.ts';

// The pure half of inventory: what collectRawInventory() gathered (systeminformation,
// sysfs, os) becomes the contract's Inventory. Every string and list is clamped
// to the schema's bounds and every number made a sane integer, so no machine,
// however odd its firmware strings, produces an inventory the controller refuses.

/** What the gathering step found, in the shapes its sources give (trimmed to the fields used). */
export interface RawInventory {
  readonly system: { readonly manufacturer: string; readonly model: string; readonly serial: string; readonly uuid: string };
  readonly cpu: {
    readonly manufacturer: string;
    readonly brand: string;
    readonly vendor: string;
    /** Logical processors (threads). */
    readonly cores: number;
    readonly physicalCores: number;
    /** Packages (sockets). */
    readonly processors: number;
    /** Space-separated, as in /proc/cpuinfo. */
    readonly flags: string;
  };
  readonly mem: { readonly total: number };
  /** si.diskLayout(): physical drives, when smartctl/lsblk can tell. */
  readonly diskLayout: readonly { readonly device: string; readonly type: string; readonly name: string; readonly size: number; readonly serialNum: string; readonly interfaceType: string }[];
  /** si.blockDevices(): every block device lsblk lists. */
  readonly blockDevices: readonly { readonly name: string; readonly type: string; readonly size: number; readonly physical: string; readonly model: string; readonly serial: string }[];
  /** si.networkInterfaces(): interfaces with addresses. */
  readonly nics: readonly { readonly iface: string; readonly mac: string; readonly internal: boolean; readonly virtual: boolean; readonly operstate: string; readonly speed: number | null }[];
  /** si.networkStats('*'). */
  readonly nicStats: readonly { readonly iface: string; readonly operstate: string }[];
  /** /sys/class/net: every interface, with or without addresses. */
  readonly sysNet: readonly { readonly name: string; readonly mac: string; readonly operstate: string; readonly speedMbps: number | null; readonly virtual: boolean }[];
  /** os.networkInterfaces() addresses by interface name. */
  readonly addresses: Readonly<Record<string, readonly string[]>>;
  /** si.graphics().controllers. */
  readonly graphics: readonly { readonly vendor: string; readonly model: string; readonly busAddress?: string | undefined }[];
  /** /sys/bus/pci/devices: address and the class, vendor and device ids. */
  readonly pciDevices: readonly { readonly address: string; readonly classCode: number; readonly vendorId: number; readonly deviceId: number }[];
  /** Names from pci.ids for the devices of interest, keyed "vvvv" and "vvvv:dddd" (lower-case hex); often empty. */
  readonly pciNames: Readonly<Record<string, string>>;
  readonly os: { readonly hostname: string; readonly kernel: string; readonly distro: string; readonly release: string; readonly arch: string };
}

/** PCI classes of interest (class and subclass, the top 16 of the 24 bits). */
export const PCI_KINDS: Readonly<Record<number, 'gpu' | 'fc-hba'>> = { 0x0c04: 'fc-hba', 0x0300: 'gpu', 0x0302: 'gpu' };

/**
 * VGA-class devices that only drive a console: BMC and emulated adapters. Every
 * server has one; calling it a GPU would mislead placement.
 */
const DISPLAY_ONLY_VENDORS: ReadonlySet<number> = new Set([
  0x1a03, // ASPEED (BMC)
  0x102b, // Matrox (BMC)
  0x19a2, // Emulex ServerEngines (BMC video)
  0x1234, // QEMU/Bochs VGA
  0x1013, // Cirrus Logic (emulated)
  0x1b36, // Red Hat QXL
  0x1af4, // virtio-gpu
  0x15ad, // VMware SVGA
  0x80ee, // VirtualBox
  0x1414, // Hyper-V
]);

/** Vendor names for when neither systeminformation nor pci.ids has one. */
const KNOWN_VENDORS: Readonly<Record<number, string>> = {
  0x10de: 'NVIDIA Corporation',
  0x1002: 'Advanced Micro Devices, Inc. [AMD/ATI]',
  0x8086: 'Intel Corporation',
  0x10df: 'Emulex Corporation',
  0x1077: 'QLogic Corp.',
  0x1657: 'Brocade Communications Systems, Inc.',
  0x117c: 'ATTO Technology, Inc.',
};

/** Values firmware puts where it has nothing to say. */
const PLACEHOLDERS = new Set(
  [
    '-',
    'none',
    'n/a',
    'na',
    'unknown',
    'default string',
    'to be filled by o.e.m.',
    'not specified',
    'not applicable',
    'not available',
    'system serial number',
    'system manufacturer',
    'system product name',
    'system version',
    '0123456789',
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
  ].map((s) => s.toLowerCase()),
);

/** The contract's Inventory from what was gathered; never throws, always within the schema's bounds. */
export function toInventory(raw: RawInventory): Inventory {
  const flags = unique(String(raw.cpu.flags ?? '').split(/\s+/).map((f) => text(f, 32)).filter((f) => f !== '')).slice(0, 512);
  const manufacturer = fact(raw.cpu.manufacturer, 64);
  const brand = fact(raw.cpu.brand, 256);
  return {
    system: {
      vendor: fact(raw.system.manufacturer, 128),
      model: fact(raw.system.model, 128),
      serial: fact(raw.system.serial, 128),
      uuid: fact(raw.system.uuid, 64).toLowerCase(),
    },
    cpu: {
      model: text(brand.toLowerCase().startsWith(manufacturer.toLowerCase()) ? brand : `${manufacturer} ${brand}`, 256),
      vendor: fact(raw.cpu.vendor, 64) || manufacturer,
      sockets: integer(raw.cpu.processors, 0, 64),
      cores: integer(raw.cpu.physicalCores, 0, 4096),
      threads: integer(raw.cpu.cores, 0, 8192),
      flags,
      virtualization: flags.includes('vmx') || flags.includes('svm'),
    },
    memory: { totalBytes: integer(raw.mem.total, 0, Number.MAX_SAFE_INTEGER) },
    disks: disksOf(raw).slice(0, 256),
    nics: nicsOf(raw).slice(0, 256),
    pci: pciOf(raw).slice(0, 256),
    os: {
      hostname: text(raw.os.hostname, 253),
      kernel: text(raw.os.kernel, 128),
      distro: text([raw.os.distro, raw.os.release].map((s) => fact(s, 128)).filter((s) => s !== '').join(' '), 128),
      arch: text(raw.os.arch, 32),
    },
  };
}

type Disk = Inventory['disks'][number];

/** Block devices that are not drives: memory, loops, network and mapped devices. */
const NOT_A_DRIVE = /^(loop|ram|zram|nbd|md|dm-|sr|fd|rbd|drbd)/;

function disksOf(raw: RawInventory): Disk[] {
  const byName = new Map<string, Disk>();
  for (const d of raw.diskLayout ?? []) {
    const name = text(basename(d.device), 128);
    if (name === '' || NOT_A_DRIVE.test(name)) continue;
    const type = driveType(d.type, name, d.interfaceType);
    byName.set(name, { name, model: fact(d.name, 128), serial: fact(d.serialNum, 128), sizeBytes: integer(d.size, 0, Number.MAX_SAFE_INTEGER), rotational: type === 'hdd', type });
  }
  for (const b of raw.blockDevices ?? []) {
    const name = text(b.name, 128);
    if (b.type !== 'disk' || name === '' || NOT_A_DRIVE.test(name)) continue;
    const known = byName.get(name);
    if (known !== undefined) {
      // diskLayout may lack what lsblk knows (and the other way round).
      byName.set(name, { ...known, model: known.model || fact(b.model, 128), serial: known.serial || fact(b.serial, 128), sizeBytes: known.sizeBytes || integer(b.size, 0, Number.MAX_SAFE_INTEGER) });
      continue;
    }
    const sizeBytes = integer(b.size, 0, Number.MAX_SAFE_INTEGER);
    if (sizeBytes === 0) continue; // an empty card reader slot, say
    const type = driveType(b.physical, name, '');
    byName.set(name, { name, model: fact(b.model, 128), serial: fact(b.serial, 128), sizeBytes, rotational: type === 'hdd', type });
  }
  return [...byName.values()].sort((a, b) => compare(a.name, b.name));
}

/** hdd, ssd, nvme or unknown, from what systeminformation says ("HD", "SSD", "NVMe", "HDD") and the name. */
function driveType(kind: string, name: string, interfaceType: string): string {
  const k = String(kind ?? '').toLowerCase();
  if (name.startsWith('nvme') || k === 'nvme' || String(interfaceType ?? '').toLowerCase() === 'pcie') return 'nvme';
  if (k === 'hd' || k === 'hdd') return 'hdd';
  if (k === 'ssd') return 'ssd';
  return 'unknown';
}

type Nic = Inventory['nics'][number];

function nicsOf(raw: RawInventory): Nic[] {
  const si = new Map((raw.nics ?? []).map((n) => [n.iface, n]));
  const sys = new Map((raw.sysNet ?? []).map((n) => [n.name, n]));
  const stats = new Map((raw.nicStats ?? []).map((n) => [n.iface, n]));
  const names = unique([...si.keys(), ...sys.keys()]).filter((name) => name !== 'lo' && si.get(name)?.internal !== true);
  return names
    .map((name): Nic => {
      const a = si.get(name);
      const s = sys.get(name);
      const speed = [a?.speed, s?.speedMbps].find((v) => typeof v === 'number' && Number.isFinite(v) && v > 0);
      const up = [a?.operstate, s?.operstate, stats.get(name)?.operstate].some((o) => o === 'up');
      return {
        name: text(name, 32),
        mac: text(fact(a?.mac ?? '', 32) || fact(s?.mac ?? '', 32), 32).toLowerCase(),
        speedMbps: speed === undefined ? null : integer(speed, 0, Number.MAX_SAFE_INTEGER),
        link: up,
        virtual: s?.virtual ?? a?.virtual ?? false,
        addresses: unique((raw.addresses?.[name] ?? []).map((x) => text(x, 64)).filter((x) => x !== '')).slice(0, 64),
      };
    })
    .sort((x, y) => compare(x.name, y.name));
}

type Pci = Inventory['pci'][number];

function pciOf(raw: RawInventory): Pci[] {
  const out: Pci[] = [];
  for (const dev of raw.pciDevices ?? []) {
    const kind = PCI_KINDS[(dev.classCode >>> 8) & 0xffff];
    if (kind === undefined) continue;
    if (kind === 'gpu' && DISPLAY_ONLY_VENDORS.has(dev.vendorId)) continue;
    const address = text(dev.address, 32);
    const graphics = kind === 'gpu' ? (raw.graphics ?? []).find((g) => g.busAddress !== undefined && g.busAddress !== '' && sameBus(address, g.busAddress)) : undefined;
    const v = hex4(dev.vendorId);
    const d = hex4(dev.deviceId);
    out.push({
      kind,
      vendor: text(fact(graphics?.vendor ?? '', 128) || raw.pciNames?.[v] || KNOWN_VENDORS[dev.vendorId] || `0x${v}`, 128),
      model: text(fact(graphics?.model ?? '', 256) || raw.pciNames?.[`${v}:${d}`] || `device 0x${d}`, 256),
      bus: address,
    });
  }
  return out.sort((a, b) => compare(a.bus, b.bus));
}

/** "0000:01:00.0" and "01:00.0" name the same device (lspci leaves out domain 0). */
function sameBus(sysfsAddress: string, busAddress: string): boolean {
  const a = sysfsAddress.toLowerCase();
  const b = busAddress.toLowerCase();
  return a === b || a === `0000:${b}`;
}

function hex4(n: number): string {
  return (Number.isInteger(n) && n >= 0 ? n : 0).toString(16).padStart(4, '0').slice(-4);
}

/** Printable text without control characters, trimmed, at most `max` characters. */
function text(value: unknown, max: number): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '';
  return String(value).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim().slice(0, max).trim();
}

/** Like text(), but firmware placeholders ("To Be Filled By O.E.M.") become empty. */
function fact(value: unknown, max: number): string {
  const t = text(value, max);
  return PLACEHOLDERS.has(t.toLowerCase()) ? '' : t;
}

function integer(value: unknown, min: number, max: number): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return min;
  return Math.min(max, Math.max(min, Math.floor(n)));
}

function basename(path: unknown): string {
  const p = typeof path === 'string' ? path : '';
  return p.slice(p.lastIndexOf('/') + 1);
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/** Locale-independent order, so the same machine always gives the same inventory (and hash). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
