import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants, existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { endianness, networkInterfaces } from 'node:os';
import { basename, join } from 'node:path';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { readInterfaceFlags, type InterfaceFlags } from './network-interfaces.ts';

// What the host's network looks like to mDNS, read once for `alliance discover
// --diagnose`. This file is the I/O edge: it reads /sys, /proc, runs ip/ss/nft/
// iptables-save and tries a bind, and never throws. Whatever cannot be read is
// 'unknown'. The parsers are exported and pure so the formats can be tested;
// the judging is diagnose.ts's.

const GROUP_V4 = '224.0.0.251';
const GROUP_V6 = 'ff02::fb';
const MDNS_PORT = 5353;
const TOOL_TIMEOUT_MS = 2000;

export type Unknown = 'unknown';

export type LinkFlags = InterfaceFlags;

export interface BridgeFacts {
  /** /sys/class/net/<br>/bridge/multicast_snooping */
  readonly multicastSnooping: boolean | Unknown;
  /** /sys/class/net/<br>/bridge/multicast_querier */
  readonly multicastQuerier: boolean | Unknown;
}

/** Routes that let a multicast send leave through this interface. */
export interface RouteFacts {
  readonly ipv4Default: boolean;
  /** 224.0.0.0/4 */
  readonly ipv4Multicast: boolean;
  readonly ipv6Default: boolean;
  /** ff00::/8, which the kernel adds to table local when IPv6 comes up. */
  readonly ipv6Multicast: boolean;
}

export interface InterfaceFacts {
  readonly name: string;
  /** IFF_* bits from /sys/class/net/<if>/flags. */
  readonly flags: LinkFlags | Unknown;
  /** /sys/class/net/<if>/operstate: up, down, lowerlayerdown, dormant, unknown (the kernel's word for links that do not report carrier), ...; null when unreadable. */
  readonly operstate: string | null;
  /** With prefix, e.g. 192.0.2.10/24. */
  readonly ipv4: readonly string[];
  /** With prefix and without zone, e.g. fe80::1/64. */
  readonly ipv6: readonly string[];
  /** /proc/sys/net/ipv6/conf/<if>/disable_ipv6 */
  readonly ipv6Disabled: boolean | Unknown;
  /** Multicast groups some socket joined here (/proc/net/igmp, /proc/net/igmp6). */
  readonly groups: { readonly ipv4: readonly string[] | Unknown; readonly ipv6: readonly string[] | Unknown };
  /** Present when the interface is a bridge. */
  readonly bridge: BridgeFacts | null;
  /** The bridge this interface is a port of. */
  readonly bridgePortOf: string | null;
  /** Present when the interface is an 802.1Q VLAN (/proc/net/vlan/config). */
  readonly vlan: { readonly id: number; readonly parent: string } | null;
  readonly routes: RouteFacts | Unknown;
}

/** What the walk of firewall rules needs to know about one rule. */
export interface FirewallRule {
  /** The rule as its tool shows it, for messages. */
  readonly text: string;
  /** Which packets it can see at all: 'ipv4' for `ip ...` matches or iptables, 'ipv6' for `ip6 ...` or ip6tables. */
  readonly family: 'any' | 'ipv4' | 'ipv6';
  /** Input interface match (`iifname`, `-i`); `*` (nft) and `+` (iptables) wildcards end a name. */
  readonly inIface: { readonly names: readonly string[]; readonly negated: boolean } | null;
  /** Whether its other matches select an mDNS packet (UDP to port 5353 and the group address); 'maybe' for matches not judged here (source address, rate limits, named sets). */
  readonly mdns: 'yes' | 'no' | 'maybe';
  /** It names port 5353 (or `mdns`): a rule meant for mDNS. */
  readonly mentionsMdns: boolean;
  readonly verdict:
    | { readonly kind: 'accept' | 'drop' | 'return' | 'none' | 'unknown' }
    | { readonly kind: 'jump' | 'goto'; readonly chain: string };
}

export interface FirewallChain {
  /** Table family: ip (IPv4), ip6 (IPv6), inet (both). */
  readonly family: 'ip' | 'ip6' | 'inet';
  readonly table: string;
  readonly name: string;
  /** Base chains on the input hook carry their policy; others are only reachable by jump/goto. */
  readonly input: { readonly policy: 'accept' | 'drop' } | null;
  readonly rules: readonly FirewallRule[];
}

export type FirewallFacts =
  | { readonly source: 'nft' | 'iptables'; readonly chains: readonly FirewallChain[] }
  /** `reason` says why: no tool installed, or the tool failed (e.g. not root). */
  | { readonly source: Unknown; readonly toolMissing: boolean; readonly reason: string };

