import type { RecordCache } from './record-cache.ts';
import { instanceLabel, SERVICE_TYPES } from './records.ts';
import { decodeTxt, type AdvertisedNode, type NodeRole } from './txt.ts';

/** One Alliance node seen on the network (or configured), and where to reach it. */
export interface DiscoveredNode {
  readonly instance: string;
  readonly role: NodeRole;
  /** Where it was seen: interface names for mDNS, "config" or "dns-srv" for unicast. */
  readonly via: readonly string[];
  readonly host: string;
  readonly port: number;
  readonly addresses: readonly string[];
  /** What its TXT record claims; null with `problem` when the record is missing or malformed. Untrusted either way. */
  readonly node: AdvertisedNode | null;
  readonly problem?: string | undefined;
}

/** Assembles the instances of one role from PTR, SRV, TXT and address records in the cache (RFC 6763 §4-§6). */
export function instancesInCache(cache: RecordCache, role: NodeRole): DiscoveredNode[] {
  const type = SERVICE_TYPES[role];
  const byName = new Map<string, { instance: string; via: Set<string>; host: string; port: number; addresses: Set<string>; txt: Buffer[] | undefined }>();
  for (const ptr of cache.find(type, 'PTR')) {
    if (ptr.record.type !== 'PTR') continue;
    const fqdn = ptr.record.data;
    const instance = instanceLabel(fqdn, type);
    if (instance === undefined) continue;
    const srv = cache.find(fqdn, 'SRV').find((e) => e.iface === ptr.iface);
    if (srv?.record.type !== 'SRV') continue; // not resolvable yet
    const key = fqdn.toLowerCase();
    const seen = byName.get(key) ?? { instance, via: new Set<string>(), host: srv.record.data.target, port: srv.record.data.port, addresses: new Set<string>(), txt: undefined };
    seen.via.add(ptr.iface);
    for (const a of [...cache.find(srv.record.data.target, 'A'), ...cache.find(srv.record.data.target, 'AAAA')]) {
      if (a.iface === ptr.iface && (a.record.type === 'A' || a.record.type === 'AAAA')) seen.addresses.add(a.record.data);
    }
    const txt = cache.find(fqdn, 'TXT').find((e) => e.iface === ptr.iface);
    if (txt?.record.type === 'TXT') seen.txt = [...txt.record.data];
    byName.set(key, seen);
  }
  return [...byName.values()]
    .map((s): DiscoveredNode => {
      const decoded = s.txt === undefined ? { ok: false as const, problem: 'no TXT record yet' } : decodeTxt(s.txt);
      return {
        instance: s.instance,
        role,
        via: [...s.via].sort(),
        host: s.host,
        port: s.port,
        addresses: [...s.addresses].sort(),
        node: decoded.ok ? decoded.node : null,
        ...(decoded.ok ? {} : { problem: decoded.problem }),
      };
    })
    .sort((a, b) => a.instance.localeCompare(b.instance));
}
