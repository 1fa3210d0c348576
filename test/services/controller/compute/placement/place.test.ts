import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type Allocation,
  type HostCapacity,
  place,
  type PlacementDecision,
  type PlacementPolicy,
  type PlacementRequest,
} from '../../../../../services/controller/compute/placement/index.ts';
import { allocation, host, POLICY, request } from './_fixtures.ts';

const chosen = (d: PlacementDecision) => (d.kind === 'placed' ? d.hostId : 'impossible');

// Which host wins among several, and why.
interface Case {
  readonly hosts: readonly HostCapacity[];
  readonly request?: Partial<PlacementRequest>;
  readonly allocations?: readonly Allocation[];
  readonly policy?: Partial<PlacementPolicy>;
  readonly expected: string;
}

const choices: Record<string, Case> = {
  'spreads: the emptier of two equal hosts': {
    hosts: [host('a'), host('b')],
    allocations: [allocation('a')],
    expected: 'b',
  },
  'spreads by fraction: a big busy host over a small one that would be fuller': {
    hosts: [host('small', { vcpus: 4, memoryMiB: 8192 }), host('big', { vcpus: 64, memoryMiB: 262144 })],
    allocations: [allocation('big', { vcpus: 32, memoryMiB: 65536 })],
    expected: 'big',
  },
  'weighs the scarcer dimension: memory full outweighs free vCPUs': {
    hosts: [host('cpu-busy'), host('mem-busy')],
    allocations: [allocation('cpu-busy', { vcpus: 16, memoryMiB: 4096 }), allocation('mem-busy', { vcpus: 1, memoryMiB: 20480 })],
    expected: 'cpu-busy',
  },
  'breaks a tie by host id': { hosts: [host('b'), host('a'), host('c')], expected: 'a' },
  'keeps a GPU host free for requests that need one': {
    hosts: [host('gpu-1', { traits: ['gpu'] }), host('plain')],
    allocations: [allocation('plain', { vcpus: 16, memoryMiB: 16384 })],
    expected: 'plain',
  },
  'uses a GPU host only when nothing else fits': {
    hosts: [host('gpu-1', { traits: ['gpu'] }), host('plain', { state: 'offline' })],
    expected: 'gpu-1',
  },
  'puts a GPU request on the GPU host without an FC HBA it does not need': {
    hosts: [host('gpu-fc', { traits: ['gpu', 'fc-hba'] }), host('gpu-only', { traits: ['gpu'] })],
    allocations: [allocation('gpu-only', { vcpus: 16, memoryMiB: 16384 })],
    request: { requiredTraits: ['gpu'] },
    expected: 'gpu-only',
  },
  'weighs a GPU host normally for a request that needs the GPU': {
    hosts: [host('gpu-1', { traits: ['gpu'] }), host('gpu-2', { traits: ['gpu'] })],
    allocations: [allocation('gpu-1')],
    request: { requiredTraits: ['gpu'] },
    expected: 'gpu-2',
  },
  'affinity: follows the group to its host even when it is busier': {
    hosts: [host('a'), host('b')],
    allocations: [allocation('b', { serverGroupId: 'g', vcpus: 8 })],
    request: { serverGroup: { id: 'g', policy: 'affinity' } },
    expected: 'b',
  },
  'affinity: impossible when the group host is full': {
    hosts: [host('a'), host('b')],
    allocations: [allocation('b', { serverGroupId: 'g', vcpus: 32 })],
    request: { serverGroup: { id: 'g', policy: 'affinity' } },
    expected: 'impossible',
  },
  'anti-affinity: avoids the emptier host holding a member': {
    hosts: [host('a'), host('b')],
    allocations: [allocation('a', { serverGroupId: 'g', vcpus: 1, memoryMiB: 512 }), allocation('b', { vcpus: 8, memoryMiB: 8192 })],
    request: { serverGroup: { id: 'g', policy: 'anti-affinity' } },
    expected: 'b',
  },
  'anti-affinity: impossible when every host holds a member': {
    hosts: [host('a'), host('b')],
    allocations: [allocation('a', { serverGroupId: 'g' }), allocation('b', { instanceId: 'i-2', serverGroupId: 'g' })],
    request: { serverGroup: { id: 'g', policy: 'anti-affinity' } },
    expected: 'impossible',
  },
  'reserve: a create finds no room in a host filled to its reserve': {
    hosts: [host('a')],
    allocations: [allocation('a', { vcpus: 28 })],
    expected: 'impossible',
  },
  'reserve: an evacuation finds room there': {
    hosts: [host('a'), host('failed')],
    allocations: [allocation('a', { vcpus: 28 })],
    request: { purpose: 'evacuate', excludeHosts: ['failed'] },
    expected: 'a',
  },
  'counts allocations on hosts placement does not know only for their group': {
    hosts: [host('a')],
    allocations: [allocation('gone', { vcpus: 1000, serverGroupId: 'g' })],
    request: { serverGroup: { id: 'g', policy: 'anti-affinity' } },
    expected: 'a',
  },
};