export type BindResult = { readonly ok: true } | { readonly ok: false; readonly code: string; readonly message: string };

export interface PortHolder {
  /** null when ss could not name it (needs root for other users' sockets). */
  readonly program: string | null;
  readonly pid: number | null;
  readonly local: string;
}

export interface NetworkFacts {
  readonly interfaces: readonly InterfaceFacts[];
  /** The kernel has IPv6 at all (not booted with ipv6.disable=1). */
  readonly ipv6Kernel: boolean;
  /** br_netfilter's switches; 'not-loaded' when /proc/sys/net/bridge is absent. */
  readonly bridgeNetfilter: 'not-loaded' | { readonly iptables: boolean | Unknown; readonly ip6tables: boolean | Unknown };
  readonly firewall: FirewallFacts;
  /** Can UDP 5353 be bound right now with SO_REUSEADDR, as the transport does. */
  readonly bind: { readonly ipv4: BindResult; readonly ipv6: BindResult };
  /** Sockets bound to UDP 5353 (ss), before our own bind probe. */
  readonly port5353Holders: readonly PortHolder[] | Unknown;
}

/** Reads everything; never throws. */
export async function gatherNetworkFacts(): Promise<NetworkFacts> {
  const holders = portHolders();
  const bind = { ipv4: await tryBind('udp4'), ipv6: await tryBind('udp6') };
  const igmp = readText('/proc/net/igmp');
  const igmp6 = readText('/proc/net/igmp6');
  const groupsV4 = igmp === null ? null : parseIgmp(igmp, endianness());
  const groupsV6 = igmp6 === null ? null : parseIgmp6(igmp6);
  const vlanText = readText('/proc/net/vlan/config');
  // No 8021q module means no VLANs, not an unknown.
  const vlans = vlanText === null ? new Map<string, { id: number; parent: string }>() : parseVlanConfig(vlanText);
  const routes = readRoutes();
  const os = safeNetworkInterfaces();
  const names = new Set([...Object.keys(os), ...listDir('/sys/class/net')]);
  const interfaces = [...names].sort().map((name): InterfaceFacts => {
    const infos = os[name] ?? [];
    const sys = `/sys/class/net/${name}`;
    const flags = readInterfaceFlags(name);
    const disable = readText(`/proc/sys/net/ipv6/conf/${name}/disable_ipv6`);
    return {
      name,
      flags: flags ?? 'unknown',
      operstate: readText(`${sys}/operstate`)?.trim() ?? null,
      ipv4: infos.filter((i) => i.family === 'IPv4').map((i) => i.cidr ?? i.address),
      ipv6: infos.filter((i) => i.family === 'IPv6').map((i) => (i.cidr ?? i.address).replace(/%[^/]*/, '')),
      ipv6Disabled: disable === null ? 'unknown' : disable.trim() === '1',
      groups: { ipv4: groupsV4 === null ? 'unknown' : (groupsV4.get(name) ?? []), ipv6: groupsV6 === null ? 'unknown' : (groupsV6.get(name) ?? []) },
      bridge: existsSync(`${sys}/bridge`) ? { multicastSnooping: readBool(`${sys}/bridge/multicast_snooping`), multicastQuerier: readBool(`${sys}/bridge/multicast_querier`) } : null,
      bridgePortOf: existsSync(`${sys}/brport`) ? linkName(`${sys}/master`) : null,
      vlan: vlans.get(name) ?? null,
      routes: routes === null ? 'unknown' : routesOf(routes, name),
    };
  });
  return {
    interfaces,
    ipv6Kernel: existsSync('/proc/sys/net/ipv6'),
    bridgeNetfilter: existsSync('/proc/sys/net/bridge')
      ? { iptables: readBool('/proc/sys/net/bridge/bridge-nf-call-iptables'), ip6tables: readBool('/proc/sys/net/bridge/bridge-nf-call-ip6tables') }
      : 'not-loaded',
    firewall: readFirewall(),
    bind,
    port5353Holders: holders,
  };
}

// ---- parsers (pure) ----

/**
 * Groups joined per device from /proc/net/igmp. The kernel prints each group
 * as the in-memory 32-bit word, so on little-endian machines FB0000E0 is 224.0.0.251.
 */
