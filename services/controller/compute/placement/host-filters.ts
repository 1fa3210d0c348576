import { amount, EPSILON, isCountable, percent } from './_amounts.ts';
import type { HostCapacity, PlacementPolicy, PlacementRequest } from './placement-types.ts';

// The filters: small pure predicates, each with a name and words for the
// operator. `fits` is the hot path (no strings built); `refuse` runs only for
// a host that did not fit and says why.

export interface Resources {
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
}

/** A host as the filters see it. Capacities are after the policy's ratios; NaN marks a figure placement cannot trust. */
export interface HostSlot {
  readonly host: HostCapacity;
  readonly traits: ReadonlySet<string>;
  /** The policy's rare traits this host has. */
  readonly rareTraits: readonly string[];
  /** An earlier entry of the host list has the same id. */
  readonly duplicate: boolean;
  readonly capacity: Readonly<Resources>;
  /** What allocations already take; only the Placer changes it. */
  readonly used: Readonly<Resources>;
}

/** What one request means for the filters, worked out once per placement. */
export interface RequestScope {
  readonly request: PlacementRequest;
  readonly policy: PlacementPolicy;
  readonly required: readonly string[];
  readonly forbidden: readonly string[];
  /** Required and forbidden traits in one string, to reuse a host's refusals across requests asking the same. */
  readonly traitKey: string;
  /** The request's size and the reserve it is held to in one string, to reuse a refusal while a host's use is unchanged. */
  readonly sizeKey: string;
  readonly excluded: ReadonlySet<string>;
  /** Affinity: the hosts holding other members of the group; undefined when any host will do. */
  readonly affinityHosts: ReadonlySet<string> | undefined;
  /** Anti-affinity: the hosts holding other members of the group. */
  readonly antiAffinityHosts: ReadonlySet<string> | undefined;
  /** Fraction of each host a create must leave free; 0 for an evacuation, NaN when the policy's figure is invalid. */
  readonly reserve: number;
  /** The request's own figures when valid, NaN otherwise (so no host fits). */
  readonly wants: Readonly<Resources>;
}

export type FilterName = 'state' | 'maintenance' | 'excluded' | 'traits' | 'affinity' | 'anti-affinity' | 'vcpus' | 'memory' | 'disk' | 'reserve';

export interface Refusal {
  readonly reason: string;
  readonly summary: string;
}

export interface HostFilter {
  readonly name: FilterName;
  /**
   * What the answer depends on besides the host record: `traits` (only the
   * request's traits, so the answer per host is kept for like requests),
   * `usage` (the host's use and the request's size) or `request` (the rest of it).
   */
  readonly dependsOn: 'traits' | 'usage' | 'request';
  /** Whether the filter can refuse anything for this request (an empty exclude list cannot): others are skipped. */
  applies(scope: RequestScope): boolean;
  fits(slot: HostSlot, scope: RequestScope): boolean;
  refuse(slot: HostSlot, scope: RequestScope): Refusal;
}

export const stateFilter: HostFilter = {
  name: 'state',
  dependsOn: 'traits',
  applies: () => true,
  fits: (slot) => slot.host.state === 'active' && !slot.duplicate,
  refuse: (slot) =>
    slot.duplicate
      ? { reason: 'host id is listed more than once; only its first entry is used', summary: 'duplicate id' }
      : { reason: `host is ${slot.host.state}; only active hosts take new instances`, summary: slot.host.state },
};

export const maintenanceFilter: HostFilter = {
  name: 'maintenance',
  dependsOn: 'traits',
  applies: () => true,
  fits: (slot) => !slot.host.maintenance,
  refuse: () => ({ reason: 'in maintenance (label alliance/maintenance)', summary: 'maintenance' }),
};

export const excludedFilter: HostFilter = {
  name: 'excluded',
  dependsOn: 'request',
  applies: (scope) => scope.excluded.size > 0,
  fits: (slot, scope) => !scope.excluded.has(slot.host.id),
  refuse: () => ({ reason: 'excluded by the request (an evacuation leaves its failed host)', summary: 'excluded' }),
};