for (const [behaviour, c] of Object.entries(choices)) {
  test(`place() ${behaviour}`, () => {
    const d = place(request(c.request), c.hosts, c.allocations ?? [], { ...POLICY, ...c.policy });
    assert.is(chosen(d), c.expected);
    assert.is(d.considered, c.hosts.length);
    assert.is(d.rejected.length + (d.kind === 'placed' ? 1 : 0) <= c.hosts.length, true);
  });
}

test('place() answers score as the winner weight: 1 minus its load after placement', () => {
  const d = place(request({ vcpus: 8, memoryMiB: 8192 }), [host('a')], [], POLICY);
  // vCPU 8/32 = 0.25 dominates memory 8192/32768 = 0.25 (equal): 1 - 0.25 - 0.01 * 0.25.
  assert.equal(d.kind === 'placed' ? Math.round(d.score * 1e6) / 1e6 : NaN, 0.7475);
});

test('place() weighs a needless rare trait below any load difference', () => {
  const d = place(request(), [host('gpu', { traits: ['gpu'] })], [], POLICY);
  assert.ok(d.kind === 'placed' && d.score < -1);
  assert.match(d.kind === 'placed' ? (d.why ?? '') : '', 'gpu, rare and not asked for');
});

test('place() lists the rejected hosts also when it places', () => {
  const d = place(request(), [host('a', { state: 'offline' }), host('b'), host('c', { maintenance: true })], [], POLICY);
  assert.is(chosen(d), 'b');
  assert.equal(d.rejected.map((r) => [r.hostId, r.filter]), [['a', 'state'], ['c', 'maintenance']]);
  assert.is(d.considered, 3);
});

test('place() lists every host with its reason when it cannot place', () => {
  const hosts = [
    host('off', { state: 'offline' }),
    host('maint', { maintenance: true }),
    host('plain'),
    host('failed', { traits: ['gpu'] }),
    host('busy', { traits: ['gpu'] }),
    host('small', { traits: ['gpu'], memoryMiB: 2048 }),
  ];
  const d = place(request({ requiredTraits: ['gpu'], excludeHosts: ['failed'] }), hosts, [allocation('busy', { vcpus: 31 })], POLICY);
  assert.equal(d, {
    kind: 'impossible',
    considered: 6,
    rejected: [
      { hostId: 'off', hostName: 'node-off', filter: 'state', reason: 'host is offline; only active hosts take new instances', summary: 'offline' },
      { hostId: 'maint', hostName: 'node-maint', filter: 'maintenance', reason: 'in maintenance (label alliance/maintenance)', summary: 'maintenance' },
      { hostId: 'plain', hostName: 'node-plain', filter: 'traits', reason: 'lacks required trait gpu', summary: 'lacks gpu' },
      { hostId: 'failed', hostName: 'node-failed', filter: 'excluded', reason: 'excluded by the request (an evacuation leaves its failed host)', summary: 'excluded' },
      { hostId: 'busy', hostName: 'node-busy', filter: 'vcpus', reason: 'needs 2 vCPUs, 1 of 32 free (ratio 4.0)', summary: 'full' },
      { hostId: 'small', hostName: 'node-small', filter: 'memory', reason: 'needs 4096 MiB memory, 2048 of 2048 MiB free (ratio 1.0)', summary: 'full' },
    ],
  });
});

test('place() gives the same answer whatever the order of hosts and allocations', () => {
  const hosts = Array.from({ length: 12 }, (_, i) => host(`h${i}`, { vcpus: 4 + (i % 3) * 4, traits: i % 5 === 0 ? ['gpu'] : [] }));
  const allocations = hosts.flatMap((h, i) => Array.from({ length: i % 4 }, (_, k) => allocation(h.id, { instanceId: `i${i}-${k}` })));
  const first = place(request(), hosts, allocations, POLICY);
  for (let shift = 1; shift < 12; shift += 1) {
    const rotated = [...hosts.slice(shift), ...hosts.slice(0, shift)];
    const d = place(request(), rotated, [...allocations].reverse(), POLICY);
    assert.is(chosen(d), chosen(first));
    assert.equal(d.kind === 'placed' && first.kind === 'placed' ? d.score : 0, first.kind === 'placed' ? first.score : 0);
  }
});

