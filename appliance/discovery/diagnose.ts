import type { FirewallChain, FirewallRule, InterfaceFacts, NetworkFacts } from './network-facts.ts';
import { carrierUp } from './network-interfaces.ts';

// `alliance discover --diagnose`: what stands between this host and mDNS, in
// plain words, judged from facts gathered by network-facts.ts. Pure: the same
// facts always give the same findings.

export type Severity = 'ok' | 'warning' | 'problem';

export interface Finding {
  /** The interface it is about; null for the host as a whole. */
  readonly iface: string | null;
  readonly severity: Severity;
  readonly what: string;
  /** What to do about it, with the exact command where there is one. */
  readonly fix?: string;
}

export interface DiagnoseOptions {
  /** discovery.interfaces: the interfaces to check; empty for every one but loopback. */
  readonly interfaces: readonly string[];
}

const GROUP_V4 = '224.0.0.251';
const GROUP_V6 = 'ff02::fb';

type Family = 'ipv4' | 'ipv6';
const FAMILY_NAME: Record<Family, string> = { ipv4: 'IPv4', ipv6: 'IPv6' };

/** Every finding, interface by interface in the order checked, then the host's. */
export function diagnose(facts: NetworkFacts, options: DiagnoseOptions): Finding[] {
  const byName = new Map(facts.interfaces.map((i) => [i.name, i]));
  const named = options.interfaces.length > 0;
  const findings: Finding[] = [];
  const checked: InterfaceFacts[] = [];
  for (const name of named ? options.interfaces : facts.interfaces.filter((i) => !isLoopback(i)).map((i) => i.name)) {
    const iface = byName.get(name);
    if (iface !== undefined) {
      checked.push(iface);
      continue;
    }
    const others = facts.interfaces.filter((i) => !isLoopback(i)).map((i) => i.name);
    findings.push({
      iface: name,
      severity: 'problem',
      what: `no interface of that name exists here (there ${others.length === 1 ? 'is' : 'are'}: ${others.join(', ') || 'none'})`,
      fix: 'correct discovery.interfaces; `ip link` lists the interfaces',
    });
  }
  // With nothing on UDP 5353 there are no memberships to look for; the host finding says so once.
  const listening = facts.port5353Holders === 'unknown' ? null : facts.port5353Holders.length > 0;
  for (const iface of checked) {
    const own = checkInterface(iface, facts, { named, listening });
    findings.push(...(own.length > 0 ? own : [{ iface: iface.name, severity: 'ok' as const, what: summary(iface) }]));
  }
  findings.push(...checkHost(facts, checked, { named, listening }));
  return findings;
}

interface Context {
  /** The operator named the interfaces (discovery.interfaces). */
  readonly named: boolean;
  /** Something holds UDP 5353; null when ss could not say. */
  readonly listening: boolean | null;
}

