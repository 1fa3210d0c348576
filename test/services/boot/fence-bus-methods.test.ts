// The fencing bus methods on a real BusServer and a real store. Power control
// here goes to a test double of the ipmitool process (a BMC that answers from
// memory), so the tests can hold calls open and count them; the real ipmitool
// against a real BMC is in ipmi-fence.test.ts.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BusClient, BusServer } from '../../../appliance/bus/index.ts';
import { createLogger } from '../../../appliance/log/index.ts';
import { openStore, type Store } from '../../../appliance/store/index.ts';
import { fenceBusMethods } from '../../../services/boot/fence-bus-methods.ts';
import { type IpmitoolRunner } from '../../../services/boot/fence/ipmi-driver.ts';
import { type IpmitoolRun } from '../../../services/boot/fence/parse-ipmitool-output.ts';
import { rejection } from '../../_support/refusal.ts';

const PASSWORD = 'Very-Secret-991';

/** IpmitoolDouble: answers `chassis power` like a BMC whose power state is a variable; each call waits for `gate` if set. */
class IpmitoolDouble {
  /** Power by BMC address; on until told otherwise. */
  readonly power = new Map<string, 'on' | 'off'>();
  running = 0;
  maxRunning = 0;
  readonly calls: string[] = [];
  /** `<BMC address> <command>` of every call. */
  readonly byBmc: string[] = [];
  gate: Promise<void> | undefined;
  readonly run: IpmitoolRunner = async (argv, { env }) => {
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      await this.gate;
      const command = argv[argv.length - 1]!;
      const bmc = argv[argv.indexOf('-H') + 1]!;
      this.calls.push(`${command} ${env.IPMI_PASSWORD === PASSWORD ? 'ok' : 'bad-password'}`);
      this.byBmc.push(`${bmc} ${command}`);
      if (env.IPMI_PASSWORD !== PASSWORD) return run(1, '', '> RAKP 2 HMAC is invalid\nError: Unable to establish IPMI v2 / RMCP+ session\n');
      if (command === 'status') return run(0, `Chassis Power is ${this.power.get(bmc) ?? 'on'}\n`);
      this.power.set(bmc, command === 'on' ? 'on' : 'off');
      return run(0, `Chassis Power Control: ${command === 'on' ? 'Up/On' : 'Down/Off'}\n`);
    } finally {
      this.running -= 1;
    }
  };
}

function run(exitCode: number, stdout: string, stderr = ''): IpmitoolRun {
  return { exitCode, stdout, stderr };
}

let dir: string;
let store: Store;
let server: BusServer;
let client: BusClient;
let ipmitool: IpmitoolDouble;
let notes: { kind: string; message: string; data: Record<string, unknown> }[];

const ipmiBmc = { hostId: 'host-1', driver: 'ipmi', address: '10.0.0.9', username: 'fence', password: PASSWORD };

test.before.each(async () => {
  dir = mkdtempSync(join(tmpdir(), 'alliance-fence-bus-'));
  store = openStore(join(dir, 'store.db'), { create: true });
  ipmitool = new IpmitoolDouble();
  notes = [];
  const methods = fenceBusMethods({
    store,
    now: () => new Date('2026-11-22T12:00:00.000Z'),
    note: (kind, _severity, message, data) => void notes.push({ kind, message, data }),
    keyFile: join(dir, 'secrets', 'bmc.key'),
    runIpmitool: ipmitool.run,
    tuning: { timeoutMs: 2000, pollMs: 50 },
  });
  server = await BusServer.open(methods, { log: createLogger('fatal'), workers: 4 });
  server.listen(`ipc://${join(dir, 'bus.sock')}`);
  client = await BusClient.connect(`ipc://${join(dir, 'bus.sock')}`);
});

