// dist/alliance on a bridge of network namespaces: appliances find each other,
// contend for a name, announce a new address, say goodbye, vanish after a crash, forget a link that went
// down, and shrug off garbage on the mDNS port.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli, startServe, tempDir, type ServingAppliance } from '../../_support/appliance-process.ts';
import { createTestNetwork, type TestHost } from '../../_support/netns.ts';

interface Visible {
  instance: string | null;
  nodes: { instance: string; via: string[]; addresses: string[]; node: { nodeId: string } | null }[];
}

const net = createTestNetwork('dn', 5);
const root = tempDir('discovery');
const [h1, h2, h3, h4, h5] = net.hosts as [TestHost, TestHost, TestHost, TestHost, TestHost];
const running = new Map<TestHost, { app: ServingAppliance; dir: string; nodeId: string }>();

async function serveOn(host: TestHost, name: string, ttl: number): Promise<string> {
  const dir = join(root, host.ns);
  const init = runCli(['init', '--data-dir', dir, '--json'], { netns: host.ns });
  assert.is(init.code, 0, init.stderr);
  const nodeId = (JSON.parse(init.stdout) as { nodeId: string }).nodeId;
  const app = await startServe(['--data-dir', dir, '--set', `appliance.name=${name}`, '--set', `discovery.ttl_s=${ttl}`, '--set', 'http.port=8443'], { netns: host.ns });
  running.set(host, { app, dir, nodeId });
  return nodeId;
}

function visibleFrom(host: TestHost): Visible {
  const r = runCli(['bus', 'call', 'discovery.list', '--data-dir', running.get(host)!.dir], { netns: host.ns });
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Visible;
}

const idsSeenFrom = (host: TestHost) => visibleFrom(host).nodes.map((n) => n.node?.nodeId).sort();

/** Polls until `check` holds, for at most `ms`; fails with what was last seen. */
async function until<T>(ms: number, what: string, read: () => T, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + ms;
  let last = read();
  while (!check(last)) {
    if (Date.now() > deadline) assert.unreachable(`${what} within ${ms} ms; last seen ${JSON.stringify(last)}`);
    await sleep(200);
    last = read();
  }
  return last;
}

let id1 = '';
let id2 = '';
let id4 = '';

test.before(async () => {
  // h1 and h2 both want the name "alpha"; h4 keeps records for 6 s only, for the crash case.
  [id1, id2, id4] = await Promise.all([serveOn(h1, 'alpha', 120), serveOn(h2, 'alpha', 120), serveOn(h4, 'crashy', 6)]);
});

test.after(async () => {
  for (const { app } of running.values()) {
    app.child.kill('SIGKILL');
    await app.exited;
  }
  net.destroy();
  rmSync(root, { recursive: true, force: true });
});

test('`alliance discover` in a third namespace lists both appliances, with addresses and node ids', () => {
  const r = runCli(['discover', '--json', '--timeout', '2000', '--data-dir', join(root, 'none')], { netns: h3.ns });
  assert.is(r.code, 0, r.stderr);
  const seen = JSON.parse(r.stdout) as { interfaces: string[]; nodes: Visible['nodes'] };
  assert.equal(seen.interfaces, ['eth0']);
  const byId = new Map(seen.nodes.map((n) => [n.node?.nodeId, n]));
  assert.ok(byId.get(id1)?.addresses.includes(h1.v4), JSON.stringify(seen.nodes));
  assert.ok(byId.get(id2)?.addresses.includes(h2.v4), JSON.stringify(seen.nodes));
  const text = runCli(['discover', '--timeout', '1500', '--data-dir', join(root, 'none')], { netns: h3.ns }).stdout;
  assert.match(text, new RegExp(`alpha .*appliance .*${h1.v4.replace(/\./g, '\\.')}:8443 .*${id1.slice(0, 12)}`));
});