export const traitsFilter: HostFilter = {
  name: 'traits',
  dependsOn: 'traits',
  applies: (scope) => scope.required.length > 0 || scope.forbidden.length > 0,
  fits: (slot, scope) => {
    for (const t of scope.required) if (!slot.traits.has(t)) return false;
    for (const t of scope.forbidden) if (slot.traits.has(t)) return false;
    return true;
  },
  refuse: (slot, scope) => {
    const missing = scope.required.filter((t) => !slot.traits.has(t));
    const present = scope.forbidden.filter((t) => slot.traits.has(t));
    const reasons = [
      ...(missing.length > 0 ? [`lacks required trait${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`] : []),
      ...(present.length > 0 ? [`has forbidden trait${present.length > 1 ? 's' : ''} ${present.join(', ')}`] : []),
    ];
    const summaries = [...(missing.length > 0 ? [`lacks ${missing.join('+')}`] : []), ...(present.length > 0 ? [`has ${present.join('+')}`] : [])];
    return { reason: reasons.join('; '), summary: summaries.join('; ') };
  },
};

const listHosts = (ids: ReadonlySet<string>) => {
  const sorted = [...ids].sort();
  return sorted.length > 5 ? `${sorted.slice(0, 5).join(', ')} and ${sorted.length - 5} more` : sorted.join(', ');
};

export const affinityFilter: HostFilter = {
  name: 'affinity',
  dependsOn: 'request',
  applies: (scope) => scope.affinityHosts !== undefined,
  fits: (slot, scope) => scope.affinityHosts === undefined || scope.affinityHosts.has(slot.host.id),
  refuse: (_slot, scope) => ({
    reason: `affinity group ${scope.request.serverGroup?.id ?? ''} has its members on ${listHosts(scope.affinityHosts ?? new Set())}`,
    summary: 'not with its group',
  }),
};

export const antiAffinityFilter: HostFilter = {
  name: 'anti-affinity',
  dependsOn: 'request',
  applies: (scope) => scope.antiAffinityHosts !== undefined,
  fits: (slot, scope) => scope.antiAffinityHosts === undefined || !scope.antiAffinityHosts.has(slot.host.id),
  refuse: (_slot, scope) => ({ reason: `already holds a member of anti-affinity group ${scope.request.serverGroup?.id ?? ''}`, summary: 'holds a group member' }),
};

interface Dimension {
  readonly key: keyof Resources;
  readonly host: 'vcpus' | 'memoryMiB' | 'diskGiB';
  readonly what: string;
  readonly unit: string;
  readonly ratio: 'cpuAllocationRatio' | 'ramAllocationRatio' | undefined;
  readonly zeroOk: boolean;
}

const VCPUS: Dimension = { key: 'vcpus', host: 'vcpus', what: 'vCPUs', unit: '', ratio: 'cpuAllocationRatio', zeroOk: false };
const MEMORY: Dimension = { key: 'memoryMiB', host: 'memoryMiB', what: 'memory', unit: ' MiB', ratio: 'ramAllocationRatio', zeroOk: false };
// A disk of 0 is fine: an instance booting from a volume, a host without local disk.
const DISK: Dimension = { key: 'diskGiB', host: 'diskGiB', what: 'disk', unit: ' GiB', ratio: undefined, zeroOk: true };
export const DIMENSIONS: readonly Dimension[] = [VCPUS, MEMORY, DISK];

/** Capacity after the policy's ratio, NaN when the host's figure or the ratio is not one placement can count on. */
export function capacityOf(host: HostCapacity, policy: PlacementPolicy, dim: Dimension): number {
  const physical = host[dim.host];
  const ratio = dim.ratio === undefined ? 1 : policy[dim.ratio];
  return isCountable(physical, dim.zeroOk) && isCountable(ratio) ? physical * ratio : NaN;
}

/** Whether a request's figure is one placement can count on (vCPUs and memory above zero, disk zero or more). */
export function wantOf(request: PlacementRequest, dim: Dimension): number {
  const n = request[dim.key];
  return isCountable(n, dim.zeroOk) ? n : NaN;
}

// Why a figure of this dimension cannot be counted on, or undefined when all can.
function invalidFigure(slot: HostSlot, scope: RequestScope, dim: Dimension): Refusal | undefined {
  const asked = scope.request[dim.key];
  if (Number.isNaN(scope.wants[dim.key])) {
    return { reason: `request asks for ${amount(asked)}${dim.unit} ${dim.what}; not ${dim.zeroOk ? 'zero or more' : 'a positive number'}`, summary: 'invalid request' };
  }
  const ratio = dim.ratio === undefined ? 1 : scope.policy[dim.ratio];
  if (dim.ratio !== undefined && !isCountable(ratio)) return { reason: `policy ${dim.ratio} ${amount(ratio)} is not a positive number`, summary: 'invalid policy' };
  if (Number.isNaN(slot.capacity[dim.key])) {
    return { reason: `host reports ${amount(slot.host[dim.host])}${dim.unit} ${dim.what}; not ${dim.zeroOk ? 'zero or more' : 'a positive number'}`, summary: 'invalid host figure' };
  }
  if (Number.isNaN(slot.used[dim.key])) {
    return { reason: `an allocation on this host has an invalid ${dim.what} figure, so its free ${dim.what} is unknown`, summary: 'invalid allocation' };
  }
  return undefined;
}

