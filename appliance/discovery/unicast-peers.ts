import { promises as dns, type SrvRecord } from 'node:dns';
import { isIPv6 } from 'node:net';
import type { DiscoveredNode } from './instances.ts';
import { SERVICE_TYPES } from './records.ts';

// The fallback for networks without multicast: appliances an operator listed,
// and those a DNS zone lists as SRV records (_alliance._tcp.<domain>).

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

/** "10.0.0.5:8443,[fd00::5]:8443,appliance-2.example:8443"; throws with the bad entry named. */
export function parsePeers(text: string): PeerAddress[] {
  if (text.trim() === '') return [];
  return text.split(',').map((entry) => {
    const m = /^\s*(?:\[([^\]]+)\]|([^:\s[\]]+)):(\d{1,5})\s*$/.exec(entry);
    const host = m?.[1] ?? m?.[2];
    const port = Number(m?.[3]);
    if (m === null || host === undefined || port < 1 || port > 65535 || (m[1] !== undefined && !isIPv6(m[1]))) {
      throw new Error(`"${entry.trim()}" is not host:port (write IPv6 addresses as [addr]:port)`);
    }
    return { host, port };
  });
}

export type SrvLookup = (name: string) => Promise<SrvRecord[]>;

/** SRV records of _alliance._tcp.<domain>, by priority then weight (RFC 2782). No records is an empty list. */
export async function lookupSrvPeers(domain: string, lookup: SrvLookup = (name) => dns.resolveSrv(name)): Promise<PeerAddress[]> {
  const name = `${SERVICE_TYPES.appliance.replace(/\.local$/, '')}.${domain}`;
  try {
    const records = await lookup(name);
    return records.sort((a, b) => a.priority - b.priority || b.weight - a.weight).map((r) => ({ host: r.name.replace(/\.$/, ''), port: r.port }));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') return [];
    throw new Error(`cannot look up SRV ${name}: ${(err as Error).message}`, { cause: err });
  }
}

/** Unicast peers as nodes: where to connect, nothing claimed about who is there. */
export function peersAsNodes(peers: readonly PeerAddress[], via: 'config' | 'dns-srv'): DiscoveredNode[] {
  return peers.map((p) => ({
    instance: isIPv6(p.host) ? `[${p.host}]:${p.port}` : `${p.host}:${p.port}`,
    role: 'appliance' as const,
    via: [via],
    host: p.host,
    port: p.port,
    addresses: [],
    node: null,
    problem: 'listed, not seen on mDNS: identity unknown until enrolment',
  }));
}
