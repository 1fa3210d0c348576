// The lease hook's path for real: runLeaseHook() → the appliance's bus on an ipc
// socket (a real BusServer serving bootBusMethods) → LeaseDatabase in a real store.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BusClient, BusServer } from '../../../appliance/bus/index.ts';
import { dataDirLayout, type DataDirLayout } from '../../../appliance/data-dir/index.ts';
import { createLogger } from '../../../appliance/log/index.ts';
import { openStore, type Store } from '../../../appliance/store/index.ts';
import { bootBusMethods } from '../../../services/boot/boot-bus-methods.ts';
import { LeaseDatabase } from '../../../services/boot/lease-database.ts';
import { runLeaseHook } from '../../../services/boot/lease-hook-command.ts';
import { replayLeaseSpool } from '../../../services/boot/boot-service.ts';
import { leaseSpoolDir, readLeaseSpool, spoolLeaseCall } from '../../../services/boot/lease-spool.ts';
import { bootModule } from '../../../services/boot/main.ts';
import { rejection } from '../../_support/refusal.ts';

const now = new Date('2026-11-22T12:00:00.000Z');
const expires = String(now.getTime() / 1000 + 600);
const env = { DNSMASQ_LEASE_EXPIRES: expires, DNSMASQ_INTERFACE: 'eth0', PATH: '/usr/bin', HOME: '/root' };

let dir: string;
let layout: DataDirLayout;
let store: Store;
let server: BusServer;

async function hook(args: readonly string[], e: Record<string, string> = env): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runLeaseHook({ args: ['lease-hook', ...args], env: e, layout, out: (text) => void (out += text), log: createLogger('fatal') }, () => now);
  return { code, out };
}

test.before.each(async () => {
  dir = mkdtempSync(join(tmpdir(), 'alliance-lease-hook-'));
  layout = dataDirLayout(dir);
  mkdirSync(layout.runDir, { recursive: true });
  store = openStore(join(dir, 'store.db'), { create: true });
  server = await BusServer.open(bootBusMethods({ store, now: () => now }), { log: createLogger('fatal'), workers: 2 });
  server.listen(`ipc://${layout.busSocket}`);
});

