import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type Allocation,
  type HostCapacity,
  place,
  type PlacementPolicy,
  type PlacementRequest,
} from '../../../../../services/controller/compute/placement/index.ts';
import { hasRoom, HOST_FILTERS, type HostSlot, type RequestScope } from '../../../../../services/controller/compute/placement/host-filters.ts';
import { allocation, host, POLICY, request } from './_fixtures.ts';

// Each filter, through place() on one host: a case it lets through and cases it refuses, with the words the operator reads.
interface Case {
  readonly host?: Partial<HostCapacity>;
  readonly request?: Partial<PlacementRequest>;
  readonly policy?: Partial<PlacementPolicy>;
  readonly allocations?: readonly Allocation[];
  /** undefined: the host takes the instance. */
  readonly refused?: { readonly filter: string; readonly reason: string };
}

const cases: Record<string, Case> = {
  'state lets an active host through': {},
  'state refuses a suspect host': { host: { state: 'suspect' }, refused: { filter: 'state', reason: 'host is suspect; only active hosts take new instances' } },
  'state refuses an offline host': { host: { state: 'offline' }, refused: { filter: 'state', reason: 'host is offline; only active hosts take new instances' } },
  'state refuses a pending host': { host: { state: 'pending' }, refused: { filter: 'state', reason: 'host is pending; only active hosts take new instances' } },
  'state refuses a retired host': { host: { state: 'retired' }, refused: { filter: 'state', reason: 'host is retired; only active hosts take new instances' } },
  'state refuses a rejected host': { host: { state: 'rejected' }, refused: { filter: 'state', reason: 'host is rejected; only active hosts take new instances' } },
  'maintenance refuses a host in maintenance': { host: { maintenance: true }, refused: { filter: 'maintenance', reason: 'in maintenance (label alliance/maintenance)' } },
  'excluded lets a host not in the exclude list through': { request: { excludeHosts: ['other'] } },
  'excluded refuses an excluded host': { request: { excludeHosts: ['h1'] }, refused: { filter: 'excluded', reason: 'excluded by the request (an evacuation leaves its failed host)' } },
  'traits lets a host with the required trait through': { host: { traits: ['disk:ssd'] }, request: { requiredTraits: ['disk:ssd'] } },
  'traits refuses a host without a required trait': { request: { requiredTraits: ['disk:ssd'] }, refused: { filter: 'traits', reason: 'lacks required trait disk:ssd' } },
  'traits names every missing trait': { request: { requiredTraits: ['gpu', 'disk:ssd'] }, refused: { filter: 'traits', reason: 'lacks required traits disk:ssd, gpu' } },
  'traits refuses a host with a forbidden trait': { host: { traits: ['gpu'] }, request: { forbiddenTraits: ['gpu'] }, refused: { filter: 'traits', reason: 'has forbidden trait gpu' } },
  'traits says both when a trait is missing and another forbidden': {
    host: { traits: ['gpu'] },
    request: { requiredTraits: ['disk:ssd'], forbiddenTraits: ['gpu'] },
    refused: { filter: 'traits', reason: 'lacks required trait disk:ssd; has forbidden trait gpu' },
  },
  'vcpus lets a request that fits the ratio through (8 threads x 4 = 32 vCPUs)': { request: { vcpus: 28 }, policy: { evacuationReserve: 0 } },
  'vcpus refuses a request beyond the ratio': {
    request: { vcpus: 4 },
    allocations: [allocation('h1', { vcpus: 30 })],
    refused: { filter: 'vcpus', reason: 'needs 4 vCPUs, 2 of 32 free (ratio 4.0)' },
  },
  'memory lets a request for the whole memory through when nothing is reserved': { request: { memoryMiB: 32768 }, policy: { evacuationReserve: 0 } },
  'memory refuses a request beyond the free memory': {
    request: { memoryMiB: 8192 },
    allocations: [allocation('h1', { memoryMiB: 28672 })],
    refused: { filter: 'memory', reason: 'needs 8192 MiB memory, 4096 of 32768 MiB free (ratio 1.0)' },
  },
  'memory counts the RAM ratio': { request: { memoryMiB: 40000 }, policy: { ramAllocationRatio: 1.5, evacuationReserve: 0 } },
  'disk refuses a request beyond the free disk': {
    request: { diskGiB: 100 },
    allocations: [allocation('h1', { diskGiB: 450 })],
    refused: { filter: 'disk', reason: 'needs 100 GiB disk, 50 of 500 GiB free' },
  },
  'disk lets a diskless request onto a diskless host': { host: { diskGiB: 0 }, request: { diskGiB: 0 } },
  'reserve lets a create through that leaves the reserve free': { request: { vcpus: 28 } },
  'reserve refuses a create that eats into it': {
    request: { vcpus: 30 },
    refused: { filter: 'reserve', reason: 'would leave 2 of 32 vCPUs free; 10% (3.2) is kept for evacuations' },
  },
  'reserve lets an evacuation use it': { request: { vcpus: 30, purpose: 'evacuate' } },
  'reserve still holds an evacuation to the capacity': {
    request: { vcpus: 33, purpose: 'evacuate' },
    refused: { filter: 'vcpus', reason: 'needs 33 vCPUs, 32 of 32 free (ratio 4.0)' },
  },
  'reserve applies to memory too': {
    request: { memoryMiB: 30720 },
    refused: { filter: 'reserve', reason: 'would leave 2048 of 32768 MiB memory free; 10% (3276.8 MiB) is kept for evacuations' },
  },
  'affinity lets the host holding the group through': {
    request: { serverGroup: { id: 'g', policy: 'affinity' } },
    allocations: [allocation('h1', { serverGroupId: 'g' })],
  },
  'affinity refuses a host away from the group': {
    request: { serverGroup: { id: 'g', policy: 'affinity' } },
    allocations: [allocation('h9', { serverGroupId: 'g' })],
    refused: { filter: 'affinity', reason: 'affinity group g has its members on h9' },
  },
  'affinity lets any host take the first member': { request: { serverGroup: { id: 'g', policy: 'affinity' } } },
  'anti-affinity refuses a host holding a member': {
    request: { serverGroup: { id: 'g', policy: 'anti-affinity' } },
    allocations: [allocation('h1', { serverGroupId: 'g' })],
    refused: { filter: 'anti-affinity', reason: 'already holds a member of anti-affinity group g' },
  },
  'anti-affinity lets a host holding members of another group through': {
    request: { serverGroup: { id: 'g', policy: 'anti-affinity' } },
    allocations: [allocation('h1', { serverGroupId: 'other' })],
  },
  'anti-affinity ignores the instance itself (re-placing it)': {
    request: { instanceId: 'i-self', serverGroup: { id: 'g', policy: 'anti-affinity' } },
    allocations: [allocation('h1', { instanceId: 'i-self', serverGroupId: 'g' })],
  },
};

