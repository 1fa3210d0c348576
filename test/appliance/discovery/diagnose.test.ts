import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diagnose, formatFindings, type Finding } from '../../../appliance/discovery/diagnose.ts';
import {
  ipv6FromHex,
  parseIgmp,
  parseIgmp6,
  parseIpRouteJson,
  parseIptablesSave,
  parseNftRuleset,
  parseProcRoutes,
  parseSsHolders,
  parseVlanConfig,
  routesOf,
  type FirewallFacts,
  type InterfaceFacts,
  type NetworkFacts,
} from '../../../appliance/discovery/network-facts.ts';
import { ROOT, tempDir } from '../../_support/appliance-process.ts';
import { createTestNetwork } from '../../_support/netns.ts';

// ---- hand-built facts: a host where everything is right, changed one thing at a time ----

function iface(name: string, over: Partial<InterfaceFacts> = {}): InterfaceFacts {
  return {
    name,
    flags: { up: true, multicast: true, loopback: false },
    operstate: 'up',
    ipv4: ['192.0.2.10/24'],
    ipv6: ['2001:db8::10/64', 'fe80::10/64'],
    ipv6Disabled: false,
    groups: { ipv4: ['224.0.0.1', '224.0.0.251'], ipv6: ['ff02::1', 'ff02::fb'] },
    bridge: null,
    bridgePortOf: null,
    vlan: null,
    routes: { ipv4Default: true, ipv4Multicast: false, ipv6Default: true, ipv6Multicast: true },
    ...over,
  };
}

const lo = iface('lo', { flags: { up: true, multicast: false, loopback: true }, operstate: 'unknown', ipv4: ['127.0.0.1/8'], ipv6: ['::1/128'] });

function host(over: Partial<NetworkFacts> = {}): NetworkFacts {
  return {
    interfaces: [lo, iface('eth0')],
    ipv6Kernel: true,
    bridgeNetfilter: 'not-loaded',
    firewall: { source: 'nft', chains: [] },
    bind: { ipv4: { ok: true }, ipv6: { ok: true } },
    port5353Holders: [{ program: 'alliance', pid: 42, local: '0.0.0.0:5353' }],
    ...over,
  };
}

/** Just eth0 changed. */
const eth0 = (over: Partial<InterfaceFacts>, rest: Partial<NetworkFacts> = {}) => host({ interfaces: [lo, iface('eth0', over)], ...rest });

const inUse = { ok: false as const, code: 'EADDRINUSE', message: 'bind EADDRINUSE 0.0.0.0:5353' };

interface Check {
  /** Facts on which the check fires, and the finding it gives. */
  readonly fires: NetworkFacts;
  readonly finding: { readonly iface: string | null; readonly severity: Finding['severity']; readonly what: RegExp; readonly fix?: RegExp };
  /** Facts just short of it: no finding matches `what`. */
  readonly quiet: NetworkFacts;
  readonly interfaces?: readonly string[];
  readonly quietInterfaces?: readonly string[];
}

