// dist/alliance on a machine with two links: a gateway between two bridges sees
// the appliances on both, and each side sees the gateway at its own address
// only (RFC 6762 §15: address records answer for the link they are asked on).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli, startServe, tempDir, type ServingAppliance } from '../../_support/appliance-process.ts';
import { createTestNetwork } from '../../_support/netns.ts';

interface Seen {
  nodes: { via: string[]; addresses: string[]; node: { nodeId: string } | null }[];
}

// Bridge A: the gateway's eth0 and "left"; bridge B: the gateway's eth1 and "right".
const a = createTestNetwork('d2a', 2, 78);
const b = createTestNetwork('d2b', 2, 79);
const gateway = a.hosts[0]!;
const left = a.hosts[1]!;
const right = b.hosts[1]!;
const gatewayOnB = b.hosts[0]!.v4;
const root = tempDir('discovery-two-links');
const apps: ServingAppliance[] = [];
const ids = new Map<string, string>();

async function serveOn(ns: string, name: string): Promise<void> {
  const dir = join(root, ns);
  const init = runCli(['init', '--data-dir', dir, '--json'], { netns: ns });
  assert.is(init.code, 0, init.stderr);
  ids.set(ns, (JSON.parse(init.stdout) as { nodeId: string }).nodeId);
  apps.push(await startServe(['--data-dir', dir, '--set', `appliance.name=${name}`, '--set', 'http.port=8443'], { netns: ns }));
}

function seenFrom(ns: string): Seen['nodes'] {
  const r = runCli(['bus', 'call', 'discovery.list', '--data-dir', join(root, ns)], { netns: ns });
  assert.is(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as Seen).nodes;
}

async function until(ms: number, what: string, check: () => boolean, last: () => unknown): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.unreachable(`${what} within ${ms} ms; last seen ${JSON.stringify(last())}`);
    await sleep(200);
  }
}

test.before(async () => {
  // Give the gateway B's first port, renamed eth1 (names must differ inside one namespace).
  const spare = b.hosts[0]!.ns;
  b.run(spare, ['ip', 'link', 'set', 'eth0', 'name', 'eth1']);
  b.run(spare, ['ip', 'link', 'set', 'eth1', 'netns', gateway.ns]);
  a.run(gateway.ns, ['ip', 'addr', 'add', `${gatewayOnB}/24`, 'dev', 'eth1']);
  a.run(gateway.ns, ['ip', 'link', 'set', 'eth1', 'up']);
  await Promise.all([serveOn(gateway.ns, 'gateway'), serveOn(left.ns, 'left'), serveOn(right.ns, 'right')]);
});

test.after(async () => {
  for (const app of apps) {
    app.child.kill('SIGKILL');
    await app.exited;
  }
  a.destroy();
  b.destroy();
  rmSync(root, { recursive: true, force: true });
});

test('the gateway sees one appliance on each link, each through that link', async () => {
  const find = (ns: string) => seenFrom(gateway.ns).find((n) => n.node?.nodeId === ids.get(ns));
  await until(8000, 'the gateway to see left and right', () => find(left.ns) !== undefined && find(right.ns) !== undefined, () => seenFrom(gateway.ns));
  assert.equal(find(left.ns)!.via, ['eth0']);
  assert.ok(find(left.ns)!.addresses.includes(left.v4));
  assert.equal(find(right.ns)!.via, ['eth1']);
  assert.ok(find(right.ns)!.addresses.includes(right.v4));
});

test('each side sees the gateway at the address of its own link only, and not the appliance behind it', async () => {
  for (const [side, own, other] of [
    [left, gateway.v4, gatewayOnB],
    [right, gatewayOnB, gateway.v4],
  ] as const) {
    const find = () => seenFrom(side.ns).find((n) => n.node?.nodeId === ids.get(gateway.ns));
    await until(8000, `${side.ns} to see the gateway`, () => find() !== undefined, () => seenFrom(side.ns));
    const addresses = find()!.addresses;
    assert.ok(addresses.includes(own), `${side.ns} sees the gateway at ${own}: ${JSON.stringify(addresses)}`);
    assert.not.ok(addresses.includes(other), `${side.ns} must not be told ${other}, which is on the other link: ${JSON.stringify(addresses)}`);
    const far = side === left ? right : left;
    assert.not.ok(seenFrom(side.ns).some((n) => n.node?.nodeId === ids.get(far.ns)), 'mDNS stays on its link: the appliance behind the gateway is not seen');
  }
});

test.run();
