// The values an installer answer holds, checked the way the console checks
// them (dotted quads without leading zeros, RFC 1123 host names). Each check
// returns the problem as a phrase, or undefined when the value is fine.

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** The controller's rule for user names (services/controller/identity). */
export const ADMIN_NAME_PATTERN = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
/** The controller refuses shorter passwords. */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_HOSTNAME = 64;
export const MAX_DNS_SERVERS = 3;

export function isIPv4(value: string): boolean {
  return IPV4.test(value);
}

function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function notHostReason(ip: string): string | undefined {
  const first = Number(ip.split('.')[0]);
  if (first === 0) return 'is not a host address';
  if (first === 127) return 'is a loopback address';
  if (first >= 224 && first <= 239) return 'is a multicast address';
  if (first >= 240) return 'is a reserved or broadcast address';
  return undefined;
}

export function hostNameProblem(name: string, max = MAX_HOSTNAME): string | undefined {
  if (name === '') return 'is empty';
  if (name.length > max) return `is longer than ${max} characters`;
  for (const label of name.split('.')) {
    if (label === '') return 'has an empty label (two dots, or one at an end)';
    if (label.length > 63) return `has a label over 63 characters`;
    if (!LABEL.test(label)) return `has ${JSON.stringify(label)}: only a-z, 0-9 and - allowed, not at an end`;
  }
  if (name.split('.').every((label) => /^[0-9]+$/.test(label))) return 'is only digits: that reads as an address';
  return undefined;
}

/** 52:54:00:12:34:56 (any case, - or : between bytes) to lower case with colons, or undefined. */
export function normaliseMac(value: string): string | undefined {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(value.trim());
  return m ? m.slice(1).join(':').toLowerCase() : undefined;
}

export function addressProblem(cidr: string): string | undefined {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(cidr);
  if (!m || !isIPv4(m[1]!)) return 'is not an IPv4 address with a prefix length, like 192.0.2.10/24';
  const prefix = Number(m[2]);
  if (prefix < 1 || prefix > 32) return 'has a prefix length outside 1..32';
  const bad = notHostReason(m[1]!);
  if (bad) return bad;
  if (prefix <= 30) {
    const hostBits = ~((0xffffffff << (32 - prefix)) >>> 0) >>> 0;
    const host = (ipv4ToNumber(m[1]!) & hostBits) >>> 0;
    if (host === 0) return 'is the network address of its subnet';
    if (host === hostBits) return 'is the broadcast address of its subnet';
  }
  return undefined;
}

/** Problem of a gateway for an address/prefix: an IPv4 host address inside the subnet and not the address itself. */
export function gatewayProblem(gateway: string, cidr: string): string | undefined {
  if (!isIPv4(gateway)) return 'is not an IPv4 address';
  const bad = notHostReason(gateway);
  if (bad) return bad;
  const [ip, p] = cidr.split('/');
  const prefix = Number(p);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if (((ipv4ToNumber(gateway) & mask) >>> 0) !== ((ipv4ToNumber(ip!) & mask) >>> 0)) return `is outside ${cidr}`;
  if (gateway === ip) return 'is the address itself';
  return undefined;
}

export function ntpServerProblem(server: string): string | undefined {
  if (isIPv4(server)) return undefined;
  return hostNameProblem(server.toLowerCase(), 253) === undefined ? undefined : 'is not a host name or IPv4 address';
}