const checks: Record<string, Check> = {
  'an interface that is switched off': {
    fires: eth0({ flags: { up: false, multicast: true, loopback: false }, operstate: 'down' }),
    finding: { iface: 'eth0', severity: 'problem', what: /administratively down/, fix: /^ip link set eth0 up$/ },
    quiet: host(),
  },
  'an interface without carrier': {
    fires: eth0({ operstate: 'lowerlayerdown' }),
    finding: { iface: 'eth0', severity: 'problem', what: /without carrier \(operstate lowerlayerdown\)/, fix: /cable/ },
    quiet: eth0({ operstate: 'unknown' }),
  },
  'a VLAN whose parent is down': {
    fires: host({ interfaces: [lo, iface('eth0', { flags: { up: false, multicast: true, loopback: false } }), iface('eth0.100', { operstate: 'lowerlayerdown', vlan: { id: 100, parent: 'eth0' } })] }),
    finding: { iface: 'eth0.100', severity: 'problem', what: /VLAN 100 on eth0, which is down/, fix: /ip link set eth0 up/ },
    quiet: host({ interfaces: [lo, iface('eth0'), iface('eth0.100', { vlan: { id: 100, parent: 'eth0' } })] }),
  },
  'a bridge none of whose ports is up': {
    fires: host({ interfaces: [lo, iface('br0', { operstate: 'down', bridge: { multicastSnooping: false, multicastQuerier: false } }), iface('eth1', { flags: { up: false, multicast: true, loopback: false }, bridgePortOf: 'br0', ipv4: [], ipv6: [] })] }),
    finding: { iface: 'br0', severity: 'problem', what: /none of the ports of bridge br0 \(eth1\) is up/, fix: /ip link set eth1 up/ },
    quiet: host({ interfaces: [lo, iface('br0', { bridge: { multicastSnooping: false, multicastQuerier: false } }), iface('eth1', { bridgePortOf: 'br0', ipv4: [], ipv6: [] })] }),
  },
  'an interface without the MULTICAST flag': {
    fires: eth0({ flags: { up: true, multicast: false, loopback: false } }),
    finding: { iface: 'eth0', severity: 'problem', what: /no MULTICAST flag/, fix: /^ip link set eth0 multicast on$/ },
    quiet: host(),
  },
  'no IPv4 and no IPv6 link-local address': {
    fires: eth0({ ipv4: [], ipv6: ['2001:db8::10/64'], ipv6Disabled: true }),
    finding: { iface: 'eth0', severity: 'problem', what: /no IPv4 address and no IPv6 link-local address \(IPv6 is disabled on it\)/, fix: /disable_ipv6=0/ },
    quiet: eth0({ ipv4: [] }),
  },
  'IPv6 disabled on an interface': {
    fires: eth0({ ipv6: [], ipv6Disabled: true }),
    finding: { iface: 'eth0', severity: 'warning', what: /IPv6 is disabled on it .*IPv4 discovery still works/, fix: /^sysctl -w net\.ipv6\.conf\.eth0\.disable_ipv6=0$/ },
    quiet: eth0({ ipv6Disabled: 'unknown' }),
  },
  'IPv6 on but no link-local address': {
    fires: eth0({ ipv6: ['2001:db8::10/64'] }),
    finding: { iface: 'eth0', severity: 'warning', what: /no link-local address/, fix: /dadfailed/ },
    quiet: host(),
  },
  'no IPv6 route for multicast': {
    fires: eth0({ routes: { ipv4Default: false, ipv4Multicast: false, ipv6Default: false, ipv6Multicast: false } }),
    finding: { iface: 'eth0', severity: 'warning', what: /network unreachable/, fix: /ip -6 route add multicast ff00::\/8 dev eth0 table local/ },
    // A default route carries the send as well; IPv4 needs no route at all.
    quiet: eth0({ routes: { ipv4Default: false, ipv4Multicast: false, ipv6Default: true, ipv6Multicast: false } }),
  },
  'the mDNS groups not joined while something holds 5353': {
    fires: eth0({ groups: { ipv4: ['224.0.0.1'], ipv6: ['ff02::1', 'ff02::fb'] } }),
    finding: { iface: 'eth0', severity: 'warning', what: /no process here has joined the mDNS group 224\.0\.0\.251 on eth0; is `alliance serve` running/ },
    quiet: eth0({ groups: { ipv4: 'unknown', ipv6: 'unknown' } }),
  },
  'nothing listening on 5353 at all': {
    fires: host({ port5353Holders: [] }),
    finding: { iface: null, severity: 'warning', what: /no program here listens on UDP 5353.*`alliance serve` running/ },
    quiet: host({ port5353Holders: 'unknown' }),
  },
  'a snooping bridge without a querier': {
    fires: host({ interfaces: [lo, iface('br0', { bridge: { multicastSnooping: true, multicastQuerier: false } })] }),
    finding: { iface: 'br0', severity: 'warning', what: /snoops multicast .* no IGMP\/MLD queries/, fix: /echo 0 > \/sys\/class\/net\/br0\/bridge\/multicast_snooping/ },
    quiet: host({ interfaces: [lo, iface('br0', { bridge: { multicastSnooping: true, multicastQuerier: true } })] }),
  },
  'br_netfilter on with a bridge': {
    fires: host({ interfaces: [lo, iface('eth0'), iface('lxdbr0', { bridge: { multicastSnooping: false, multicastQuerier: false } })], bridgeNetfilter: { iptables: true, ip6tables: false } }),
    finding: { iface: null, severity: 'warning', what: /br_netfilter .*bridge-nf-call-iptables=1.*lxdbr0 carries/, fix: /net\.bridge\.bridge-nf-call-iptables=0/ },
    // Without a bridge there is nothing for br_netfilter to pass through iptables.
    quiet: host({ bridgeNetfilter: { iptables: true, ip6tables: true } }),
  },
  'port 5353 held without SO_REUSEADDR by avahi': {
    fires: host({ bind: { ipv4: inUse, ipv6: inUse }, port5353Holders: [{ program: 'avahi-daemon', pid: 612, local: '0.0.0.0:5353' }] }),
    finding: { iface: null, severity: 'problem', what: /UDP port 5353 \(IPv4 and IPv6\) is held by .*avahi-daemon \(pid 612\)/, fix: /disallow-other-stacks=no/ },
    quiet: host(),
  },
  'port 5353 unbindable for another reason': {
    fires: host({ bind: { ipv4: { ok: false, code: 'EACCES', message: 'bind EACCES 0.0.0.0:5353' }, ipv6: { ok: true } } }),
    finding: { iface: null, severity: 'problem', what: /UDP port 5353 \(IPv4\) cannot be bound: bind EACCES/ },
    // No IPv6 in the kernel: an IPv6 socket cannot exist, and the IPv6 warning says so instead.
    quiet: host({ ipv6Kernel: false, bind: { ipv4: { ok: true }, ipv6: { ok: false, code: 'EAFNOSUPPORT', message: 'bind EAFNOSUPPORT :::5353' } } }),
  },
  'a kernel without IPv6': {
    fires: host({ ipv6Kernel: false }),
    finding: { iface: null, severity: 'warning', what: /kernel runs without IPv6/, fix: /ipv6\.disable=1/ },
    quiet: host(),
  },
  'a named interface that does not exist': {
    fires: host(),
    interfaces: ['eth9'],
    finding: { iface: 'eth9', severity: 'problem', what: /no interface of that name exists here \(there is: eth0\)/, fix: /discovery\.interfaces/ },
    quiet: host(),
    quietInterfaces: ['eth0'],
  },
  'loopback named as the interface': {
    fires: host(),
    interfaces: ['lo'],
    finding: { iface: 'lo', severity: 'problem', what: /loopback/ },
    quiet: host(),
  },
  'a bridge port named instead of its bridge': {
    fires: host({ interfaces: [lo, iface('br0', { bridge: { multicastSnooping: false, multicastQuerier: false } }), iface('eth1', { bridgePortOf: 'br0', ipv4: [], ipv6: [] })] }),
    interfaces: ['eth1'],
    finding: { iface: 'eth1', severity: 'problem', what: /a port of bridge br0: .*must run on br0/, fix: /use br0 instead of eth1/ },
    quiet: host({ interfaces: [lo, iface('br0', { bridge: { multicastSnooping: false, multicastQuerier: false } }), iface('eth1', { bridgePortOf: 'br0', ipv4: [], ipv6: [] })] }),
  },
  'a bridge port with an IPv4 address of its own': {
    fires: host({ interfaces: [lo, iface('br0', { bridge: { multicastSnooping: false, multicastQuerier: false } }), iface('eth1', { bridgePortOf: 'br0', ipv4: ['192.0.2.7/24'] })] }),
    finding: { iface: 'eth1', severity: 'warning', what: /port of bridge br0 with an IPv4 address of its own \(192\.0\.2\.7\/24\)/, fix: /ip addr del 192\.0\.2\.7\/24 dev eth1 && ip addr add 192\.0\.2\.7\/24 dev br0/ },
    quiet: host({ interfaces: [lo, iface('br0', { bridge: { multicastSnooping: false, multicastQuerier: false } }), iface('eth1', { bridgePortOf: 'br0', ipv4: [] })] }),
  },
  'no suitable interface at all': {
    fires: eth0({ operstate: 'down' }),
    finding: { iface: null, severity: 'problem', what: /no interface is suitable for mDNS/, fix: /discovery\.peers .*_alliance\._tcp\.<domain>.*discovery\.srv_domain/ },
    quiet: host(),
  },
  'no suitable interface when only a bridge port has an address': {
    fires: host({ interfaces: [lo, iface('br0', { ipv4: [], ipv6: [], bridge: { multicastSnooping: false, multicastQuerier: false } }), iface('eth1', { bridgePortOf: 'br0', ipv4: [] })] }),
    finding: { iface: null, severity: 'problem', what: /no interface is suitable for mDNS/ },
    quiet: host({ interfaces: [lo, iface('br0', { bridge: { multicastSnooping: false, multicastQuerier: false } }), iface('eth1', { bridgePortOf: 'br0', ipv4: [] })] }),
  },
  'an unreadable firewall': {
    fires: host({ firewall: { source: 'unknown', toolMissing: false, reason: 'nft -j list ruleset failed: Operation not permitted (you must be root)' } }),
    finding: { iface: null, severity: 'warning', what: /firewall rules not checked: nft .*Operation not permitted/, fix: /as root/ },
    // Neither tool installed: nothing could have loaded their rules.
    quiet: host({ firewall: { source: 'unknown', toolMissing: true, reason: 'neither nft nor iptables-save is installed' } }),
  },
};

