// IPv4 values as the console forms type them: dotted quads without leading
// zeros, and the subnet arithmetic the network form's checks need.

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/** A dotted-quad IPv4 address without leading zeros. */
export function isIPv4(value: string): boolean {
  return IPV4.test(value);
}

export function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function numberToIPv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => String((n >>> shift) & 255)).join('.');
}

/** The netmask of a prefix length 0..32, as a number. */
export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The network address of ip/prefix, as a dotted quad. */
export function networkOf(ip: string, prefix: number): string {
  return numberToIPv4((ipv4ToNumber(ip) & prefixMask(prefix)) >>> 0);
}

export function broadcastOf(ip: string, prefix: number): string {
  return numberToIPv4((ipv4ToNumber(ip) | (~prefixMask(prefix) >>> 0)) >>> 0);
}

/**
 * Why an address cannot be a machine's own or a server's: 0.0.0.0/8 (this
 * network), loopback, multicast, reserved 240/4 and the limited broadcast;
 * undefined when it can be.
 */
export function notHostReason(ip: string, options: { allowLoopback?: boolean } = {}): string | undefined {
  const first = Number(ip.split('.')[0]);
  if (first === 0) return `${ip} is not a host address`;
  if (first === 127 && options.allowLoopback !== true) return `${ip} is a loopback address`;
  if (first >= 224 && first <= 239) return `${ip} is a multicast address`;
  if (ip === '255.255.255.255') return `${ip} is the broadcast address`;
  if (first >= 240) return `${ip} is a reserved address`;
  return undefined;
}

/** A typed value in quotes, cut so a problem message stays on one short line. */
export function quoteTyped(value: string): string {
  return JSON.stringify(value.length > 20 ? `${value.slice(0, 19)}…` : value);
}

/** The items of a list typed with commas and/or spaces. */
export function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter((item) => item !== '');
}

/** At most this many DNS servers: the C library reads only three nameserver lines. */
export const MAX_DNS_SERVERS = 3;

/** Up to three server addresses, each once, in the order typed; or the problem. For both forms. */
export function checkDnsServers(text: string): readonly string[] | string {
  const servers = [...new Set(splitList(text))];
  if (servers.length > MAX_DNS_SERVERS) return `at most ${MAX_DNS_SERVERS} DNS servers`;
  for (const server of servers) {
    if (!isIPv4(server)) return `${quoteTyped(server)} is not an IPv4 address`;
    const notHost = notHostReason(server, { allowLoopback: true });
    if (notHost !== undefined) return notHost;
  }
  return servers;
}
