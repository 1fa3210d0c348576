// Shapes of the values that reach dnsmasq's configuration, host records and
// lease hook. Each check is an allow-list: a value either has the form or is
// refused, it is never escaped.

const IPV4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const IPV4 = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);
/** Six hex octets separated all by colons or all by hyphens. */
const MAC = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const CLIENT_ID = /^[0-9a-f]{2}(?::[0-9a-f]{2}){0,254}$/i;
/** The form appliance/config's boot.interface pattern allows (Linux IFNAMSIZ: 15 characters). */
const IFNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;

/** A dotted-quad IPv4 address without leading zeros. */
export function isIPv4(value: unknown): value is string {
  return typeof value === 'string' && IPV4.test(value);
}

export function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** A netmask: contiguous ones from the left, /1 to /32. */
export function isNetmask(value: unknown): value is string {
  if (!isIPv4(value)) return false;
  const n = ipv4ToNumber(value);
  if (n === 0) return false;
  const inverted = 0xffffffff - n;
  return (inverted & (inverted + 1)) === 0;
}

export function sameSubnet(a: string, b: string, netmask: string): boolean {
  const mask = ipv4ToNumber(netmask);
  return (ipv4ToNumber(a) & mask) >>> 0 === (ipv4ToNumber(b) & mask) >>> 0;
}

export function subnetOf(ip: string, netmask: string): string {
  const n = (ipv4ToNumber(ip) & ipv4ToNumber(netmask)) >>> 0;
  return [24, 16, 8, 0].map((shift) => String((n >>> shift) & 255)).join('.');
}

/** `aa:bb:cc:dd:ee:ff` for a MAC with colons or hyphens in any case; undefined otherwise. */
export function normaliseMac(text: string): string | undefined {
  const t = text.trim();
  return MAC.test(t) ? t.toLowerCase().replace(/-/g, ':') : undefined;
}

/** An Ethernet MAC, six colon-separated octets in any case (the form normaliseMac() gives, up to case). */
export function isMac(value: unknown): value is string {
  return typeof value === 'string' && normaliseMac(value) === value.toLowerCase();
}

/** One DNS label, as dnsmasq accepts for a host name without a domain. */
export function isHostLabel(value: unknown): value is string {
  return typeof value === 'string' && HOST_LABEL.test(value);
}

/** A DHCP client identifier as dnsmasq prints it: colon-separated hex octets. */
export function isClientId(value: unknown): value is string {
  return typeof value === 'string' && CLIENT_ID.test(value);
}

/** A network interface name: up to 15 letters, digits and . _ -, not starting with . or -. */
export function isInterfaceName(value: unknown): value is string {
  return typeof value === 'string' && IFNAME.test(value);
}