for (const [name, c] of Object.entries(checks)) {
  test(`diagnose() reports ${name}`, () => {
    const findings = diagnose(c.fires, { interfaces: c.interfaces ?? [] });
    const found = findings.find((f) => c.finding.what.test(f.what));
    assert.ok(found, `no finding matches ${String(c.finding.what)} in:\n${formatFindings(findings)}`);
    assert.is(found.iface, c.finding.iface);
    assert.is(found.severity, c.finding.severity);
    if (c.finding.fix !== undefined) assert.match(found.fix ?? '', c.finding.fix);
  });
  test(`diagnose() stays quiet short of ${name}`, () => {
    const findings = diagnose(c.quiet, { interfaces: c.quietInterfaces ?? [] });
    assert.not.ok(
      findings.some((f) => c.finding.what.test(f.what)),
      `unexpected:\n${formatFindings(findings)}`,
    );
  });
}

test('diagnose() gives one "ok" per interface that looks right, and none for loopback', () => {
  const findings = diagnose(host(), { interfaces: [] });
  assert.equal(
    findings.filter((f) => f.iface !== null).map((f) => [f.iface, f.severity]),
    [['eth0', 'ok']],
  );
  assert.match(findings[0]!.what, /up, multicast, 192\.0\.2\.10\/24, fe80::10\/64; joined 224\.0\.0\.251 and ff02::fb/);
  assert.ok(findings.every((f) => f.severity === 'ok'), formatFindings(findings));
});