function checkInterface(i: InterfaceFacts, facts: NetworkFacts, ctx: Context): Finding[] {
  const name = i.name;
  const problem = (what: string, fix?: string): Finding => ({ iface: name, severity: 'problem', what, ...(fix === undefined ? {} : { fix }) });
  const warning = (what: string, fix?: string): Finding => ({ iface: name, severity: 'warning', what, ...(fix === undefined ? {} : { fix }) });

  if (isLoopback(i)) return [problem('this is the loopback interface: other machines cannot reach it', 'name a real link in discovery.interfaces, or leave it empty for all of them')];
  if (i.flags === 'unknown') return [warning(`cannot read /sys/class/net/${name}/flags, so its state is unknown`, `\`ip link show ${name}\` shows it`)];

  // A port hands every frame to its bridge; the host's addresses and sockets live on the bridge.
  if (i.bridgePortOf !== null) {
    const br = i.bridgePortOf;
    if (ctx.named) return [problem(`a port of bridge ${br}: the bridge takes every packet arriving here, so mDNS must run on ${br}`, `use ${br} instead of ${name} in discovery.interfaces`)];
    if (!i.flags.up) return [warning(`a port of bridge ${br} that is down: ${br} reaches nothing through it`, `ip link set ${name} up`)];
    if (i.ipv4.length > 0) {
      return [warning(`a port of bridge ${br} with an IPv4 address of its own (${i.ipv4.join(', ')}): it does not work there, since ${br} takes the packets`, `move it to the bridge: \`ip addr del ${i.ipv4[0]!} dev ${name} && ip addr add ${i.ipv4[0]!} dev ${br}\``)];
    }
    return [{ iface: name, severity: 'ok', what: `a port of bridge ${br}; discovery runs on ${br}` }];
  }

  if (!i.flags.up) return [problem('down: it is switched off (administratively down), so mDNS cannot run on it', `ip link set ${name} up`)];
  if (!carrierUp(i.operstate)) return [noCarrier(i, facts)];

  const out: Finding[] = [];
  if (!i.flags.multicast) out.push(problem('multicast is off (no MULTICAST flag), so it can neither send nor receive mDNS', `ip link set ${name} multicast on`));

  const v4 = i.ipv4.length > 0;
  const linkLocal = i.ipv6.some(isLinkLocal);
  const v6on = facts.ipv6Kernel && i.ipv6Disabled !== true;
  const v6 = linkLocal && v6on;
  if (!v4 && !linkLocal) {
    const off = i.ipv6Disabled === true;
    out.push(
      problem(
        `no IPv4 address and no IPv6 link-local address${off ? ' (IPv6 is disabled on it)' : ''}, so mDNS cannot join its groups here`,
        `give it an address (\`ip addr add <address>/<prefix> dev ${name}\`)${off ? ` or enable IPv6 for a link-local one (\`sysctl -w net.ipv6.conf.${name}.disable_ipv6=0\`)` : ''}`,
      ),
    );
  } else if (i.ipv6Disabled === true && facts.ipv6Kernel) {
    out.push(warning(`IPv6 is disabled on it (net.ipv6.conf.${name}.disable_ipv6=1): IPv6 discovery (${GROUP_V6}) is off here; IPv4 discovery still works`, `sysctl -w net.ipv6.conf.${name}.disable_ipv6=0`));
  } else if (v6on && i.ipv6Disabled === false && !linkLocal) {
    out.push(
      warning(
        'IPv6 is on but it has no link-local address (fe80::/10), so IPv6 discovery is off here',
        `\`ip -6 addr show dev ${name}\` shows "dadfailed" when another host has the address; net.ipv6.conf.${name}.addr_gen_mode must not be 1`,
      ),
    );
  } else if (v6 && i.routes !== 'unknown' && !i.routes.ipv6Multicast && !i.routes.ipv6Default) {
    // IPv4 sends to 224.0.0.251 need no route once the interface is chosen; IPv6 sends do.
    out.push(warning('no IPv6 route for multicast leads here (neither ff00::/8 nor a default route), so IPv6 mDNS sends fail with "network unreachable"', `ip -6 route add multicast ff00::/8 dev ${name} table local`));
  }

  if ((v4 || v6) && ctx.listening !== false) {
    const missing = [
      ...(v4 && i.groups.ipv4 !== 'unknown' && !i.groups.ipv4.includes(GROUP_V4) ? [GROUP_V4] : []),
      ...(v6 && i.groups.ipv6 !== 'unknown' && !i.groups.ipv6.includes(GROUP_V6) ? [GROUP_V6] : []),
    ];
    if (missing.length > 0) {
      out.push(
        warning(
          `no process here has joined the mDNS group${missing.length > 1 ? 's' : ''} ${missing.join(' and ')} on ${name}; is \`alliance serve\` running, with ${name} in discovery.interfaces (empty means all)?`,
          'start it (`alliance status` shows whether it runs); if it runs, its log says "cannot join" with the reason',
        ),
      );
    }
  }

  if (i.bridge !== null && i.bridge.multicastSnooping === true && i.bridge.multicastQuerier === false) {
    out.push(
      warning(
        `bridge ${name} snoops multicast (multicast_snooping=1) but sends no IGMP/MLD queries itself (multicast_querier=0): unless a router on this link does, memberships expire and the bridge can stop passing mDNS (${GROUP_V6} first) to its ports`,
        `\`echo 0 > /sys/class/net/${name}/bridge/multicast_snooping\`, or let it query: \`echo 1 > /sys/class/net/${name}/bridge/multicast_querier\``,
      ),
    );
  }

  const families: Family[] = [...(v4 ? (['ipv4'] as const) : []), ...(v6 ? (['ipv6'] as const) : [])];
  out.push(...firewallFindings(name, families, facts));
  return out;
}