export function parseIgmp(text: string, byteOrder: 'LE' | 'BE'): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let device: string[] | undefined;
  for (const line of text.split('\n')) {
    const dev = /^\d+\s+(\S+?)\s*:\s*\d+/.exec(line);
    if (dev !== null) {
      device = [];
      out.set(dev[1]!, device);
      continue;
    }
    const group = /^\s+([0-9A-Fa-f]{8})\s/.exec(line);
    if (group === null || device === undefined) continue;
    const word = Number.parseInt(group[1]!, 16);
    const bytes = [word >>> 24, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff];
    device.push((byteOrder === 'LE' ? bytes.reverse() : bytes).join('.'));
  }
  return out;
}

/** Groups joined per device from /proc/net/igmp6 (index, device, 32 hex digits, users, flags, timer). */
export function parseIgmp6(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^\s*\d+\s+(\S+)\s+([0-9a-fA-F]{32})\s/.exec(line);
    if (m === null) continue;
    const list = out.get(m[1]!) ?? [];
    list.push(ipv6FromHex(m[2]!));
    out.set(m[1]!, list);
  }
  return out;
}

/** VLAN devices from /proc/net/vlan/config ("eth0.100 | 100 | eth0" after two header lines). */
export function parseVlanConfig(text: string): Map<string, { id: number; parent: string }> {
  const out = new Map<string, { id: number; parent: string }>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s*\|\s*(\d+)\s*\|\s*(\S+)\s*$/.exec(line);
    if (m !== null) out.set(m[1]!, { id: Number(m[2]), parent: m[3]! });
  }
  return out;
}

export interface Route {
  readonly family: 'ipv4' | 'ipv6';
  /** 'default' or a prefix such as 224.0.0.0/4. */
  readonly dst: string;
  readonly dev: string;
}

/** Routes from `ip -j -4|-6 route show table all`; unreachable/blackhole/local ones do not carry sends and are left out. */
export function parseIpRouteJson(json: string, family: 'ipv4' | 'ipv6'): Route[] {
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed)) return [];
  const out: Route[] = [];
  for (const r of parsed as unknown[]) {
    if (!isRecord(r) || typeof r.dst !== 'string' || typeof r.dev !== 'string') continue;
    const type = typeof r.type === 'string' ? r.type : 'unicast';
    if (type !== 'unicast' && type !== 'multicast') continue;
    out.push({ family, dst: r.dst === 'default' || r.dst === '::/0' || r.dst === '0.0.0.0/0' ? 'default' : r.dst, dev: r.dev });
  }
  return out;
}

/** Routes from /proc/net/route (IPv4 main table, little-endian hex words) and /proc/net/ipv6_route (all tables). */
export function parseProcRoutes(route: string, ipv6Route: string, byteOrder: 'LE' | 'BE'): Route[] {
  const out: Route[] = [];
  for (const line of route.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [dev, dst, , flagsHex, , , , mask] = f as [string, string, string, string, string, string, string, string];
    if ((Number.parseInt(flagsHex, 16) & 0x1) === 0) continue; // RTF_UP
    const addr = wordToIPv4(dst, byteOrder);
    const bits = countBits(Number.parseInt(mask, 16));
    out.push({ family: 'ipv4', dst: bits === 0 ? 'default' : `${addr}/${bits}`, dev });
  }
  for (const line of ipv6Route.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [dst, len, , , , , , , flagsHex, dev] = f as [string, string, string, string, string, string, string, string, string, string];
    if ((Number.parseInt(flagsHex, 16) & 0x0200) !== 0) continue; // RTF_REJECT
    const bits = Number.parseInt(len, 16);
    out.push({ family: 'ipv6', dst: bits === 0 ? 'default' : `${ipv6FromHex(dst)}/${bits}`, dev });
  }
  return out;
}

/** Which multicast-carrying routes point at one interface. */
export function routesOf(routes: readonly Route[], dev: string): RouteFacts {
  const mine = routes.filter((r) => r.dev === dev);
  const has = (family: 'ipv4' | 'ipv6', dst: string) => mine.some((r) => r.family === family && r.dst === dst);
  return { ipv4Default: has('ipv4', 'default'), ipv4Multicast: has('ipv4', '224.0.0.0/4'), ipv6Default: has('ipv6', 'default'), ipv6Multicast: has('ipv6', 'ff00::/8') };
}