test('two appliances named alike: one keeps "alpha", the other probes, renames to "alpha (2)" and journals why', async () => {
  const names = [visibleFrom(h1).instance, visibleFrom(h2).instance].sort();
  assert.equal(names, ['alpha', 'alpha (2)']);
  const renamed = visibleFrom(h1).instance === 'alpha (2)' ? h1 : h2;
  const events = runCli(['events', '--json', '--kind', 'discovery.renamed', '--data-dir', running.get(renamed)!.dir], { netns: renamed.ns });
  const [event] = JSON.parse(events.stdout) as { message: string }[];
  assert.is(event?.message, 'mDNS name "alpha" is taken on this network; advertising as "alpha (2)" (set appliance.name to choose another)');
});

test('appliances see each other over the bus method discovery.list', async () => {
  await until(5000, 'h1 to see h2 and h4', () => idsSeenFrom(h1), (ids) => ids.includes(id2) && ids.includes(id4));
});

test('a renumbered appliance announces its new address, and withdraws one that goes; peers follow at once, not after the 120 s TTL', async () => {
  const addressesOfH2 = () => visibleFrom(h1).nodes.find((n) => n.node?.nodeId === id2)?.addresses ?? [];
  assert.ok(addressesOfH2().includes(h2.v4), `h1 first sees h2 at ${h2.v4}`);
  const renumbered = h2.v4.replace(/\.\d+$/, '.102');
  // Without promote_secondaries, deleting the primary address takes the new secondary along.
  net.run(h2.ns, ['sysctl', '-qw', `net.ipv4.conf.${h2.iface}.promote_secondaries=1`]);
  net.run(h2.ns, ['ip', 'addr', 'add', `${renumbered}/24`, 'dev', h2.iface]);
  net.run(h2.ns, ['ip', 'addr', 'del', `${h2.v4}/24`, 'dev', h2.iface]);
  await until(8000, `h1 to see h2 at ${renumbered} only`, addressesOfH2, (a) => a.includes(renumbered) && !a.includes(h2.v4));
  // No IPv4 left: the goodbye for the A record goes over IPv6 link-local.
  net.run(h2.ns, ['ip', 'addr', 'del', `${renumbered}/24`, 'dev', h2.iface]);
  const left = await until(8000, 'h1 to drop h2\'s IPv4 address', addressesOfH2, (a) => !a.includes(renumbered));
  assert.ok(left.length > 0 && left.every((a) => a.startsWith('fe80:')), `only IPv6 link-local is left: ${JSON.stringify(left)}`);
  net.run(h2.ns, ['ip', 'addr', 'add', `${h2.v4}/24`, 'dev', h2.iface]);
  await until(8000, `h1 to see h2 at ${h2.v4} again`, addressesOfH2, (a) => a.includes(h2.v4));
});

test('a stopped appliance says goodbye: it leaves the others\' lists at once, not after its 120 s TTL', async () => {
  const { app } = running.get(h2)!;
  app.child.kill('SIGTERM');
  assert.is(await app.exited, 0);
  running.delete(h2);
  const started = Date.now();
  await until(3000, 'h2 to leave h1\'s list', () => idsSeenFrom(h1), (ids) => !ids.includes(id2));
  assert.ok(Date.now() - started < 3000);
});

test('a crashed appliance (SIGKILL, no goodbye) disappears when its records expire', async () => {
  assert.ok(idsSeenFrom(h1).includes(id4), 'h4 must be visible before the crash');
  const { app } = running.get(h4)!;
  app.child.kill('SIGKILL');
  await app.exited;
  running.delete(h4);
  // Browsers ask again at 80% of a TTL, so a record always has at least 20% (1.2 s) left:
  // without a goodbye it is still there when looked at right after the crash.
  assert.ok(idsSeenFrom(h1).includes(id4), 'still cached right after the crash: no goodbye was sent');
  await until(8000, 'h4 to expire from h1\'s list', () => idsSeenFrom(h1), (ids) => !ids.includes(id4));
});