function noCarrier(i: InterfaceFacts, facts: NetworkFacts): Finding {
  const name = i.name;
  const base = { iface: name, severity: 'problem' as const };
  if (i.vlan !== null) {
    const parent = i.vlan.parent;
    return { ...base, what: `no carrier: it is VLAN ${i.vlan.id} on ${parent}, which is down or has no carrier itself`, fix: `ip link set ${parent} up, and check ${parent}'s cable and switch port (the port must carry VLAN ${i.vlan.id} tagged)` };
  }
  if (i.bridge !== null) {
    const ports = facts.interfaces.filter((p) => p.bridgePortOf === name).map((p) => p.name);
    return {
      ...base,
      what: ports.length === 0 ? `no carrier: bridge ${name} has no ports, and a bridge without a port that is up has no carrier` : `no carrier: none of the ports of bridge ${name} (${ports.join(', ')}) is up`,
      fix: ports.length === 0 ? `add a port: ip link set <interface> master ${name}` : `bring a port up (\`ip link set ${ports[0]!} up\`) and check its cable`,
    };
  }
  return {
    ...base,
    what: `up but without carrier (operstate ${i.operstate ?? 'unreadable'}): the cable is unplugged, the switch port is off, or, for a veth, its peer is down`,
    fix: `check the cable and switch port, or bring up the veth's peer (\`ip link show ${name}\` says NO-CARRIER until then)`,
  };
}

function checkHost(facts: NetworkFacts, checked: readonly InterfaceFacts[], { named, listening }: Context): Finding[] {
  const out: Finding[] = [];
  const host = (severity: Severity, what: string, fix?: string): Finding => ({ iface: null, severity, what, ...(fix === undefined ? {} : { fix }) });

  if (!facts.ipv6Kernel) out.push(host('warning', 'the kernel runs without IPv6 (booted with ipv6.disable=1): IPv6 discovery is off everywhere; IPv4 discovery still works', 'remove ipv6.disable=1 from the kernel command line and reboot'));

  out.push(...bindFindings(facts));

  const usable = checked.filter(isUsable);
  if (listening === false && usable.length > 0) {
    out.push(host('warning', 'no program here listens on UDP 5353, so none has joined the mDNS groups; is `alliance serve` running?', 'start it; `alliance status` shows whether it runs'));
  }

  const netfilter = facts.bridgeNetfilter;
  const bridges = facts.interfaces.filter((i) => i.bridge !== null).map((i) => i.name);
  if (netfilter !== 'not-loaded' && (netfilter.iptables === true || netfilter.ip6tables === true) && bridges.length > 0) {
    const which = [...(netfilter.iptables === true ? ['bridge-nf-call-iptables=1'] : []), ...(netfilter.ip6tables === true ? ['bridge-nf-call-ip6tables=1'] : [])];
    out.push(
      host(
        'warning',
        `br_netfilter is loaded with ${which.join(' and ')}: mDNS that ${bridges.join(', ')} carr${bridges.length === 1 ? 'ies' : 'y'} between machines (VMs, containers) passes through iptables, where a NAT/masquerade rule can rewrite its source address and a FORWARD rule can drop it`,
        'if nothing needs to filter bridged traffic: `sysctl -w net.bridge.bridge-nf-call-iptables=0` and `sysctl -w net.bridge.bridge-nf-call-ip6tables=0`; otherwise accept it and keep it from NAT: `iptables -I FORWARD -p udp --dport 5353 -j ACCEPT` and `iptables -t nat -I POSTROUTING -d 224.0.0.251 -j RETURN`',
      ),
    );
  }

  const fw = facts.firewall;
  if (fw.source === 'unknown' && !fw.toolMissing) {
    out.push(host('warning', `firewall rules not checked: ${fw.reason}`, /not permitted|permission/i.test(fw.reason) ? 'run it as root: sudo alliance discover --diagnose' : undefined));
  } else if (fw.source !== 'unknown' && usable.length > 0 && !usable.some((i) => firewallFindings(i.name, familiesOf(i, facts), facts).length > 0)) {
    out.push(host('ok', `the firewall (${fw.source}) lets mDNS (UDP 5353) in on ${usable.map((i) => i.name).join(', ')}`));
  }

  if (usable.length === 0) {
    out.push(
      host(
        'problem',
        `no interface${named ? ' in discovery.interfaces' : ''} is suitable for mDNS (up, with carrier, multicast, with an address): discovery cannot work`,
        'fix an interface above, or do without multicast: list the other appliances in discovery.peers (e.g. 10.0.0.5:8443,10.0.0.6:8443), or publish SRV records _alliance._tcp.<domain> and set discovery.srv_domain',
      ),
    );
  }
  return out;
}

