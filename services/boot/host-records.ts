import { isHostLabel, isIPv4, isMac } from './_dhcp-values.ts';
import { bootErrors } from './errors.ts';

// Per-host files in dnsmasq's dhcp-hostsdir. Only plain records are written:
// `MAC,IP,name`, `MAC,IP`, `MAC,name`, `MAC` (known, address from the range)
// or `MAC,ignore`. Never `set:` tags: dnsmasq 2.90 segfaults on SIGHUP once it
// has leased from such a record. Boot decisions live in the iPXE endpoint.

export interface HostRecord {
  readonly mac: string;
  /** A fixed address; absent: one from the range. */
  readonly ip?: string | undefined;
  /** Host name (one DNS label). */
  readonly name?: string | undefined;
  /** false: dnsmasq does not answer this MAC at all (`MAC,ignore`). */
  readonly allow: boolean;
}

const FILE_NAME = /^[0-9a-f]{2}(?:-[0-9a-f]{2}){5}$/;

function refuse(mac: unknown, problem: string): never {
  throw bootErrors.HOST_RECORD_INVALID({ mac: typeof mac === 'string' && mac.length <= 40 ? JSON.stringify(mac) : '(no MAC)', problem });
}

/** The file name of a MAC's record: lower-case octets joined by dashes. */
export function hostRecordFileName(mac: string): string {
  if (!isMac(mac)) refuse(mac, 'it is not a MAC address like 52:54:00:12:34:56');
  return mac.toLowerCase().replaceAll(':', '-');
}

/** The one-line file content for a host (validated). Pure. */
export function renderHostRecord(record: HostRecord): string {
  if (!isMac(record.mac)) refuse(record.mac, 'it is not a MAC address like 52:54:00:12:34:56');
  const mac = record.mac.toLowerCase();
  if (record.ip !== undefined && !isIPv4(record.ip)) refuse(mac, `the address ${JSON.stringify(record.ip).slice(0, 60)} is not an IPv4 address`);
  if (record.name !== undefined && !isHostLabel(record.name)) {
    refuse(mac, `the name ${JSON.stringify(record.name).slice(0, 80)} is not a host name (letters, digits and -, up to 63)`);
  }
  if (record.allow !== true && record.allow !== false) refuse(mac, 'allow must be true or false');
  if (!record.allow) return `${mac},ignore\n`;
  return `${[mac, record.ip, record.name].filter((part) => part !== undefined).join(',')}\n`;
}

export interface HostsDirPlan {
  /** Files to write (new or changed), by file name. */
  readonly writes: readonly { readonly file: string; readonly content: string }[];
  /** Our files no longer wanted. */
  readonly deletes: readonly string[];
  /** Files in the directory that are not host records (left alone). */
  readonly foreign: readonly string[];
  /** dnsmasq keeps deleted and changed records until SIGHUP; new files it reads by itself. */
  readonly reload: boolean;
}

/**
 * What to change in the hosts directory so it holds exactly the desired
 * records: `current` maps each file name there to its content. Pure;
 * duplicate MACs among the desired records are refused.
 */
export function planHostsDir(current: ReadonlyMap<string, string>, desired: readonly HostRecord[]): HostsDirPlan {
  const wanted = new Map<string, string>();
  for (const record of desired) {
    const file = hostRecordFileName(record.mac);
    if (wanted.has(file)) refuse(record.mac, 'the MAC has more than one record');
    wanted.set(file, renderHostRecord(record));
  }
  const writes: { file: string; content: string }[] = [];
  let changed = false;
  for (const [file, content] of [...wanted].sort(([a], [b]) => a.localeCompare(b))) {
    const present = current.get(file);
    if (present === content) continue;
    if (present !== undefined) changed = true;
    writes.push({ file, content });
  }
  const ours = [...current.keys()].filter((f) => FILE_NAME.test(f)).sort();
  const deletes = ours.filter((f) => !wanted.has(f));
  const foreign = [...current.keys()].filter((f) => !FILE_NAME.test(f)).sort();
  return { writes, deletes, foreign, reload: changed || deletes.length > 0 };
}

/** A MAC some host's inventory lists, and that host's state (the controller's controller.known-macs). */
export interface KnownMac {
  readonly mac: string;
  readonly state: string;
}

/**
 * dnsmasq's records for the MACs the controller knows: answered, except the
 * machines of retired and rejected hosts, which get no address at all. Under
 * boot.unknown_hosts = ignore these records are what lets a known machine in.
 * Pure.
 */
export function hostRecordsOf(known: readonly KnownMac[]): HostRecord[] {
  return known.map(({ mac, state }) => ({ mac, allow: state !== 'retired' && state !== 'rejected' }));
}