for (const [behaviour, c] of Object.entries(cases)) {
  test(`filters: ${behaviour}`, () => {
    const d = place(request(c.request), [host('h1', c.host)], c.allocations ?? [], { ...POLICY, ...c.policy });
    if (c.refused === undefined) {
      assert.equal(d.kind, 'placed', JSON.stringify(d.rejected));
      assert.equal(d.rejected, []);
    } else {
      assert.equal(d.kind, 'impossible');
      assert.equal(
        d.rejected.map((r) => ({ filter: r.filter, reason: r.reason })),
        [c.refused],
      );
    }
    assert.is(d.considered, 1);
  });
}

test('HOST_FILTERS: every filter has a name the rejection uses and runs traits-only filters first', () => {
  const names = HOST_FILTERS.map((f) => f.name);
  assert.equal(names, ['state', 'maintenance', 'traits', 'excluded', 'affinity', 'anti-affinity', 'vcpus', 'memory', 'disk', 'reserve']);
  const firstOther = HOST_FILTERS.findIndex((f) => f.dependsOn !== 'traits');
  assert.ok(HOST_FILTERS.slice(firstOther).every((f) => f.dependsOn !== 'traits'));
});

// hasRoom() stands in for the usage filters in the hot loop: it must agree with them on every figure, odd ones included.
test('hasRoom() agrees with the usage filters, bad figures included', () => {
  const figures = [0, 1, 2.5, 7, 8, 32, -1, NaN, Infinity];
  const usage = HOST_FILTERS.filter((f) => f.dependsOn === 'usage');
  let checked = 0;
  for (const cap of figures) {
    for (const used of figures) {
      for (const want of figures) {
        for (const reserve of [0, 0.1, 1, NaN]) {
          const slot = { capacity: { vcpus: cap, memoryMiB: 64, diskGiB: 64 }, used: { vcpus: used, memoryMiB: 0, diskGiB: 0 } } as unknown as HostSlot;
          const scope = { wants: { vcpus: want, memoryMiB: 8, diskGiB: 8 }, reserve, policy: POLICY } as unknown as RequestScope;
          const all = usage.filter((f) => f.applies(scope)).every((f) => f.fits(slot, scope));
          assert.is(hasRoom(slot, scope), all, `cap ${cap} used ${used} want ${want} reserve ${reserve}`);
          checked += 1;
        }
      }
    }
  }
  assert.is(checked, 9 * 9 * 9 * 4);
});

test.run();
