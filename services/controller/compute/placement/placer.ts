import { isCountable, percent, plural } from './_amounts.ts';
import { capacityOf, DIMENSIONS, hasRoom, HOST_FILTERS, type HostFilter, type HostSlot, type RequestScope, type Resources, wantOf } from './host-filters.ts';
import { loadAfter, unneededRareTraits, weigh } from './host-weight.ts';
import type { Allocation, HostCapacity, HostRejection, PlacementDecision, PlacementPolicy, PlacementRequest } from './placement-types.ts';

// Placement that keeps what every host has in use, so a caller placing many
// instances in a row (a batch create, an evacuation of a whole host) pays
// for the allocations once, not once per instance. place() is a Placer used
// once: one implementation of the rules.

export interface PlacerOptions {
  readonly hosts: readonly HostCapacity[];
  readonly allocations: readonly Allocation[];
  readonly policy: PlacementPolicy;
}

/** An instance put on a host, as commit() counts it. */
export type PlacedInstance = Omit<Allocation, 'hostId'>;

interface Entry {
  readonly slot: HostSlot;
  readonly used: Resources;
  /** Bumped by every commit to the host. */
  version: number;
  /** Refusals for want of room by the request's size, kept while the host's use is at `refusalsVersion`. */
  readonly refusals: Map<number, HostRejection>;
  refusalsVersion: number;
}

// Request sizes whose refusals are kept per host between commits to it (flavors are few; requests come from outside).
const SIZES_KEPT = 32;

// Distinct trait sets whose answers are kept; requests come from outside, so the memory is bounded.
const TRAIT_VERDICTS_KEPT = 64;
const TRAIT_FILTERS = HOST_FILTERS.filter((f) => f.dependsOn === 'traits');

// A figure an allocation holds: one that cannot be counted on poisons the host's sum (NaN), so the host is refused, not overfilled.
const countable = (n: number) => (isCountable(n, true) ? n : NaN);

export class Placer {
  readonly #policy: PlacementPolicy;
  readonly #entries: Entry[] = [];
  readonly #byId = new Map<string, Entry>();
  /** Server group -> host -> the group's instances on it. */
  readonly #groups = new Map<string, Map<string, Set<string>>>();
  /** By trait key: per host, the first refusal of the filters that look only at the host and the request's traits. */
  readonly #traitVerdicts = new Map<string, (HostRejection | undefined)[]>();
  /** Request sizes as small numbers: a cheaper key for the per-host refusals than the string. */
  readonly #sizeIds = new Map<string, number>();
  // Never reused, so a host's kept refusal cannot answer for another size after the map is cleared.
  #nextSizeId = 0;