/** Sockets on UDP 5353 from `ss -H -u -a -n -p sport = :5353`. */
export function parseSsHolders(text: string): PortHolder[] {
  const out: PortHolder[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const local = f[3]!;
    const users = [...line.matchAll(/\("([^"]*)",pid=(\d+)/g)];
    if (users.length === 0) out.push({ program: null, pid: null, local });
    for (const u of users) out.push({ program: u[1]!, pid: Number(u[2]), local });
  }
  return out;
}

/**
 * The input-path chains of `nft -j list ruleset`: filter chains on the input
 * hook of ip, ip6 and inet tables, and the regular chains they can jump to.
 */
export function parseNftRuleset(json: string): FirewallChain[] {
  const parsed: unknown = JSON.parse(json);
  const items = isRecord(parsed) && Array.isArray(parsed.nftables) ? (parsed.nftables as unknown[]) : [];
  const chains = new Map<string, { family: FirewallChain['family']; table: string; name: string; input: FirewallChain['input']; rules: FirewallRule[] }>();
  const key = (family: string, table: string, chain: string) => `${family} ${table} ${chain}`;
  for (const item of items) {
    if (!isRecord(item) || !isRecord(item.chain)) continue;
    const c = item.chain;
    if (!isFamily(c.family) || typeof c.table !== 'string' || typeof c.name !== 'string') continue;
    const base = typeof c.hook === 'string';
    if (base && (c.hook !== 'input' || c.type !== 'filter')) continue;
    chains.set(key(c.family, c.table, c.name), { family: c.family, table: c.table, name: c.name, input: base ? { policy: c.policy === 'drop' ? 'drop' : 'accept' } : null, rules: [] });
  }
  for (const item of items) {
    if (!isRecord(item) || !isRecord(item.rule)) continue;
    const r = item.rule;
    if (typeof r.family !== 'string' || typeof r.table !== 'string' || typeof r.chain !== 'string' || !Array.isArray(r.expr)) continue;
    const chain = chains.get(key(r.family, r.table, r.chain));
    if (chain === undefined) continue;
    const rule = nftRule(r.expr as unknown[], chain.family);
    const handle = typeof r.handle === 'number' ? ` (handle ${r.handle})` : '';
    chain.rules.push({ ...rule, text: `${rule.text}${handle}` });
  }
  return [...chains.values()];
}

/** The filter table's INPUT chain and user chains from `iptables-save` or `ip6tables-save`. */
export function parseIptablesSave(text: string, family: 'ip' | 'ip6'): FirewallChain[] {
  const chains = new Map<string, { family: 'ip' | 'ip6'; table: string; name: string; input: FirewallChain['input']; rules: FirewallRule[] }>();
  let inFilter = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) inFilter = line === '*filter';
    if (!inFilter) continue;
    const decl = /^:(\S+)\s+(\S+)/.exec(line);
    if (decl !== null) {
      const name = decl[1]!;
      // FORWARD and OUTPUT never see a packet for this host; user chains might.
      if (name === 'FORWARD' || name === 'OUTPUT') continue;
      chains.set(name, { family, table: 'filter', name, input: name === 'INPUT' ? { policy: decl[2] === 'DROP' ? 'drop' : 'accept' } : null, rules: [] });
      continue;
    }
    if (!line.startsWith('-A ')) continue;
    const words = shellWords(line);
    const chain = chains.get(words[1] ?? '');
    if (chain !== undefined) chain.rules.push(iptablesRule(words.slice(2), line, family));
  }
  return [...chains.values()];
}

// ---- nft rule classification ----

type Judgement = 'yes' | 'no' | 'maybe';
type RuleFamily = FirewallRule['family'];

interface Judged {
  mdns: Judgement;
  mentions: boolean;
  family: RuleFamily;
  iface: FirewallRule['inIface'];
}

function nftRule(expr: readonly unknown[], tableFamily: FirewallChain['family']): FirewallRule {
  const j: Judged = { mdns: 'yes', mentions: false, family: tableFamily === 'ip' ? 'ipv4' : tableFamily === 'ip6' ? 'ipv6' : 'any', iface: null };
  let verdict: FirewallRule['verdict'] = { kind: 'none' };
  const words: string[] = [];
  for (const e of expr) {
    if (!isRecord(e)) continue;
    const [kind, body] = Object.entries(e)[0] ?? ['', null];
    if (kind === 'match' && isRecord(body)) {
      words.push(nftMatchText(body));
      nftMatch(body, j);
    } else if (kind === 'accept' || kind === 'drop' || kind === 'reject') {
      verdict = { kind: kind === 'accept' ? 'accept' : 'drop' };
      words.push(kind);
    } else if (kind === 'return') {
      verdict = { kind: 'return' };
      words.push(kind);
    } else if ((kind === 'jump' || kind === 'goto') && isRecord(body) && typeof body.target === 'string') {
      verdict = { kind, chain: body.target };
      words.push(`${kind} ${body.target}`);
    } else if (kind === 'queue' || kind === 'vmap' || kind === 'xt') {
      verdict = { kind: 'unknown' };
      words.push(kind);
    } else if (kind === 'limit' || kind === 'quota') {
      // Only some packets match: the rule may or may not apply to any one.
      j.mdns = and(j.mdns, 'maybe');
      words.push(kind);
    } else if (kind !== 'counter') {
      words.push(kind);
    }
  }
  return { text: words.join(' '), family: j.family, inIface: j.iface, mdns: j.mdns, mentionsMdns: j.mentions, verdict };
}

