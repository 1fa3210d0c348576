import type { NetworkInterfaceInfo } from 'node:os';

/**
 * The addresses others may reach this host on, for enrolment and heartbeats:
 * every non-internal address (IPv4 first, then IPv6), without loopback, each
 * once, within the contract's bounds (64 addresses of at most 64 characters).
 * IPv6 link-local addresses carry their interface as a zone, or mean nothing.
 */
export function hostAddresses(interfaces: Readonly<Record<string, readonly NetworkInterfaceInfo[] | undefined>>): string[] {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const name of Object.keys(interfaces).sort()) {
    for (const a of interfaces[name] ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4') v4.push(a.address);
      else v6.push(/^fe[89ab]/i.test(a.address) && !a.address.includes('%') ? `${a.address}%${name}` : a.address);
    }
  }
  return [...new Set([...v4, ...v6])].filter((a) => a.length <= 64).slice(0, 64);
}