function bindFindings(facts: NetworkFacts): Finding[] {
  const failed = (['ipv4', 'ipv6'] as const).flatMap((family) => {
    const r = facts.bind[family];
    // Without IPv6 in the kernel an IPv6 socket cannot exist; the IPv6 finding covers that.
    if (r.ok || (family === 'ipv6' && (!facts.ipv6Kernel || r.code === 'EAFNOSUPPORT'))) return [];
    return [{ family, code: r.code, message: r.message }];
  });
  if (failed.length === 0) return [{ iface: null, severity: 'ok', what: 'UDP port 5353 can be bound and shared (SO_REUSEADDR), as Alliance binds it' }];
  const over = failed.map((f) => FAMILY_NAME[f.family]).join(' and ');
  const holders = facts.port5353Holders === 'unknown' ? [] : facts.port5353Holders;
  const named = [...new Set(holders.map((h) => (h.program === null ? 'a program ss cannot name (run as root to see it)' : `${h.program} (pid ${String(h.pid)})`)))];
  if (failed.some((f) => f.code === 'EADDRINUSE')) {
    const avahi = holders.some((h) => h.program === 'avahi-daemon');
    return [
      {
        iface: null,
        severity: 'problem',
        what: `UDP port 5353 (${over}) is held by another mDNS stack that does not share it (no SO_REUSEADDR)${named.length > 0 ? `: ${named.join(', ')}` : ''}; Alliance can then neither bind it nor hear mDNS`,
        fix: avahi
          ? 'set disallow-other-stacks=no in /etc/avahi/avahi-daemon.conf and `systemctl restart avahi-daemon`, or stop avahi: `systemctl disable --now avahi-daemon.socket avahi-daemon.service`'
          : `stop that program or configure it to share the port (\`ss -ulpn 'sport = :5353'\` shows it)`,
      },
    ];
  }
  return failed.map((f) => ({ iface: null, severity: 'problem' as const, what: `UDP port 5353 (${FAMILY_NAME[f.family]}) cannot be bound: ${f.message}`, fix: 'check that nothing (seccomp, SELinux, AppArmor) forbids binding it to this program' }));
}

// ---- firewall ----

interface Packet {
  readonly iface: string;
  readonly family: Family;
}

/** The rule or policy that settles what an mDNS packet meets in one input chain. */
interface Decision {
  readonly outcome: 'accept' | 'drop';
  /** null: the chain's policy. */
  readonly rule: FirewallRule | null;
}

/** A rule whose conditions we cannot judge, and what it would do if it matched. */
interface Doubt {
  readonly rule: FirewallRule;
  readonly verdict: 'accept' | 'drop' | 'unknown';
}

const MAX_JUMP_DEPTH = 16;

function familiesOf(i: InterfaceFacts, facts: NetworkFacts): Family[] {
  const v6 = i.ipv6.some(isLinkLocal) && facts.ipv6Kernel && i.ipv6Disabled !== true;
  return [...(i.ipv4.length > 0 ? (['ipv4'] as const) : []), ...(v6 ? (['ipv6'] as const) : [])];
}

/**
 * Walks each input base chain as an mDNS packet arriving on `iface` would, per
 * family. Every base chain must let it through (nft runs each one), so each
 * blocking chain is a finding. Rules with conditions not judged here (source
 * addresses, rate limits, named sets) turn a certain answer into a "may".
 */
