// The evacuation drill: a real store; the compute feature; liveness as the
// hosts feature runs it (HostLiveness, its transitions handed to the compute
// feature like services/controller/main.ts does); and ctx.call going over a
// real bus (BusServer on ipc) to the boot service's fence methods, whose BMC
// for the failed host is a real ipmi_sim driving a real qemu VM. "Fenced" is
// checked against the process table.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BusClient, BusServer } from '../../../../appliance/bus/index.ts';
import { createLogger } from '../../../../appliance/log/index.ts';
import { fenceBusMethods } from '../../../../services/boot/fence-bus-methods.ts';
import { AuditLog } from '../../../../services/controller/audit/audit-log.ts';
import { ComputeAdmin } from '../../../../services/controller/compute/compute-admin.ts';
import { computeFeature, type ComputeFeature } from '../../../../services/controller/compute/index.ts';
import { ComputeRepository } from '../../../../services/controller/compute/compute-repository.ts';
import { EvacuationRepository } from '../../../../services/controller/compute/evacuation/index.ts';
import { ImageFiles } from '../../../../services/controller/compute/image-files.ts';
import { place, type PlacementPolicy } from '../../../../services/controller/compute/placement/index.ts';
import { HostLiveness } from '../../../../services/controller/hosts/host-liveness.ts';
import { HostRepository } from '../../../../services/controller/hosts/host-repository.ts';
import { ProjectRepository } from '../../../../services/controller/identity/project-repository.ts';
import { startIpmiSim, type IpmiSim } from '../../../_support/ipmi-sim.ts';
import { Clock, insertHost, sampleInventory, testContext, type TestContext } from '../hosts/_support/hosts-fixtures.ts';

const PASSWORD = 'drill-Pw-4419';
const POLICY: PlacementPolicy = { cpuAllocationRatio: 1, ramAllocationRatio: 1, evacuationReserve: 0, rareTraits: [] };
const THRESHOLDS = { suspectAfterMs: 10_000, offlineAfterMs: 30_000 };
const SYSTEM = { actor: 'drill', actorKind: 'user' as const, source: '127.0.0.1' };

interface Drill {
  t: TestContext;
  clock: Clock;
  compute: ComputeFeature;
  admin: ComputeAdmin;
  repo: ComputeRepository;
  liveness: HostLiveness;
  hosts: { A: string; B: string; C: string };
  projectId: string;
  sim: IpmiSim;
  server: BusServer;
  client: BusClient;
}

let d: Drill;

function insertDrillHost(t: TestContext, clock: Clock, name: string): string {
  const base = sampleInventory();
  // 4 threads, 8 GiB, 100 GiB: a few small instances each.
  const inventory = { cpu: { ...base.cpu, threads: 4 }, memory: { totalBytes: 8 * 2 ** 30 }, disks: [{ ...base.disks[0]!, sizeBytes: 100 * 2 ** 30 }] };
  return insertHost(t, clock.now().toISOString(), name, { inventory, credentialHash: `enrolled-${name}` });
}

/** A compute feature on the drill's store (a second one is a controller restart). */
function feature(t: TestContext, placeFn: typeof place = place): ComputeFeature {
  return computeFeature(t.ctx, { policy: POLICY, place: placeFn, fenceTimeoutMs: 15_000 });
}

// uvu does not print a failing hook's error: say it here.
test.before.each(async () => {
  try {
    await setup();
  } catch (err) {
    console.error('drill setup failed:', err);
    throw err;
  }
});