  constructor(options: PlacerOptions) {
    this.#policy = options.policy;
    const rare = options.policy.rareTraits;
    for (const host of options.hosts) {
      const capacity = { vcpus: 0, memoryMiB: 0, diskGiB: 0 };
      for (const dim of DIMENSIONS) capacity[dim.key] = capacityOf(host, options.policy, dim);
      const traits = new Set(host.traits);
      const used: Resources = { vcpus: 0, memoryMiB: 0, diskGiB: 0 };
      const slot: HostSlot = { host, traits, rareTraits: rare.filter((t) => traits.has(t)), duplicate: this.#byId.has(host.id), capacity, used };
      const entry: Entry = { slot, used, version: 0, refusals: new Map(), refusalsVersion: 0 };
      this.#entries.push(entry);
      if (!slot.duplicate) this.#byId.set(host.id, entry);
    }
    for (const allocation of options.allocations) this.commit(allocation.hostId, allocation);
  }

  /** Counts an instance against a host's capacity and its server group; a host placement does not know is remembered only for the group. */
  commit(hostId: string, allocation: PlacedInstance): void {
    const entry = this.#byId.get(hostId);
    if (entry !== undefined) {
      entry.used.vcpus += countable(allocation.vcpus);
      entry.used.memoryMiB += countable(allocation.memoryMiB);
      entry.used.diskGiB += countable(allocation.diskGiB);
      entry.version += 1;
    }
    if (allocation.serverGroupId === undefined) return;
    let hosts = this.#groups.get(allocation.serverGroupId);
    if (hosts === undefined) this.#groups.set(allocation.serverGroupId, (hosts = new Map<string, Set<string>>()));
    let members = hosts.get(hostId);
    if (members === undefined) hosts.set(hostId, (members = new Set()));
    members.add(allocation.instanceId);
  }

  /** Which host takes the instance, and why every other host could not. Pure with respect to the Placer: nothing is counted until commit(). */
  place(request: PlacementRequest): PlacementDecision {
    const scope = this.#scope(request);
    const verdicts = this.#verdictsFor(scope);
    const filters = HOST_FILTERS.filter((f) => f.dependsOn === 'request' && f.applies(scope));
    const usageFilters = HOST_FILTERS.filter((f) => f.dependsOn === 'usage' && f.applies(scope));
    let sizeId = this.#sizeIds.get(scope.sizeKey);
    if (sizeId === undefined) {
      if (this.#sizeIds.size >= 4096) this.#sizeIds.clear();
      this.#sizeIds.set(scope.sizeKey, (sizeId = this.#nextSizeId++));
    }
    const rejected: HostRejection[] = [];
    let best: HostSlot | undefined;
    let bestWeight = -Infinity;
    let candidates = 0;
    for (let i = 0; i < this.#entries.length; i += 1) {
      const known = verdicts[i];
      if (known !== undefined) {
        rejected.push(known);
        continue;
      }
      const entry = this.#entries[i]!;
      const slot = entry.slot;
      const refusing = filters.length === 0 ? undefined : firstRefusing(filters, slot, scope);
      if (refusing !== undefined || !hasRoom(slot, scope)) {
        rejected.push(rejectionOf(entry, refusing ?? firstRefusing(usageFilters, slot, scope) ?? usageFilters[0]!, scope, sizeId));
        continue;
      }
      candidates += 1;
      const weight = weigh(slot, scope);
      if (best === undefined || weight > bestWeight || (weight === bestWeight && slot.host.id < best.host.id)) {
        best = slot;
        bestWeight = weight;
      }
    }
    const considered = this.#entries.length;
    if (best === undefined) return { kind: 'impossible', rejected, considered };
    return { kind: 'placed', hostId: best.host.id, hostName: best.host.name, score: bestWeight, why: whyChosen(best, scope, candidates), rejected, considered };
  }

  #scope(request: PlacementRequest): RequestScope {
    const required = [...(request.requiredTraits ?? [])].sort();
    const forbidden = [...(request.forbiddenTraits ?? [])].sort();
    const group = request.serverGroup;
    // The instance itself is no member to follow or avoid (it may still be counted on the host it leaves).
    const groupHosts = new Set<string>();
    for (const [hostId, members] of group === undefined ? [] : (this.#groups.get(group.id) ?? [])) {
      if (members.size > 1 || !members.has(request.instanceId)) groupHosts.add(hostId);
    }
    const reserve = this.#policy.evacuationReserve;
    const held = request.purpose === 'evacuate' ? 0 : Number.isFinite(reserve) && reserve >= 0 && reserve <= 1 ? reserve : NaN;
    const wants = { vcpus: wantOf(request, DIMENSIONS[0]!), memoryMiB: wantOf(request, DIMENSIONS[1]!), diskGiB: wantOf(request, DIMENSIONS[2]!) };
    return {
      request,
      policy: this.#policy,
      required,
      forbidden,
      traitKey: `${required.join(',')}|${forbidden.join(',')}`,
      excluded: new Set(request.excludeHosts ?? []),
      affinityHosts: group?.policy === 'affinity' && groupHosts.size > 0 ? groupHosts : undefined,
      antiAffinityHosts: group?.policy === 'anti-affinity' && groupHosts.size > 0 ? groupHosts : undefined,
      // Anything but an evacuation is held to the reserve.
      reserve: held,
      wants,
      // The request's own figures, not `wants`: an invalid one is reported as asked.
      sizeKey: `${request.vcpus}/${request.memoryMiB}/${request.diskGiB}/${held}`,
    };
  }

  #verdictsFor(scope: RequestScope): readonly (HostRejection | undefined)[] {
    let verdicts = this.#traitVerdicts.get(scope.traitKey);
    if (verdicts !== undefined) return verdicts;
    const filters = TRAIT_FILTERS.filter((f) => f.applies(scope));
    verdicts = this.#entries.map((entry) => {
      const refusing = firstRefusing(filters, entry.slot, scope);
      return refusing === undefined ? undefined : rejectionOf(entry, refusing, scope, -1);
    });
    if (this.#traitVerdicts.size >= TRAIT_VERDICTS_KEPT) this.#traitVerdicts.clear();
    this.#traitVerdicts.set(scope.traitKey, verdicts);
    return verdicts;
  }

}

function firstRefusing(filters: readonly HostFilter[], slot: HostSlot, scope: RequestScope): HostFilter | undefined {
  for (const filter of filters) if (!filter.fits(slot, scope)) return filter;
  return undefined;
}

function rejectionOf(entry: Entry, filter: HostFilter, scope: RequestScope, sizeId: number): HostRejection {
  // A refusal for want of room is the same while the host's use and the request's size are.
  const reusable = filter.dependsOn === 'usage';
  if (reusable) {
    if (entry.refusalsVersion !== entry.version || entry.refusals.size >= SIZES_KEPT) {
      entry.refusals.clear();
      entry.refusalsVersion = entry.version;
    }
    const kept = entry.refusals.get(sizeId);
    if (kept !== undefined) return kept;
  }
  const { host } = entry.slot;
  const refusal = filter.refuse(entry.slot, scope);
  const rejection: HostRejection = { hostId: host.id, hostName: host.name, filter: filter.name, reason: refusal.reason, summary: refusal.summary };
  if (reusable) entry.refusals.set(sizeId, rejection);
  return rejection;
}

function whyChosen(slot: HostSlot, scope: RequestScope, candidates: number): string {
  const load = loadAfter(slot, scope);
  const among = candidates === 1 ? 'the only host that could take it' : `lowest load after placement of ${plural(candidates, 'host')} that could take it`;
  const wasted = unneededRareTraits(slot, scope);
  const rare = wasted.length === 0 ? '' : `; it has ${wasted.join(', ')}, rare and not asked for: no host without could take it`;
  return `${among} (vCPU ${percent(load.vcpus)}, memory ${percent(load.memory)})${rare}`;
}

/** The allocation a placed request becomes, for commit() and the store. */
export function allocationOf(request: PlacementRequest, hostId: string): Allocation {
  return { instanceId: request.instanceId, hostId, vcpus: request.vcpus, memoryMiB: request.memoryMiB, diskGiB: request.diskGiB, serverGroupId: request.serverGroup?.id };
}
