import type { HostSlot, RequestScope } from './host-filters.ts';

// Weighing for cloud-wide load levelling among the hosts that passed every
// filter. Higher is better.

/** Weight lost per rare trait a host has that the request does not need: more than any load difference (loads are 0..1). */
export const RARE_TRAIT_PENALTY = 2;

// The other dimension counts a little, so that of two hosts equally full in
// their scarcer dimension the one with more of the other left wins.
const OTHER_DIMENSION_SHARE = 0.01;

/** The host's vCPU and memory use as fractions of its capacity, once the request is on it. */
export function loadAfter(slot: HostSlot, scope: RequestScope): { readonly vcpus: number; readonly memory: number } {
  return {
    vcpus: (slot.used.vcpus + scope.wants.vcpus) / slot.capacity.vcpus,
    memory: (slot.used.memoryMiB + scope.wants.memoryMiB) / slot.capacity.memoryMiB,
  };
}

/** The rare traits of the host the request does not ask for. */
export function unneededRareTraits(slot: HostSlot, scope: RequestScope): string[] {
  if (slot.rareTraits.length === 0) return [];
  return slot.rareTraits.filter((t) => !scope.required.includes(t));
}

/**
 * 1 minus the load after placement (the scarcer of vCPU and memory
 * dominates), less RARE_TRAIT_PENALTY per rare trait it would waste: spread
 * the load, and keep GPUs and FC HBAs for the requests that need them.
 */
export function weigh(slot: HostSlot, scope: RequestScope): number {
  const cpu = (slot.used.vcpus + scope.wants.vcpus) / slot.capacity.vcpus;
  const mem = (slot.used.memoryMiB + scope.wants.memoryMiB) / slot.capacity.memoryMiB;
  const load = cpu > mem ? cpu + OTHER_DIMENSION_SHARE * mem : mem + OTHER_DIMENSION_SHARE * cpu;
  const wasted = slot.rareTraits.length === 0 ? 0 : unneededRareTraits(slot, scope).length;
  return 1 - load - RARE_TRAIT_PENALTY * wasted;
}
