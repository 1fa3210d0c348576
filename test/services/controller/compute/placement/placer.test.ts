import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Allocation, allocationOf, place, Placer, type PlacementRequest } from '../../../../../services/controller/compute/placement/index.ts';
import { host, POLICY, request } from './_fixtures.ts';

const hosts = Array.from({ length: 20 }, (_, i) =>
  host(`h${String(i).padStart(2, '0')}`, { vcpus: [4, 8, 16][i % 3]!, memoryMiB: [8192, 32768, 65536][i % 3]!, traits: i % 7 === 0 ? ['gpu'] : [], state: i === 5 ? 'offline' : 'active' }),
);
const flavors = [
  [1, 1024],
  [2, 4096],
  [4, 8192],
  [8, 16384],
] as const;
const requests: PlacementRequest[] = Array.from({ length: 120 }, (_, i) =>
  request({
    instanceId: `i${i}`,
    vcpus: flavors[i % 4]![0],
    memoryMiB: flavors[i % 4]![1],
    requiredTraits: i % 25 === 0 ? ['gpu'] : [],
    serverGroup: i % 10 === 3 ? { id: 'spread', policy: 'anti-affinity' } : i % 10 === 7 ? { id: 'together', policy: 'affinity' } : undefined,
  }),
);

test('Placer.place() then commit() answers as place() given the same allocations each time', () => {
  const placer = new Placer({ hosts, allocations: [], policy: POLICY });
  const allocations: Allocation[] = [];
  let placed = 0;
  for (const req of requests) {
    const incremental = placer.place(req);
    assert.equal(incremental, place(req, hosts, allocations, POLICY), req.instanceId);
    if (incremental.kind === 'placed') {
      placed += 1;
      placer.commit(incremental.hostId, allocationOf(req, incremental.hostId));
      allocations.push(allocationOf(req, incremental.hostId));
    }
  }
  // The run must reach full hosts, or it checks little.
  assert.ok(placed > 40 && placed < requests.length, `placed ${placed}`);
});

test('Placer.place() counts nothing until commit()', () => {
  const placer = new Placer({ hosts: [host('a'), host('b')], allocations: [], policy: POLICY });
  const req = request();
  const first = placer.place(req);
  assert.equal(placer.place(req), first);
  assert.is(first.kind === 'placed' ? first.hostId : '', 'a');
  placer.commit('a', allocationOf(req, 'a'));
  const next = placer.place(request({ instanceId: 'i-2' }));
  assert.is(next.kind === 'placed' ? next.hostId : '', 'b');
});

test('Placer.commit() gives a refusal for want of room fresh words once the host changes', () => {
  const placer = new Placer({ hosts: [host('a')], allocations: [], policy: POLICY });
  const big = request({ vcpus: 28 });
  placer.commit('a', allocationOf(request({ instanceId: 'x', vcpus: 4 }), 'a'));
  const before = placer.place(big);
  placer.commit('a', allocationOf(request({ instanceId: 'y', vcpus: 4 }), 'a'));
  const after = placer.place(big);
  assert.equal(before.rejected.map((r) => r.reason), ['would leave 0 of 32 vCPUs free; 10% (3.2) is kept for evacuations']);
  assert.equal(after.rejected.map((r) => r.reason), ['needs 28 vCPUs, 24 of 32 free (ratio 4.0)']);
});

test('Placer.commit() on a host it does not know counts only the server group', () => {
  const placer = new Placer({ hosts: [host('a')], allocations: [], policy: POLICY });
  placer.commit('elsewhere', { instanceId: 'm1', vcpus: 2, memoryMiB: 4096, diskGiB: 20, serverGroupId: 'g' });
  const d = placer.place(request({ serverGroup: { id: 'g', policy: 'affinity' } }));
  assert.equal(d.rejected.map((r) => r.reason), ['affinity group g has its members on elsewhere']);
});

test('allocationOf() carries the request size and its server group', () => {
  assert.equal(allocationOf(request({ serverGroup: { id: 'g', policy: 'affinity' } }), 'h1'), {
    instanceId: 'i-new',
    hostId: 'h1',
    vcpus: 2,
    memoryMiB: 4096,
    diskGiB: 20,
    serverGroupId: 'g',
  });
});

test.run();