function nftMatch(m: Record<string, unknown>, j: Judged): void {
  const op = typeof m.op === 'string' ? m.op : '==';
  const negated = op === '!=';
  const positive = op === '==' || op === 'in';
  const left = isRecord(m.left) ? m.left : {};
  const right = m.right;
  const judge = (hit: Judgement) => {
    j.mdns = and(j.mdns, !positive && !negated ? 'maybe' : negated ? not(hit) : hit);
  };
  if (isRecord(left.payload)) {
    const { protocol, field } = left.payload;
    if (protocol === 'ip' || protocol === 'ip6') j.family = protocol === 'ip' ? 'ipv4' : 'ipv6';
    if ((protocol === 'udp' || protocol === 'th') && field === 'dport') {
      const has = valuesContain(right, (v) => portIs(v));
      if (has === 'yes') j.mentions = true;
      judge(has);
    } else if (protocol === 'udp') {
      judge('maybe');
    } else if ((protocol === 'ip' || protocol === 'ip6') && field === 'daddr') {
      judge(valuesContain(right, (v) => addressHolds(v, protocol === 'ip' ? GROUP_V4 : GROUP_V6)));
    } else if (protocol === 'ip' && field === 'protocol') {
      judge(valuesContain(right, (v) => v === 'udp' || v === 17));
    } else if (protocol === 'ip6' && field === 'nexthdr') {
      judge(valuesContain(right, (v) => v === 'udp' || v === 17));
    } else if (protocol === 'ip' || protocol === 'ip6' || protocol === 'th') {
      judge('maybe');
    } else {
      // tcp, icmp, sctp, ether ...: nft adds the protocol dependency, so no UDP packet matches.
      j.mdns = and(j.mdns, typeof protocol === 'string' && ['tcp', 'icmp', 'icmpv6', 'sctp', 'dccp', 'udplite', 'esp', 'ah', 'igmp'].includes(protocol) ? 'no' : 'maybe');
    }
  } else if (isRecord(left.meta)) {
    const k = left.meta.key;
    if (k === 'iifname' || k === 'iif') {
      const names = flatValues(right).filter((v): v is string => typeof v === 'string');
      if (names.length > 0 && (positive || negated)) j.iface = { names, negated };
      else judge('maybe');
    } else if (k === 'l4proto') {
      judge(valuesContain(right, (v) => v === 'udp' || v === 17));
    } else if (k === 'nfproto') {
      const fam = flatValues(right);
      if (!negated && fam.length === 1 && (fam[0] === 'ipv4' || fam[0] === 'ipv6')) j.family = fam[0];
      else judge('maybe');
    } else if (k === 'pkttype') {
      judge(valuesContain(right, (v) => v === 'multicast'));
    } else if (k === 'oifname' || k === 'oif') {
      judge('no'); // no output interface on the input path
    } else {
      judge('maybe');
    }
  } else if (isRecord(left.ct) && left.ct.key === 'state') {
    // An mDNS multicast never gets a reply, so conntrack sees every one as new.
    judge(valuesContain(right, (v) => v === 'new' || v === 'untracked'));
  } else if (isRecord(left.fib) && left.fib.result === 'type') {
    judge(valuesContain(right, (v) => v === 'multicast'));
  } else {
    judge('maybe');
  }
}

function nftMatchText(m: Record<string, unknown>): string {
  const op = typeof m.op !== 'string' || m.op === '==' || m.op === 'in' ? '' : `${m.op} `;
  return `${nftValueText(m.left)} ${op}${nftValueText(m.right)}`;
}

function nftValueText(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return typeof v === 'string' && /[\s*]/.test(v) ? JSON.stringify(v) : String(v);
  if (Array.isArray(v)) return v.map(nftValueText).join(',');
  if (!isRecord(v)) return '?';
  if (isRecord(v.payload)) return `${String(v.payload.protocol)} ${String(v.payload.field)}`;
  if (isRecord(v.meta)) return ['iifname', 'iif', 'oifname', 'oif', 'l4proto', 'nfproto', 'pkttype'].includes(String(v.meta.key)) ? String(v.meta.key) : `meta ${String(v.meta.key)}`;
  if (isRecord(v.ct)) return `ct ${String(v.ct.key)}`;
  if (isRecord(v.fib)) return `fib ${nftValueText(v.fib.flags)} ${String(v.fib.result)}`;
  if (Array.isArray(v.set)) return `{ ${v.set.map(nftValueText).join(', ')} }`;
  if (Array.isArray(v.range)) return v.range.map(nftValueText).join('-');
  if (isRecord(v.prefix)) return `${String(v.prefix.addr)}/${String(v.prefix.len)}`;
  return Object.keys(v)[0] ?? '?';
}

