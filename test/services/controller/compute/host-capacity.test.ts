import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostCapacityOf } from '../../../../services/controller/compute/host-capacity.ts';
import type { HostRecord } from '../../../../services/controller/hosts/host-repository.ts';
import { sampleInventory } from '../hosts/_support/hosts-fixtures.ts';

function host(overrides: Partial<HostRecord>): HostRecord {
  return {
    id: 'h1', publicKey: '', name: 'node-a', state: 'active', addresses: [], labels: {}, traits: ['gpu'], inventory: sampleInventory(), inventoryHash: '', health: null,
    credentialHash: null, certificate: null, certNotAfter: null, joinTokenId: null, approvedBy: null, agentVersion: '', createdAt: '', updatedAt: '', enrolledAt: null, lastHeartbeatAt: null,
    ...overrides,
  };
}

test('hostCapacityOf() counts threads, MiB of memory and GiB of all disks, with traits and state', () => {
  const base = sampleInventory();
  const inventory = { ...base, memory: { totalBytes: 64 * 2 ** 30 + 5 }, disks: [{ ...base.disks[0]!, sizeBytes: 100 * 2 ** 30 }, { ...base.disks[0]!, sizeBytes: 2 ** 30 - 1 }] };
  assert.equal(hostCapacityOf(host({ inventory, state: 'suspect' })), { id: 'h1', name: 'node-a', state: 'suspect', maintenance: false, traits: ['gpu'], vcpus: 80, memoryMiB: 65_536, diskGiB: 100 });
});

test('hostCapacityOf() takes the alliance/maintenance label (any value but "false") as maintenance', () => {
  assert.is(hostCapacityOf(host({ labels: { 'alliance/maintenance': 'true' } }))?.maintenance, true);
  assert.is(hostCapacityOf(host({ labels: { 'alliance/maintenance': '' } }))?.maintenance, true);
  assert.is(hostCapacityOf(host({ labels: { 'alliance/maintenance': 'false' } }))?.maintenance, false);
});

test('hostCapacityOf() has nothing to count for a host without an inventory', () => {
  assert.is(hostCapacityOf(host({ inventory: null })), undefined);
});

test.run();
