import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openStore, type Store } from '../../../appliance/store/index.ts';
import { formatLeaseFile, LeaseDatabase, type Lease } from '../../../services/boot/lease-database.ts';
import { parseLeaseHookCall, type HookEnvironment } from '../../../services/boot/lease-hook.ts';

let store: Store;
let leases: LeaseDatabase;

test.before.each(() => {
  store = openStore(':memory:', { create: true });
  leases = new LeaseDatabase(store.database);
});

test.after.each(() => {
  store.close();
});

const now = new Date('2026-11-22T12:00:00.000Z');
const nowSeconds = now.getTime() / 1000;
const env: HookEnvironment = { DNSMASQ_INTERFACE: 'prov0', DNSMASQ_LEASE_EXPIRES: String(nowSeconds + 3600), DNSMASQ_CLIENT_ID: '01:52:54:00:00:00:01' };
const hook = (argv: string[], e: HookEnvironment = env) => parseLeaseHookCall(argv, e);
const apply = (argv: string[], e?: HookEnvironment, at = now) => store.transaction(() => leases.apply(hook(argv, e), { now: at }));

test('LeaseDatabase.apply() stores an add with its expiry, client id and interface', () => {
  assert.is(apply(['add', '52:54:00:00:00:01', '10.20.0.101', 'node-1']), 'stored');
  assert.equal(leases.list(), [
    { ip: '10.20.0.101', mac: '52:54:00:00:00:01', hostname: 'node-1', clientId: '01:52:54:00:00:00:01', expiresAt: nowSeconds + 3600, interface: 'prov0', updatedAt: now.toISOString() },
  ]);
});

test('LeaseDatabase.apply() is idempotent for a repeated add and updates on old', () => {
  apply(['add', '52:54:00:00:00:01', '10.20.0.101']);
  apply(['add', '52:54:00:00:00:01', '10.20.0.101']);
  const later = new Date(now.getTime() + 60_000);
  apply(['old', '52:54:00:00:00:01', '10.20.0.101', 'node-1'], { DNSMASQ_TIME_REMAINING: '3600' }, later);
  assert.equal(leases.list(), [
    { ip: '10.20.0.101', mac: '52:54:00:00:00:01', hostname: 'node-1', clientId: null, expiresAt: nowSeconds + 60 + 3600, interface: 'prov0', updatedAt: later.toISOString() },
  ]);
});

test('LeaseDatabase.apply() gives an address to its new holder, one lease per address as in dnsmasq', () => {
  apply(['add', '52:54:00:00:00:01', '10.20.0.101']);
  apply(['add', '52:54:00:00:00:02', '10.20.0.101']);
  assert.equal(leases.list().map((l) => [l.ip, l.mac]), [['10.20.0.101', '52:54:00:00:00:02']]);
});

test('LeaseDatabase.apply() removes on del, idempotently, and never the lease of another MAC', () => {
  apply(['add', '52:54:00:00:00:01', '10.20.0.101']);
  apply(['add', '52:54:00:00:00:02', '10.20.0.102']);
  assert.is(apply(['del', '52:54:00:00:00:01', '10.20.0.102']), 'unchanged');
  assert.is(apply(['del', '52:54:00:00:00:01', '10.20.0.101']), 'removed');
  assert.is(apply(['del', '52:54:00:00:00:01', '10.20.0.101']), 'unchanged');
  assert.equal(leases.list().map((l) => l.mac), ['52:54:00:00:00:02']);
  assert.equal(leases.byMac('52:54:00:00:00:02').map((l) => l.ip), ['10.20.0.102']);
});

test('LeaseDatabase.apply() stores a lease without expiry as never ending and ignores tftp and init', () => {
  apply(['add', '52:54:00:00:00:01', '10.20.0.101'], {});
  assert.is(apply(['tftp', '100', '10.20.0.101', '/usr/lib/ipxe/undionly.kpxe']), 'unchanged');
  assert.is(apply(['init']), 'unchanged');
  assert.equal(leases.list().map((l) => [l.expiresAt, l.interface]), [[0, null]]);
});

const lease = (ip: string, mac: string, expiresAt: number, extra: Partial<Lease> = {}): Lease => ({ ip, mac, hostname: null, clientId: null, expiresAt, interface: 'prov0', updatedAt: now.toISOString(), ...extra });

const files: Record<string, { leases: Lease[]; expected: string }> = {
  'no leases as an empty file': { leases: [], expected: '' },
  'host name and client id, or * for each': {
    leases: [lease('10.20.0.101', '52:54:00:00:00:01', nowSeconds + 10, { hostname: 'node-1', clientId: '01:52:54:00:00:00:01' }), lease('10.20.0.102', '52:54:00:00:00:02', nowSeconds + 20)],
    expected: `${nowSeconds + 10} 52:54:00:00:00:01 10.20.0.101 node-1 01:52:54:00:00:00:01\n${nowSeconds + 20} 52:54:00:00:00:02 10.20.0.102 * *\n`,
  },
  'never-ending leases with expiry 0, without expired ones': {
    leases: [lease('10.20.0.101', '52:54:00:00:00:01', 0), lease('10.20.0.102', '52:54:00:00:00:02', nowSeconds), lease('10.20.0.103', '52:54:00:00:00:03', nowSeconds - 1)],
    expected: '0 52:54:00:00:00:01 10.20.0.101 * *\n',
  },
};

for (const [name, c] of Object.entries(files)) {
  test(`formatLeaseFile() writes ${name}`, () => {
    assert.is(formatLeaseFile(c.leases, now), c.expected);
  });
}

test('formatLeaseFile() prints what the hook stored, for dnsmasq init after a restart', () => {
  apply(['add', '52:54:00:00:00:01', '10.20.0.101', 'node-1']);
  apply(['add', '52:54:00:00:00:02', '10.20.0.102'], { DNSMASQ_LEASE_EXPIRES: String(nowSeconds + 60) });
  assert.is(
    formatLeaseFile(leases.list(), now),
    `${nowSeconds + 3600} 52:54:00:00:00:01 10.20.0.101 node-1 01:52:54:00:00:00:01\n${nowSeconds + 60} 52:54:00:00:00:02 10.20.0.102 * *\n`,
  );
});

test.run();