/** Every value of an nft right-hand side: a scalar, a list, a set, a range (kept whole). */
function flatValues(v: unknown): unknown[] {
  if (Array.isArray(v)) return v.flatMap(flatValues);
  if (isRecord(v) && Array.isArray(v.set)) return v.set.flatMap(flatValues);
  return [v];
}

/** Whether any value of a right-hand side satisfies `test`; named sets (@name) and maps cannot be judged here. */
function valuesContain(right: unknown, test: (v: unknown) => boolean | 'maybe'): Judgement {
  let result: Judgement = 'no';
  for (const v of flatValues(right)) {
    if (typeof v === 'string' && v.startsWith('@')) {
      result = 'maybe';
      continue;
    }
    const hit = test(v);
    if (hit === true) return 'yes';
    if (hit === 'maybe') result = 'maybe';
  }
  return result;
}

function portIs(v: unknown): boolean | 'maybe' {
  if (v === MDNS_PORT || v === 'mdns' || v === String(MDNS_PORT)) return true;
  if (isRecord(v) && Array.isArray(v.range) && typeof v.range[0] === 'number' && typeof v.range[1] === 'number') return v.range[0] <= MDNS_PORT && MDNS_PORT <= v.range[1];
  return typeof v === 'number' || typeof v === 'string' ? false : 'maybe';
}

function addressHolds(v: unknown, group: string): boolean | 'maybe' {
  if (typeof v === 'string') return cidrHolds(v, group);
  if (isRecord(v) && isRecord(v.prefix) && typeof v.prefix.addr === 'string' && typeof v.prefix.len === 'number') return cidrHolds(`${v.prefix.addr}/${v.prefix.len}`, group);
  if (isRecord(v) && Array.isArray(v.range)) return 'maybe';
  return 'maybe';
}

function cidrHolds(cidr: string, address: string): boolean | 'maybe' {
  const [addr = '', bits] = cidr.split('/');
  const v6 = isIPv6(address);
  if (v6 ? !isIPv6(addr) : !isIPv4(addr)) return isIPv4(addr) || isIPv6(addr) ? false : 'maybe';
  try {
    const list = new BlockList();
    list.addSubnet(addr, bits === undefined ? (v6 ? 128 : 32) : Number(bits), v6 ? 'ipv6' : 'ipv4');
    return list.check(address, v6 ? 'ipv6' : 'ipv4');
  } catch {
    return 'maybe'; // a dotted netmask (/255.255.0.0) or worse
  }
}

// ---- iptables rule classification ----

function iptablesRule(words: readonly string[], line: string, family: 'ip' | 'ip6'): FirewallRule {
  const j: Judged = { mdns: 'yes', mentions: false, family: family === 'ip' ? 'ipv4' : 'ipv6', iface: null };
  let verdict: FirewallRule['verdict'] = { kind: 'none' };
  let negate = false;
  for (let i = 0; i < words.length; i += 1) {
    const w = words[i]!;
    if (w === '!') {
      negate = true;
      continue;
    }
    const value = words[i + 1] ?? '';
    const takes = !value.startsWith('-') || /^-\d/.test(value);
    const judge = (hit: Judgement) => {
      j.mdns = and(j.mdns, negate ? not(hit) : hit);
    };
    switch (w) {
      case '-p':
      case '--protocol':
        judge(value === 'udp' || value === '17' || value === 'all' ? 'yes' : 'no');
        break;
      case '-i':
      case '--in-interface':
        j.iface = { names: [value], negated: negate };
        break;
      case '-d':
      case '--destination': {
        const hits = value.split(',').map((c) => cidrHolds(c, family === 'ip' ? GROUP_V4 : GROUP_V6));
        judge(hits.includes(true) ? 'yes' : hits.includes('maybe') ? 'maybe' : 'no');
        break;
      }
      case '--dport':
      case '--destination-port':
      case '--dports':
      case '--destination-ports':
      case '--ports': {
        const has = portListHolds(value);
        if (has) j.mentions = true;
        judge(has ? 'yes' : 'no');
        break;
      }
      case '--state':
      case '--ctstate':
        judge(value.split(',').some((s) => s === 'NEW' || s === 'UNTRACKED') ? 'yes' : 'no');
        break;
      case '--dst-type':
        judge(value.split(',').includes('MULTICAST') ? 'yes' : 'no');
        break;
      case '--pkt-type':
        judge(value === 'multicast' ? 'yes' : 'no');
        break;
      case '-m':
      case '--match':
        // Modules that only filter some packets by state we cannot see.
        if (['limit', 'hashlimit', 'recent', 'set', 'connlimit', 'statistic', 'time', 'owner'].includes(value)) judge('maybe');
        break;
      case '--comment':
        break;
      case '-j':
      case '--jump':
      case '-g':
      case '--goto':
        verdict = targetVerdict(value, w === '-g' || w === '--goto');
        i = words.length; // what follows belongs to the target
        continue;
      case '--tcp-flags':
        i += 1; // takes two words; any TCP match already rules UDP out
        break;
      default:
        // -s, --sport, -o and matches we do not model: they may or may not let mDNS through.
        judge(w === '-o' || w === '--out-interface' ? 'no' : 'maybe');
        if (!takes) {
          negate = false;
          continue;
        }
    }
    if (takes) i += 1;
    negate = false;
  }
  return { text: line, family: j.family, inIface: j.iface, mdns: j.mdns, mentionsMdns: j.mentions, verdict };
}