function firewallFindings(iface: string, families: readonly Family[], facts: NetworkFacts): Finding[] {
  const fw = facts.firewall;
  if (fw.source === 'unknown') return [];
  const groups = new Map<string, { chain: FirewallChain; decision: Decision; doubts: Doubt[]; families: Family[] }>();
  for (const chain of fw.chains) {
    if (chain.input === null) continue;
    for (const family of families) {
      if ((chain.family === 'ip' && family !== 'ipv4') || (chain.family === 'ip6' && family !== 'ipv6')) continue;
      const doubts: Doubt[] = [];
      const decision = walk(fw.chains, chain, { iface, family }, doubts, 0, false) ?? { outcome: chain.input.policy, rule: null };
      // A drop could be undone by any rule that might accept; an accept is only worth doubting for rules meant for mDNS.
      const against = doubts.filter((d) => d.verdict !== decision.outcome && (decision.outcome === 'drop' || d.rule.mentionsMdns));
      if (decision.outcome === 'accept' && against.length === 0) continue;
      const key = JSON.stringify([chain.family, chain.table, chain.name, decision.outcome, decision.rule?.text ?? '', against.map((d) => d.rule.text)]);
      const group = groups.get(key) ?? { chain, decision, doubts: against, families: [] };
      group.families.push(family);
      groups.set(key, group);
    }
  }
  return [...groups.values()].map(({ chain, decision, doubts, families: fams }) => {
    const over = fams.map((f) => FAMILY_NAME[f]).join(' and ');
    const where = chainLabel(fw.source, chain);
    const ruleText = (r: FirewallRule) => `\`${r.text}\``;
    const fix = allowCommand(fw.source, fw.chains, chain, iface, fams);
    if (decision.outcome === 'accept') {
      return { iface, severity: 'warning' as const, what: `the firewall may drop mDNS (UDP 5353) arriving here over ${over}: ${doubts.map((d) => ruleText(d.rule)).join(', ')} in ${where} ${doubts.length === 1 ? 'has' : 'have'} conditions not checked here`, fix };
    }
    const cause = decision.rule === null ? `${where} drops what no rule accepts (policy drop)` : `rule ${ruleText(decision.rule)} in ${where} drops it`;
    if (doubts.length === 0) {
      return { iface, severity: 'problem' as const, what: `the firewall drops mDNS (UDP 5353) arriving here over ${over}: ${cause}${decision.rule === null ? `, and no rule accepts UDP 5353 from ${iface}` : ''}`, fix };
    }
    return {
      iface,
      severity: 'warning' as const,
      what: `the firewall may drop mDNS (UDP 5353) arriving here over ${over}: ${cause}, and only ${doubts.map((d) => ruleText(d.rule)).join(' or ')} might let it in first (conditions not checked here)`,
      fix,
    };
  });
}

function walk(chains: readonly FirewallChain[], chain: FirewallChain, packet: Packet, doubts: Doubt[], depth: number, doubtful: boolean): Decision | null {
  if (depth > MAX_JUMP_DEPTH) return null;
  for (const rule of chain.rules) {
    const judged = ruleMatches(rule, chain.family, packet);
    const m = doubtful && judged === 'yes' ? 'maybe' : judged;
    if (m === 'no') continue;
    const v = rule.verdict;
    if (v.kind === 'none') continue;
    if (v.kind === 'unknown') {
      doubts.push({ rule, verdict: 'unknown' });
      continue;
    }
    if (v.kind === 'jump' || v.kind === 'goto') {
      const target = chains.find((c) => c.family === chain.family && c.table === chain.table && c.name === v.chain);
      if (target === undefined) continue;
      // A chain entered only maybe can only cast doubts; a chain surely entered decides.
      const inner = walk(chains, target, packet, doubts, depth + 1, m === 'maybe');
      if (inner !== null) return inner;
      if (v.kind === 'goto' && m === 'yes') return null; // back to whoever called this chain
      continue;
    }
    if (m === 'maybe') {
      if (v.kind !== 'return') doubts.push({ rule, verdict: v.kind });
      continue;
    }
    if (v.kind === 'return') return null;
    return { outcome: v.kind, rule };
  }
  return null;
}

function ruleMatches(rule: FirewallRule, tableFamily: FirewallChain['family'], packet: Packet): 'yes' | 'no' | 'maybe' {
  if ((tableFamily === 'ip' && packet.family !== 'ipv4') || (tableFamily === 'ip6' && packet.family !== 'ipv6')) return 'no';
  if (rule.family !== 'any' && rule.family !== packet.family) return 'no';
  if (rule.inIface !== null && rule.inIface.names.some((n) => ifaceMatches(n, packet.iface)) === rule.inIface.negated) return 'no';
  return rule.mdns;
}

/** nft writes wildcards as `eth*`, iptables as `eth+`. */
function ifaceMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') || pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

function chainLabel(source: 'nft' | 'iptables', chain: FirewallChain): string {
  if (source === 'iptables') return `the ${chain.name} chain of ${chain.family === 'ip' ? 'iptables' : 'ip6tables'}`;
  return `chain ${chain.name} of table ${chain.family} ${chain.table}`;
}