async function setup(): Promise<void> {
  const clock = new Clock();
  // ctx.call needs the client, which needs the server, which needs the store in t.
  const bus: { client?: BusClient } = {};
  const t = testContext({ now: clock.now, call: (method, params, options) => bus.client!.call(method, params, options ?? {}) });
  const sim = await startIpmiSim({ user: 'fenceop', password: PASSWORD });
  const server = await BusServer.open(
    fenceBusMethods({
      store: t.store,
      now: () => new Date(),
      note: t.ctx.note,
      keyFile: join(t.dir, 'secrets', 'bmc.key'),
      tuning: { timeoutMs: 15_000, pollMs: 200, callTimeoutMs: 8000, ipmitoolTimeoutS: 1, ipmitoolRetries: 1 },
    }),
    { log: createLogger('fatal'), workers: 4 },
  );
  server.listen(`ipc://${join(t.dir, 'bus.sock')}`);
  const client = await BusClient.connect(`ipc://${join(t.dir, 'bus.sock')}`);
  bus.client = client;

  const compute = feature(t);
  const repo = new ComputeRepository(t.store.database);
  const hostRepo = new HostRepository(t.store.database);
  const admin = new ComputeAdmin({
    store: t.store,
    repo,
    hosts: () => hostRepo.list(),
    audit: new AuditLog(t.store.database, clock.now),
    files: new ImageFiles(join(t.dir, 'images')),
    place,
    policy: POLICY,
    maxImageBytes: 2 ** 30,
    now: clock.now,
  });
  const projectId = new ProjectRepository(t.store.database).create({ name: 'demo', description: '' }, clock.now()).id;
  t.store.transaction(() => {
    repo.insertFlavor({ id: 'f1', name: 'small', vcpus: 1, memoryMiB: 1024, diskGiB: 10, extraSpecs: {}, public: true, createdAt: clock.now().toISOString() });
    repo.insertImage({ id: 'img1', projectId: null, name: 'debian', format: 'qcow2', sha256: 'a'.repeat(64), sizeBytes: 1024, status: 'active', createdAt: clock.now().toISOString() });
  });

  // A alone first, so the first instances land there; then B and C.
  const A = insertDrillHost(t, clock, 'host-a');
  const names = ['db', 'web-1', 'web-2', 'batch'];
  const priorities = [10, 5, 5, 0];
  names.forEach((name, i) => {
    clock.advance(1000);
    admin.createInstance(projectId, { name, flavor: 'small', image: 'img1', priority: priorities[i]! }, { ...SYSTEM, mayUsePrivateFlavors: false });
  });
  const B = insertDrillHost(t, clock, 'host-b');
  const C = insertDrillHost(t, clock, 'host-c');
  clock.advance(1000);
  admin.createInstance(projectId, { name: 'elsewhere', flavor: 'small', image: 'img1' }, { ...SYSTEM, mayUsePrivateFlavors: false });

  const liveness = new HostLiveness({
    store: t.store,
    hosts: hostRepo,
    thresholds: THRESHOLDS,
    // What hostsFeature's onTransition does after journalling, wired as in services/controller/main.ts.
    onTransition: (transition) => compute.evacuation.onLivenessTransition(transition),
  });
  liveness.load(hostRepo.list(), clock.now().getTime());
  d = { t, clock, compute, admin, repo, liveness, hosts: { A, B, C }, projectId, sim, server, client };
}

test.after.each(async () => {
  await d.compute.evacuation.idle();
  d.client.close();
  await d.server.close();
  d.t.store.close();
  await d.sim.stop();
  rmSync(d.t.dir, { recursive: true, force: true });
});

const setBmc = (hostId: string, password = PASSWORD): Promise<unknown> =>
  d.client.call('boot.bmc.set', { hostId, driver: 'ipmi', address: '127.0.0.1', port: d.sim.port, username: 'fenceop', password, cipherSuite: 3 });

/** A's VM runs (the "host" the BMC controls). */
async function powerOnA(): Promise<number> {
  await d.client.call('boot.power', { hostId: d.hosts.A, action: 'on' }, { timeoutMs: 30_000 });
  return d.sim.waitForVm(10_000);
}

/** B and C keep heartbeating, A falls silent: the liveness ticker takes A offline. */
function silenceA(): void {
  for (let s = 0; s < 4; s += 1) {
    d.clock.advance(8000);
    for (const id of [d.hosts.B, d.hosts.C]) d.liveness.heartbeat({ id, name: id === d.hosts.B ? 'host-b' : 'host-c', state: 'active' }, d.clock.now(), { loadAverage: [0, 0, 0] } as never);
    d.liveness.tick(d.clock.now());
  }
}

const onA = (): string[] => d.repo.instancesOnHost(d.hosts.A).map((i) => i.name);
const desiredNames = (hostId: string): string[] => d.compute.port.desired(hostId).instances.map((i) => i.name).sort();
const eventsOf = (name: string) => d.repo.events(d.repo.projectInstance(d.projectId, name)!.id);