test('garbage on the mDNS port is counted and ignored; the appliance keeps answering', async () => {
  const garbage = [
    '00000000', // truncated header
    '0000840000000001000000000c0c00010001', // answer name pointing forward to itself
    '000084000000000100000000c00c000100010000007800040a000001', // pointer loop at the name
    'ffff'.repeat(100), // random-looking bytes
    '0000000000ff0000000000000000', // 255 questions announced, none present
  ];
  // Sent from port 5353, as mDNS requires, from another namespace; one oversized packet too (over 9000 bytes).
  const script = `
    const s = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: true });
    s.bind(5353, () => {
      s.setMulticastInterface(${JSON.stringify(h5.v4)});
      const packets = ${JSON.stringify(garbage)}.map((h) => Buffer.from(h, 'hex')).concat([Buffer.alloc(9500, 1)]);
      let left = packets.length;
      for (const p of packets) s.send(p, 5353, '224.0.0.251', (err) => { if (err) throw err; if (--left === 0) s.close(); });
    });`;
  const sent = spawnSync('ip', ['netns', 'exec', h5.ns, process.execPath, '-e', script], { encoding: 'utf8' });
  assert.is(sent.status, 0, sent.stderr);
  const token = readFileSync(join(running.get(h1)!.dir, 'secrets', 'metrics.token'), 'utf8').trim();
  const dropped = (text: string, reason: string) => Number(new RegExp(`alliance_discovery_packets_dropped_total\\{reason="${reason}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  const scrape = () => {
    const r = spawnSync('ip', ['netns', 'exec', h1.ns, 'curl', '-sk', '-H', `Authorization: Bearer ${token}`, 'https://127.0.0.1:8443/metrics'], { encoding: 'utf8' });
    return r.stdout;
  };
  let metrics = scrape();
  const deadline = Date.now() + 3000;
  while (dropped(metrics, 'malformed') < garbage.length && Date.now() < deadline) {
    await sleep(200);
    metrics = scrape();
  }
  assert.is(dropped(metrics, 'malformed'), garbage.length, metrics.split('\n').filter((l) => l.includes('discovery')).join('\n'));
  assert.is(dropped(metrics, 'oversized'), 1);
  const r = runCli(['discover', '--json', '--timeout', '1500', '--data-dir', join(root, 'none')], { netns: h3.ns });
  assert.ok((JSON.parse(r.stdout) as { nodes: Visible['nodes'] }).nodes.some((n) => n.node?.nodeId === id1), 'h1 still answers');
});

test('a link that goes down takes what was heard on it along; back up, the appliance is found again', async () => {
  await serveOn(h3, 'gamma', 120);
  const id3 = running.get(h3)!.nodeId;
  await until(5000, 'h1 to see h3', () => idsSeenFrom(h1), (ids) => ids.includes(id3));
  net.link(h1, 'down');
  await until(6000, 'h1 to forget what it heard on eth0', () => visibleFrom(h1).nodes.length, (n) => n === 0);
  // The operator's diagnostic names the cause and the command, and exits 1 for scripts.
  const diagnosis = runCli(['discover', '--diagnose', '--json', '--data-dir', join(root, 'none')], { netns: h1.ns });
  assert.is(diagnosis.code, 1, diagnosis.stdout + diagnosis.stderr);
  const { findings } = JSON.parse(diagnosis.stdout) as { findings: { iface: string | null; severity: string; what: string; fix?: string }[] };
  const eth0 = findings.find((f) => f.iface === 'eth0' && f.severity === 'problem');
  assert.ok(eth0?.what.startsWith('down:') && eth0.fix === 'ip link set eth0 up', JSON.stringify(findings));
  net.link(h1, 'up');
  await until(10_000, 'h1 to see h3 again', () => idsSeenFrom(h1), (ids) => ids.includes(id3));
  assert.is(runCli(['discover', '--diagnose', '--data-dir', join(root, 'none')], { netns: h1.ns }).code, 0, 'nothing to report once the link is back');
});

test.run();
