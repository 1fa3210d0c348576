import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HostState } from '../../../../appliance/contracts/index.ts';
import type { Store } from '../../../../appliance/store/index.ts';
import { HostLiveness, HostRepository, type HostRecord, type LivenessTransition } from '../../../../services/controller/hosts/index.ts';
import { Clock, testContext } from './_support/hosts-fixtures.ts';

const thresholds = { suspectAfterMs: 15_000, offlineAfterMs: 45_000 };
const health = { status: 'ok' as const, problems: [], load1: 0.1, memoryUsedBytes: 1, uptimeSeconds: 1 };

let store: Store;
let dir = '';
let hosts: HostRepository;
let clock: Clock;
let reported: LivenessTransition[];
let liveness: HostLiveness;

test.before.each(() => {
  clock = new Clock();
  const t = testContext({ now: clock.now });
  store = t.store;
  dir = t.dir;
  hosts = new HostRepository(store.database);
  reported = [];
  liveness = new HostLiveness({ store, hosts, thresholds, onTransition: (tr) => reported.push(tr) });
});

test.after.each(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function insert(id: string, state: HostState, extra: Partial<HostRecord> = {}): HostRecord {
  const at = '2026-01-01T00:00:00.000Z';
  store.transaction(() =>
    hosts.insert({
      id,
      publicKey: 'PEM',
      name: `node-${id}`,
      state,
      addresses: [],
      labels: {},
      traits: [],
      inventory: null,
      health: null,
      credentialHash: state === 'pending' || state === 'retired' ? null : `cred-${id}`,
      certificate: null,
      certNotAfter: null,
      joinTokenId: null,
      approvedBy: null,
      agentVersion: '0.1.0',
      createdAt: at,
      updatedAt: at,
      enrolledAt: at,
      lastHeartbeatAt: '2026-01-01T00:00:00.000Z',
      ...extra,
    }),
  );
  return hosts.get(id)!;
}

const stateOf = (id: string): HostState | undefined => hosts.get(id)?.state;

test('HostLiveness.load() gives hosts the restart grace: an active host last heard long ago stays active until suspectAfter', () => {
  insert('a', 'active');
  liveness.load(hosts.list(), clock.now().getTime());
  clock.advance(14_999);
  assert.equal(liveness.tick(clock.now()), []);
  clock.advance(1);
  assert.equal(liveness.tick(clock.now()).map((t) => [t.hostId, t.from, t.to]), [['a', 'active', 'suspect']]);
  assert.is(stateOf('a'), 'suspect');
  assert.is(reported.length, 1);
});

test('HostLiveness.load() at a restart gives a host that was already tracked the grace again', () => {
  const host = insert('a', 'active');
  liveness.track(host, clock.now().getTime());
  clock.advance(60_000); // the bus was down all this time: no tick ran, nobody could be heard
  liveness.load(hosts.list(), clock.now().getTime());
  assert.equal(liveness.tick(clock.now()), []);
  assert.is(stateOf('a'), 'active');
});

test('HostLiveness.load() drops a tracked host that is no longer enrolled', () => {
  const host = insert('a', 'active');
  liveness.track(host, clock.now().getTime());
  store.transaction(() => hosts.update('a', { state: 'retired', credentialHash: null }, { at: clock.now().toISOString() }));
  liveness.load(hosts.list(), clock.now().getTime());
  assert.is(liveness.latest('a'), undefined);
});

test('HostLiveness.load() keeps suspect and offline hosts as they were, and skips pending and retired ones', () => {
  insert('s', 'suspect');
  insert('o', 'offline');
  insert('p', 'pending');
  insert('r', 'retired');
  liveness.load(hosts.list(), clock.now().getTime());
  assert.equal(liveness.tick(clock.now()), []);
  assert.is(liveness.latest('p'), undefined);
  assert.is(liveness.latest('r'), undefined);
  clock.advance(30_000);
  assert.equal(liveness.tick(clock.now()).map((t) => [t.hostId, t.to]), [['s', 'offline']]);
});

test('HostLiveness.tick() moves a silent host to suspect, then offline, each persisted once and reported', () => {
  const host = insert('a', 'active');
  liveness.track(host, clock.now().getTime());
  clock.advance(15_000);
  liveness.tick(clock.now());
  clock.advance(1_000);
  assert.equal(liveness.tick(clock.now()), [], 'a step that changes nothing reports nothing');
  clock.advance(29_000);
  liveness.tick(clock.now());
  assert.is(stateOf('a'), 'offline');
  assert.equal(reported.map((t) => `${t.from}->${t.to}`), ['active->suspect', 'suspect->offline']);
  assert.is(hosts.get('a')!.updatedAt, clock.now().toISOString());
});

test('HostLiveness.heartbeat() brings an offline host back to active at once', () => {
  const host = insert('a', 'offline');
  liveness.load([host], clock.now().getTime());
  clock.advance(60_000);
  assert.is(liveness.heartbeat(host, clock.now(), health), 'active');
  assert.is(stateOf('a'), 'active');
  assert.equal(reported.map((t) => [t.from, t.to, t.at]), [['offline', 'active', clock.now().toISOString()]]);
});

test('HostLiveness.heartbeat() is not a disk write; flush() writes the latest heartbeats in one go', () => {
  const a = insert('a', 'active');
  const b = insert('b', 'active');
  liveness.load(hosts.list(), clock.now().getTime());
  const writes = store.writes;
  liveness.heartbeat(a, clock.now(), health);
  clock.advance(1_000);
  liveness.heartbeat(a, clock.now(), { ...health, load1: 2 });
  liveness.heartbeat(b, clock.now(), health);
  assert.is(store.writes, writes, 'no write per heartbeat');
  assert.is(hosts.get('a')!.lastHeartbeatAt, '2026-01-01T00:00:00.000Z');
  assert.is(liveness.latest('a')!.lastHeartbeatAt, clock.now().toISOString(), 'memory knows ahead of the store');
  assert.is(liveness.flush(), 2);
  assert.is(store.writes, writes + 1, 'one transaction for the batch');
  assert.is(hosts.get('a')!.lastHeartbeatAt, clock.now().toISOString());
  assert.is(hosts.get('a')!.health?.load1, 2);
  assert.is(hosts.get('a')!.updatedAt, '2026-01-01T00:00:00.000Z', 'being alive is not a change of the record');
  assert.is(liveness.flush(), 0, 'nothing new, nothing written');
});

test('HostLiveness.flush(limit) writes at most limit heartbeats per call, the rest on the next', () => {
  const records = ['a', 'b', 'c'].map((id) => insert(id, 'active'));
  liveness.load(hosts.list(), clock.now().getTime());
  for (const r of records) liveness.heartbeat(r, clock.now(), health);
  assert.is(liveness.flush(2), 2);
  assert.is(liveness.flush(2), 1);
  assert.is(liveness.flush(2), 0);
  assert.equal(records.map((r) => hosts.get(r.id)!.lastHeartbeatAt), records.map(() => clock.now().toISOString()));
});

test('HostLiveness.tick() leaves a host an operator retired in the meantime alone, and stops tracking it', () => {
  const host = insert('a', 'active');
  liveness.track(host, clock.now().getTime());
  store.transaction(() => hosts.update('a', { state: 'retired', credentialHash: null }, { at: clock.now().toISOString() }));
  clock.advance(60_000);
  assert.equal(liveness.tick(clock.now()), []);
  assert.is(stateOf('a'), 'retired');
  assert.is(liveness.latest('a'), undefined);
  assert.equal(reported, []);
});

test('HostLiveness.forget() drops a host and its unsaved heartbeat', () => {
  const host = insert('a', 'active');
  liveness.heartbeat(host, clock.now(), health);
  liveness.forget('a');
  assert.is(liveness.flush(), 0);
  clock.advance(60_000);
  assert.equal(liveness.tick(clock.now()), []);
});

test.run();