function targetVerdict(target: string, isGoto: boolean): FirewallRule['verdict'] {
  if (target === 'ACCEPT') return { kind: 'accept' };
  if (target === 'DROP' || target === 'REJECT') return { kind: 'drop' };
  if (target === 'RETURN') return { kind: 'return' };
  if (['LOG', 'NFLOG', 'MARK', 'CONNMARK', 'CT', 'TRACE', 'AUDIT', 'TCPMSS', 'NOTRACK'].includes(target)) return { kind: 'none' };
  if (target === 'QUEUE' || target === 'NFQUEUE') return { kind: 'unknown' };
  return { kind: isGoto ? 'goto' : 'jump', chain: target };
}

function portListHolds(list: string): boolean {
  return list.split(',').some((p) => {
    const [lo, hi] = p.split(':');
    const a = lo === '' || lo === undefined ? 0 : p === 'mdns' ? MDNS_PORT : Number(lo);
    const b = hi === undefined ? a : hi === '' ? 65535 : Number(hi);
    return a <= MDNS_PORT && MDNS_PORT <= b;
  });
}

/** Splits an iptables-save line into words, keeping "quoted comments" whole. */
function shellWords(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

// ---- three-valued helpers ----

function and(a: Judgement, b: Judgement): Judgement {
  if (a === 'no' || b === 'no') return 'no';
  return a === 'maybe' || b === 'maybe' ? 'maybe' : 'yes';
}

function not(a: Judgement): Judgement {
  return a === 'yes' ? 'no' : a === 'no' ? 'yes' : 'maybe';
}

// ---- the I/O ----

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function readBool(path: string): boolean | Unknown {
  const text = readText(path)?.trim();
  return text === '1' ? true : text === '0' ? false : 'unknown';
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function linkName(path: string): string | null {
  try {
    return basename(readlinkSync(path));
  } catch {
    return null;
  }
}

function safeNetworkInterfaces(): ReturnType<typeof networkInterfaces> {
  try {
    return networkInterfaces();
  } catch {
    return {};
  }
}

/** The tool's path, looking in sbin too: ip, nft and iptables live there and a user's PATH may lack it. */
function findTool(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      /* not here */
    }
  }
  return null;
}

function run(tool: string, args: readonly string[]): { ok: true; stdout: string } | { ok: false; error: string } {
  try {
    const stdout = execFileSync(tool, [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: TOOL_TIMEOUT_MS, maxBuffer: 32 * 1024 * 1024 });
    return { ok: true, stdout };
  } catch (err) {
    const e = err as { stderr?: unknown; message: string };
    const stderr = typeof e.stderr === 'string' ? e.stderr.trim().split('\n')[0] : '';
    return { ok: false, error: stderr !== undefined && stderr !== '' ? stderr : e.message };
  }
}

