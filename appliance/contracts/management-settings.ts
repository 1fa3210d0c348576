// The management settings of an appliance (its network, host name, DNS and
// NTP servers) and the checks every writer of them shares: the console's forms,
// the installer's answers and first boot. One set of rules, so an answer the
// installer accepts is one first boot applies. Pure: no I/O, no clock.

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/** Six hex octets separated all by colons or all by hyphens. */
const MAC = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;

/** A dotted-quad IPv4 address without leading zeros. */
export function isIPv4(value: unknown): value is string {
  return typeof value === 'string' && IPV4.test(value);
}

/** `aa:bb:cc:dd:ee:ff` for a MAC with colons or hyphens in any case; undefined otherwise. */
export function normaliseMac(text: string): string | undefined {
  const t = text.trim();
  return MAC.test(t) ? t.toLowerCase().replace(/-/g, ':') : undefined;
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

/** The network form as typed (every field a string, nothing trimmed yet). */
export interface NetworkForm {
  readonly interface: string;
  /** 'dhcp' or 'static', as typed. */
  readonly mode: string;
  /** CIDR as typed, e.g. '192.0.2.10/24'. */
  readonly address: string;
  readonly gateway: string;
  /** Servers separated by commas and/or spaces. */
  readonly dns: string;
}

export type ManagementNetwork =
  | { readonly interface: string; readonly mode: 'dhcp' }
  | { readonly interface: string; readonly mode: 'static'; readonly address: string; readonly prefix: number; readonly gateway: string | null; readonly dns: readonly string[] };

/** A checked form: the value, or one short problem per field (each under 60 characters, for beside the field). */
export type Checked<T, F> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: Partial<Record<keyof F & string, string>> };

/**
 * The form checked: the interface is one of `options.interfaces`; a static
 * address is a host IPv4 with a /8 to /32 prefix (not the network or broadcast
 * address below /31); the optional gateway is inside that subnet and not the
 * address; up to three DNS servers. In DHCP mode the other fields are ignored.
 */
export function validateNetwork(form: NetworkForm, options: { readonly interfaces: readonly string[] }): Checked<ManagementNetwork, NetworkForm> {
  const problems: Partial<Record<keyof NetworkForm, string>> = {};
  const iface = form.interface.trim();
  if (iface === '') problems.interface = 'choose an interface';
  else if (!options.interfaces.includes(iface)) problems.interface = `no interface ${quoteTyped(iface)} here`;

  const mode = form.mode.trim().toLowerCase();
  if (mode !== 'dhcp' && mode !== 'static') {
    problems.mode = 'type dhcp or static';
    return { ok: false, problems };
  }
  if (mode === 'dhcp') return problemsOr(problems, { interface: iface, mode });

  const address = checkStaticAddress(form.address.trim());
  if (typeof address === 'string') problems.address = address;
  const gatewayText = form.gateway.trim();
  let gateway: string | null = null;
  if (gatewayText !== '') {
    const problem = checkGateway(gatewayText, typeof address === 'string' ? undefined : address);
    if (problem === undefined) gateway = gatewayText;
    else problems.gateway = problem;
  }
  const dns = checkDnsServers(form.dns);
  if (typeof dns === 'string') problems.dns = dns;
  if (typeof address === 'string' || typeof dns === 'string') return { ok: false, problems };
  return problemsOr(problems, { interface: iface, mode, address: address.ip, prefix: address.prefix, gateway, dns });
}

export interface SystemForm {
  readonly hostname: string;
  /** Servers separated by commas and/or spaces. */
  readonly dns: string;
  /** Host names or IPv4 addresses separated by commas and/or spaces. */
  readonly ntp: string;
}

export interface SystemSettings {
  /** Lower case, RFC 1123 labels. */
  readonly hostname: string;
  readonly dns: readonly string[];
  readonly ntp: readonly string[];
}

/**
 * The kernel keeps at most 64 characters of host name (HOST_NAME_MAX), and
 * `hostname` refuses more; a longer name in /etc/hostname would not be the
 * machine's name, so the form stops there rather than at DNS's 253.
 */
export const MAX_HOSTNAME = 64;
export const MAX_NTP_SERVERS = 4;

const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** The form checked: the host name lower-cased, up to three DNS servers, up to four NTP servers. */
export function validateSystem(form: SystemForm): Checked<SystemSettings, SystemForm> {
  const problems: Partial<Record<keyof SystemForm, string>> = {};
  const hostname = checkHostName(form.hostname);
  if (hostname.problem !== undefined) problems.hostname = hostname.problem;
  const dns = checkDnsServers(form.dns);
  if (typeof dns === 'string') problems.dns = dns;
  const ntp = checkNtpServers(form.ntp);
  if (typeof ntp === 'string') problems.ntp = ntp;
  if (hostname.problem !== undefined || typeof dns === 'string' || typeof ntp === 'string') return { ok: false, problems };
  return { ok: true, value: { hostname: hostname.name, dns, ntp } };
}