test('diagnose() says nothing but "ok" for a bridge port when the interfaces are not named', () => {
  const facts = host({ interfaces: [lo, iface('br0', { bridge: { multicastSnooping: false, multicastQuerier: false } }), iface('eth1', { bridgePortOf: 'br0', ipv4: [], ipv6: [] })] });
  assert.equal(
    diagnose(facts, { interfaces: [] }).filter((f) => f.iface === 'eth1'),
    [{ iface: 'eth1', severity: 'ok', what: 'a port of bridge br0; discovery runs on br0' }],
  );
});

// ---- firewall: parsed rulesets, walked as an mDNS packet would be ----

type Json = Record<string, unknown>;
const nft = (...items: Json[]) => JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } }, ...items] });
const table = (family: string, name: string): Json => ({ table: { family, name, handle: 1 } });
const chain = (family: string, tbl: string, name: string, base?: { hook: string; policy: 'accept' | 'drop'; type?: string }): Json => ({
  chain: { family, table: tbl, name, handle: 1, ...(base === undefined ? {} : { type: base.type ?? 'filter', hook: base.hook, prio: 0, policy: base.policy }) },
});
let handle = 10;
const rule = (family: string, tbl: string, chainName: string, ...expr: Json[]): Json => ({ rule: { family, table: tbl, chain: chainName, handle: (handle += 1), expr } });
const match = (left: Json, right: unknown, op = '=='): Json => ({ match: { op, left, right } });
const payload = (protocol: string, field: string): Json => ({ payload: { protocol, field } });
const meta = (key: string): Json => ({ meta: { key } });
const inet = (...expr: Json[]) => rule('inet', 'filter', 'input', ...expr);

/** As `nft -j list ruleset` prints Debian's /etc/nftables.conf made strict: policy drop, loopback, established, ICMP and SSH in. */
const strictBase = [
  table('inet', 'filter'),
  chain('inet', 'filter', 'input', { hook: 'input', policy: 'drop' }),
  chain('inet', 'filter', 'forward', { hook: 'forward', policy: 'drop' }),
  chain('inet', 'filter', 'output', { hook: 'output', policy: 'accept' }),
  inet(match(meta('iif'), 'lo'), { accept: null }),
  inet(match({ ct: { key: 'state' } }, ['established', 'related'], 'in'), { accept: null }),
  inet(match(meta('l4proto'), 'ipv6-icmp'), { accept: null }),
  inet(match(meta('l4proto'), 'icmp'), { accept: null }),
  inet(match(payload('tcp', 'dport'), 22), { counter: { packets: 3, bytes: 180 } }, { accept: null }),
  rule('inet', 'filter', 'forward', match(payload('udp', 'dport'), 5353), { accept: null }),
];

const withNft = (json: string, interfaces = [lo, iface('eth0')]): NetworkFacts => host({ interfaces, firewall: { source: 'nft', chains: parseNftRuleset(json) } });

function withIptables(v4: string, v6: string): NetworkFacts {
  return host({ firewall: { source: 'iptables', chains: [...parseIptablesSave(v4, 'ip'), ...parseIptablesSave(v6, 'ip6')] } satisfies FirewallFacts });
}

const UFW_V4 = `# Generated by iptables-save v1.8.9 (nf_tables) on Sun Nov 22 12:00:00 2026
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:ufw-before-input - [0:0]
:ufw-user-input - [0:0]
-A INPUT -j ufw-before-input
-A ufw-before-input -i lo -j ACCEPT
-A ufw-before-input -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A ufw-before-input -m conntrack --ctstate INVALID -j DROP
-A ufw-before-input -p udp -d 224.0.0.251/32 --dport 5353 -j ACCEPT
-A ufw-before-input -j ufw-user-input
-A ufw-user-input -p tcp -m tcp --dport 22 -m comment --comment "\\"allow ssh\\" from anywhere" -j ACCEPT
COMMIT
*nat
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -s 10.0.3.0/24 ! -d 10.0.3.0/24 -j MASQUERADE
COMMIT
`;
const UFW_V6 = `*filter
:INPUT DROP [0:0]
:ufw6-before-input - [0:0]
-A INPUT -j ufw6-before-input
-A ufw6-before-input -i lo -j ACCEPT
-A ufw6-before-input -p ipv6-icmp -j ACCEPT
COMMIT
`;

interface FirewallCase {
  readonly facts: NetworkFacts;
  /** [iface, severity, what, fix] of each firewall finding, in order. */
  readonly expected: readonly (readonly [string, Finding['severity'], RegExp, RegExp])[];
}

