// Fencing over Redfish: boot.power on a real BusServer → RedfishDriver → the
// production HTTPS transport (redfishHttpsTransport) → RedfishBmcDouble, a test
// double of a BMC (no real Redfish BMC runs here) speaking HTTPS on loopback.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BusClient, BusServer } from '../../../appliance/bus/index.ts';
import { makeSelfSignedCertificate } from '../../../appliance/identity/index.ts';
import { createLogger } from '../../../appliance/log/index.ts';
import { openStore, type Store } from '../../../appliance/store/index.ts';
import { fenceBusMethods } from '../../../services/boot/fence-bus-methods.ts';
import { redfishDriver } from '../../../services/boot/fence/redfish-driver.ts';
import { redfishHttpsTransport } from '../../../services/boot/fence/redfish-transport.ts';
import { SecretValue } from '../../../services/boot/fence/secret-value.ts';
import { RedfishBmcDouble } from '../../_support/redfish-bmc-double.ts';
import { rejection } from '../../_support/refusal.ts';
import { readFileSync } from 'node:fs';

const HOST = 'host-redfish-1';
const PASSWORD = 'rf-Secret-2207';

let dir: string;
let store: Store;
let server: BusServer;
let client: BusClient;
let bmc: RedfishBmcDouble;
let notes: { kind: string; message: string; data: Record<string, unknown> }[];

interface PowerAnswer {
  power: string;
  status: number;
  reason?: string;
}

const power = (action: string, timeoutMs = 15_000): Promise<PowerAnswer> => client.call<PowerAnswer>('boot.power', { hostId: HOST, action }, { timeoutMs });
const setBmc = (trust: { tlsFingerprint?: string; tlsCaPem?: string }, password = PASSWORD): Promise<unknown> =>
  client.call('boot.bmc.set', { hostId: HOST, driver: 'redfish', address: bmc.baseUrl, systemId: bmc.systemId, username: 'fence', password, ...trust });

test.before.each(async () => {
  dir = mkdtempSync(join(tmpdir(), 'alliance-redfish-fence-'));
  store = openStore(join(dir, 'store.db'), { create: true });
  bmc = await RedfishBmcDouble.start({ dir, user: 'fence', password: PASSWORD, systemId: 'System.Embedded.1', poweringOffMs: 300 });
  notes = [];
  const methods = fenceBusMethods({
    store,
    now: () => new Date(),
    note: (kind, _severity, message, data) => void notes.push({ kind, message, data }),
    keyFile: join(dir, 'secrets', 'bmc.key'),
    tuning: { timeoutMs: 5000, pollMs: 100, callTimeoutMs: 2000, redfishTimeoutMs: 2000 },
  });
  server = await BusServer.open(methods, { log: createLogger('fatal'), workers: 4 });
  server.listen(`ipc://${join(dir, 'bus.sock')}`);
  client = await BusClient.connect(`ipc://${join(dir, 'bus.sock')}`);
});

