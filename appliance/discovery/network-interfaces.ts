import { existsSync, readFileSync } from 'node:fs';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';

/** An interface mDNS runs on, with the addresses it answers with there. */
export interface MdnsInterface {
  readonly name: string;
  readonly v4: readonly { readonly address: string; readonly prefix: number }[];
  readonly v6: readonly { readonly address: string; readonly prefix: number; readonly linkLocal: boolean }[];
}

export interface LinkFacts {
  /** Administratively up with carrier (or carrier unknown). */
  readonly up: boolean;
  readonly multicast: boolean;
  /** A port of a bridge: the bridge, not the port, is where this host talks. */
  readonly bridgePort: boolean;
}

export interface InterfaceFlags {
  readonly up: boolean;
  readonly loopback: boolean;
  readonly multicast: boolean;
}

/** The IFF_* bits of /sys/class/net/<name>/flags; null when unreadable. */
export function readInterfaceFlags(name: string): InterfaceFlags | null {
  let bits: number;
  try {
    bits = Number.parseInt(readFileSync(`/sys/class/net/${name}/flags`, 'utf8').trim(), 16);
  } catch {
    return null;
  }
  return Number.isNaN(bits) ? null : { up: (bits & 0x1) !== 0, loopback: (bits & 0x8) !== 0, multicast: (bits & 0x1000) !== 0 };
}

/** Whether an operstate lets packets through; "unknown" is what links that report no carrier say. */
export function carrierUp(operstate: string | null): boolean {
  return operstate === 'up' || operstate === 'unknown';
}

/** discovery.interfaces ("eth0,br0", or empty for all) as a list. */
export function interfaceList(setting: string): string[] {
  return setting === '' ? [] : setting.split(',');
}

/** Reads /sys/class/net/<name>; a missing file reads as down. */
export function readLinkFacts(name: string): LinkFacts {
  const flags = readInterfaceFlags(name);
  let oper: string | null = null;
  try {
    oper = readFileSync(`/sys/class/net/${name}/operstate`, 'utf8').trim();
  } catch {
    /* gone: reads as down */
  }
  return { up: flags !== null && flags.up && carrierUp(oper), multicast: flags?.multicast ?? false, bridgePort: existsSync(`/sys/class/net/${name}/brport`) };
}

/**
 * The interfaces to run mDNS on: up, multicast-capable, not loopback, not a
 * bridge port, with an address; only those named in `only` when it is not empty.
 */
export function selectInterfaces(
  all: Readonly<Record<string, readonly NetworkInterfaceInfo[] | undefined>>,
  link: (name: string) => LinkFacts,
  only: readonly string[],
): MdnsInterface[] {
  const out: MdnsInterface[] = [];
  for (const [name, infos] of Object.entries(all)) {
    if (infos === undefined || infos.some((i) => i.internal)) continue;
    if (only.length > 0 && !only.includes(name)) continue;
    const facts = link(name);
    if (!facts.up || !facts.multicast || facts.bridgePort) continue;
    const v4 = infos.filter((i) => i.family === 'IPv4').map((i) => ({ address: i.address, prefix: prefixOf(i) }));
    const v6 = infos.filter((i) => i.family === 'IPv6').map((i) => ({ address: i.address, prefix: prefixOf(i), linkLocal: i.address.toLowerCase().startsWith('fe80:') }));
    if (v4.length === 0 && v6.length === 0) continue;
    out.push({ name, v4, v6 });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Which interface a packet came in on, judged by its source address; undefined when it is off-link. */
export function interfaceOfSource(source: string, interfaces: readonly MdnsInterface[]): MdnsInterface | undefined {
  const pct = source.indexOf('%');
  if (pct >= 0) {
    const scope = source.slice(pct + 1);
    return interfaces.find((i) => i.name === scope);
  }
  if (isIPv4(source)) return interfaces.find((i) => i.v4.some((a) => sameSubnet(a.address, source, a.prefix)));
  if (isIPv6(source)) return interfaces.find((i) => i.v6.some((a) => sameSubnet(a.address, source, a.prefix)));
  return undefined;
}

function prefixOf(info: NetworkInterfaceInfo): number {
  const bits = Number(info.cidr?.split('/')[1]);
  return Number.isInteger(bits) ? bits : info.family === 'IPv4' ? 32 : 128;
}

/** Two interface lists are the same in names and addresses. */
export function sameInterfaces(a: readonly MdnsInterface[], b: readonly MdnsInterface[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameSubnet(address: string, source: string, prefix: number): boolean {
  const family = isIPv4(address) ? 'ipv4' : 'ipv6';
  const subnet = new BlockList();
  subnet.addSubnet(address.split('%')[0]!, prefix, family);
  return subnet.check(source, family);
}
