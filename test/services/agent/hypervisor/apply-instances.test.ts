// One apply pass after another against real virsh (libvirt's test driver,
// one long-lived connection), real qemu-img and the image cache fed by an
// in-process chunk source: converge from empty, change power states, reboot,
// remove, and show that a failure lands on one instance's report.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InstanceSpec } from '../../../../appliance/contracts/index.ts';
import { applyInstances, type ApplyDeps, type ApplyResult } from '../../../../services/agent/hypervisor/apply-instances.ts';
import { hypervisorPaths, instanceFiles } from '../../../../services/agent/hypervisor/hypervisor-paths.ts';
import { ImageCache } from '../../../../services/agent/hypervisor/image-cache.ts';
import { VirshLibvirt } from '../../../../services/agent/hypervisor/libvirt.ts';
import type { InstanceMemory } from '../../../../services/agent/hypervisor/plan-instances.ts';
import { ChunkSource } from './_chunk-source.ts';
import { specOf } from './_specs.ts';

const agentDir = mkdtempSync(join(tmpdir(), 'alliance-apply-'));
const paths = hypervisorPaths(agentDir);
const libvirt = new VirshLibvirt('test:///default');
const source = new ChunkSource(16 * 1024);
const image = source.add('33333333-3333-4333-8333-333333333333', new Uint8Array(64 * 1024));
let now = 1_000_000;
const seeds: string[] = [];
const deps: ApplyDeps = {
  libvirt,
  images: new ImageCache(paths.images, source.fetchChunk),
  paths,
  virtType: 'kvm',
  nowMs: () => now,
  backoff: { minMs: 1000, maxMs: 8000 },
  prepareSeed: async (spec, dir) => {
    seeds.push(spec.id);
    const path = join(dir, 'seed.iso');
    writeFileSync(path, `instance-id: ${spec.id}\n`);
    return path;
  },
};
let memory: ReadonlyMap<string, InstanceMemory> = new Map();

test.after(() => {
  libvirt.close();
  rmSync(agentDir, { recursive: true, force: true });
});

async function pass(desired: InstanceSpec[], overrides: Partial<ApplyDeps> = {}): Promise<ApplyResult> {
  const result = await applyInstances(desired, memory, { ...deps, ...overrides });
  memory = result.memory;
  return result;
}

/** "kind NN" per action, NN the last two digits of the instance id. */
const steps = (r: ApplyResult): string[] => r.applied.map((a) => `${a.kind} ${a.id.slice(-2)}`);
const states = (r: ApplyResult): string[] => r.report.instances.map((i) => `${i.id.slice(-2)} ${i.state}${i.error === null ? '' : ` (${i.error.slice(0, 40)})`} g${i.rebootGeneration}`);

const a = specOf(1, { image });
const b = specOf(2, { image });
const c = specOf(3, { image, power: 'stopped' });

test('applyInstances() converges three instances from an empty host, fetching the image once', async () => {
  const r = await pass([a, b, c]);
  assert.equal(steps(r), ['fetch-image 01', 'make-disk 01', 'define 01', 'start 01', 'fetch-image 02', 'make-disk 02', 'define 02', 'start 02', 'fetch-image 03', 'make-disk 03', 'define 03']);
  assert.equal(states(r), ['01 running g0', '02 running g0', '03 stopped g0']);
  assert.equal(r.report.removed, []);
  assert.equal(new Set(source.calls.map((x) => x.offset)).size, source.calls.length, 'each chunk fetched once');
  assert.equal(seeds, [a.id, b.id, c.id]);
  for (const s of [a, b, c]) assert.ok(existsSync(instanceFiles(paths, s.id).disk));
  // The test driver's own domain is not ours and stays.
  assert.ok((await libvirt.listDomains()).includes('test'));
});

test('applyInstances() does nothing on a converged host', async () => {
  const r = await pass([a, b, c]);
  assert.equal(steps(r), []);
  assert.equal(states(r), ['01 running g0', '02 running g0', '03 stopped g0']);
});