test('drill: host A dies, is fenced through its real BMC (qemu gone), and each of its instances moves once to B or C', async () => {
  await setBmc(d.hosts.A);
  await powerOnA();
  assert.equal(onA().sort(), ['batch', 'db', 'web-1', 'web-2']);
  const started = Date.now();

  silenceA();
  assert.is(new HostRepository(d.t.store.database).get(d.hosts.A)?.state, 'offline');
  await d.compute.evacuation.idle();
  const tookMs = Date.now() - started;

  assert.is(d.sim.vmPid(), undefined, 'the failed host still runs: qemu is alive after the fence');
  assert.equal(onA(), []);
  assert.equal(desiredNames(d.hosts.A), []);
  const onB = desiredNames(d.hosts.B);
  const onC = desiredNames(d.hosts.C);
  for (const name of ['db', 'web-1', 'web-2', 'batch']) {
    assert.is(Number(onB.includes(name)) + Number(onC.includes(name)), 1, `${name} is desired on exactly one host`);
    assert.is(d.repo.projectInstance(d.projectId, name)?.state, 'building');
  }
  assert.is(Number(onB.includes('elsewhere')) + Number(onC.includes('elsewhere')), 1);

  const db = eventsOf('db').map((e) => `${e.kind}: ${e.message.replace(/ \(.*\)$/, '')}`);
  assert.equal(db.slice(0, 2), ['created: created by drill with flavor small and image debian', 'placed: placed on host host-a']);
  assert.equal(db.slice(2, 4), ['evacuation: host host-a offline, fencing it before anything restarts elsewhere', 'evacuation: host host-a fenced: its BMC confirmed power off']);
  assert.match(db[4]!, /^evacuated: evacuated from host-a to host-[bc]$/);
  assert.is(db.length, 5);

  // Highest priority first, then oldest: the moves happened in that order.
  const moveIds = (d.t.store.database.prepare("SELECT i.name FROM instance_events e JOIN instances i ON i.id = e.instance_id WHERE e.kind = 'evacuated' ORDER BY e.id").pluck().all() as string[]);
  assert.equal(moveIds, ['db', 'web-1', 'web-2', 'batch']);

  const kinds = d.t.notes.map((n) => n.kind);
  assert.ok(kinds.includes('boot.power'), 'the boot service journalled the power off');
  assert.equal(
    kinds.filter((k) => k.startsWith('compute.evacuation')),
    ['compute.evacuation.fenced', 'compute.evacuation.moved'],
  );
  assert.match(d.t.notes.find((n) => n.kind === 'compute.evacuation.moved')!.message, /4 instance\(s\) evacuated: db to host-[bc], web-1/);

  // The timer again, and again: nothing moves twice.
  await d.compute.evacuation.tick();
  await d.compute.evacuation.tick();
  assert.is(d.t.store.database.prepare("SELECT count(*) FROM instance_events WHERE kind = 'evacuated'").pluck().get(), 4);

  // A comes back: its desired stays empty (its agent removes the stale domains); a stale report is ignored.
  d.liveness.heartbeat({ id: d.hosts.A, name: 'host-a', state: 'offline' }, d.clock.now(), { loadAverage: [0, 0, 0] } as never);
  await d.compute.evacuation.idle();
  assert.equal(desiredNames(d.hosts.A), []);
  const db2 = d.repo.projectInstance(d.projectId, 'db')!;
  d.compute.port.report(d.hosts.A, { instances: [{ id: db2.id, state: 'running', error: null, consoleTail: null }], removed: [] } as never);
  assert.is(d.repo.instance(db2.id)?.hostId, db2.hostId);
  assert.equal(onA(), []);
  console.log(`    drill: fence and evacuation of 4 instances took ${tookMs} ms`);
});

