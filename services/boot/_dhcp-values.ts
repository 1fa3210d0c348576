// Shapes of the values that reach dnsmasq's configuration, host records and
// lease hook. Each check is an allow-list: a value either has the form or is
// refused, it is never escaped. IPv4 and MAC forms are the appliance's own
// (appliance/contracts), shared with the installer and the console.
import { ipv4ToNumber, isIPv4, normaliseMac } from '../../appliance/contracts/index.ts';

export { ipv4ToNumber, isIPv4, normaliseMac };

const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const CLIENT_ID = /^[0-9a-f]{2}(?::[0-9a-f]{2}){0,254}$/i;
/** The form appliance/config's boot.interface pattern allows (Linux IFNAMSIZ: 15 characters). */
const IFNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;

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