test('applyInstances() stops, reboots and starts as the desired state changes, then rests', async () => {
  const changed = [{ ...a, power: 'stopped' as const }, { ...b, rebootGeneration: 1 }, { ...c, power: 'running' as const }];
  const r = await pass(changed);
  assert.equal(steps(r), ['shutdown 01', 'reboot 02', 'start 03']);
  assert.equal(states(r), ['01 stopped g0', '02 running g1', '03 running g0']);
  assert.is(memory.get(a.id)?.shutdownAtMs, undefined, 'the shutdown is over once the domain is off');
  assert.equal(steps(await pass(changed)), []);
});

test('applyInstances() removes an instance no longer desired: domain and files, reported in removed', async () => {
  const r = await pass([{ ...a, power: 'stopped' }, { ...c, power: 'running' }]);
  assert.equal(steps(r), ['destroy 02', 'undefine 02', 'remove-files 02']);
  assert.equal(r.report.removed, [b.id]);
  assert.equal(states(r), ['01 stopped g0', '03 running g0']);
  assert.not.ok(existsSync(instanceFiles(paths, b.id).dir));
  const again = await pass([{ ...a, power: 'stopped' }, { ...c, power: 'running' }]);
  assert.equal([steps(again), again.report.removed], [[], []]);
});

test('applyInstances() puts a virsh error on that instance\'s report, backs it off, and recovers', async () => {
  const d = specOf(4, { image });
  // Another domain holds d's UUID, so defining d fails.
  const squatter = join(agentDir, 'squatter.xml');
  writeFileSync(squatter, `<domain type='test'><name>squatter</name><uuid>${d.id}</uuid><memory>65536</memory><os><type>hvm</type></os></domain>`);
  await libvirt.define(squatter);
  const desired = [{ ...a, power: 'stopped' as const }, { ...c, power: 'running' as const }, d];
  const r = await pass(desired);
  assert.equal(steps(r), ['make-disk 04']);
  const report = r.report.instances.find((i) => i.id === d.id);
  assert.is(report?.state, 'error');
  assert.match(report?.error ?? '', /^virsh define .* failed: .*squatter/);
  assert.equal(states(r).slice(0, 2), ['01 stopped g0', '03 running g0']);

  now += 500; // inside the back-off: left alone, still in error
  const waiting = await pass(desired);
  assert.equal([steps(waiting), waiting.report.instances[2]?.state], [[], 'error']);

  await libvirt.undefine('squatter');
  now += 1000;
  const healed = await pass(desired);
  assert.equal(steps(healed), ['define 04', 'start 04']);
  assert.equal(states(healed)[2], '04 running g0');
  assert.equal(memory.get(d.id), { failures: 0, retryAtMs: 0, error: null, shutdownAtMs: undefined });
});

test('applyInstances() reports a bad image or a failing seed on that instance only', async () => {
  const badImage = specOf(5, { image: { ...image, id: '44444444-4444-4444-8444-444444444444' } });
  const e = specOf(6, { image });
  const desired = [{ ...a, power: 'stopped' as const }, badImage, e];
  const r = await pass(desired, { prepareSeed: () => Promise.reject(new Error('genisoimage: not found')) });
  const by = new Map(r.report.instances.map((i) => [i.id, i]));
  assert.is(by.get(badImage.id)?.state, 'error');
  assert.match(by.get(badImage.id)?.error ?? '', /^Cannot fetch image 44444444-.* no image/);
  assert.is(by.get(e.id)?.state, 'error');
  assert.match(by.get(e.id)?.error ?? '', /^Cannot make the NoCloud seed .*genisoimage: not found/);
  assert.is(by.get(a.id)?.state, 'stopped');
  // c and d are no longer desired: removed in the same pass.
  assert.equal(r.report.removed.sort(), [c.id, specOf(4).id].sort());
});

test('applyInstances() reports every instance in error, without throwing, when virsh cannot run', async () => {
  const broken = new VirshLibvirt('test:///default', { virsh: join(agentDir, 'no-virsh') });
  const r = await pass([a], { libvirt: broken });
  broken.close();
  assert.equal(r.report.instances.map((i) => [i.state, i.error?.startsWith('Cannot talk to libvirt at test:///default')]), [['error', true]]);
});

test.run();