/** The command that lets mDNS in from `iface`, in the tool that manages the rules. */
function allowCommand(source: 'nft' | 'iptables', chains: readonly FirewallChain[], chain: FirewallChain, iface: string, families: readonly Family[]): string {
  const names = chains.map((c) => c.name);
  if (names.some((n) => n.startsWith('ufw-') || n.startsWith('ufw6-'))) return `ufw allow in on ${iface} to any port 5353 proto udp`;
  if (chains.some((c) => c.table === 'firewalld') || names.some((n) => n.startsWith('IN_') || n.endsWith('INPUT_ZONES'))) {
    return `firewall-cmd --permanent --zone=$(firewall-cmd --get-zone-of-interface=${iface}) --add-service=mdns && firewall-cmd --reload`;
  }
  // iptables-nft keeps its rules in nft tables named like iptables': stay with the tool that made them.
  if (source === 'iptables' || (chain.family !== 'inet' && chain.table === 'filter' && chain.name === 'INPUT')) {
    const tools = chain.family === 'inet' ? families.map((f) => (f === 'ipv4' ? 'iptables' : 'ip6tables')) : [chain.family === 'ip' ? 'iptables' : 'ip6tables'];
    return `${tools.map((t) => `\`${t} -I ${chain.name} -i ${iface} -p udp --dport 5353 -j ACCEPT\``).join(' and ')}, then save the rules (netfilter-persistent save) to keep them`;
  }
  return `\`nft insert rule ${chain.family} ${chain.table} ${chain.name} iifname ${iface} udp dport 5353 accept\`, and add it to /etc/nftables.conf to keep it`;
}

// ---- helpers ----

function isLoopback(i: InterfaceFacts): boolean {
  return i.flags !== 'unknown' ? i.flags.loopback : i.name === 'lo';
}

function isLinkLocal(cidr: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(cidr);
}

/**
 * The rule selectInterfaces applies (up with carrier, multicast, not loopback,
 * with an address), less bridge ports: their link-local address would count
 * there, but mDNS on a port never reaches the host.
 */
function isUsable(i: InterfaceFacts): boolean {
  if (i.flags === 'unknown' || !i.flags.up || !i.flags.multicast || i.flags.loopback || i.bridgePortOf !== null) return false;
  if (!carrierUp(i.operstate)) return false;
  return i.ipv4.length > 0 || i.ipv6.length > 0;
}

function summary(i: InterfaceFacts): string {
  const few = (list: readonly string[]) => (list.length <= 2 ? list : [...list.slice(0, 2), `+${list.length - 2} more`]);
  const addresses = [...few(i.ipv4), ...few(i.ipv6.filter(isLinkLocal))];
  const joined = [
    ...(i.groups.ipv4 !== 'unknown' && i.groups.ipv4.includes(GROUP_V4) ? [GROUP_V4] : []),
    ...(i.groups.ipv6 !== 'unknown' && i.groups.ipv6.includes(GROUP_V6) ? [GROUP_V6] : []),
  ];
  const kind = i.bridge !== null ? 'bridge, ' : i.vlan !== null ? `VLAN ${i.vlan.id} on ${i.vlan.parent}, ` : '';
  return `${kind}up, multicast, ${addresses.join(', ')}${joined.length > 0 ? `; joined ${joined.join(' and ')}` : ''}`;
}

// ---- terminal ----

const WIDTH = 80;
const LABEL: Record<Severity, string> = { ok: 'ok  ', warning: 'warn', problem: 'FAIL' };

/** One entry per finding, wrapped to 80 columns, fix indented under it; no colour. Pure. */
export function formatFindings(findings: readonly Finding[]): string {
  return findings
    .map((f) => {
      const head = wrap(`${LABEL[f.severity]}${f.iface === null ? '' : ` ${f.iface}:`}`, f.what, '     ');
      return `${head}\n${f.fix === undefined ? '' : `${wrap('     fix:', f.fix, '          ')}\n`}`;
    })
    .join('');
}

/** Greedy word wrap after `first`; never breaks inside `backticks`, so commands stay whole for copying. */
function wrap(first: string, text: string, indent: string): string {
  const words = text.match(/(?:`[^`]*`?|[^\s`])+/g) ?? [];
  const lines: string[] = [];
  let line = first;
  let fresh = true; // nothing but the prefix or indent yet: a long word goes here anyway
  for (const word of words) {
    if (!fresh && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = indent + word;
    } else {
      line = `${line} ${word}`;
    }
    fresh = false;
  }
  lines.push(line);
  return lines.join('\n');
}
