import type { NetworkInterfaceInfo } from 'node:os';

/**
 * The URLs an operator can reach the API on, from the bind address and the
 * host's interfaces. Pure: the caller passes os.networkInterfaces().
 */
export function managementUrls(listen: string, port: number, interfaces: Readonly<Record<string, readonly NetworkInterfaceInfo[] | undefined>>): string[] {
  const wildcard = listen === '0.0.0.0' || listen === '::';
  const addresses = wildcard
    ? Object.values(interfaces)
        .flatMap((list) => list ?? [])
        .filter((i) => !i.internal && (listen === '::' || i.family === 'IPv4'))
        .filter((i) => !(i.family === 'IPv6' && i.address.startsWith('fe80:')))
        .map((i) => i.address)
    : [listen];
  const urls = addresses.map((a) => `https://${a.includes(':') ? `[${a}]` : a}:${port}/`);
  return urls.length > 0 ? [...new Set(urls)] : [`https://localhost:${port}/`];
}
