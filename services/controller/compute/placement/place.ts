import type { Allocation, HostCapacity, PlacementDecision, PlacementPolicy, PlacementRequest } from './placement-types.ts';
import { Placer } from './placer.ts';

/**
 * Which host an instance goes to, and for every host that could not take it,
 * why. Pure: O(hosts + allocations). To place many instances in a row, keep a
 * Placer and commit() each placement instead.
 */
export function place(request: PlacementRequest, hosts: readonly HostCapacity[], allocations: readonly Allocation[], policy: PlacementPolicy): PlacementDecision {
  return new Placer({ hosts, allocations, policy }).place(request);
}
