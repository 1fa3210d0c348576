import { consoleErrors as systemErrors } from '../errors.ts';
import { broadcastOf, checkDnsServers, ipv4ToNumber, isIPv4, networkOf, notHostReason, prefixMask, quoteTyped } from './_ipv4.ts';

// The management network form: what the operator typed, checked field by field
// into a ManagementNetwork, and the systemd-networkd file that makes it last.
// Pure: no I/O, no clock.

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

const IFNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;

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

  const address = checkAddress(form.address.trim());
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

/** The file name under /etc/systemd/network; the 10- sorts it before the distribution's defaults. */
export function networkdFileName(): string {
  return '10-alliance-management.network';
}

/** The systemd-networkd .network file for the settings; refuses a value that is not of its form (an unchecked network). */
export function renderNetworkdFile(network: ManagementNetwork): string {
  if (!IFNAME.test(network.interface)) invalid('interface', `is ${quoteTyped(network.interface)}, not an interface name`);
  const head = `# Written by the Alliance console (system settings: management network); edits are overwritten.
[Match]
Name=${network.interface}

[Network]
`;
  if (network.mode === 'dhcp') return `${head}DHCP=ipv4\n`;
  if (!isIPv4(network.address)) invalid('address', `is ${quoteTyped(network.address)}, not an IPv4 address`);
  if (!Number.isInteger(network.prefix) || network.prefix < 8 || network.prefix > 32) invalid('prefix', `is ${String(network.prefix)}, not 8 to 32`);
  if (network.gateway !== null && !isIPv4(network.gateway)) invalid('gateway', `is ${quoteTyped(network.gateway)}, not an IPv4 address`);
  for (const server of network.dns) if (!isIPv4(server)) invalid('dns', `has ${quoteTyped(server)}, not an IPv4 address`);
  const lines = [`Address=${network.address}/${network.prefix}`];
  if (network.gateway !== null) lines.push(`Gateway=${network.gateway}`);
  for (const server of network.dns) lines.push(`DNS=${server}`);
  return `${head}${lines.join('\n')}\n`;
}

function invalid(field: string, problem: string): never {
  throw systemErrors.SYSTEM_SETTINGS_INVALID({ what: 'the management network file', field, problem });
}

function problemsOr<T, F>(problems: Partial<Record<keyof F & string, string>>, value: T): Checked<T, F> {
  return Object.keys(problems).length > 0 ? { ok: false, problems } : { ok: true, value };
}

interface Cidr {
  readonly ip: string;
  readonly prefix: number;
}

function checkAddress(text: string): Cidr | string {
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

function checkGateway(text: string, address: Cidr | undefined): string | undefined {
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