test.after.each(async () => {
  client.close();
  await server.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('boot.bmc.set stores the password sealed under a 0600 key file and answers without it', async () => {
  const answer = await client.call('boot.bmc.set', ipmiBmc);
  assert.equal(answer, { hostId: 'host-1', driver: 'ipmi', address: '10.0.0.9', username: 'fence', target: 'ipmi://10.0.0.9', hasPassword: true, updatedAt: '2026-11-22T12:00:00.000Z' });
  assert.is(statSync(join(dir, 'secrets', 'bmc.key')).mode & 0o777, 0o600);
  const row = store.database.prepare('SELECT * FROM boot_bmcs').get() as Record<string, unknown>;
  assert.match(String(row.sealed_password), /^v1\./);
  assert.not.ok(JSON.stringify(row).includes(PASSWORD));
  assert.not.ok(readFileSync(join(dir, 'store.db')).includes(PASSWORD), 'the password is in the store file');
  assert.not.ok(JSON.stringify(notes).includes(PASSWORD));
});

test('boot.bmc.get answers the settings with hasPassword and never the password; boot.bmc.delete forgets them', async () => {
  await client.call('boot.bmc.set', { ...ipmiBmc, port: 6230, cipherSuite: 3 });
  const got = await client.call('boot.bmc.get', { hostId: 'host-1' });
  assert.equal(got, { hostId: 'host-1', driver: 'ipmi', address: '10.0.0.9', username: 'fence', port: 6230, cipherSuite: 3, target: 'ipmi://10.0.0.9:6230', hasPassword: true, updatedAt: '2026-11-22T12:00:00.000Z' });
  assert.equal(await client.call('boot.bmc.delete', { hostId: 'host-1' }), { hostId: 'host-1', deleted: true });
  assert.equal(await client.call('boot.bmc.delete', { hostId: 'host-1' }), { hostId: 'host-1', deleted: false });
  assert.is((await rejection(client.call('boot.bmc.get', { hostId: 'host-1' }))).code, 'APL_BOOT_BMC_NOT_SET');
});

test('boot.power runs fence-agent semantics through the driver and notes each action without the password', async () => {
  await client.call('boot.bmc.set', ipmiBmc);
  assert.equal(await client.call('boot.power', { hostId: 'host-1', action: 'off' }).then((a) => pick(a)), { power: 'off', status: 2 });
  assert.equal(ipmitool.calls, ['status ok', 'off ok', 'status ok']);
  assert.equal(await client.call('boot.power', { hostId: 'host-1', action: 'status' }).then((a) => pick(a)), { power: 'off', status: 2 });
  assert.equal(await client.call('boot.power', { hostId: 'host-1', action: 'reboot' }).then((a) => pick(a)), { power: 'on', status: 0 });
  assert.equal(notes.map((n) => n.kind), ['boot.bmc.set', 'boot.power', 'boot.power', 'boot.power']);
  assert.equal(notes[1]!.data, { hostId: 'host-1', action: 'off', bmc: 'ipmi://10.0.0.9', ok: true, tookMs: notes[1]!.data.tookMs, power: 'off' });
  assert.not.ok(JSON.stringify(notes).includes(PASSWORD));
});

test('boot.power serialises actions on one host and runs other hosts side by side', async () => {
  await client.call('boot.bmc.set', ipmiBmc);
  await client.call('boot.bmc.set', { ...ipmiBmc, hostId: 'host-2', address: '10.0.0.10' });
  let open!: () => void;
  ipmitool.gate = new Promise((resolve) => (open = resolve));
  const off = client.call('boot.power', { hostId: 'host-1', action: 'off' });
  void off.catch(() => undefined);
  // The off holds host-1 before the on arrives (the bus may otherwise serve them in either order).
  while (ipmitool.running < 1) await new Promise((resolve) => setImmediate(resolve));
  const same = [off, client.call('boot.power', { hostId: 'host-1', action: 'on' })];
  const other = client.call('boot.power', { hostId: 'host-2', action: 'status' });
  // Settled whatever happens, so a failed assertion below does not leave calls to reject unhandled.
  const settled = Promise.allSettled([...same, other]);
  try {
    while (ipmitool.running < 2) await new Promise((resolve) => setImmediate(resolve));
    // One more turn for a wrongly unserialised third call to arrive.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.is(ipmitool.running, 2, 'host-1 had two calls in flight, or host-2 waited for host-1');
  } finally {
    open();
    await settled;
  }
  const answers = (await Promise.all([...same, other])).map((a) => pick(a));
  assert.equal(answers, [{ power: 'off', status: 2 }, { power: 'on', status: 0 }, { power: 'on', status: 0 }]);
  // host-1's off ran whole (read, off, read back) before its on began.
  assert.equal(ipmitool.byBmc.filter((c) => c.startsWith('10.0.0.9 ')), ['status', 'off', 'status', 'status', 'on', 'status'].map((c) => `10.0.0.9 ${c}`));
  assert.is(ipmitool.maxRunning, 2);
});

test('boot.power waiting behind a stuck action on the same host ends with the caller deadline, the first still finishes', async () => {
  await client.call('boot.bmc.set', ipmiBmc);
  let open!: () => void;
  ipmitool.gate = new Promise((resolve) => (open = resolve));
  const first = client.call('boot.power', { hostId: 'host-1', action: 'off' }, { timeoutMs: 5000 });
  void first.catch(() => undefined);
  // The off holds host-1 (its first read is stuck at the gate) before the on arrives.
  while (ipmitool.running < 1) await new Promise((resolve) => setImmediate(resolve));
  const deadline = Date.now() + 300;
  const second = await rejection(client.call('boot.power', { hostId: 'host-1', action: 'on' }, { timeoutMs: 300 }));
  // The client may give up a moment before the server's signal for the same deadline fires; the stuck
  // action is released only once the server side has surely passed it too.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline + 150 - Date.now())));
  open();
  assert.ok(['APL_BUS_DEADLINE', 'APL_BOOT_POWER_BUSY'].includes(second.code ?? ''), `${second.code}: ${second.message}`);
  assert.equal(pick(await first), { power: 'off', status: 2 });
  assert.equal(ipmitool.calls, ['status ok', 'off ok', 'status ok'], 'the timed-out on ran anyway');
});

test('boot.power with a password sealed under another key fails with APL_BOOT_SECRET_UNREADABLE', async () => {
  await client.call('boot.bmc.set', ipmiBmc);
  const row = store.database.prepare('SELECT sealed_password FROM boot_bmcs').get() as { sealed_password: string };
  store.database.prepare('INSERT INTO boot_bmcs SELECT ?, driver, address, port, username, sealed_password, cipher_suite, system_id, tls_fingerprint, tls_ca_pem, updated_at FROM boot_bmcs').run('host-copy');
  assert.match(row.sealed_password, /^v1\./);
  const err = await rejection(client.call('boot.power', { hostId: 'host-copy', action: 'off' }));
  assert.is(err.code, 'APL_BOOT_SECRET_UNREADABLE', 'a password copied onto another host opened');
  assert.equal(ipmitool.calls, []);
});

const badRows: Record<string, string> = {
  'a driver other than ipmi or redfish': `'h', 'amt', 'bmc', NULL, 'u', 'v1.x', NULL, NULL, NULL, NULL, 't'`,
  'a Redfish BMC without a system id': `'h', 'redfish', 'https://bmc', NULL, 'u', 'v1.x', NULL, NULL, 'AB', NULL, 't'`,
  'a Redfish BMC without TLS trust': `'h', 'redfish', 'https://bmc', NULL, 'u', 'v1.x', NULL, '1', NULL, NULL, 't'`,
  'port 70000': `'h', 'ipmi', 'bmc', 70000, 'u', 'v1.x', NULL, NULL, NULL, NULL, 't'`,
};
for (const [name, values] of Object.entries(badRows)) {
  test(`store migration 5 refuses a boot_bmcs row with ${name}`, () => {
    assert.throws(() => store.database.prepare(`INSERT INTO boot_bmcs VALUES (${values})`).run(), /CHECK constraint failed/);
  });
}

const badCalls: Record<string, [string, unknown, string]> = {
  'set without a password': ['boot.bmc.set', { ...ipmiBmc, password: undefined }, 'APL_BUS_INVALID_PARAMS'],
  'set with an unknown field': ['boot.bmc.set', { ...ipmiBmc, insecure: true }, 'APL_BUS_INVALID_PARAMS'],
  'set with an unknown driver': ['boot.bmc.set', { ...ipmiBmc, driver: 'amt' }, 'APL_BUS_INVALID_PARAMS'],
  'set with a bad address': ['boot.bmc.set', { ...ipmiBmc, address: '-oProxyCommand=sh' }, 'APL_BOOT_BMC_SETTINGS_INVALID'],
  'set with an oversize password': ['boot.bmc.set', { ...ipmiBmc, password: 'x'.repeat(100_000) }, 'APL_BUS_INVALID_PARAMS'],
  'set with an oversize CA': ['boot.bmc.set', { ...ipmiBmc, driver: 'redfish', address: 'https://bmc', systemId: '1', tlsCaPem: 'x'.repeat(20_000) }, 'APL_BUS_INVALID_PARAMS'],
  'set with a host id of 1000 characters': ['boot.bmc.set', { ...ipmiBmc, hostId: 'h'.repeat(1000) }, 'APL_BUS_INVALID_PARAMS'],
  'set with a port as a string': ['boot.bmc.set', { ...ipmiBmc, port: '623' }, 'APL_BUS_INVALID_PARAMS'],
  'get of an unknown host': ['boot.bmc.get', { hostId: 'nobody' }, 'APL_BOOT_BMC_NOT_SET'],
  'get with a host id that is a path': ['boot.bmc.get', { hostId: '../../etc/passwd' }, 'APL_BUS_INVALID_PARAMS'],
  'power of an unknown host': ['boot.power', { hostId: 'nobody', action: 'off' }, 'APL_BOOT_BMC_NOT_SET'],
  'power with an unknown action': ['boot.power', { hostId: 'host-1', action: 'cycle' }, 'APL_BUS_INVALID_PARAMS'],
  'power without an action': ['boot.power', { hostId: 'host-1' }, 'APL_BUS_INVALID_PARAMS'],
  'power with a timeout of an hour': ['boot.power', { hostId: 'host-1', action: 'off', timeoutMs: 3_600_000 }, 'APL_BUS_INVALID_PARAMS'],
  'delete with no host id': ['boot.bmc.delete', {}, 'APL_BUS_INVALID_PARAMS'],
};
for (const [name, [method, params, code]] of Object.entries(badCalls)) {
  test(`${method} refuses ${name} with ${code}, stores nothing and keeps serving`, async () => {
    const err = await rejection(client.call(method, params));
    assert.is(err.code, code, err.message);
    assert.not.ok(err.message.includes(PASSWORD));
    assert.is((store.database.prepare('SELECT count(*) AS n FROM boot_bmcs').get() as { n: number }).n, 0);
    assert.equal(ipmitool.calls, []);
    assert.is((await client.call<{ deleted: boolean }>('boot.bmc.delete', { hostId: 'host-1' })).deleted, false);
  });
}

function pick(answer: unknown): { power: unknown; status: unknown } {
  const a = answer as { power: unknown; status: unknown };
  return { power: a.power, status: a.status };
}

test.run();
