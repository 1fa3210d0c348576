import type { HostState } from '../../../../appliance/contracts/index.ts';

// The inputs and answer of placement, a pure function: which host an instance
// goes to, and for every host that could not take it, why. The compute
// feature gathers these from the store; place() decides.

/** One host as placement sees it. Capacities are physical; the policy's ratios overcommit them. */
export interface HostCapacity {
  readonly id: string;
  readonly name: string;
  readonly state: HostState;
  /** An operator took it out of placement (label `alliance/maintenance`). */
  readonly maintenance: boolean;
  /** Traits from the inventory (`gpu`, `fc-hba`, `cpu:virtualization`, `disk:ssd`, ...). */
  readonly traits: readonly string[];
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly diskGiB: number;
}

/** An instance already on a host, counted against its capacity. */
export interface Allocation {
  readonly instanceId: string;
  readonly hostId: string;
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly diskGiB: number;
  readonly serverGroupId?: string | undefined;
}

export interface PlacementRequest {
  readonly instanceId: string;
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly diskGiB: number;
  /** Flavor extra specs `trait:X=required`. */
  readonly requiredTraits: readonly string[];
  /** Flavor extra specs `trait:X=forbidden`. */
  readonly forbiddenTraits: readonly string[];
  readonly serverGroup?: { readonly id: string; readonly policy: 'affinity' | 'anti-affinity' } | undefined;
  /** create: keep the evacuation reserve free; evacuate: may use it. */
  readonly purpose: 'create' | 'evacuate';
  /** Hosts not to use (an evacuation's failed host). */
  readonly excludeHosts?: readonly string[] | undefined;
}

export interface PlacementPolicy {
  /** vCPUs per physical thread placement may promise (e.g. 4). */
  readonly cpuAllocationRatio: number;
  /** Memory overcommit (e.g. 1.0: none). */
  readonly ramAllocationRatio: number;
  /** Fraction (0..1) of every host's capacity kept free for evacuations; only `evacuate` requests may use it. */
  readonly evacuationReserve: number;
  /** Traits few hosts have (GPUs, FC HBAs): hosts with them are weighed down for requests that do not need them. */
  readonly rareTraits: readonly string[];
}

/** Why one host could not take the instance, in words an operator reads in `alliance instances why ID`. */
export interface HostRejection {
  readonly hostId: string;
  readonly hostName: string;
  /** The filter that rejected it: state, maintenance, excluded, traits, vcpus, memory, disk, reserve, affinity, anti-affinity. */
  readonly filter: string;
  readonly reason: string;
  /** A short phrase that groups like rejections in `alliance instances why` ("offline", "lacks gpu"). */
  readonly summary?: string | undefined;
}

export type PlacementDecision =
  | {
      readonly kind: 'placed';
      readonly hostId: string;
      readonly score: number;
      readonly rejected: readonly HostRejection[];
      readonly considered: number;
      /** The chosen host's name, for the operator. */
      readonly hostName?: string | undefined;
      /** Why this host won among the ones that could take the instance. */
      readonly why?: string | undefined;
    }
  | { readonly kind: 'impossible'; readonly rejected: readonly HostRejection[]; readonly considered: number };
