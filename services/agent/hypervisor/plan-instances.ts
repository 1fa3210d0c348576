import type { ImageRef, InstanceSpec } from '../../../appliance/contracts/index.ts';

/** A domain state as `virsh domstate` prints it, folded to what the plan needs. */
export type DomainState = 'running' | 'paused' | 'in shutdown' | 'shut off' | 'crashed' | 'other';

/** What the agent sees of one instance on the host: a domain of ours, its files, or both. */
export interface ObservedInstance {
  readonly id: string;
  /** undefined when no domain alliance-<id> exists. */
  readonly domain: DomainState | undefined;
  readonly diskPresent: boolean;
  /** The rebootGeneration last applied, kept in the instance directory; undefined before the first start. */
  readonly rebootGeneration: number | undefined;
}

/** What the agent remembers about an instance between passes (not across restarts). */
export interface InstanceMemory {
  /** Failed passes in a row; 0 after a pass that went through. */
  readonly failures: number;
  /** No action is tried before this time (ms since the epoch). */
  readonly retryAtMs: number;
  readonly error: string | null;
  /** When a graceful shutdown was asked for; the domain is destroyed once the timeout has passed. */
  readonly shutdownAtMs: number | undefined;
}

export type InstanceAction =
  | { readonly kind: 'fetch-image'; readonly id: string; readonly image: ImageRef }
  | { readonly kind: 'make-disk'; readonly id: string; readonly image: ImageRef; readonly diskGiB: number }
  | { readonly kind: 'define'; readonly id: string; readonly spec: InstanceSpec }
  | { readonly kind: 'start'; readonly id: string; readonly rebootGeneration: number }
  | { readonly kind: 'resume'; readonly id: string }
  | { readonly kind: 'shutdown'; readonly id: string }
  | { readonly kind: 'destroy'; readonly id: string }
  | { readonly kind: 'reboot'; readonly id: string; readonly rebootGeneration: number }
  | { readonly kind: 'undefine'; readonly id: string }
  | { readonly kind: 'remove-files'; readonly id: string };

export interface PlanInputs {
  readonly observed: readonly ObservedInstance[];
  /** Ids of the images already in the cache. */
  readonly cachedImages: ReadonlySet<string>;
  readonly memory: ReadonlyMap<string, InstanceMemory>;
}

export interface PlanOptions {
  readonly nowMs: number;
  /** How long a guest gets to power off after `virsh shutdown` before it is destroyed. */
  readonly shutdownTimeoutMs: number;
}

export interface InstancePlan {
  /** In order; an instance's later actions assume its earlier ones succeeded. */
  readonly actions: readonly InstanceAction[];
  /** Ids of instances no longer desired whose domain or files are being removed. */
  readonly removing: readonly string[];
  /** Ids left alone this pass because their back-off has not run out. */
  readonly backingOff: readonly string[];
}

const ACTIVE: ReadonlySet<DomainState> = new Set(['running', 'paused', 'in shutdown']);

/**
 * The actions that bring the host's instances to the desired set: desired
 * ones are made (image, disk, domain) and put in their power state; domains
 * and files of ours no longer desired are removed. Only ids of our own
 * domains ever appear here, so other domains on the host are never touched.
 * Pure and idempotent: a converged host gives no actions.
 */
export function planInstances(desired: readonly InstanceSpec[], inputs: PlanInputs, options: PlanOptions): InstancePlan {
  const actions: InstanceAction[] = [];
  const backingOff: string[] = [];
  const observed = new Map(inputs.observed.map((o) => [o.id, o]));
  const waiting = (id: string): boolean => {
    const memory = inputs.memory.get(id);
    if (memory === undefined || memory.retryAtMs <= options.nowMs) return false;
    backingOff.push(id);
    return true;
  };

  for (const spec of desired) {
    if (waiting(spec.id)) continue;
    const seen = observed.get(spec.id);
    actions.push(...planOne(spec, seen, inputs, options));
  }

  const wanted = new Set(desired.map((s) => s.id));
  const removing: string[] = [];
  for (const seen of inputs.observed) {
    if (wanted.has(seen.id)) continue;
    removing.push(seen.id);
    if (waiting(seen.id)) continue;
    const { id } = seen;
    // A deleted instance needs no clean power-off.
    if (seen.domain !== undefined && ACTIVE.has(seen.domain)) actions.push({ kind: 'destroy', id });
    if (seen.domain !== undefined) actions.push({ kind: 'undefine', id });
    actions.push({ kind: 'remove-files', id });
  }
  return { actions, removing, backingOff };
}

function planOne(spec: InstanceSpec, seen: ObservedInstance | undefined, inputs: PlanInputs, options: PlanOptions): InstanceAction[] {
  const { id } = spec;
  const actions: InstanceAction[] = [];
  const diskPresent = seen?.diskPresent ?? false;
  let domain = seen?.domain;
  if (!diskPresent) {
    if (!inputs.cachedImages.has(spec.image.id)) actions.push({ kind: 'fetch-image', id, image: spec.image });
    actions.push({ kind: 'make-disk', id, image: spec.image, diskGiB: spec.diskGiB });
  }
  if (domain === undefined) {
    actions.push({ kind: 'define', id, spec });
    domain = 'shut off';
  }
  if (spec.power === 'running') {
    if (domain === 'shut off' || domain === 'crashed') actions.push({ kind: 'start', id, rebootGeneration: spec.rebootGeneration });
    else if (domain === 'paused') actions.push({ kind: 'resume', id });
    else if (domain === 'running' && (seen?.rebootGeneration ?? 0) < spec.rebootGeneration) {
      actions.push({ kind: 'reboot', id, rebootGeneration: spec.rebootGeneration });
    }
    // 'in shutdown': wait for it to be off, then the next pass starts it.
    return actions;
  }
  if (!ACTIVE.has(domain)) return actions;
  const askedAt = inputs.memory.get(id)?.shutdownAtMs;
  if (askedAt === undefined || domain === 'paused') actions.push({ kind: domain === 'paused' ? 'destroy' : 'shutdown', id });
  else if (options.nowMs - askedAt >= options.shutdownTimeoutMs) actions.push({ kind: 'destroy', id });
  return actions;
}