/** The machine's host name as typed, lower-cased, or why it cannot be one. */
export function checkHostName(text: string): { readonly name: string; readonly problem?: string } {
  const name = text.trim().toLowerCase();
  const problem = name === '' ? 'a host name is needed' : hostNameProblem(name, MAX_HOSTNAME);
  return problem === undefined ? { name } : { name, problem };
}

/** Up to four NTP servers (host names or IPv4), lower-cased, each once, in the order typed; or the problem. */
export function checkNtpServers(text: string): readonly string[] | string {
  const ntp = [...new Set(splitList(text).map((server) => server.toLowerCase()))];
  if (ntp.length > MAX_NTP_SERVERS) return `at most ${MAX_NTP_SERVERS} NTP servers`;
  const bad = ntp.find((server) => !isIPv4(server) && hostNameProblem(server, 253) !== undefined);
  return bad === undefined ? ntp : `${quoteTyped(bad)} is not a host name or IPv4`;
}

/** Why `name` is not a host name of at most `max` characters in RFC 1123 labels; undefined when it is one. */
export function hostNameProblem(name: string, max: number): string | undefined {
  if (name.length > max) return `longer than ${max} characters`;
  for (const label of name.split('.')) {
    if (label === '') return 'an empty label (two dots, or one at an end)';
    if (label.length > 63) return `label ${quoteTyped(label)} is over 63 characters`;
    if (!/^[a-z0-9-]+$/.test(label)) return `${quoteTyped(label)}: only a-z, 0-9 and - allowed`;
    if (!LABEL.test(label)) return `${quoteTyped(label)} starts or ends with -`;
  }
  if (name.split('.').every((label) => /^[0-9]+$/.test(label))) return 'only digits: that reads as an address';
  return undefined;
}

function problemsOr<T, F>(problems: Partial<Record<keyof F & string, string>>, value: T): Checked<T, F> {
  return Object.keys(problems).length > 0 ? { ok: false, problems } : { ok: true, value };
}

export interface Cidr {
  readonly ip: string;
  readonly prefix: number;
}

/** A static address with its prefix, e.g. 192.0.2.10/24: a host IPv4, /8 to /32, not the network or broadcast address below /31. */
export function checkStaticAddress(text: string): Cidr | string {
  if (text === '') return 'an address is needed, e.g. 192.0.2.10/24';
  const slash = text.indexOf('/');
  const ip = slash < 0 ? text : text.slice(0, slash);
  if (!isIPv4(ip)) return `${quoteTyped(ip)} is not an IPv4 address`;
  if (slash < 0) return `add a prefix, e.g. ${ip}/24`;
  const prefixText = text.slice(slash + 1);
  const prefix = /^[0-9]{1,2}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 8 && prefix <= 32)) return `prefix /${quoteTyped(prefixText).slice(1, -1)} is not 8 to 32`;
  const notHost = notHostReason(ip);
  if (notHost !== undefined) return notHost;
  if (prefix < 31) {
    const net = networkOf(ip, prefix);
    if (ip === net) return `${ip} is the network address of /${prefix}`;
    if (ip === broadcastOf(ip, prefix)) return `${ip} is the broadcast address of /${prefix}`;
  }
  return { ip, prefix };
}

/** A gateway for `address` (undefined when that is not known yet): a host IPv4 inside its subnet, not the address itself. */
export function checkGateway(text: string, address: Cidr | undefined): string | undefined {
  if (!isIPv4(text)) return `${quoteTyped(text)} is not an IPv4 address`;
  const notHost = notHostReason(text);
  if (notHost !== undefined) return notHost;
  if (address === undefined) return undefined;
  if (text === address.ip) return 'the gateway cannot be the address itself';
  const mask = prefixMask(address.prefix);
  const subnet = `${networkOf(address.ip, address.prefix)}/${address.prefix}`;
  if ((ipv4ToNumber(text) & mask) >>> 0 !== (ipv4ToNumber(address.ip) & mask) >>> 0) return `gateway ${text} is outside ${subnet}`;
  if (address.prefix < 31 && (text === networkOf(text, address.prefix) || text === broadcastOf(text, address.prefix))) return `gateway ${text} is not a host of ${subnet}`;
  return undefined;
}