test.after.each(async () => {
  await server.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('runLeaseHook() stores an add in the appliance before it returns', async () => {
  assert.equal(await hook(['add', '52:54:00:00:00:01', '10.20.0.101', 'node-1']), { code: 0, out: '' });
  const leases = new LeaseDatabase(store.database).list();
  assert.equal(leases.map((l) => [l.mac, l.ip, l.hostname, l.expiresAt, l.interface]), [['52:54:00:00:00:01', '10.20.0.101', 'node-1', Number(expires), 'eth0']]);
});

test('runLeaseHook() prints the appliance leases as dnsmasq lease file lines on init', async () => {
  await hook(['add', '52:54:00:00:00:01', '10.20.0.101', 'node-1']);
  await hook(['add', '52:54:00:00:00:02', '10.20.0.102']);
  assert.equal(await hook(['init']), { code: 0, out: `${expires} 52:54:00:00:00:01 10.20.0.101 node-1 *\n${expires} 52:54:00:00:00:02 10.20.0.102 * *\n` });
});

test('runLeaseHook() removes a lease on del', async () => {
  await hook(['add', '52:54:00:00:00:01', '10.20.0.101']);
  await hook(['del', '52:54:00:00:00:01', '10.20.0.101']);
  assert.equal(await hook(['init']), { code: 0, out: '' });
});

const garbage: Record<string, readonly string[]> = {
  'an unknown action': ['renew', '52:54:00:00:00:01', '10.20.0.101'],
  'a bad MAC': ['add', 'not-a-mac', '10.20.0.101'],
  'no arguments': [],
  'too many arguments': ['add', '52:54:00:00:00:01', '10.20.0.101', 'a', 'b'],
};
for (const [name, args] of Object.entries(garbage)) {
  test(`runLeaseHook() refuses ${name} with APL_BOOT_HOOK_CALL_INVALID and stores nothing`, async () => {
    const err = await rejection(hook(args));
    assert.is(err.code, 'APL_BOOT_HOOK_CALL_INVALID');
    assert.equal(new LeaseDatabase(store.database).list(), []);
  });
}

test('runLeaseHook() keeps a lease change on disk, synced, at once when the appliance is not running', async () => {
  await server.close();
  rmSync(layout.busSocket, { force: true });
  const started = Date.now();
  const { code } = await hook(['add', '52:54:00:00:00:01', '10.20.0.101']);
  assert.is(code, 0);
  assert.ok(Date.now() - started < 3_500, 'within the hook timeout');
  const spooled = readLeaseSpool(leaseSpoolDir(dir));
  assert.equal(spooled.map((e) => ('call' in e ? e.call : e.problem)), [{ argv: ['add', '52:54:00:00:00:01', '10.20.0.101'], env: { DNSMASQ_LEASE_EXPIRES: expires, DNSMASQ_INTERFACE: 'eth0' } }]);
  server = await BusServer.open({}, { log: createLogger('fatal') });
});

test('runLeaseHook() spools within its timeout when a stale socket is left behind', async () => {
  await server.close();
  rmSync(layout.busSocket, { force: true });
  writeFileSync(layout.busSocket, '');
  const started = Date.now();
  assert.is((await hook(['del', '52:54:00:00:00:01', '10.20.0.101'])).code, 0);
  assert.ok(Date.now() - started < 4_000, `took ${Date.now() - started} ms`);
  assert.is(readLeaseSpool(leaseSpoolDir(dir)).length, 1);
  server = await BusServer.open({}, { log: createLogger('fatal') });
});

test('runLeaseHook() refuses init and spools nothing while the appliance is down: it has no leases to print', async () => {
  await server.close();
  rmSync(layout.busSocket, { force: true });
  const err = await rejection(hook(['init']));
  assert.is(err.code, 'APL_BOOT_HOOK_APPLIANCE_DOWN');
  assert.is(readLeaseSpool(leaseSpoolDir(dir)).length, 0);
  server = await BusServer.open({}, { log: createLogger('fatal') });
});

test('runLeaseHook() spools nothing for a call it refuses', async () => {
  await server.close();
  rmSync(layout.busSocket, { force: true });
  const err = await rejection(hook(['add', '52:54:00:00:00:01', '10.20.0.1; reboot']));
  assert.is(err.code, 'APL_BOOT_HOOK_CALL_INVALID');
  assert.is(readLeaseSpool(leaseSpoolDir(dir)).length, 0);
  server = await BusServer.open({}, { log: createLogger('fatal') });
});

test('replayLeaseSpool() stores what was spooled, drops what the appliance refuses or cannot read, and keeps the rest while it is down', async () => {
  const spool = leaseSpoolDir(dir);
  spoolLeaseCall(spool, { argv: ['add', '52:54:00:00:00:01', '10.20.0.101'], env: { DNSMASQ_LEASE_EXPIRES: expires } }, new Date(now.getTime() + 1));
  spoolLeaseCall(spool, { argv: ['add', '52:54:00:00:00:02', '10.20.0.1; reboot'], env: {} }, new Date(now.getTime() + 2));
  writeFileSync(join(spool, '000000000000003-00000000.json'), '{"argv": "not a list"');
  spoolLeaseCall(spool, { argv: ['add', '52:54:00:00:00:03', '10.20.0.103'], env: { DNSMASQ_LEASE_EXPIRES: expires } }, new Date(now.getTime() + 4));
  const client = await BusClient.connect(`ipc://${layout.busSocket}`, { timeoutMs: 2000 });
  try {
    // Down first: nothing is lost, nothing is dropped but the unreadable file.
    let calls = 0;
    const down = () => {
      calls += 1;
      return Promise.reject(new Error('connection refused'));
    };
    assert.is(await replayLeaseSpool(spool, down, createLogger('fatal')), 0);
    assert.is(calls, 1, 'stops at the first call the appliance could not take');
    assert.is(readLeaseSpool(spool).length, 3);

    assert.is(await replayLeaseSpool(spool, (call) => client.call('boot.lease', call), createLogger('fatal')), 2);
    assert.equal(new LeaseDatabase(store.database).list().map((l) => l.mac).sort(), ['52:54:00:00:00:01', '52:54:00:00:00:03']);
    assert.equal(readLeaseSpool(spool), []);
  } finally {
    client.close();
  }
});

test('boot.lease on the bus refuses a call dnsmasq never makes, whoever sends it', async () => {
  const client = await BusClient.connect(`ipc://${layout.busSocket}`, { timeoutMs: 2000 });
  try {
    const badArgs = await rejection(client.call('boot.lease', { argv: ['add', '52:54:00:00:00:01', '10.20.0.1; reboot'], env: {} }));
    assert.is(badArgs.code, 'APL_BOOT_HOOK_CALL_INVALID');
    const badEnv = await rejection(client.call('boot.lease', { argv: ['add', '52:54:00:00:00:01', '10.20.0.101'], env: { LD_PRELOAD: '/x.so' } }));
    assert.match(badEnv.code ?? '', /^APL_BUS_/);
    assert.equal(new LeaseDatabase(store.database).list(), []);
  } finally {
    client.close();
  }
});

test('bootModule.run() refuses a subcommand other than lease-hook', async () => {
  const err = await rejection(Promise.resolve().then(() => bootModule.run!({ args: ['lease-hoo'], env: {}, layout } as never)));
  assert.is(err.code, 'APL_BOOT_COMMAND_UNKNOWN');
});

test.run();