test('drill: a wrong BMC password moves nothing, flags the instances and says what to do; the fixed BMC is used on a retry', async () => {
  await setBmc(d.hosts.A);
  const pid = await powerOnA();
  await setBmc(d.hosts.A, 'not-the-password');

  silenceA();
  await d.compute.evacuation.idle();

  assert.is(d.sim.vmPid(), pid, 'the VM must still run: nothing fenced it');
  assert.equal(onA().sort(), ['batch', 'db', 'web-1', 'web-2']);
  assert.equal(desiredNames(d.hosts.A), ['batch', 'db', 'web-1', 'web-2']);
  for (const name of onA()) {
    const instance = d.repo.projectInstance(d.projectId, name)!;
    assert.is(instance.state, 'error');
    assert.match(instance.error ?? '', /^host host-a is offline and could not be fenced: APL_BOOT_FENCE_AUTH: .*; nothing was restarted elsewhere\. Restart the host/);
  }
  const unfenced = d.t.notes.filter((n) => n.kind === 'compute.evacuation.unfenced');
  assert.is(unfenced.length, 1);
  assert.is(unfenced[0]!.severity, 'error');
  assert.match(unfenced[0]!.message, /could not be fenced: APL_BOOT_FENCE_AUTH.*Nothing was restarted elsewhere.*Restart the host, or power it off by hand or fix its BMC/);
  assert.not.ok(JSON.stringify(d.t.notes).includes('not-the-password'));

  // Before the back-off nothing is tried; after it, with the right password, A is fenced and emptied.
  await d.compute.evacuation.tick();
  assert.is(d.t.notes.filter((n) => n.kind === 'boot.power' && n.data.action === 'off').length, 1);
  await setBmc(d.hosts.A);
  d.clock.advance(15_000);
  await d.compute.evacuation.tick();
  assert.is(d.sim.vmPid(), undefined);
  assert.equal(onA(), []);
  assert.equal(desiredNames(d.hosts.A), []);
});

test('drill: a host without a BMC is not fenced and nothing moves', async () => {
  silenceA();
  await d.compute.evacuation.idle();
  assert.equal(onA().sort(), ['batch', 'db', 'web-1', 'web-2']);
  assert.match(d.repo.projectInstance(d.projectId, 'db')?.error ?? '', /could not be fenced: APL_BOOT_BMC_NOT_SET/);
});

test('drill: a controller restart in the middle of the moves neither repeats nor loses one', async () => {
  await setBmc(d.hosts.A);
  await powerOnA();
  // The first controller dies after its first move: its placement call fails on the second.
  let calls = 0;
  const dying = feature(d.t, (...args) => {
    calls += 1;
    if (calls > 1) throw new Error('controller killed');
    return place(...args);
  });
  const liveness = new HostLiveness({ store: d.t.store, hosts: new HostRepository(d.t.store.database), thresholds: THRESHOLDS, onTransition: (t) => dying.evacuation.onLivenessTransition(t) });
  liveness.load(new HostRepository(d.t.store.database).list(), d.clock.now().getTime());
  d.liveness = liveness;
  silenceA();
  await dying.evacuation.idle();

  const evacuations = new EvacuationRepository(d.t.store.database).ofHost(d.hosts.A);
  assert.equal(evacuations.map((e) => e.phase).sort(), ['evacuated', 'fenced', 'fenced', 'fenced']);
  assert.equal(onA().sort(), ['batch', 'web-1', 'web-2']);
  const firstTarget = d.repo.projectInstance(d.projectId, 'db')!.hostId;

  // A new controller on the same store resumes from what is on disk (the timer's first tick).
  await d.compute.evacuation.tick();
  await d.compute.evacuation.tick();
  assert.equal(onA(), []);
  assert.is(d.repo.projectInstance(d.projectId, 'db')!.hostId, firstTarget, 'the instance already moved moved again');
  const moves = d.t.store.database.prepare("SELECT i.name, count(*) AS n FROM instance_events e JOIN instances i ON i.id = e.instance_id WHERE e.kind = 'evacuated' GROUP BY i.name ORDER BY i.name").all();
  assert.equal(moves, [
    { name: 'batch', n: 1 },
    { name: 'db', n: 1 },
    { name: 'web-1', n: 1 },
    { name: 'web-2', n: 1 },
  ]);
  for (const hostId of [d.hosts.B, d.hosts.C]) for (const name of desiredNames(hostId)) assert.not.ok(desiredNames(d.hosts.A).includes(name));
});

test.run();
