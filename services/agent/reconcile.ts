import type { DesiredResult, HostState } from '../../appliance/contracts/index.ts';

// The agent applies desired state and nothing else. Reconciling is pure: the
// desired state from the controller and what the agent observes on the host
// give a list of actions; only the apply stage (later: compute, networks,
// storage) touches the host, and it reports back. Nothing is applied yet, so
// the list is empty: each kind of output plugs in here as it lands.

/** What the agent observes on the host; grows with the outputs it owns. */
export interface Observed {
  readonly generation: number | undefined;
}

/** One thing to do on the host. No kinds exist yet. */
export type ReconcileAction = never;

export interface Reconciled {
  readonly actions: readonly ReconcileAction[];
  /** The generation the host is at once the actions are applied. */
  readonly generation: number;
  readonly state: HostState;
  /** One line for the log. */
  readonly summary: string;
}

/** Level-triggered and idempotent: the same inputs always give the same actions. */
export function reconcile(desired: DesiredResult, observed: Observed): Reconciled {
  const labels = Object.keys(desired.labels).length;
  const seen = observed.generation === desired.generation ? 'unchanged' : `generation ${observed.generation ?? 'none'} -> ${desired.generation}`;
  return {
    actions: [],
    generation: desired.generation,
    state: desired.state,
    summary: `desired state: host ${desired.state}, ${labels} label${labels === 1 ? '' : 's'}, ${seen}; nothing to apply`,
  };
}