test.after.each(async () => {
  client?.close();
  await server?.close();
  await bmc?.stop();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('boot.power over Redfish with a pinned certificate: status, on, off (waits out PoweringOff), reboot', async () => {
  await setBmc({ tlsFingerprint: bmc.fingerprint.replace(/:/g, '').toLowerCase() });
  assert.equal(await power('status').then((a) => [a.power, a.status]), ['off', 2]);
  assert.is((await power('on')).power, 'on');
  assert.is(bmc.power, 'On');
  assert.equal(await power('status').then((a) => [a.power, a.status]), ['on', 0]);
  assert.is((await power('off')).power, 'off');
  assert.is(bmc.power, 'Off');
  // off read PoweringOff at least once before Off: the state read back is what counts.
  const offReads = bmc.exchanges.filter((e) => e.method === 'GET').length;
  assert.ok(offReads >= 5, `only ${offReads} reads`);
  await power('on');
  assert.is((await power('reboot')).power, 'on');
  assert.equal(
    bmc.exchanges.filter((e) => e.method === 'POST').map((e) => `${e.resetType} ${e.status}`),
    ['On 204', 'ForceOff 204', 'On 204', 'ForceOff 204', 'On 204'],
  );
  assert.ok(bmc.exchanges.every((e) => e.authorised));
  assert.not.ok(JSON.stringify(notes).includes(PASSWORD));
});

test('boot.power over Redfish trusting a CA file checks the chain and the address', async () => {
  await setBmc({ tlsCaPem: bmc.certificatePem });
  assert.is((await power('on')).power, 'on');
  const other = join(dir, 'other');
  await makeSelfSignedCertificate(join(other, 'ca.crt'), join(other, 'ca.key'), { commonName: 'someone else', dnsNames: [], ipAddresses: ['127.0.0.1'], now: new Date(), days: 1 });
  await setBmc({ tlsCaPem: readFileSync(join(other, 'ca.crt'), 'utf8') });
  const before = bmc.exchanges.length;
  const err = await rejection(power('off'));
  assert.is(err.code, 'APL_BOOT_FENCE_FAILED', err.message);
  assert.match(err.message, /TLS with 127\.0\.0\.1:\d+ failed/);
  assert.is(bmc.exchanges.length, before, 'a request reached a BMC that is not trusted');
  assert.is(bmc.power, 'On');
});

test('boot.power refuses a BMC whose certificate is not the pinned one, before sending the password', async () => {
  await setBmc({ tlsFingerprint: 'AB:'.repeat(31) + 'AB' });
  const err = await rejection(power('off'));
  assert.is(err.code, 'APL_BOOT_FENCE_FAILED', err.message);
  assert.match(err.message, /is not the pinned one; nothing was sent/);
  assert.equal(bmc.exchanges, []);
  const status = await power('status');
  assert.equal([status.power, status.status], ['unreachable', 1]);
});

test('boot.power with a wrong password fails with APL_BOOT_FENCE_AUTH, for status too', async () => {
  bmc.power = 'On';
  await setBmc({ tlsFingerprint: bmc.fingerprint }, 'wrong-password');
  for (const action of ['status', 'off']) {
    const err = await rejection(power(action));
    assert.is(err.code, 'APL_BOOT_FENCE_AUTH', err.message);
    assert.match(err.message, /HTTP 401: There are insufficient privileges/);
    assert.not.ok(err.message.includes('wrong-password'));
  }
  assert.is(bmc.power, 'On');
});

test('boot.power against a BMC that never answers: off fails with a timeout within the deadline', async () => {
  await setBmc({ tlsFingerprint: bmc.fingerprint });
  bmc.hang = true;
  const started = Date.now();
  const err = await rejection(power('off'));
  assert.ok(Date.now() - started < 6000, `took ${Date.now() - started} ms`);
  assert.ok(['APL_BOOT_FENCE_TIMEOUT', 'APL_BOOT_FENCE_UNREACHABLE'].includes(err.code ?? ''), `${err.code}: ${err.message}`);
});

test('redfishDriver() over the HTTPS transport counts 409 (already in that state) as done', async () => {
  bmc.power = 'On';
  const driver = redfishDriver({ baseUrl: bmc.baseUrl, systemId: bmc.systemId, user: 'fence' }, { password: new SecretValue(PASSWORD), transport: redfishHttpsTransport({ tls: { fingerprint: bmc.fingerprint } }) });
  const signal = AbortSignal.timeout(5000);
  assert.equal(await driver.call('power-on', { signal }), { ok: true });
  assert.equal(await driver.call('read-state', { signal }), { ok: true, power: 'on' });
  assert.equal(bmc.exchanges.map((e) => `${e.method} ${e.resetType ?? ''} ${e.status}`.replace('  ', ' ')), ['POST On 409', 'GET 200']);
});

test('redfishHttpsTransport() refuses plain http and a missing trust', async () => {
  assert.throws(() => redfishHttpsTransport({ tls: {} }), /neither a certificate pin nor a CA/);
  assert.throws(() => redfishHttpsTransport({ tls: { fingerprint: 'abc' } }), /not a SHA-256/);
  const transport = redfishHttpsTransport({ tls: { fingerprint: bmc.fingerprint } });
  const err = await rejection(transport({ method: 'GET', url: `http://127.0.0.1:1/redfish/v1/Systems/1`, headers: {} }, { signal: AbortSignal.timeout(1000) }));
  assert.match(err.message, /refused to send BMC credentials over http/);
});

test.run();
