// Placement: 10,000 instances placed one after another over 1,000 simulated
// hosts, by our Placer and by a naive first-fit written here (the first host
// with room, same hard limits, no weighing), measured in the same run:
// decisions per second, the balance reached (spread of host load), and how
// many rare-trait hosts (gpu, fc-hba) took instances that did not need them.
import {
  type Allocation,
  type HostCapacity,
  place,
  Placer,
  type PlacementPolicy,
  type PlacementRequest,
  allocationOf,
} from '../../services/controller/compute/placement/index.ts';

const HOSTS = 1_000;
const INSTANCES = 10_000;
const ROUNDS = Number(process.env.PLACEMENT_BENCH_ROUNDS ?? 3);
const STATELESS = 500; // place() rebuilds its index each call: timed over fewer requests

// Deterministic inputs: the same hosts and requests every run (mulberry32).
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = random(7);
const pick = <T>(items: readonly (readonly [T, number])[]): T => {
  let r = rnd() * items.reduce((s, [, w]) => s + w, 0);
  for (const [item, w] of items) if ((r -= w) < 0) return item;
  return items[items.length - 1]![0];
};

const policy: PlacementPolicy = { cpuAllocationRatio: 4, ramAllocationRatio: 1, evacuationReserve: 0.1, rareTraits: ['gpu', 'fc-hba'] };

type Size = Pick<HostCapacity, 'vcpus' | 'memoryMiB' | 'diskGiB'>;
const sizes: (readonly [Size, number])[] = [
  [{ vcpus: 16, memoryMiB: 64 * 1024, diskGiB: 1_000 }, 3],
  [{ vcpus: 32, memoryMiB: 128 * 1024, diskGiB: 2_000 }, 4],
  [{ vcpus: 64, memoryMiB: 512 * 1024, diskGiB: 4_000 }, 2],
];
const hosts: HostCapacity[] = Array.from({ length: HOSTS }, (_, i) => {
  const traits = ['cpu:virtualization', 'disk:ssd'];
  const r = rnd();
  if (r < 0.05) traits.push('gpu');
  else if (r < 0.08) traits.push('fc-hba');
  else if (r < 0.09) traits.push('gpu', 'fc-hba');
  const state = pick<HostCapacity['state']>([['active', 97], ['suspect', 1], ['offline', 1], ['pending', 1]]);
  const id = `h${String(i).padStart(4, '0')}`;
  return { id, name: `node-${i}`, state, maintenance: rnd() < 0.01, traits, ...pick(sizes) };
});

type Flavor = Pick<PlacementRequest, 'vcpus' | 'memoryMiB' | 'diskGiB' | 'requiredTraits'>;
// 1% of the requests need a GPU, 1% an FC HBA.
const flavors: (readonly [Flavor, number])[] = [
  [{ vcpus: 1, memoryMiB: 1024, diskGiB: 10, requiredTraits: [] }, 20],
  [{ vcpus: 2, memoryMiB: 4096, diskGiB: 20, requiredTraits: [] }, 30],
  [{ vcpus: 4, memoryMiB: 8192, diskGiB: 40, requiredTraits: [] }, 25],
  [{ vcpus: 8, memoryMiB: 32768, diskGiB: 80, requiredTraits: [] }, 13],
  [{ vcpus: 16, memoryMiB: 65536, diskGiB: 160, requiredTraits: [] }, 7],
  [{ vcpus: 8, memoryMiB: 65536, diskGiB: 100, requiredTraits: ['gpu'] }, 1],
  [{ vcpus: 4, memoryMiB: 16384, diskGiB: 40, requiredTraits: ['fc-hba'] }, 1],
];
const requests: PlacementRequest[] = Array.from({ length: INSTANCES }, (_, i) => ({
  instanceId: `i${i}`,
  ...pick(flavors),
  forbiddenTraits: [],
  purpose: 'create',
}));

// The naive reference: first host that is active, has the traits and the room (the reserve included).
function firstFit(all: readonly HostCapacity[]) {
  const used = all.map(() => ({ vcpus: 0, memoryMiB: 0, diskGiB: 0 }));
  const room = 1 - policy.evacuationReserve;
  return {
    place(req: PlacementRequest): number | undefined {
      for (let i = 0; i < all.length; i += 1) {
        const h = all[i]!;
        const u = used[i]!;
        if (h.state !== 'active' || h.maintenance) continue;
        if (!req.requiredTraits.every((t) => h.traits.includes(t)) || req.forbiddenTraits.some((t) => h.traits.includes(t))) continue;
        if (u.vcpus + req.vcpus > h.vcpus * policy.cpuAllocationRatio * room) continue;
        if (u.memoryMiB + req.memoryMiB > h.memoryMiB * policy.ramAllocationRatio * room) continue;
        if (u.diskGiB + req.diskGiB > h.diskGiB * room) continue;
        u.vcpus += req.vcpus;
        u.memoryMiB += req.memoryMiB;
        u.diskGiB += req.diskGiB;
        return i;
      }
      return undefined;
    },
  };
}

interface Outcome {
  readonly seconds: number;
  readonly placedOn: (number | undefined)[];
}

const indexOf = new Map(hosts.map((h, i) => [h.id, i]));

