import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inventoryHash as contractsInventoryHash } from '../../../../appliance/contracts/index.ts';
import type { Store } from '../../../../appliance/store/index.ts';
import { HostRepository, toHost, type HostRecord } from '../../../../services/controller/hosts/index.ts';
import { Clock, sampleInventory, testContext } from './_support/hosts-fixtures.ts';

let store: Store;
let dir = '';
let hosts: HostRepository;

test.before.each(() => {
  const t = testContext({ now: new Clock().now });
  store = t.store;
  dir = t.dir;
  hosts = new HostRepository(store.database);
});

test.after.each(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const at = '2026-03-01T12:00:00.000Z';
function record(id: string, overrides: Partial<HostRecord> = {}): Omit<HostRecord, 'inventoryHash'> {
  return {
    id,
    publicKey: 'PEM',
    name: `node-${id}`,
    state: 'active',
    addresses: ['192.0.2.1'],
    labels: { rack: 'r1' },
    traits: ['gpu'],
    inventory: sampleInventory(),
    health: null,
    credentialHash: `cred-${id}`,
    certificate: 'CERT',
    certNotAfter: '2027-03-01T12:00:00.000Z',
    joinTokenId: null,
    approvedBy: null,
    agentVersion: '0.1.0',
    createdAt: at,
    updatedAt: at,
    enrolledAt: at,
    lastHeartbeatAt: null,
    ...overrides,
  };
}

test('HostRepository.insert() then get() round-trips every column with its type', () => {
  const written = record('a');
  store.transaction(() => hosts.insert(written));
  const read = hosts.get('a');
  const { inventoryHash, ...rest } = read!;
  assert.equal(rest, written);
  assert.is(inventoryHash, contractsInventoryHash(written.inventory!));
});

test('HostRepository.get() says undefined for an unknown id', () => {
  assert.is(hosts.get('nope'), undefined);
});

test('HostRepository records without an inventory have an empty inventory hash', () => {
  store.transaction(() => hosts.insert(record('a', { inventory: null })));
  assert.is(hosts.get('a')!.inventoryHash, '');
});

test('HostRepository.update() changes the given columns and updatedAt, nothing else', () => {
  store.transaction(() => hosts.insert(record('a')));
  const later = '2026-03-01T13:00:00.000Z';
  assert.ok(hosts.update('a', { state: 'suspect', labels: { rack: 'r2' }, health: null }, { at: later }));
  const read = hosts.get('a')!;
  assert.is(read.state, 'suspect');
  assert.equal(read.labels, { rack: 'r2' });
  assert.is(read.updatedAt, later);
  assert.is(read.name, 'node-a');
  assert.is(read.createdAt, at);
});

test('HostRepository.update() with onlyIf leaves a host in another state alone', () => {
  store.transaction(() => hosts.insert(record('a', { state: 'retired' })));
  assert.not.ok(hosts.update('a', { state: 'suspect' }, { at, onlyIf: ['active'] }));
  assert.is(hosts.get('a')!.state, 'retired');
  assert.ok(hosts.update('a', { state: 'pending' }, { at, onlyIf: ['retired', 'rejected'] }));
});

test('HostRepository.byCredentialHash() finds the holder, and nobody once it is cleared', () => {
  store.transaction(() => {
    hosts.insert(record('a'));
    hosts.insert(record('b'));
  });
  assert.is(hosts.byCredentialHash('cred-b')?.id, 'b');
  hosts.update('b', { credentialHash: null }, { at });
  assert.is(hosts.byCredentialHash('cred-b'), undefined);
});

test('HostRepository.list() lists oldest first, optionally of one state; count() counts a state', () => {
  store.transaction(() => {
    hosts.insert(record('b', { createdAt: '2026-03-01T12:00:02.000Z' }));
    hosts.insert(record('a', { createdAt: '2026-03-01T12:00:01.000Z', state: 'pending' }));
    hosts.insert(record('c', { createdAt: '2026-03-01T12:00:03.000Z', state: 'pending' }));
  });
  assert.equal(hosts.list().map((h) => h.id), ['a', 'b', 'c']);
  assert.equal(hosts.list({ state: 'pending' }).map((h) => h.id), ['a', 'c']);
  assert.is(hosts.count('pending'), 2);
  assert.is(hosts.count('offline'), 0);
});

test('HostRepository.recordHeartbeat() sets the heartbeat time and health without touching updatedAt', () => {
  store.transaction(() => hosts.insert(record('a')));
  const health = { status: 'ok' as const, problems: [], load1: 0.5, memoryUsedBytes: 1, uptimeSeconds: 2 };
  hosts.recordHeartbeat('a', '2026-03-01T12:05:00.000Z', health);
  hosts.recordHeartbeat('a', '2026-03-01T12:06:00.000Z', undefined);
  const read = hosts.get('a')!;
  assert.is(read.lastHeartbeatAt, '2026-03-01T12:06:00.000Z');
  assert.equal(read.health, health, 'a heartbeat without health keeps the last one');
  assert.is(read.updatedAt, at);
});

test('toHost() shows no key, credential hash or certificate', () => {
  store.transaction(() => hosts.insert(record('a')));
  const host = toHost(hosts.get('a')!);
  const text = JSON.stringify(host);
  assert.not.ok(text.includes('cred-a'));
  assert.not.ok(text.includes('CERT'));
  assert.not.ok('publicKey' in host);
  assert.is(host.certificateNotAfter, '2027-03-01T12:00:00.000Z');
});

test.run();