const firewallCases: Record<string, FirewallCase> = {
  'policy drop with no rule for 5353 drops mDNS over both families': {
    facts: withNft(nft(...strictBase)),
    expected: [['eth0', 'problem', /drops mDNS \(UDP 5353\) arriving here over IPv4 and IPv6: chain input of table inet filter drops what no rule accepts \(policy drop\)/, /^`nft insert rule inet filter input iifname eth0 udp dport 5353 accept`/]],
  },
  'policy drop with udp dport 5353 accepted lets it in': {
    facts: withNft(nft(...strictBase, inet(match(payload('udp', 'dport'), 5353), { accept: null }))),
    expected: [],
  },
  'an explicit drop of a port set holding 5353': {
    facts: withNft(nft(table('inet', 'filter'), chain('inet', 'filter', 'input', { hook: 'input', policy: 'accept' }), inet(match(payload('udp', 'dport'), { set: [53, 5353] }), { drop: null }))),
    expected: [['eth0', 'problem', /rule `udp dport \{ 53, 5353 \} drop \(handle \d+\)` in chain input of table inet filter/, /nft insert rule/]],
  },
  'a port range around 5353 rejected, only for IPv6': {
    facts: withNft(nft(table('ip6', 'fw'), chain('ip6', 'fw', 'in', { hook: 'input', policy: 'accept' }), rule('ip6', 'fw', 'in', match(payload('th', 'dport'), { range: [5000, 6000] }), { reject: { type: 'icmpv6', expr: 'port-unreachable' } }))),
    expected: [['eth0', 'problem', /over IPv6: rule `th dport 5000-6000 reject \(handle \d+\)` in chain in of table ip6 fw drops it/, /nft insert rule ip6 fw in iifname eth0/]],
  },
  'an accept on another interface does not help eth0': {
    facts: withNft(nft(...strictBase, inet(match(meta('iifname'), 'eth1'), match(payload('udp', 'dport'), 5353), { accept: null })), [lo, iface('eth0'), iface('eth1')]),
    expected: [['eth0', 'problem', /policy drop/, /iifname eth0/]],
  },
  'a wildcard interface accept covers it': {
    facts: withNft(nft(...strictBase, inet(match(meta('iifname'), 'eth*'), { accept: null }))),
    expected: [],
  },
  'an accept only for the IPv4 group, reached by jump, leaves IPv6 dropped': {
    facts: withNft(
      nft(
        ...strictBase,
        chain('inet', 'filter', 'allow_lan'),
        inet({ jump: { target: 'allow_lan' } }),
        rule('inet', 'filter', 'allow_lan', match(payload('ip', 'daddr'), '224.0.0.251'), match(payload('udp', 'dport'), 5353), { accept: null }),
      ),
    ),
    expected: [['eth0', 'problem', /arriving here over IPv6: .*policy drop/, /nft insert rule inet filter input/]],
  },
  'an accept by source address makes a drop only a "may"': {
    facts: withNft(nft(...strictBase, inet(match(payload('ip', 'saddr'), { prefix: { addr: '192.0.2.0', len: 24 } }), { accept: null }))),
    expected: [
      ['eth0', 'warning', /may drop mDNS \(UDP 5353\) arriving here over IPv4: .*policy drop.*only `ip saddr 192\.0\.2\.0\/24 accept \(handle \d+\)` might let it in first/, /nft insert rule/],
      ['eth0', 'problem', /drops mDNS \(UDP 5353\) arriving here over IPv6/, /nft insert rule/],
    ],
  },
  'a rate-limited accept for 5353 is a "may" the other way': {
    facts: withNft(nft(table('inet', 'filter'), chain('inet', 'filter', 'input', { hook: 'input', policy: 'accept' }), inet(match(payload('udp', 'dport'), 5353), { limit: { rate: 10, per: 'second' } }, { drop: null }))),
    expected: [['eth0', 'warning', /may drop mDNS .*`udp dport 5353 limit drop \(handle \d+\)` .* has conditions not checked here/, /nft insert rule/]],
  },
  'iptables-nft rules in nft are fixed with iptables': {
    facts: withNft(nft(table('ip', 'filter'), chain('ip', 'filter', 'INPUT', { hook: 'input', policy: 'drop' }), rule('ip', 'filter', 'INPUT', match(payload('tcp', 'dport'), 22), { accept: null }))),
    expected: [['eth0', 'problem', /over IPv4: chain INPUT of table ip filter/, /^`iptables -I INPUT -i eth0 -p udp --dport 5353 -j ACCEPT`/]],
  },
  'ufw lets the IPv4 group in but its IPv6 side drops it': {
    facts: withIptables(UFW_V4, UFW_V6),
    expected: [['eth0', 'problem', /over IPv6: the INPUT chain of ip6tables drops what no rule accepts/, /^ufw allow in on eth0 to any port 5353 proto udp$/]],
  },
  'iptables drops 5353 explicitly': {
    facts: withIptables('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -m udp --dport 5353 -j DROP\nCOMMIT\n', '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n'),
    expected: [['eth0', 'problem', /over IPv4: rule `-A INPUT -p udp -m udp --dport 5353 -j DROP` in the INPUT chain of iptables/, /`iptables -I INPUT -i eth0 -p udp --dport 5353 -j ACCEPT`/]],
  },
  'an iptables drop shadowed by an earlier accept': {
    facts: withIptables('*filter\n:INPUT DROP [0:0]\n-A INPUT -i eth0 -p udp -m multiport --dports 53,5350:5360 -j ACCEPT\n-A INPUT -p udp --dport 5353 -j DROP\nCOMMIT\n', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT ! -i lo -m addrtype --dst-type MULTICAST -j ACCEPT\n-A INPUT -j REJECT --reject-with icmp6-port-unreachable\nCOMMIT\n'),
    expected: [],
  },
};

for (const [name, c] of Object.entries(firewallCases)) {
  test(`diagnose() firewall: ${name}`, () => {
    const findings = diagnose(c.facts, { interfaces: [] });
    const fw = findings.filter((f) => /firewall/.test(f.what) && f.severity !== 'ok');
    assert.is(fw.length, c.expected.length, formatFindings(findings));
    c.expected.forEach(([ifaceName, severity, what, fix], n) => {
      const f = fw[n]!;
      assert.is(f.iface, ifaceName);
      assert.is(f.severity, severity);
      assert.match(f.what, what);
      assert.match(f.fix ?? '', fix);
    });
    if (c.expected.length === 0) assert.ok(findings.some((f) => f.severity === 'ok' && /the firewall \((nft|iptables)\) lets mDNS \(UDP 5353\) in on eth0/.test(f.what)), formatFindings(findings));
  });
}

test('parseNftRuleset() keeps input filter chains and plain chains, drops other hooks and nat chains', () => {
  const chains = parseNftRuleset(nft(...strictBase, table('ip', 'nat'), chain('ip', 'nat', 'in', { hook: 'input', policy: 'accept', type: 'nat' }), chain('inet', 'filter', 'mine')));
  assert.equal(
    chains.map((c) => [c.family, c.table, c.name, c.input]),
    [
      ['inet', 'filter', 'input', { policy: 'drop' }],
      ['inet', 'filter', 'mine', null],
    ],
  );
  assert.equal(
    chains[0]!.rules.map((r) => [r.text.replace(/ \(handle \d+\)$/, ''), r.mdns]),
    [
      ['iif lo accept', 'yes'], // yes once the interface is lo; the interface is judged per packet
      ['ct state established,related accept', 'no'],
      ['l4proto ipv6-icmp accept', 'no'],
      ['l4proto icmp accept', 'no'],
      ['tcp dport 22 accept', 'no'],
    ],
  );
});

test('parseIptablesSave() reads the filter table only, keeps quoted comments whole and negations', () => {
  const chains = parseIptablesSave(UFW_V4, 'ip');
  assert.equal(chains.map((c) => [c.name, c.input]), [['INPUT', { policy: 'drop' }], ['ufw-before-input', null], ['ufw-user-input', null]]);
  const ssh = chains[2]!.rules[0]!;
  assert.is(ssh.mdns, 'no');
  assert.equal(ssh.verdict, { kind: 'accept' });
  const mdns = chains[1]!.rules.find((r) => r.mentionsMdns)!;
  assert.equal([mdns.mdns, mdns.verdict, mdns.family], ['yes', { kind: 'accept' }, 'ipv4']);
  const notLo = parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT ! -i lo -j DROP\nCOMMIT\n', 'ip6')[0]!.rules[0]!;
  assert.equal([notLo.inIface, notLo.family, notLo.mdns], [{ names: ['lo'], negated: true }, 'ipv6', 'yes']);
  const masked = parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -d 224.0.0.0/255.0.0.0 -j DROP\nCOMMIT\n', 'ip')[0]!.rules[0]!;
  assert.is(masked.mdns, 'maybe', 'a dotted netmask is not judged');
});

// ---- /proc parsers ----

const IGMP = `Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter
1\tlo        :     1      V3
\t\t\t\t010000E0     1 0:00000000\t\t0
4\teth0      :     3      V3
\t\t\t\tFB0000E0     1 0:00000000\t\t0
\t\t\t\t6A0000E0     1 0:00000000\t\t0
\t\t\t\t010000E0     1 0:00000000\t\t0
7\tbr-lan.100:     2      V2
\t\t\t\tFB0000E0     2 0:00000000\t\t1
\t\t\t\t010000E0     1 0:00000000\t\t0
9\tveth0     :     0      V3
`;

test('parseIgmp() reads the groups per device, little-endian words (FB0000E0 is 224.0.0.251)', () => {
  assert.equal(
    [...parseIgmp(IGMP, 'LE')],
    [
      ['lo', ['224.0.0.1']],
      ['eth0', ['224.0.0.251', '224.0.0.106', '224.0.0.1']],
      ['br-lan.100', ['224.0.0.251', '224.0.0.1']],
      ['veth0', []],
    ],
  );
});

test('parseIgmp() reads big-endian words in order', () => {
  assert.equal(parseIgmp('2\teth0      :     1      V3\n\t\t\t\tE00000FB     1 0:00000000\t\t0\n', 'BE').get('eth0'), ['224.0.0.251']);
});

const IGMP6 = `1    lo              ff020000000000000000000000000001     1 0000000C 0
1    lo              ff010000000000000000000000000001     1 00000008 0
4    eth0            ff0200000000000000000000000000fb     1 00000004 0
4    eth0            ff0200000000000000000001ff000002     1 00000004 0
4    eth0            ff020000000000000000000000000001     1 0000000C 0
12   wlp0s20f3.42    ff0200000000000000000000000000fb     2 00000004 0
12   wlp0s20f3.42    ff050000000000000000000000010003     1 00000004 0
`;

test('parseIgmp6() reads the groups per device in their short form', () => {
  assert.equal(
    [...parseIgmp6(IGMP6)],
    [
      ['lo', ['ff02::1', 'ff01::1']],
      ['eth0', ['ff02::fb', 'ff02::1:ff00:2', 'ff02::1']],
      ['wlp0s20f3.42', ['ff02::fb', 'ff05::1:3']],
    ],
  );
});

const shortForms: Record<string, string> = {
  ff0200000000000000000000000000fb: 'ff02::fb',
  '00000000000000000000000000000000': '::',
  '00000000000000000000000000000001': '::1',
  fe800000000000000000000000000001: 'fe80::1',
  '20010db8000000010000000000000001': '2001:db8:0:1::1', // the longer zero run wins
  '20010db8000000000001000000000001': '2001:db8::1:0:0:1', // the first on a tie
  '20010db8000100020003000400050006': '2001:db8:1:2:3:4:5:6',
};
for (const [hex, short] of Object.entries(shortForms)) {
  test(`ipv6FromHex() writes ${hex} as ${short}`, () => assert.is(ipv6FromHex(hex), short));
}

test('parseVlanConfig() reads VLAN id and parent per device', () => {
  const text = 'VLAN Dev name\t | VLAN ID\nName-Type: VLAN_NAME_TYPE_RAW_PLUS_VID_NO_PAD\neth0.100       | 100  | eth0\nvlan42         | 42   | bond0\n';
  assert.equal([...parseVlanConfig(text)], [['eth0.100', { id: 100, parent: 'eth0' }], ['vlan42', { id: 42, parent: 'bond0' }]]);
});

test('parseSsHolders() names each program on UDP 5353, and the ones ss cannot name', () => {
  const text = `UNCONN 0      0            0.0.0.0:5353       0.0.0.0:*    users:(("avahi-daemon",pid=612,fd=12))
UNCONN 0      0               [::]:5353          [::]:*    users:(("avahi-daemon",pid=612,fd=13),("alliance",pid=900,fd=20))
UNCONN 0      0            0.0.0.0:5353       0.0.0.0:*
`;
  assert.equal(parseSsHolders(text), [
    { program: 'avahi-daemon', pid: 612, local: '0.0.0.0:5353' },
    { program: 'avahi-daemon', pid: 612, local: '[::]:5353' },
    { program: 'alliance', pid: 900, local: '[::]:5353' },
    { program: null, pid: null, local: '0.0.0.0:5353' },
  ]);
});

test('parseIpRouteJson() and parseProcRoutes() find default and multicast routes per interface', () => {
  const v4 = '[{"dst":"default","gateway":"192.0.2.1","dev":"eth0","flags":[]},{"dst":"224.0.0.0/4","dev":"eth1","scope":"link","flags":[]},{"type":"local","dst":"127.0.0.1","dev":"lo","table":"local","flags":[]}]';
  const v6 = '[{"dst":"fe80::/64","dev":"eth0","flags":[]},{"type":"multicast","dst":"ff00::/8","dev":"eth0","table":"local","flags":[]},{"type":"unreachable","dst":"default","dev":"lo","flags":[]}]';
  const fromIp = [...parseIpRouteJson(v4, 'ipv4'), ...parseIpRouteJson(v6, 'ipv6')];
  assert.equal(routesOf(fromIp, 'eth0'), { ipv4Default: true, ipv4Multicast: false, ipv6Default: false, ipv6Multicast: true });
  assert.equal(routesOf(fromIp, 'eth1'), { ipv4Default: false, ipv4Multicast: true, ipv6Default: false, ipv6Multicast: false });
  assert.equal(routesOf(fromIp, 'lo'), { ipv4Default: false, ipv4Multicast: false, ipv6Default: false, ipv6Multicast: false });

  const route = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
eth1\t000000E0\t00000000\t0001\t0\t0\t0\t000000F0\t0\t0\t0
`;
  const ipv6Route = `fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth1
ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000003 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
`;
  const fromProc = parseProcRoutes(route, ipv6Route, 'LE');
  assert.equal(routesOf(fromProc, 'eth0'), { ipv4Default: true, ipv4Multicast: false, ipv6Default: false, ipv6Multicast: true });
  assert.equal(routesOf(fromProc, 'eth1'), { ipv4Default: false, ipv4Multicast: true, ipv6Default: true, ipv6Multicast: false });
  assert.equal(routesOf(fromProc, 'lo'), { ipv4Default: false, ipv4Multicast: false, ipv6Default: false, ipv6Multicast: false });
});

// ---- terminal ----

test('formatFindings() prefixes ok/warn/FAIL, names the interface, indents the fix, wraps at 80 without breaking commands', () => {
  const text = formatFindings([
    { iface: 'eth0', severity: 'ok', what: 'up, multicast, 192.0.2.10/24' },
    { iface: null, severity: 'warning', what: 'no program here listens on UDP 5353, so none has joined the mDNS groups; is `alliance serve` running?' },
    {
      iface: 'enp3s0f1',
      severity: 'problem',
      what: 'the firewall drops mDNS (UDP 5353) arriving here over IPv4 and IPv6: chain input of table inet filter drops what no rule accepts (policy drop)',
      fix: '`nft insert rule inet filter input iifname enp3s0f1 udp dport 5353 accept`, and add it to /etc/nftables.conf to keep it',
    },
  ]);
  const lines = text.split('\n');
  assert.is(lines.pop(), '');
  assert.is(lines[0], 'ok   eth0: up, multicast, 192.0.2.10/24');
  assert.is(lines[1], 'warn no program here listens on UDP 5353, so none has joined the mDNS groups; is');
  assert.is(lines[2], '     `alliance serve` running?');
  assert.match(lines[3]!, /^FAIL enp3s0f1: the firewall drops/);
  const fix = lines.findIndex((l) => l.startsWith('     fix: '));
  assert.is(lines[fix], '     fix: `nft insert rule inet filter input iifname enp3s0f1 udp dport 5353 accept`,');
  assert.is(lines[fix + 1], '          and add it to /etc/nftables.conf to keep it');
  for (const line of lines) assert.ok(line.length <= 80 || /`[^`]{60,}`/.test(line), `too long: ${line}`);
  assert.not.match(text, /\u001b/);
});

// ---- the real thing, inside network namespaces ----

const factsModule = resolve(import.meta.dirname, '../../../appliance/discovery/network-facts.ts');

/** Gathers facts in a namespace, in a child Node, after joining the mDNS groups on `join` (as `alliance serve` would). */
function gatherIn(ns: string, join: { iface: string; v4: string } | null): NetworkFacts {
  const file = join === null ? `${tempDir('diagnose')}/gather.mts` : `${tempDir('diagnose')}/gather-joined.mts`;
  const joining =
    join === null
      ? ''
      : `
const v4 = createSocket({ type: 'udp4', reuseAddr: true });
await new Promise((ok) => v4.bind(5353, '0.0.0.0', ok));
v4.addMembership('224.0.0.251', ${JSON.stringify(join.v4)});
const v6 = createSocket({ type: 'udp6', reuseAddr: true, ipv6Only: true });
await new Promise((ok) => v6.bind(5353, '::', ok));
v6.addMembership('ff02::fb', ${JSON.stringify(`::%${join.iface}`)});
`;
  writeFileSync(
    file,
    `import { createSocket } from 'node:dgram';
import { gatherNetworkFacts } from ${JSON.stringify(factsModule)};
${joining}
process.stdout.write(JSON.stringify(await gatherNetworkFacts()));
process.exit(0);
`,
  );
  const out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  return JSON.parse(out) as NetworkFacts;
}

test('gatherNetworkFacts() in a namespace: a live, joined interface is ok; a switched-off and a carrier-less one are problems; the bridge and its port are seen', () => {
  const net = createTestNetwork('dg', 1, 78);
  try {
    const h = net.hosts[0]!;
    // A veth pair inside the host: one end up (so no carrier, its peer being down), the other end down.
    net.run(h.ns, ['ip', 'link', 'add', 'dgup', 'type', 'veth', 'peer', 'name', 'dgdown']);
    net.run(h.ns, ['ip', 'addr', 'add', '10.79.0.1/24', 'dev', 'dgup']);
    net.run(h.ns, ['ip', 'link', 'set', 'dgup', 'up']);

    const facts = gatherIn(h.ns, { iface: h.iface, v4: h.v4 });
    const eth0 = facts.interfaces.find((i) => i.name === 'eth0')!;
    assert.equal(eth0.flags, { up: true, multicast: true, loopback: false });
    assert.is(eth0.operstate, 'up');
    assert.equal(eth0.ipv4, [`${h.v4}/24`]);
    assert.ok(eth0.ipv6.some((a) => a.startsWith('fe80:')), String(eth0.ipv6));
    assert.ok(eth0.groups.ipv4 !== 'unknown' && eth0.groups.ipv4.includes('224.0.0.251'), JSON.stringify(eth0.groups));
    assert.ok(eth0.groups.ipv6 !== 'unknown' && eth0.groups.ipv6.includes('ff02::fb'), JSON.stringify(eth0.groups));
    assert.is(eth0.bridgePortOf, null);
    assert.equal(facts.bind, { ipv4: { ok: true }, ipv6: { ok: true } }, 'shared with the joined socket');

    const findings = diagnose(facts, { interfaces: [] });
    const text = formatFindings(findings);
    const of = (name: string) => findings.filter((f) => f.iface === name);
    assert.equal(of('eth0').map((f) => f.severity), ['ok'], text);
    assert.match(of('eth0')[0]!.what, /joined 224\.0\.0\.251 and ff02::fb/);
    assert.equal(of('dgdown').map((f) => [f.severity, /administratively down/.test(f.what)]), [['problem', true]], text);
    assert.equal(of('dgup').map((f) => [f.severity, /without carrier/.test(f.what)]), [['problem', true]], text);
    assert.not.ok(findings.some((f) => f.iface === null && f.severity === 'problem'), text);

    const bridged = gatherIn(net.bridge, null);
    const br0 = bridged.interfaces.find((i) => i.name === 'br0')!;
    assert.ok(br0.bridge !== null && typeof br0.bridge.multicastSnooping === 'boolean', JSON.stringify(br0));
    assert.is(bridged.interfaces.find((i) => i.name === 'p1')!.bridgePortOf, 'br0');
    assert.equal(bridged.port5353Holders, []);
  } finally {
    net.destroy();
  }
});

test.run();
