// The controller's methods for the boot service, over a real bus (inproc) on a
// real store: which host owns a MAC, the MACs dnsmasq should know, and
// single-use join codes for network-booted machines.
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BusClient } from '../../../../appliance/bus/index.ts';
import { HostRepository, hostsFeature, JoinTokenRepository, type HostRecord } from '../../../../services/controller/hosts/index.ts';
import { Clock, sampleInventory, serveLocally, testContext, type LocalBus, type TestContext } from './_support/hosts-fixtures.ts';

const MAC = '3c:ec:ef:00:00:01';
let t: TestContext;
let bus: LocalBus;
let client: BusClient;
let clock: Clock;

function record(id: string, state: HostRecord['state'], updatedAt: string, mac = MAC): Omit<HostRecord, 'inventoryHash'> {
  const inventory = sampleInventory({ nics: [{ name: 'eno1', mac: mac.toUpperCase(), speedMbps: 1000, link: true, virtual: false, addresses: [] }] });
  return {
    id, publicKey: 'PEM', name: `node-${id}`, state, addresses: [], labels: {}, traits: [], inventory, health: null, credentialHash: `cred-${id}`, certificate: null,
    certNotAfter: null, joinTokenId: null, approvedBy: null, agentVersion: '', createdAt: updatedAt, updatedAt, enrolledAt: null, lastHeartbeatAt: null,
  };
}

test.before.each(async () => {
  clock = new Clock();
  t = testContext({ now: clock.now });
  bus = await serveLocally(hostsFeature(t.ctx).localBusMethods, 'provisioning');
  client = bus.client;
});

test.after.each(async () => {
  await bus.close();
  t.store.close();
  rmSync(t.dir, { recursive: true, force: true });
});

const insert = (...records: Omit<HostRecord, 'inventoryHash'>[]) => {
  const hosts = new HostRepository(t.store.database);
  t.store.transaction(() => records.forEach((r) => hosts.insert(r)));
};

// Who owns a MAC several host records list: a retired record loses to any other, then the newest wins.
const owners: Record<string, [Omit<HostRecord, 'inventoryHash'>[], string | null]> = {
  'no host lists the MAC': [[record('a', 'active', '2026-03-01T00:00:00Z', '3c:ec:ef:00:00:02')], null],
  'one host lists it (in upper case)': [[record('a', 'active', '2026-03-01T00:00:00Z')], 'a'],
  'the newest of two live records': [[record('a', 'offline', '2026-03-01T00:00:00Z'), record('b', 'pending', '2026-03-02T00:00:00Z')], 'b'],
  'a live record over a newer retired one': [[record('a', 'active', '2026-03-01T00:00:00Z'), record('b', 'retired', '2026-03-02T00:00:00Z')], 'a'],
  'a rejected record is live (the machine stays refused)': [[record('a', 'active', '2026-03-01T00:00:00Z'), record('b', 'rejected', '2026-03-02T00:00:00Z')], 'b'],
  'a retired record when it is the only one': [[record('a', 'retired', '2026-03-01T00:00:00Z')], 'a'],
};
for (const [name, [records, owner]] of Object.entries(owners)) {
  test(`controller.host-by-mac: ${name}`, async () => {
    insert(...records);
    const { host } = await client.call<{ host: { id: string } | null }>('controller.host-by-mac', { mac: MAC });
    assert.is(host?.id ?? null, owner);
  });
}

test('controller.known-macs lists each MAC once, with the owner host-by-mac names', async () => {
  insert(record('a', 'offline', '2026-03-01T00:00:00Z'), record('b', 'active', '2026-03-02T00:00:00Z'), record('c', 'rejected', '2026-03-01T00:00:00Z', '3c:ec:ef:00:00:03'));
  const { macs } = await client.call<{ macs: { mac: string; id: string; state: string }[] }>('controller.known-macs', {});
  assert.equal(
    macs.map(({ mac, id, state }) => ({ mac, id, state })).sort((x, y) => x.mac.localeCompare(y.mac)),
    [
      { mac: MAC, id: 'b', state: 'active' },
      { mac: '3c:ec:ef:00:00:03', id: 'c', state: 'rejected' },
    ],
  );
});

test('controller.boot-join-code mints a single-use code, valid 20 minutes, named after the MAC and audited', async () => {
  const answer = await client.call<{ code: string; tokenId: string; expiresAt: string }>('controller.boot-join-code', { mac: MAC, address: '10.0.0.7' });
  assert.match(answer.code, /^[a-z2-7]+\.[a-z2-7]+$/);
  const token = new JoinTokenRepository(t.store.database).get(answer.tokenId)!;
  assert.is(token.maxUses, 1);
  assert.is(token.description, `network boot of ${MAC}`);
  assert.is(new Date(token.expiresAt).getTime() - clock.now().getTime(), 20 * 60_000);
  const audit = t.store.database.prepare("SELECT actor, source FROM audit_log WHERE action = 'join-tokens.create'").all();
  assert.equal(audit, [{ actor: 'boot-service', source: '10.0.0.7' }]);
});

const badParams: Record<string, [string, unknown]> = {
  'a MAC with dashes': ['controller.host-by-mac', { mac: '3c-ec-ef-00-00-01' }],
  'an upper-case MAC': ['controller.host-by-mac', { mac: '3C:EC:EF:00:00:01' }],
  'no MAC': ['controller.boot-join-code', { address: '10.0.0.7' }],
  'an unknown field': ['controller.known-macs', { all: true }],
  'an address of 100 characters': ['controller.boot-join-code', { mac: MAC, address: 'x'.repeat(100) }],
};
for (const [name, [method, params]] of Object.entries(badParams)) {
  test(`${method} refuses ${name} with a typed error and mints nothing`, async () => {
    try {
      await client.call(method, params);
      assert.unreachable('accepted');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'APL_BUS_INVALID_PARAMS');
    }
    assert.is(new JoinTokenRepository(t.store.database).list().length, 0);
  });
}

test.run();