function runOurs(): Outcome {
  const placer = new Placer({ hosts, allocations: [], policy });
  const placedOn: (number | undefined)[] = [];
  const start = performance.now();
  for (const req of requests) {
    const d = placer.place(req);
    if (d.kind === 'placed') {
      placer.commit(d.hostId, allocationOf(req, d.hostId));
      placedOn.push(indexOf.get(d.hostId));
    } else placedOn.push(undefined);
  }
  return { seconds: (performance.now() - start) / 1000, placedOn };
}

function runNaive(): Outcome {
  const ff = firstFit(hosts);
  const start = performance.now();
  const placedOn = requests.map((req) => ff.place(req));
  return { seconds: (performance.now() - start) / 1000, placedOn };
}

// place() as the compute feature calls it for one instance: the allocations so far given in full.
function runStateless(): number {
  const allocations: Allocation[] = [];
  const start = performance.now();
  for (const req of requests.slice(0, STATELESS)) {
    const d = place(req, hosts, allocations, policy);
    if (d.kind === 'placed') allocations.push(allocationOf(req, d.hostId));
  }
  return (performance.now() - start) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function best(run: () => Outcome): Outcome {
  const outcomes = Array.from({ length: ROUNDS }, run);
  return { seconds: median(outcomes.map((o) => o.seconds)), placedOn: outcomes[0]!.placedOn };
}

function quality(o: Outcome) {
  const used = hosts.map(() => ({ vcpus: 0, memoryMiB: 0 }));
  const rareWaste = new Set<number>();
  let wastedInstances = 0;
  o.placedOn.forEach((i, n) => {
    if (i === undefined) return;
    const req = requests[n]!;
    used[i]!.vcpus += req.vcpus;
    used[i]!.memoryMiB += req.memoryMiB;
    const wasted = hosts[i]!.traits.some((t) => policy.rareTraits.includes(t) && !req.requiredTraits.includes(t));
    if (wasted) {
      rareWaste.add(i);
      wastedInstances += 1;
    }
  });
  const usable = hosts.map((h, i) => [h, i] as const).filter(([h]) => h.state === 'active' && !h.maintenance);
  const loads = usable.map(([h, i]) => Math.max(used[i]!.vcpus / (h.vcpus * policy.cpuAllocationRatio), used[i]!.memoryMiB / (h.memoryMiB * policy.ramAllocationRatio)));
  const mean = loads.reduce((s, x) => s + x, 0) / loads.length;
  const stddev = Math.sqrt(loads.reduce((s, x) => s + (x - mean) ** 2, 0) / loads.length);
  const unplaced = o.placedOn.filter((i) => i === undefined).length;
  const rareUnplaced = o.placedOn.filter((i, n) => i === undefined && requests[n]!.requiredTraits.length > 0).length;
  return { mean, stddev, max: Math.max(...loads), unplaced, rareUnplaced, rareHosts: rareWaste.size, wastedInstances, empty: loads.filter((l) => l === 0).length };
}

const naive = best(runNaive);
const ours = best(runOurs);
const statelessSeconds = runStateless();
const q = { ours: quality(ours), naive: quality(naive) };
const rareHostCount = hosts.filter((h) => h.traits.some((t) => policy.rareTraits.includes(t))).length;

const rows: [string, number, number, number][] = [
  ['decisions/s', INSTANCES / ours.seconds, INSTANCES / naive.seconds, 0],
  ['not placed (of 10000)', q.ours.unplaced, q.naive.unplaced, 2],
  ['  of which need gpu/fc-hba', q.ours.rareUnplaced, q.naive.rareUnplaced, 2],
  ['host load mean', q.ours.mean, q.naive.mean, 3],
  ['host load stddev', q.ours.stddev, q.naive.stddev, 3],
  ['host load max', q.ours.max, q.naive.max, 3],
  ['empty usable hosts', q.ours.empty, q.naive.empty, 2],
  [`rare hosts used w/o need (of ${rareHostCount})`, q.ours.rareHosts, q.naive.rareHosts, 2],
  ['instances on rare hosts w/o need', q.ours.wastedInstances, q.naive.wastedInstances, 2],
];
const cell = (n: number, kind: number) => (kind === 0 ? Math.round(n).toLocaleString('en') : kind === 2 ? String(n) : n.toFixed(3));
const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? '1.00x' : 'n/a (naive 0)') : `${(a / b).toFixed(2)}x`);
console.log(`${INSTANCES} instances over ${HOSTS} hosts (${rareHostCount} with gpu/fc-hba), cpu ratio 4, reserve 10%; median of ${ROUNDS} rounds`);
console.log(`${'measure'.padEnd(36)} ${'ours (Placer)'.padStart(14)} ${'naive first-fit'.padStart(16)} ${'ours/naive'.padStart(14)}`);
for (const [label, o, n, kind] of rows) console.log(`${label.padEnd(36)} ${cell(o, kind).padStart(14)} ${cell(n, kind).padStart(16)} ${ratio(o, n).padStart(14)}`);
console.log(`place() without a Placer (index rebuilt per call, first ${STATELESS} requests): ${Math.round(STATELESS / statelessSeconds).toLocaleString('en')} decisions/s`);
console.log('(load = the scarcer of vCPU and memory use over capacity, per usable host; a lower stddev and max is a more even cloud)');
