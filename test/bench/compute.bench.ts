// Convergence of 500 creates on libvirt's test driver: placement (ours, then a
// naive first-fit in the same run) decides which of 10 hosts each instance
// goes to; each host is an agent pass loop (applyInstances, one long-lived
// virsh on test:///default per host, real qemu-img disks and NoCloud seeds)
// running side by side, and the clock stops when every instance is reported
// running. The spread placement lets hosts work in parallel; first-fit piles
// instances on the first hosts.
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InstanceSpec } from '../../appliance/contracts/index.ts';
import { applyInstances } from '../../services/agent/hypervisor/apply-instances.ts';
import { hypervisorPaths } from '../../services/agent/hypervisor/hypervisor-paths.ts';
import { ImageCache } from '../../services/agent/hypervisor/image-cache.ts';
import { VirshLibvirt } from '../../services/agent/hypervisor/libvirt.ts';
import type { InstanceMemory } from '../../services/agent/hypervisor/plan-instances.ts';
import { writeNoCloudSeed } from '../../services/agent/metadata/write-nocloud-seed.ts';
import { allocationOf, Placer, type HostCapacity, type PlacementPolicy, type PlacementRequest } from '../../services/controller/compute/placement/index.ts';
import { tempDir } from '../_support/appliance-process.ts';

const INSTANCES = Number(process.env.BENCH_COMPUTE_INSTANCES ?? 500);
const HOSTS = 10;
const policy: PlacementPolicy = { cpuAllocationRatio: 4, ramAllocationRatio: 1, evacuationReserve: 0.1, rareTraits: ['gpu'] };
const hosts: HostCapacity[] = Array.from({ length: HOSTS }, (_, i) => ({
  id: `host-${String(i).padStart(2, '0')}`, name: `host-${i}`, state: 'active', maintenance: false, traits: [], vcpus: 64, memoryMiB: 262_144, diskGiB: 4000,
}));
const image = Buffer.alloc(1024 * 1024, 1);
const imageRef = { id: randomUUID(), format: 'raw' as const, sha256: createHash('sha256').update(image).digest('hex'), sizeBytes: image.length };

function specs(): InstanceSpec[] {
  return Array.from({ length: INSTANCES }, (_, i) => ({
    id: randomUUID(), name: `vm-${i}`, power: 'running', rebootGeneration: 0, vcpus: 1 + (i % 4), memoryMiB: 1024 * (1 + (i % 4)), diskGiB: 10,
    image: imageRef, metadata: { hostname: `vm-${i}`, sshKeys: [], userData: null, projectId: 'bench' },
  }));
}

type Strategy = (list: readonly InstanceSpec[]) => Map<string, InstanceSpec[]>;

const ours: Strategy = (list) => {
  const placer = new Placer({ hosts, allocations: [], policy });
  const by = new Map<string, InstanceSpec[]>();
  for (const spec of list) {
    const request: PlacementRequest = { instanceId: spec.id, vcpus: spec.vcpus, memoryMiB: spec.memoryMiB, diskGiB: spec.diskGiB, requiredTraits: [], forbiddenTraits: [], purpose: 'create' };
    const decision = placer.place(request);
    if (decision.kind !== 'placed') throw new Error(`could not place ${spec.name}`);
    placer.commit(decision.hostId, allocationOf(request, decision.hostId));
    by.set(decision.hostId, [...(by.get(decision.hostId) ?? []), spec]);
  }
  return by;
};

const firstFit: Strategy = (list) => {
  const used = new Map(hosts.map((h) => [h.id, { vcpus: 0, memoryMiB: 0 }]));
  const by = new Map<string, InstanceSpec[]>();
  for (const spec of list) {
    const host = hosts.find((h) => {
      const u = used.get(h.id)!;
      return u.vcpus + spec.vcpus <= h.vcpus * policy.cpuAllocationRatio && u.memoryMiB + spec.memoryMiB <= h.memoryMiB;
    });
    if (host === undefined) throw new Error(`first-fit could not place ${spec.name}`);
    const u = used.get(host.id)!;
    used.set(host.id, { vcpus: u.vcpus + spec.vcpus, memoryMiB: u.memoryMiB + spec.memoryMiB });
    by.set(host.id, [...(by.get(host.id) ?? []), spec]);
  }
  return by;
};

/** One simulated host's agent: passes until every one of its instances is reported running. */
async function converge(dir: string, desired: InstanceSpec[]): Promise<{ ms: number; passes: number }> {
  const paths = hypervisorPaths(dir);
  const libvirt = new VirshLibvirt('test:///default');
  const images = new ImageCache(paths.images, (_id, offset) => Promise.resolve({ data: new Uint8Array(image.subarray(offset, offset + 512 * 1024)), sizeBytes: image.length }));
  let memory: ReadonlyMap<string, InstanceMemory> = new Map();
  const started = Date.now();
  let passes = 0;
  try {
    for (;;) {
      passes += 1;
      const result = await applyInstances(desired, memory, { libvirt, images, paths, prepareSeed: writeNoCloudSeed, virtType: 'qemu', nowMs: Date.now });
      memory = result.memory;
      if (result.report.instances.filter((r) => r.state === 'running').length === desired.length) return { ms: Date.now() - started, passes };
      if (passes > 50) throw new Error(`${dir}: not converged after 50 passes: ${JSON.stringify([...result.failed].slice(0, 3))}`);
    }
  } finally {
    libvirt.close();
  }
}

async function round(name: string, strategy: Strategy, root: string): Promise<{ name: string; ms: number; hostsUsed: number; busiest: number; placeMs: number }> {
  const list = specs();
  const t0 = performance.now();
  const by = strategy(list);
  const placeMs = performance.now() - t0;
  const started = Date.now();
  await Promise.all([...by].map(([hostId, desired]) => converge(join(root, name, hostId), desired)));
  return { name, ms: Date.now() - started, hostsUsed: by.size, busiest: Math.max(...[...by.values()].map((l) => l.length)), placeMs };
}

const root = tempDir('compute-bench');
try {
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'README'), 'compute bench scratch\n');
  const a = await round('ours', ours, root);
  const b = await round('first-fit', firstFit, root);
  console.log(`${INSTANCES} creates over ${HOSTS} hosts (libvirt test:///default, real qemu-img disks and NoCloud seeds; each host one agent pass loop)`);
  console.log('placement         converge ms  hosts used  busiest host  placement ms');
  for (const r of [a, b]) console.log(`${r.name.padEnd(16)} ${String(r.ms).padStart(11)} ${String(r.hostsUsed).padStart(11)} ${String(r.busiest).padStart(13)} ${r.placeMs.toFixed(1).padStart(13)}`);
  console.log(`ratio ours/first-fit: convergence ${(a.ms / b.ms).toFixed(2)}x, busiest host ${(a.busiest / b.busiest).toFixed(2)}x`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