test('place() refuses a second entry with the same host id', () => {
  const d = place(request(), [host('a'), host('a')], [], POLICY);
  assert.is(chosen(d), 'a');
  assert.equal(d.rejected.map((r) => r.reason), ['host id is listed more than once; only its first entry is used']);
});

// Bad figures anywhere are a host that does not fit, with a reason; never a throw, never a placement on a host we cannot count.
const bad: Record<string, { request?: Partial<PlacementRequest>; host?: Partial<HostCapacity>; policy?: Partial<PlacementPolicy>; allocations?: Allocation[]; filter: string; reason: string }> = {
  'a request for 0 vCPUs': { request: { vcpus: 0 }, filter: 'vcpus', reason: 'request asks for 0 vCPUs; not a positive number' },
  'a request for negative vCPUs': { request: { vcpus: -2 }, filter: 'vcpus', reason: 'request asks for -2 vCPUs; not a positive number' },
  'a request for NaN memory': { request: { memoryMiB: NaN }, filter: 'memory', reason: 'request asks for NaN MiB memory; not a positive number' },
  'a request for infinite disk': { request: { diskGiB: Infinity }, filter: 'disk', reason: 'request asks for Infinity GiB disk; not zero or more' },
  'a request for negative disk': { request: { diskGiB: -1 }, filter: 'disk', reason: 'request asks for -1 GiB disk; not zero or more' },
  'a host with 0 vCPUs': { host: { vcpus: 0 }, filter: 'vcpus', reason: 'host reports 0 vCPUs; not a positive number' },
  'a host with NaN memory': { host: { memoryMiB: NaN }, filter: 'memory', reason: 'host reports NaN MiB memory; not a positive number' },
  'a host with negative disk': { host: { diskGiB: -5 }, filter: 'disk', reason: 'host reports -5 GiB disk; not zero or more' },
  'a host with infinite vCPUs': { host: { vcpus: Infinity }, filter: 'vcpus', reason: 'host reports Infinity vCPUs; not a positive number' },
  'a CPU ratio of 0': { policy: { cpuAllocationRatio: 0 }, filter: 'vcpus', reason: 'policy cpuAllocationRatio 0 is not a positive number' },
  'a NaN RAM ratio': { policy: { ramAllocationRatio: NaN }, filter: 'memory', reason: 'policy ramAllocationRatio NaN is not a positive number' },
  'a reserve above 1': { policy: { evacuationReserve: 1.5 }, filter: 'reserve', reason: 'policy evacuationReserve 1.5 is not a fraction from 0 to 1' },
  'a negative reserve': { policy: { evacuationReserve: -0.1 }, filter: 'reserve', reason: 'policy evacuationReserve -0.1 is not a fraction from 0 to 1' },
  'an allocation with NaN vCPUs': {
    allocations: [allocation('h1', { vcpus: NaN })],
    filter: 'vcpus',
    reason: 'an allocation on this host has an invalid vCPUs figure, so its free vCPUs is unknown',
  },
  'an allocation with negative memory': {
    allocations: [allocation('h1', { memoryMiB: -4096 })],
    filter: 'memory',
    reason: 'an allocation on this host has an invalid memory figure, so its free memory is unknown',
  },
};

for (const [what, c] of Object.entries(bad)) {
  test(`place() treats ${what} as not fitting, with a reason`, () => {
    const d = place(request(c.request), [host('h1', c.host)], c.allocations ?? [], { ...POLICY, ...c.policy });
    assert.is(d.kind, 'impossible');
    assert.equal(d.rejected.map((r) => [r.filter, r.reason]), [[c.filter, c.reason]]);
  });
}

test('place() lets an evacuation through under an invalid reserve (it may use the reserve anyway)', () => {
  assert.is(chosen(place(request({ purpose: 'evacuate' }), [host('a')], [], { ...POLICY, evacuationReserve: NaN })), 'a');
});

test('place() answers impossible with nothing rejected when there are no hosts', () => {
  assert.equal(place(request(), [], [], POLICY), { kind: 'impossible', rejected: [], considered: 0 });
});

test.run();
