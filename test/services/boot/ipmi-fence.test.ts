// Fencing through a real IPMI BMC: boot.power on a real BusServer → IpmiDriver →
// the real `ipmitool -I lanplus` → ipmi_sim (OpenIPMI) on loopback UDP, whose
// machine is a real qemu process. "Off" is checked against the process table.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BusClient, BusServer } from '../../../appliance/bus/index.ts';
import { createLogger } from '../../../appliance/log/index.ts';
import { openStore, type Store } from '../../../appliance/store/index.ts';
import { fenceBusMethods } from '../../../services/boot/fence-bus-methods.ts';
import { freeUdpPort, type IpmiSim, startIpmiSim } from '../../_support/ipmi-sim.ts';
import { rejection } from '../../_support/refusal.ts';

const HOST = 'host-ipmi-1';
const PASSWORD = 'fence-Pw-7731';

interface Noted {
  kind: string;
  severity: string;
  message: string;
  data: Record<string, unknown>;
}

let dir: string;
let store: Store;
let server: BusServer;
let client: BusClient;
let sim: IpmiSim;
let notes: Noted[];

interface PowerAnswer {
  power: string;
  status: number;
  tookMs: number;
  warning?: string;
  reason?: string;
}

const power = (action: string, hostId = HOST, timeoutMs = 30_000): Promise<PowerAnswer> => client.call<PowerAnswer>('boot.power', { hostId, action }, { timeoutMs });
const setBmc = (port: number, password = PASSWORD, hostId = HOST): Promise<unknown> =>
  client.call('boot.bmc.set', { hostId, driver: 'ipmi', address: '127.0.0.1', port, username: 'fenceop', password, cipherSuite: 3 });

test.before.each(async () => {
  dir = mkdtempSync(join(tmpdir(), 'alliance-ipmi-fence-'));
  store = openStore(join(dir, 'store.db'), { create: true });
  notes = [];
  sim = await startIpmiSim({ user: 'fenceop', password: PASSWORD });
  const methods = fenceBusMethods({
    store,
    now: () => new Date(),
    note: (kind, severity, message, data) => void notes.push({ kind, severity, message, data }),
    keyFile: join(dir, 'secrets', 'bmc.key'),
    tuning: { timeoutMs: 15_000, pollMs: 200, callTimeoutMs: 8000, ipmitoolTimeoutS: 1, ipmitoolRetries: 1 },
  });
  server = await BusServer.open(methods, { log: createLogger('fatal'), workers: 4 });
  server.listen(`ipc://${join(dir, 'bus.sock')}`);
  client = await BusClient.connect(`ipc://${join(dir, 'bus.sock')}`);
});

test.after.each(async () => {
  client?.close();
  await server?.close();
  store?.close();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('boot.power drives a real BMC: status off, on starts the VM, off kills it (verified), on again, reboot replaces it', async () => {
  await setBmc(sim.port);
  assert.equal(await power('status').then((a) => [a.power, a.status]), ['off', 2]);
  assert.is(sim.vmPid(), undefined);

  assert.is((await power('on')).power, 'on');
  const first = await sim.waitForVm(10_000);
  assert.equal(await power('status').then((a) => [a.power, a.status]), ['on', 0]);

  const off = await power('off');
  assert.is(off.power, 'off');
  // The fence said off only after reading it back; by then the process must be gone.
  assert.is(sim.vmPid(), undefined, 'qemu still runs after a successful off');
  assert.equal(await power('status').then((a) => [a.power, a.status]), ['off', 2]);

  assert.is((await power('on')).power, 'on');
  const second = await sim.waitForVm(10_000);
  assert.is.not(second, first);

  const reboot = await power('reboot');
  assert.equal([reboot.power, reboot.warning], ['on', undefined]);
  const third = await sim.waitForVm(10_000);
  assert.is.not(third, second, 'reboot did not replace the VM process');

  const kinds = notes.map((n) => (typeof n.data.action === 'string' ? `${n.kind} ${n.data.action}` : n.kind));
  assert.equal(kinds, ['boot.bmc.set', 'boot.power status', 'boot.power on', 'boot.power status', 'boot.power off', 'boot.power status', 'boot.power on', 'boot.power reboot']);
  assert.not.ok(JSON.stringify(notes).includes(PASSWORD), 'a journal note holds the password');
});

test('boot.power with a wrong password fails with APL_BOOT_FENCE_AUTH and leaves the VM running', async () => {
  await setBmc(sim.port);
  await power('on');
  const pid = await sim.waitForVm(10_000);
  await setBmc(sim.port, 'not-the-password');
  for (const action of ['status', 'off']) {
    const err = await rejection(power(action));
    assert.is(err.code, 'APL_BOOT_FENCE_AUTH', `${action}: ${err.message}`);
    assert.match(err.message, /refused the credentials/);
    assert.not.ok(err.message.includes('not-the-password'));
  }
  assert.is(sim.vmPid(), pid);
  assert.equal(notes.filter((n) => n.kind === 'boot.power').map((n) => [n.data.action, n.data.failure ?? 'ok']), [['on', 'ok'], ['status', 'auth'], ['off', 'auth']]);
});

test('boot.power against a BMC that does not listen: status is unreachable, off fails within its deadline', async () => {
  const silent = await freeUdpPort();
  await setBmc(silent);
  const status = await power('status');
  assert.equal([status.power, status.status], ['unreachable', 1]);
  assert.match(status.reason ?? '', /Get Auth Capabilities|Unable to establish/);
  const started = Date.now();
  const err = await rejection(power('off', HOST, 12_000));
  const took = Date.now() - started;
  assert.ok(['APL_BOOT_FENCE_UNREACHABLE', 'APL_BOOT_FENCE_TIMEOUT'].includes(err.code ?? ''), `${err.code}: ${err.message}`);
  assert.ok(took < 12_000, `off took ${took} ms`);
  assert.match(err.message, /ipmi:\/\/127\.0\.0\.1/);
});

test.run();