function readRoutes(): Route[] | null {
  const ip = findTool('ip');
  if (ip !== null) {
    const v4 = run(ip, ['-j', '-4', 'route', 'show', 'table', 'all']);
    const v6 = run(ip, ['-j', '-6', 'route', 'show', 'table', 'all']);
    try {
      if (v4.ok) return [...parseIpRouteJson(v4.stdout, 'ipv4'), ...(v6.ok ? parseIpRouteJson(v6.stdout, 'ipv6') : [])];
    } catch {
      /* not JSON: an old ip; fall back to /proc */
    }
  }
  const route = readText('/proc/net/route');
  if (route === null) return null;
  return parseProcRoutes(route, readText('/proc/net/ipv6_route') ?? '', endianness());
}

function readFirewall(): FirewallFacts {
  const nft = findTool('nft');
  if (nft !== null) {
    const listed = run(nft, ['-j', 'list', 'ruleset']);
    if (!listed.ok) return { source: 'unknown', toolMissing: false, reason: `nft -j list ruleset failed: ${listed.error}` };
    try {
      return { source: 'nft', chains: parseNftRuleset(listed.stdout) };
    } catch (err) {
      return { source: 'unknown', toolMissing: false, reason: `cannot read the output of nft -j list ruleset: ${(err as Error).message}` };
    }
  }
  const v4 = findTool('iptables-save');
  if (v4 === null) return { source: 'unknown', toolMissing: true, reason: 'neither nft nor iptables-save is installed' };
  const saved = run(v4, []);
  if (!saved.ok) return { source: 'unknown', toolMissing: false, reason: `iptables-save failed: ${saved.error}` };
  const v6 = findTool('ip6tables-save');
  const saved6 = v6 === null ? null : run(v6, []);
  try {
    return { source: 'iptables', chains: [...parseIptablesSave(saved.stdout, 'ip'), ...(saved6?.ok === true ? parseIptablesSave(saved6.stdout, 'ip6') : [])] };
  } catch (err) {
    return { source: 'unknown', toolMissing: false, reason: `cannot read the output of iptables-save: ${(err as Error).message}` };
  }
}

function portHolders(): readonly PortHolder[] | Unknown {
  const ss = findTool('ss');
  if (ss === null) return 'unknown';
  const listed = run(ss, ['-H', '-u', '-a', '-n', '-p', `sport = :${MDNS_PORT}`]);
  return listed.ok ? parseSsHolders(listed.stdout) : 'unknown';
}

/** Binds UDP 5353 the way MdnsTransport does, then lets go. */
function tryBind(type: 'udp4' | 'udp6'): Promise<BindResult> {
  return new Promise((resolve) => {
    let socket: ReturnType<typeof createSocket>;
    try {
      socket = createSocket({ type, reuseAddr: true, ipv6Only: type === 'udp6' });
    } catch (err) {
      resolve(failure(err));
      return;
    }
    let done = false;
    const timer = setTimeout(() => finish({ ok: false, code: 'ETIMEDOUT', message: 'bind did not finish within 2 s' }), TOOL_TIMEOUT_MS);
    const finish = (result: BindResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        socket.close();
      } catch {
        /* never bound */
      }
      resolve(result);
    };
    socket.once('error', (err) => finish(failure(err)));
    try {
      socket.bind(MDNS_PORT, type === 'udp4' ? '0.0.0.0' : '::', () => finish({ ok: true }));
    } catch (err) {
      finish(failure(err));
    }
  });
}

function failure(err: unknown): BindResult {
  const e = err as { code?: unknown; message?: unknown };
  return { ok: false, code: typeof e.code === 'string' ? e.code : 'ERROR', message: typeof e.message === 'string' ? e.message : String(err) };
}

// ---- small pure helpers ----

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isFamily(v: unknown): v is FirewallChain['family'] {
  return v === 'ip' || v === 'ip6' || v === 'inet';
}

function wordToIPv4(hex: string, byteOrder: 'LE' | 'BE'): string {
  const word = Number.parseInt(hex, 16);
  const bytes = [word >>> 24, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff];
  return (byteOrder === 'LE' ? bytes.reverse() : bytes).join('.');
}

function countBits(n: number): number {
  let bits = 0;
  for (let v = n >>> 0; v !== 0; v >>>= 1) bits += v & 1;
  return bits;
}

/** 32 hex digits to the short form: ff0200000000000000000000000000fb -> ff02::fb. */
export function ipv6FromHex(hex: string): string {
  const groups = (hex.toLowerCase().match(/.{4}/g) ?? []).map((g) => g.replace(/^0+(?=.)/, ''));
  // RFC 5952: the longest run of two or more zero groups becomes ::, the first one on a tie.
  let best = { at: -1, len: 0 };
  for (let i = 0; i < groups.length; ) {
    let j = i;
    while (j < groups.length && groups[j] === '0') j += 1;
    if (j - i > best.len && j - i >= 2) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}
