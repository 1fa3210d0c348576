// Placement for the compute controller: which host an instance goes to, and why not the others.
export type { Allocation, HostCapacity, HostRejection, PlacementDecision, PlacementPolicy, PlacementRequest } from './placement-types.ts';
export { place } from './place.ts';
export { allocationOf, type PlacedInstance, Placer, type PlacerOptions } from './placer.ts';
export { formatRejections, type FormatRejectionsOptions } from './format-rejections.ts';
export { type FilterName, HOST_FILTERS, type HostFilter, type HostSlot, type RequestScope } from './host-filters.ts';
export { RARE_TRAIT_PENALTY, weigh } from './host-weight.ts';
