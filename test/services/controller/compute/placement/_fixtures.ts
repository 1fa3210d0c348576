import type { Allocation, HostCapacity, PlacementPolicy, PlacementRequest } from '../../../../../services/controller/compute/placement/index.ts';

// Small builders for placement tables: a host of 8 threads and 32 GiB, a 2 vCPU / 4 GiB request, a 4:1 CPU policy with a 10% reserve.

export const POLICY: PlacementPolicy = { cpuAllocationRatio: 4, ramAllocationRatio: 1, evacuationReserve: 0.1, rareTraits: ['gpu', 'fc-hba'] };

export function host(id: string, over: Partial<HostCapacity> = {}): HostCapacity {
  return { id, name: `node-${id}`, state: 'active', maintenance: false, traits: [], vcpus: 8, memoryMiB: 32768, diskGiB: 500, ...over };
}

export function request(over: Partial<PlacementRequest> = {}): PlacementRequest {
  return { instanceId: 'i-new', vcpus: 2, memoryMiB: 4096, diskGiB: 20, requiredTraits: [], forbiddenTraits: [], purpose: 'create', ...over };
}

export function allocation(hostId: string, over: Partial<Allocation> = {}): Allocation {
  return { instanceId: `i-on-${hostId}`, hostId, vcpus: 2, memoryMiB: 4096, diskGiB: 20, ...over };
}
