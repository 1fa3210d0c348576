import type { Answer } from 'dns-packet';
import { encodeTxt, type AdvertisedNode, type NodeRole } from './txt.ts';

// DNS-SD over mDNS (RFC 6762/6763): what an Alliance instance publishes, and the
// narrow view of records this module works with. dns-packet decodes anything;
// everything past `fromWire` deals only with these five types.

export const SERVICE_TYPES: Readonly<Record<NodeRole, string>> = {
  appliance: '_alliance._tcp.local',
  host: '_alliance-agent._tcp.local',
};
export const SERVICE_ENUMERATION = '_services._dns-sd._udp.local';

export type MdnsRecord =
  | { readonly name: string; readonly type: 'PTR'; readonly ttl: number; readonly flush: boolean; readonly data: string }
  | { readonly name: string; readonly type: 'SRV'; readonly ttl: number; readonly flush: boolean; readonly data: { readonly port: number; readonly target: string } }
  | { readonly name: string; readonly type: 'TXT'; readonly ttl: number; readonly flush: boolean; readonly data: readonly Buffer[] }
  | { readonly name: string; readonly type: 'A' | 'AAAA'; readonly ttl: number; readonly flush: boolean; readonly data: string };

export type RecordType = MdnsRecord['type'];

export interface Advertisement {
  /** The instance label people see, e.g. "rack-3"; probing may change it to "rack-3 (2)". */
  readonly instance: string;
  readonly node: AdvertisedNode;
}

/** Per-interface addresses: A/AAAA answers carry only those of the interface asked on (RFC 6762 §15). */
export interface InterfaceAddresses {
  readonly v4: readonly string[];
  readonly v6: readonly string[];
}

/** A host name of our own, derived from the node id, so two appliances named alike never contend for it. */
export function hostNameOf(nodeId: string): string {
  return `alliance-${nodeId.slice(0, 16)}.local`;
}

// dns-packet splits names at every dot and has no escaping, so an instance label
// must not hold a dot (appliance.name, a DNS label, never does).
export function instanceFqdn(instance: string, role: NodeRole): string {
  return `${instance}.${SERVICE_TYPES[role]}`;
}

/** The records that are ours alone (probed, sent with the cache-flush bit). */
export function uniqueRecords(ad: Advertisement, addresses: InterfaceAddresses, ttl: number): MdnsRecord[] {
  const fqdn = instanceFqdn(ad.instance, ad.node.role);
  const host = hostNameOf(ad.node.nodeId);
  return [
    { name: fqdn, type: 'SRV', ttl, flush: true, data: { port: ad.node.apiPort, target: host } },
    { name: fqdn, type: 'TXT', ttl, flush: true, data: encodeTxt(ad.node) },
    ...addresses.v4.map((a): MdnsRecord => ({ name: host, type: 'A', ttl, flush: true, data: a })),
    ...addresses.v6.map((a): MdnsRecord => ({ name: host, type: 'AAAA', ttl, flush: true, data: a })),
  ];
}

/** The shared records: many instances answer for the same names. */
export function sharedRecords(ad: Advertisement, ttl: number): MdnsRecord[] {
  const type = SERVICE_TYPES[ad.node.role];
  return [
    { name: type, type: 'PTR', ttl, flush: false, data: instanceFqdn(ad.instance, ad.node.role) },
    { name: SERVICE_ENUMERATION, type: 'PTR', ttl, flush: false, data: type },
  ];
}

export function allRecords(ad: Advertisement, addresses: InterfaceAddresses, ttl: number): MdnsRecord[] {
  return [...sharedRecords(ad, ttl), ...uniqueRecords(ad, addresses, ttl)];
}

/** Records sent before and not any more (an address that went), as goodbyes: TTL 0 (§10.1). */
export function withdrawnRecords(before: readonly MdnsRecord[], after: readonly MdnsRecord[]): MdnsRecord[] {
  return before.filter((b) => !after.some((a) => sameRecord(a, b))).map((r) => ({ ...r, ttl: 0 }));
}

