import { isIPv4, type ManagementNetwork } from '../../../appliance/contracts/index.ts';
import { consoleErrors as systemErrors } from '../errors.ts';

// What an interface looks like live (its IPv4 addresses, link state, the
// default routes), read from `ip -j`, and the `ip` command lines that move it
// to new settings or back to a snapshot. Pure: parsing and planning only.

export interface AddressSnapshot {
  readonly local: string;
  readonly prefix: number;
  readonly broadcast: string | null;
  /** Has lifetimes (a DHCP lease): they are put back with it. */
  readonly dynamic: boolean;
  readonly validLft: number;
  readonly preferredLft: number;
}

export interface RouteSnapshot {
  readonly gateway: string | null;
  readonly dev: string;
  readonly metric: number | null;
  readonly protocol: string | null;
}

export interface InterfaceSnapshot {
  readonly iface: string;
  /** Administratively up. */
  readonly up: boolean;
  /** Has a carrier. */
  readonly carrier: boolean;
  /** Its global IPv4 addresses. */
  readonly addresses: readonly AddressSnapshot[];
  /** Every IPv4 default route of the main table, whatever its interface. */
  readonly defaultRoutes: readonly RouteSnapshot[];
}

export type Command = readonly [string, ...string[]];

const FOREVER = 4294967295;
const TOKEN = /^[A-Za-z0-9_.:-]+$/;

export function addrCommand(iface: string): Command {
  return ['ip', '-j', 'addr', 'show', 'dev', iface];
}
export const ROUTE_COMMAND: Command = ['ip', '-j', 'route', 'show', 'default'];

/** The interface as `ip -j addr show dev X` and `ip -j route show default` print it. */
export function parseSnapshot(iface: string, output: { readonly addr: string; readonly route: string }): InterfaceSnapshot {
  const links = parseJsonArray(output.addr, addrCommand(iface));
  const link = links.find((l) => isRecord(l) && l.ifname === iface);
  if (!isRecord(link)) throw unreadable(addrCommand(iface), `no interface ${iface}`);
  const flags = Array.isArray(link.flags) ? link.flags : [];
  const addresses: AddressSnapshot[] = [];
  for (const a of Array.isArray(link.addr_info) ? link.addr_info : []) {
    if (!isRecord(a) || a.family !== 'inet' || a.scope !== 'global') continue;
    if (typeof a.local !== 'string' || !isIPv4(a.local) || typeof a.prefixlen !== 'number') throw unreadable(addrCommand(iface), 'an address without local and prefixlen');
    const validLft = typeof a.valid_life_time === 'number' ? a.valid_life_time : FOREVER;
    const preferredLft = typeof a.preferred_life_time === 'number' ? a.preferred_life_time : FOREVER;
    addresses.push({
      local: a.local,
      prefix: a.prefixlen,
      broadcast: typeof a.broadcast === 'string' && isIPv4(a.broadcast) ? a.broadcast : null,
      dynamic: a.dynamic === true || validLft !== FOREVER,
      validLft,
      preferredLft,
    });
  }
  const defaultRoutes: RouteSnapshot[] = [];
  for (const r of parseJsonArray(output.route, ROUTE_COMMAND)) {
    if (!isRecord(r) || r.dst !== 'default' || typeof r.dev !== 'string' || !TOKEN.test(r.dev)) continue;
    defaultRoutes.push({
      gateway: typeof r.gateway === 'string' && isIPv4(r.gateway) ? r.gateway : null,
      dev: r.dev,
      metric: typeof r.metric === 'number' ? r.metric : null,
      protocol: typeof r.protocol === 'string' && TOKEN.test(r.protocol) ? r.protocol : null,
    });
  }
  return { iface, up: flags.includes('UP'), carrier: flags.includes('LOWER_UP'), addresses, defaultRoutes };
}

/** The commands that put a static network live: the old global IPv4 addresses go, the new one comes, the link is up, the gateway is the default route. */
export function staticCommands(network: Extract<ManagementNetwork, { mode: 'static' }>): Command[] {
  const iface = network.interface;
  const add: Command = network.prefix < 31 ? ['ip', 'addr', 'add', `${network.address}/${network.prefix}`, 'brd', '+', 'dev', iface] : ['ip', 'addr', 'add', `${network.address}/${network.prefix}`, 'dev', iface];
  const commands: Command[] = [['ip', '-4', 'addr', 'flush', 'dev', iface, 'scope', 'global'], add, ['ip', 'link', 'set', 'dev', iface, 'up']];
  if (network.gateway !== null) commands.push(['ip', 'route', 'replace', 'default', 'via', network.gateway, 'dev', iface]);
  return commands;
}

/**
 * The commands that bring the snapshot back: a default route the change added
 * goes, the addresses as they were (a lease with its remaining lifetimes), the
 * link state, then the default routes. Each is run even when one before failed.
 */
export function restoreCommands(snapshot: InterfaceSnapshot, network: ManagementNetwork): Command[] {
  const iface = snapshot.iface;
  const commands: Command[] = [];
  if (network.mode === 'static' && network.gateway !== null && !snapshot.defaultRoutes.some((r) => r.gateway === network.gateway && r.dev === iface)) {
    commands.push(['ip', 'route', 'del', 'default', 'via', network.gateway, 'dev', iface]);
  }
  commands.push(['ip', '-4', 'addr', 'flush', 'dev', iface, 'scope', 'global']);
  for (const a of snapshot.addresses) {
    const command = ['ip', 'addr', 'add', `${a.local}/${a.prefix}`] as [string, ...string[]];
    if (a.broadcast !== null) command.push('brd', a.broadcast);
    command.push('dev', iface);
    if (a.dynamic) command.push('valid_lft', String(a.validLft), 'preferred_lft', String(a.preferredLft));
    commands.push(command);
  }
  if (snapshot.up) commands.push(['ip', 'link', 'set', 'dev', iface, 'up']);
  for (const r of snapshot.defaultRoutes) {
    const command = ['ip', 'route', 'replace', 'default'] as [string, ...string[]];
    if (r.gateway !== null) command.push('via', r.gateway);
    command.push('dev', r.dev);
    if (r.protocol !== null) command.push('proto', r.protocol);
    if (r.metric !== null) command.push('metric', String(r.metric));
    commands.push(command);
  }
  if (!snapshot.up) commands.push(['ip', 'link', 'set', 'dev', iface, 'down']);
  return commands;
}

function parseJsonArray(text: string, command: Command): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text.trim() === '' ? '[]' : text);
  } catch {
    throw unreadable(command, 'output that is not JSON');
  }
  if (!Array.isArray(value)) throw unreadable(command, 'JSON that is not a list');
  return value;
}

function unreadable(command: Command, problem: string): Error {
  return systemErrors.SYSTEM_OUTPUT_UNREADABLE({ command: command.join(' '), problem });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