function capacityFilter(name: 'vcpus' | 'memory' | 'disk', dim: Dimension, fits: HostFilter['fits']): HostFilter {
  return {
    name,
    dependsOn: 'usage',
    applies: () => true,
    fits,
    refuse: (slot, scope) => {
      const invalid = invalidFigure(slot, scope, dim);
      if (invalid !== undefined) return invalid;
      const cap = slot.capacity[dim.key];
      const free = Math.max(0, cap - slot.used[dim.key]);
      const ratio = dim.ratio === undefined ? '' : ` (ratio ${scope.policy[dim.ratio].toFixed(1)})`;
      return { reason: `needs ${amount(scope.wants[dim.key])}${dim.unit} ${dim.what}, ${amount(free)} of ${amount(cap)}${dim.unit} free${ratio}`, summary: 'full' };
    },
  };
}

// fits() spelt out per dimension (a keyed read is slower in this hot loop). NaN
// anywhere makes the comparison false: a bad figure never fits.
export const vcpusFilter = capacityFilter('vcpus', VCPUS, (slot, scope) => slot.used.vcpus + scope.wants.vcpus <= slot.capacity.vcpus + EPSILON);
export const memoryFilter = capacityFilter('memory', MEMORY, (slot, scope) => slot.used.memoryMiB + scope.wants.memoryMiB <= slot.capacity.memoryMiB + EPSILON);
export const diskFilter = capacityFilter('disk', DISK, (slot, scope) => slot.used.diskGiB + scope.wants.diskGiB <= slot.capacity.diskGiB + EPSILON);

const fitsBelowReserve = (slot: HostSlot, scope: RequestScope, dim: Dimension) =>
  slot.used[dim.key] + scope.wants[dim.key] <= slot.capacity[dim.key] * (1 - scope.reserve) + EPSILON;

/** A create leaves `policy.evacuationReserve` of every dimension free; an evacuation may use it (scope.reserve is 0). */
export const reserveFilter: HostFilter = {
  name: 'reserve',
  dependsOn: 'usage',
  applies: (scope) => scope.reserve !== 0,
  // With a reserve, hasRoom()'s one comparison per dimension is exactly this filter's.
  fits: (slot, scope) => hasRoom(slot, scope),
  refuse: (slot, scope) => {
    if (Number.isNaN(scope.reserve)) {
      return { reason: `policy evacuationReserve ${amount(scope.policy.evacuationReserve)} is not a fraction from 0 to 1`, summary: 'invalid policy' };
    }
    const dim = DIMENSIONS.find((d) => !fitsBelowReserve(slot, scope, d)) ?? VCPUS;
    const cap = slot.capacity[dim.key];
    const left = Math.max(0, cap - slot.used[dim.key] - scope.wants[dim.key]);
    return {
      reason: `would leave ${amount(left)} of ${amount(cap)}${dim.unit} ${dim.what} free; ${percent(scope.reserve)} (${amount(cap * scope.reserve)}${dim.unit}) is kept for evacuations`,
      summary: `reserve ${dim.what}`,
    };
  },
};

/**
 * Whether every `usage` filter fits (vcpusFilter, memoryFilter, diskFilter,
 * reserveFilter), in one call: the loop over every host of every placement
 * asks this first and runs the filters one by one only to say why not. A
 * reserve of r in 0..1 keeps (1 - r) of each capacity usable, which is at
 * most the capacity itself, so one comparison per dimension covers both.
 */
export function hasRoom(slot: HostSlot, scope: RequestScope): boolean {
  const keep = 1 - scope.reserve;
  const { used, capacity } = slot;
  const wants = scope.wants;
  return (
    used.vcpus + wants.vcpus <= capacity.vcpus * keep + EPSILON &&
    used.memoryMiB + wants.memoryMiB <= capacity.memoryMiB * keep + EPSILON &&
    used.diskGiB + wants.diskGiB <= capacity.diskGiB * keep + EPSILON
  );
}

/** In the order they run: the first that refuses a host is the reason given for it. Those depending only on traits come first, so their answers can be kept. */
export const HOST_FILTERS: readonly HostFilter[] = [
  stateFilter,
  maintenanceFilter,
  traitsFilter,
  excludedFilter,
  affinityFilter,
  antiAffinityFilter,
  vcpusFilter,
  memoryFilter,
  diskFilter,
  reserveFilter,
];