/** DNS names compare case-insensitively. */
export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Same name, type and data (TTL and flush bit aside). */
export function sameRecord(a: MdnsRecord, b: MdnsRecord): boolean {
  return a.type === b.type && sameName(a.name, b.name) && rdataKey(a) === rdataKey(b);
}

/** The record data as a comparable string. */
export function rdataKey(r: MdnsRecord): string {
  switch (r.type) {
    case 'PTR':
      return r.data.toLowerCase();
    case 'SRV':
      return `${r.data.port} ${r.data.target.toLowerCase()}`;
    case 'TXT':
      return Buffer.concat(r.data.map((b) => Buffer.concat([Buffer.from([b.length]), b]))).toString('hex');
    case 'A':
    case 'AAAA':
      return r.data.toLowerCase();
  }
}

export function toWire(r: MdnsRecord): Answer {
  return { ...r, class: 'IN' } as Answer;
}

const KNOWN = new Set<string>(['PTR', 'SRV', 'TXT', 'A', 'AAAA']);

/** The records of a decoded packet this module understands; the rest is skipped. Never throws. */
export function fromWire(answers: readonly unknown[] | undefined): MdnsRecord[] {
  const out: MdnsRecord[] = [];
  for (const a of answers ?? []) {
    const r = a as { name?: unknown; type?: unknown; ttl?: unknown; flush?: unknown; data?: unknown; class?: unknown };
    if (typeof r.name !== 'string' || typeof r.type !== 'string' || !KNOWN.has(r.type) || typeof r.ttl !== 'number') continue;
    if (r.class !== undefined && r.class !== 'IN') continue;
    // A name we could not send back (as a known answer) would spoil our own queries.
    if (!encodableName(r.name)) continue;
    const base = { name: r.name, ttl: Math.min(r.ttl, MAX_TTL_S), flush: r.flush === true };
    if (r.type === 'PTR' && typeof r.data === 'string' && encodableName(r.data)) out.push({ ...base, type: r.type, data: r.data });
    else if ((r.type === 'A' || r.type === 'AAAA') && typeof r.data === 'string') out.push({ ...base, type: r.type, data: r.data });
    else if (r.type === 'SRV' && isSrv(r.data) && encodableName(r.data.target)) out.push({ ...base, type: 'SRV', data: { port: r.data.port, target: r.data.target } });
    else if (r.type === 'TXT' && Array.isArray(r.data) && r.data.every((b) => Buffer.isBuffer(b))) out.push({ ...base, type: 'TXT', data: r.data });
  }
  return out;
}

/**
 * Longest TTL kept, seconds. A peer may say up to 2^32-1; a day is far beyond
 * any real record (RFC 6762 §10 suggests 120 s and 75 min) and keeps expiry
 * times within what a timer can wait for.
 */
export const MAX_TTL_S = 86_400;

/**
 * Whether dns-packet can encode the name again: labels of 1 to 63 bytes, 255 in
 * all. Its decoder turns bytes that are not UTF-8 into U+FFFD, three bytes each,
 * so a label that arrived at 63 bytes may no longer fit.
 */
function encodableName(name: string): boolean {
  if (name.includes('\uFFFD') || Buffer.byteLength(name) > 253) return false;
  return name === '' || name.split('.').every((label) => label.length > 0 && Buffer.byteLength(label) <= 63);
}

function isSrv(d: unknown): d is { port: number; target: string } {
  const s = d as { port?: unknown; target?: unknown } | undefined;
  return typeof s?.port === 'number' && typeof s.target === 'string';
}

/** The instance label of a service instance name, or undefined when it is not one of `serviceType`. */
export function instanceLabel(fqdn: string, serviceType: string): string | undefined {
  const suffix = `.${serviceType}`;
  if (fqdn.length <= suffix.length || !sameName(fqdn.slice(-suffix.length), suffix)) return undefined;
  return fqdn.slice(0, -suffix.length);
}
