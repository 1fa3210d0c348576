import { type ManagementNetwork } from '../../../../appliance/contracts/index.ts';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAllianceError } from '../../../../appliance/errors/index.ts';
import { applySystemSettings, readInterfaceNetwork, startNetworkChange, type CommandResult, type CommandRunner } from '../../../../services/console/system/network-change.ts';
import { tempDir } from '../../../_support/appliance-process.ts';

// A CommandRunner double: answers each command line from a handler and keeps the lines in order.
interface Recorder {
  readonly run: CommandRunner;
  readonly lines: string[];
}

type Handler = (line: string) => Partial<CommandResult> | undefined;

function recorder(handler: Handler): Recorder {
  const lines: string[] = [];
  const run: CommandRunner = async (file, args) => {
    const line = [file, ...args].join(' ');
    lines.push(line);
    const answer = handler(line) ?? {};
    return { code: answer.code ?? 0, stdout: answer.stdout ?? '', stderr: answer.stderr ?? '' };
  };
  return { run, lines };
}

interface Addr {
  readonly local: string;
  readonly prefixlen: number;
  readonly broadcast?: string;
  readonly dynamic?: boolean;
  readonly valid?: number;
}

/** `ip -j addr show dev eth0` as iproute2 prints it. */
function addrJson(addresses: readonly Addr[], flags = ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP']): string {
  const info = addresses.map((a) => ({
    family: 'inet',
    local: a.local,
    prefixlen: a.prefixlen,
    ...(a.broadcast === undefined ? {} : { broadcast: a.broadcast }),
    scope: 'global',
    ...(a.dynamic === true ? { dynamic: true } : {}),
    label: 'eth0',
    valid_life_time: a.valid ?? 4294967295,
    preferred_life_time: a.valid ?? 4294967295,
  }));
  info.push({ family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link', label: 'eth0', valid_life_time: 4294967295, preferred_life_time: 4294967295 });
  return JSON.stringify([{ ifindex: 2, ifname: 'eth0', flags, mtu: 1500, operstate: 'UP', addr_info: info }]);
}

const OLD = addrJson([{ local: '198.51.100.5', prefixlen: 24, broadcast: '198.51.100.255' }]);
const OLD_ROUTE = JSON.stringify([{ dst: 'default', gateway: '198.51.100.1', dev: 'eth0', protocol: 'static', flags: [] }]);
const STATIC: ManagementNetwork = { interface: 'eth0', mode: 'static', address: '192.0.2.10', prefix: 24, gateway: '192.0.2.1', dns: ['192.0.2.53'] };

const SNAPSHOT = ['ip -j addr show dev eth0', 'ip -j route show default'];
const APPLY = ['ip -4 addr flush dev eth0 scope global', 'ip addr add 192.0.2.10/24 brd + dev eth0', 'ip link set dev eth0 up', 'ip route replace default via 192.0.2.1 dev eth0'];
const PING = 'ping -c1 -W1 -n -q -I eth0 192.0.2.1';
const RESTORE = [
  'ip route del default via 192.0.2.1 dev eth0',
  'ip -4 addr flush dev eth0 scope global',
  'ip addr add 198.51.100.5/24 brd 198.51.100.255 dev eth0',
  'ip link set dev eth0 up',
  'ip route replace default via 198.51.100.1 dev eth0 proto static',
];

/** A machine whose eth0 has OLD; `overrides` answers chosen command lines first. */
function machine(overrides: Record<string, Partial<CommandResult>> = {}): Recorder {
  return recorder((line) => {
    if (line in overrides) return overrides[line];
    if (line === 'ip -j addr show dev eth0') return { stdout: OLD };
    if (line === 'ip -j route show default') return { stdout: OLD_ROUTE };
    return undefined;
  });
}

const paths = () => ({ etcDir: tempDir('console-system') });

test('startNetworkChange() apply() puts a static address live and checks the gateway', async () => {
  const m = machine();
  const outcome = await startNetworkChange(STATIC, { paths: paths(), checkMs: 3000, run: m.run }).apply();
  assert.equal(outcome, { ok: true, detail: 'eth0 has 192.0.2.10/24; the gateway 192.0.2.1 answers' });
  assert.equal(m.lines, [...SNAPSHOT, ...APPLY, PING]);
});

test('startNetworkChange() apply() restores the snapshot when a command fails midway', async () => {
  const m = machine({ 'ip addr add 192.0.2.10/24 brd + dev eth0': { code: 2, stderr: 'RTNETLINK answers: Permission denied\nmore\n' } });
  const outcome = await startNetworkChange(STATIC, { paths: paths(), checkMs: 3000, run: m.run }).apply();
  assert.equal(outcome, {
    ok: false,
    reason:
      'Cannot put 192.0.2.10/24 on eth0: `ip addr add 192.0.2.10/24 brd + dev eth0` failed (RTNETLINK answers: Permission denied); check the interface and the network settings, then try again; the previous settings of eth0 are back',
  });
  assert.equal(m.lines, [...SNAPSHOT, ...APPLY.slice(0, 2), ...RESTORE]);
});

test('startNetworkChange() apply() restores the snapshot when the gateway does not answer', async () => {
  const m = machine({ [PING]: { code: 1 } });
  const outcome = await startNetworkChange(STATIC, { paths: paths(), checkMs: 0, run: m.run }).apply();
  assert.equal(outcome, { ok: false, reason: 'the gateway 192.0.2.1 did not answer on eth0 within 0 s; the previous settings of eth0 are back' });
  assert.equal(m.lines, [...SNAPSHOT, ...APPLY, PING, ...RESTORE]);
});

test('startNetworkChange() apply() pings about once a second until checkMs', async () => {
  const m = machine({ [PING]: { code: 1 } });
  const outcome = await startNetworkChange(STATIC, { paths: paths(), checkMs: 1200, run: m.run }).apply();
  assert.is(outcome.ok, false);
  assert.is(m.lines.filter((l) => l === PING).length, 3);
});

test('startNetworkChange() apply() says so when even the restore fails', async () => {
  const m = machine({ [PING]: { code: 1 }, 'ip addr add 198.51.100.5/24 brd 198.51.100.255 dev eth0': { code: 2, stderr: 'RTNETLINK answers: No such device' } });
  const outcome = await startNetworkChange(STATIC, { paths: paths(), checkMs: 0, run: m.run }).apply();
  assert.equal(outcome, {
    ok: false,
    reason:
      'the gateway 192.0.2.1 did not answer on eth0 within 0 s; restoring the previous settings of eth0 failed too: ip addr add 198.51.100.5/24 brd 198.51.100.255 dev eth0: RTNETLINK answers: No such device',
  });
  assert.equal(m.lines, [...SNAPSHOT, ...APPLY, PING, ...RESTORE], 'every restore step still ran');
});

test('startNetworkChange() apply() changes nothing when the interface cannot be read', async () => {
  const m = machine({ 'ip -j addr show dev eth0': { code: 1, stderr: 'Device "eth0" does not exist.' } });
  const outcome = await startNetworkChange(STATIC, { paths: paths(), checkMs: 0, run: m.run }).apply();
  assert.equal(outcome, {
    ok: false,
    reason: 'Cannot read the settings of eth0: `ip -j addr show dev eth0` failed (Device "eth0" does not exist.); check the interface and the network settings, then try again; nothing was changed',
  });
  assert.equal(m.lines, ['ip -j addr show dev eth0']);
});

test('startNetworkChange() apply() without a gateway checks the address is there and the link up', async () => {
  let applied = false;
  const m = recorder((line) => {
    if (line === 'ip link set dev eth0 up') applied = true;
    if (line === 'ip -j addr show dev eth0') return { stdout: applied ? addrJson([{ local: '192.0.2.10', prefixlen: 24 }], ['BROADCAST', 'UP']) : OLD };
    if (line === 'ip -j route show default') return { stdout: OLD_ROUTE };
    return undefined;
  });
  const outcome = await startNetworkChange({ ...STATIC, gateway: null }, { paths: paths(), checkMs: 0, run: m.run }).apply();
  assert.equal(outcome, { ok: true, detail: 'eth0 has 192.0.2.10/24, no gateway (no carrier: is the cable in?)' });
  assert.equal(m.lines, [...SNAPSHOT, ...APPLY.slice(0, 3), ...SNAPSHOT]);
});

test('startNetworkChange() apply() without a gateway rolls back when the address did not stay', async () => {
  const m = machine();
  const outcome = await startNetworkChange({ ...STATIC, gateway: null }, { paths: paths(), checkMs: 0, run: m.run }).apply();
  assert.equal(outcome, { ok: false, reason: 'eth0 did not come up with 192.0.2.10/24; the previous settings of eth0 are back' });
  assert.equal(m.lines, [...SNAPSHOT, ...APPLY.slice(0, 3), ...SNAPSHOT, ...RESTORE.slice(1)], 'no route of its own to delete');
});

test('startNetworkChange() revert() brings back the snapshot the first apply() took, lease lifetimes and link state included', async () => {
  let applied = false;
  const m = recorder((line) => {
    if (line.startsWith('ip -4 addr flush')) applied = true;
    if (line === 'ip -j addr show dev eth0') return { stdout: applied ? addrJson([{ local: '192.0.2.10', prefixlen: 24 }]) : addrJson([{ local: '10.9.0.7', prefixlen: 16, broadcast: '10.9.255.255', dynamic: true, valid: 3000 }], ['BROADCAST']) };
    if (line === 'ip -j route show default') return { stdout: JSON.stringify([{ dst: 'default', gateway: '10.9.0.1', dev: 'eth0', protocol: 'dhcp', metric: 100 }, { dst: 'default', dev: 'wg0', metric: 500 }]) };
    return undefined;
  });
  const change = startNetworkChange(STATIC, { paths: paths(), checkMs: 0, run: m.run });
  assert.is((await change.apply()).ok, true);
  assert.is((await change.apply()).ok, true);
  m.lines.length = 0;
  await change.revert();
  assert.equal(m.lines, [
    'ip route del default via 192.0.2.1 dev eth0',
    'ip -4 addr flush dev eth0 scope global',
    'ip addr add 10.9.0.7/16 brd 10.9.255.255 dev eth0 valid_lft 3000 preferred_lft 3000',
    'ip route replace default via 10.9.0.1 dev eth0 proto dhcp metric 100',
    'ip route replace default dev wg0 metric 500',
    'ip link set dev eth0 down',
  ]);
});

test('startNetworkChange() revert() throws APL_CONSOLE_SYSTEM_COMMAND_FAILED when a restore step fails', async () => {
  const m = machine({ 'ip route replace default via 198.51.100.1 dev eth0 proto static': { code: 2, stderr: 'Error: Nexthop has invalid gateway.' } });
  const change = startNetworkChange(STATIC, { paths: paths(), checkMs: 0, run: m.run });
  await change.apply();
  try {
    await change.revert();
    assert.unreachable('revert resolved');
  } catch (err) {
    assert.ok(isAllianceError(err, 'APL_CONSOLE_SYSTEM_COMMAND_FAILED'), String(err));
    assert.match(err.message, 'Nexthop has invalid gateway');
  }
});

test('startNetworkChange() runs apply() and revert() one at a time, in the order called', async () => {
  const m = machine();
  const change = startNetworkChange(STATIC, { paths: paths(), checkMs: 0, run: m.run });
  await Promise.all([change.apply(), change.revert()]);
  assert.equal(m.lines, [...SNAPSHOT, ...APPLY, PING, ...RESTORE]);
});

test('startNetworkChange() keep() writes the networkd file and resolv.conf', async () => {
  const p = paths();
  const m = machine();
  await startNetworkChange(STATIC, { paths: p, checkMs: 0, run: m.run }).keep();
  assert.is(readFileSync(join(p.etcDir, 'systemd/network/10-alliance-management.network'), 'utf8').split('\n').slice(1).join('\n'), '[Match]\nName=eth0\n\n[Network]\nAddress=192.0.2.10/24\nGateway=192.0.2.1\nDNS=192.0.2.53\n');
  assert.match(readFileSync(join(p.etcDir, 'resolv.conf'), 'utf8'), /\nnameserver 192\.0\.2\.53\n$/);
  assert.equal(m.lines, [], 'keep() only writes files');
});

test('startNetworkChange() keep() leaves resolv.conf alone without DNS servers', async () => {
  const p = paths();
  await startNetworkChange({ interface: 'eth0', mode: 'dhcp' }, { paths: p, checkMs: 0, run: machine().run }).keep();
  assert.ok(existsSync(join(p.etcDir, 'systemd/network/10-alliance-management.network')));
  assert.not.ok(existsSync(join(p.etcDir, 'resolv.conf')));
});

test('startNetworkChange() apply() in DHCP mode without systemd-networkd only says when it takes effect', async () => {
  const p = paths();
  const m = machine();
  const outcome = await startNetworkChange({ interface: 'eth0', mode: 'dhcp' }, { paths: p, checkMs: 0, run: m.run }).apply();
  assert.equal(outcome, { ok: true, detail: 'DHCP on eth0 is saved when kept, and takes effect when systemd-networkd runs' });
  assert.equal(m.lines, SNAPSHOT);
  assert.not.ok(existsSync(join(p.etcDir, 'systemd/network/10-alliance-management.network')));
});

test('startNetworkChange() apply() in DHCP mode hands the file to systemd-networkd and waits for a lease', async () => {
  const p = paths();
  let reconfigured = false;
  const m = recorder((line) => {
    if (line === 'networkctl reconfigure eth0') reconfigured = true;
    if (line === 'ip -j addr show dev eth0') return { stdout: reconfigured ? addrJson([{ local: '10.9.0.7', prefixlen: 16, dynamic: true, valid: 3600 }]) : OLD };
    if (line === 'ip -j route show default') return { stdout: OLD_ROUTE };
    return undefined;
  });
  const outcome = await startNetworkChange({ interface: 'eth0', mode: 'dhcp' }, { paths: p, checkMs: 0, run: m.run, networkd: true }).apply();
  assert.equal(outcome, { ok: true, detail: 'eth0 has 10.9.0.7/16 from DHCP' });
  assert.equal(m.lines, [...SNAPSHOT, 'networkctl reload', 'networkctl reconfigure eth0', 'ip -j addr show dev eth0', 'ip -j route show default']);
  assert.match(readFileSync(join(p.etcDir, 'systemd/network/10-alliance-management.network'), 'utf8'), 'DHCP=ipv4');
});

test('startNetworkChange() apply() in DHCP mode puts the old file and addresses back when no lease comes', async () => {
  const p = paths();
  const file = join(p.etcDir, 'systemd/network/10-alliance-management.network');
  mkdirSync(join(p.etcDir, 'systemd/network'), { recursive: true });
  writeFileSync(file, 'the old file\n');
  const m = machine();
  const outcome = await startNetworkChange({ interface: 'eth0', mode: 'dhcp' }, { paths: p, checkMs: 0, run: m.run, networkd: true }).apply();
  assert.equal(outcome, { ok: false, reason: 'no DHCP server gave eth0 an address within 0 s; the previous settings of eth0 are back' });
  assert.equal(m.lines, [...SNAPSHOT, 'networkctl reload', 'networkctl reconfigure eth0', ...SNAPSHOT, 'networkctl reload', 'networkctl reconfigure eth0', ...RESTORE.slice(1)]);
  assert.is(readFileSync(file, 'utf8'), 'the old file\n');
});

test('startNetworkChange() apply() in DHCP mode removes its file again when there was none', async () => {
  const p = paths();
  const outcome = await startNetworkChange({ interface: 'eth0', mode: 'dhcp' }, { paths: p, checkMs: 0, run: machine().run, networkd: true }).apply();
  assert.is(outcome.ok, false);
  assert.not.ok(existsSync(join(p.etcDir, 'systemd/network/10-alliance-management.network')));
});

test('startNetworkChange() apply() of a static address under systemd-networkd changes the file, not the addresses behind its back', async () => {
  const p = paths();
  const m = machine();
  const outcome = await startNetworkChange(STATIC, { paths: p, checkMs: 0, run: m.run, networkd: true }).apply();
  assert.equal(outcome, { ok: true, detail: 'eth0 has 192.0.2.10/24; the gateway 192.0.2.1 answers' });
  assert.equal(m.lines, [...SNAPSHOT, 'networkctl reload', 'networkctl reconfigure eth0', PING]);
  assert.match(readFileSync(join(p.etcDir, 'systemd/network/10-alliance-management.network'), 'utf8'), 'Address=192.0.2.10/24');
});

test('startNetworkChange() apply() of a static address under systemd-networkd puts the old file back when the gateway is silent', async () => {
  const p = paths();
  const file = join(p.etcDir, 'systemd/network/10-alliance-management.network');
  mkdirSync(join(p.etcDir, 'systemd/network'), { recursive: true });
  writeFileSync(file, 'the old file\n');
  const m = machine({ [PING]: { code: 1 } });
  const outcome = await startNetworkChange(STATIC, { paths: p, checkMs: 0, run: m.run, networkd: true }).apply();
  assert.is(outcome.ok, false);
  assert.equal(m.lines, [...SNAPSHOT, 'networkctl reload', 'networkctl reconfigure eth0', PING, 'networkctl reload', 'networkctl reconfigure eth0', ...RESTORE]);
  assert.is(readFileSync(file, 'utf8'), 'the old file\n');
});

test('readInterfaceNetwork() reads a static address, the default gateway and resolv.conf', async () => {
  const p = paths();
  writeFileSync(join(p.etcDir, 'resolv.conf'), '# x\nsearch lab\nnameserver 192.0.2.53\nnameserver fe80::1\nnameserver 1.1.1.1\n');
  assert.equal(await readInterfaceNetwork('eth0', { run: machine().run, paths: p }), { interface: 'eth0', mode: 'static', address: '198.51.100.5/24', gateway: '198.51.100.1', dns: '192.0.2.53 1.1.1.1' });
});

test('readInterfaceNetwork() reads a lease as dhcp, and no address as an empty static form', async () => {
  const lease = recorder((line) => (line.startsWith('ip -j addr') ? { stdout: addrJson([{ local: '10.9.0.7', prefixlen: 16, dynamic: true, valid: 300 }]) } : { stdout: '[]' }));
  assert.equal(await readInterfaceNetwork('eth0', { run: lease.run }), { interface: 'eth0', mode: 'dhcp', address: '10.9.0.7/16', gateway: '', dns: '' });
  const none = recorder((line) => (line.startsWith('ip -j addr') ? { stdout: addrJson([]) } : { stdout: OLD_ROUTE.replace('eth0', 'eth1') }));
  assert.equal(await readInterfaceNetwork('eth0', { run: none.run }), { interface: 'eth0', mode: 'static', address: '', gateway: '', dns: '' });
});

test('readInterfaceNetwork() throws APL_CONSOLE_SYSTEM_OUTPUT_UNREADABLE for output it cannot read', async () => {
  for (const stdout of ['not json', '{}', '[]', JSON.stringify([{ ifname: 'eth0', addr_info: [{ family: 'inet', scope: 'global' }] }])]) {
    const m = recorder((line) => (line.startsWith('ip -j addr') ? { stdout } : { stdout: '[]' }));
    try {
      await readInterfaceNetwork('eth0', { run: m.run });
      assert.unreachable(stdout);
    } catch (err) {
      assert.ok(isAllianceError(err, 'APL_CONSOLE_SYSTEM_OUTPUT_UNREADABLE'), String(err));
    }
  }
});

const SETTINGS = { hostname: 'alliance-1.lab.example', dns: ['192.0.2.53'], ntp: ['pool.ntp.org'] };

test('applySystemSettings() writes the files, sets the live host name and restarts timesyncd', async () => {
  const p = paths();
  writeFileSync(join(p.etcDir, 'hosts'), '127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n');
  const m = recorder(() => undefined);
  const lines = await applySystemSettings(SETTINGS, { paths: p, run: m.run, live: true, systemd: true });
  const etc = p.etcDir;
  assert.equal(lines, [
    `host name is alliance-1.lab.example (${etc}/hostname, ${etc}/hosts)`,
    `DNS servers 192.0.2.53 (${etc}/resolv.conf)`,
    `NTP servers pool.ntp.org (${etc}/systemd/timesyncd.conf.d/alliance.conf); systemd-timesyncd restarted`,
  ]);
  assert.equal(m.lines, ['hostname alliance-1.lab.example', 'systemctl try-restart systemd-timesyncd.service']);
  assert.is(readFileSync(join(etc, 'hostname'), 'utf8'), 'alliance-1.lab.example\n');
  assert.is(readFileSync(join(etc, 'hosts'), 'utf8'), '127.0.0.1\tlocalhost\n127.0.1.1\talliance-1.lab.example alliance-1\n');
  assert.match(readFileSync(join(etc, 'resolv.conf'), 'utf8'), /\nnameserver 192\.0\.2\.53\n$/);
  assert.match(readFileSync(join(etc, 'systemd/timesyncd.conf.d/alliance.conf'), 'utf8'), /\n\[Time\]\nNTP=pool\.ntp\.org\n$/);
});

test('applySystemSettings() reports a failed timesyncd restart instead of throwing', async () => {
  const p = paths();
  const m = recorder((line) => (line.startsWith('systemctl') ? { code: 5, stderr: 'Failed to try-restart systemd-timesyncd.service: Unit not found.' } : undefined));
  const lines = await applySystemSettings({ ...SETTINGS, ntp: [] }, { paths: p, run: m.run, live: true, systemd: true });
  assert.is(lines[2], `NTP servers: timesyncd's defaults (${p.etcDir}/systemd/timesyncd.conf.d/alliance.conf); systemd-timesyncd was not restarted: Failed to try-restart systemd-timesyncd.service: Unit not found.`);
});

test('applySystemSettings() throws APL_CONSOLE_SYSTEM_COMMAND_FAILED when hostname fails', async () => {
  const m = recorder(() => ({ code: 1, stderr: 'hostname: you must be root to change the host name' }));
  try {
    await applySystemSettings(SETTINGS, { paths: paths(), run: m.run, live: true, systemd: false });
    assert.unreachable('resolved');
  } catch (err) {
    assert.ok(isAllianceError(err, 'APL_CONSOLE_SYSTEM_COMMAND_FAILED'), String(err));
    assert.match(err.message, '`hostname alliance-1.lab.example` failed (hostname: you must be root to change the host name)');
  }
});

test('applySystemSettings() outside /etc only writes files, and leaves resolv.conf without DNS servers', async () => {
  const p = paths();
  const m = recorder(() => undefined);
  const lines = await applySystemSettings({ ...SETTINGS, dns: [] }, { paths: p, run: m.run });
  assert.equal(m.lines, []);
  assert.not.ok(existsSync(join(p.etcDir, 'resolv.conf')));
  assert.equal(lines, [
    `host name alliance-1.lab.example written to ${p.etcDir}/hostname and ${p.etcDir}/hosts; it takes effect at the next boot`,
    `DNS servers unchanged: none given (${p.etcDir}/resolv.conf is as it was)`,
    `NTP servers pool.ntp.org (${p.etcDir}/systemd/timesyncd.conf.d/alliance.conf); they take effect when systemd-timesyncd starts`,
  ]);
  assert.is(readFileSync(join(p.etcDir, 'hosts'), 'utf8'), '127.0.0.1\tlocalhost\n127.0.1.1\talliance-1.lab.example alliance-1\n');
});

test.run();
