import type { HostState } from '../../../../appliance/contracts/index.ts';
import type { InstanceState } from '../compute-repository.ts';

// The evacuation of one instance off a failed host, as pure steps. Nothing
// restarts elsewhere before the failed host is confirmed off (a fenced host
// cannot write to shared storage any more); a move happens once per failure,
// which the persisted phase guarantees across controller restarts.
//
//   (none) --host-offline--> fencing --fence off--> fenced --placed--> evacuated
//                               |                     |
//                               | fence failed        +--no host-----> unplaceable
//                               v                     |
//                            unfenced --fence off-----+
//                               ^  |
//                               +--+ fence failed (next try after a back-off)
//
//   fencing | unfenced | fenced | unplaceable --host-back--> abandoned (it stays on its host)
//   evacuated never moves again for the same failure; a new failure of the
//   host it now runs on starts a new evacuation.

export const EVACUATION_PHASES = ['fencing', 'unfenced', 'fenced', 'evacuated', 'unplaceable', 'abandoned'] as const;
export type EvacuationPhase = (typeof EVACUATION_PHASES)[number];

/** The persisted evacuation of one instance (one row of instance_evacuations). */
export interface Evacuation {
  readonly instanceId: string;
  readonly failedHostId: string;
  readonly phase: EvacuationPhase;
  readonly fenceAttempts: number;
  /** When the next fence attempt is due (ms since the epoch), while unfenced. */
  readonly nextFenceAtMs: number | null;
  readonly targetHostId: string | null;
  /** Why it is unfenced or unplaceable. */
  readonly reason: string | null;
  readonly startedAt: string;
}

/** What the step needs to know of the instance. */
export interface InstanceFacts {
  readonly id: string;
  readonly hostId: string | null;
  readonly state: InstanceState;
}

/** The answer of one fence attempt: only a confirmed power off counts. */
export type FenceOutcome = { readonly kind: 'off' } | { readonly kind: 'not-fenced'; readonly reason: string };

export type EvacuationEvent =
  | { readonly kind: 'host-offline'; readonly hostId: string; readonly hostName: string; readonly atMs: number }
  | { readonly kind: 'fence'; readonly outcome: FenceOutcome; readonly hostName: string; readonly atMs: number }
  | { readonly kind: 'placed'; readonly hostId: string; readonly hostName: string; readonly fromName: string; readonly atMs: number }
  | { readonly kind: 'no-host'; readonly summary: string; readonly atMs: number }
  | { readonly kind: 'host-back'; readonly hostName: string; readonly atMs: number };

/** Columns of the instance to change; hostId moves it (the driver then touches it so the new host's generation grows). */
export interface InstanceChange {
  readonly hostId?: string;
  readonly state: InstanceState;
  readonly error: string | null;
}

export interface EvacuationStepResult {
  /** The evacuation after the event (unchanged when the event does not apply). */
  readonly evacuation: Evacuation | undefined;
  readonly instance: InstanceChange | undefined;
  /** Instance events to record, in order. */
  readonly events: readonly { readonly kind: string; readonly message: string }[];
}

/** The first fence retry comes after this, doubling each time up to FENCE_RETRY_MAX_MS. */
export const FENCE_RETRY_BASE_MS = 15_000;
export const FENCE_RETRY_MAX_MS = 10 * 60_000;

/** How long to wait after the `attempts`-th failed fence attempt before the next. Pure. */
export function fenceBackoffMs(attempts: number): number {
  const n = Math.max(1, Math.floor(attempts));
  return Math.min(FENCE_RETRY_MAX_MS, FENCE_RETRY_BASE_MS * 2 ** Math.min(n - 1, 20));
}

const ACTIVE: ReadonlySet<EvacuationPhase> = new Set(['fencing', 'unfenced', 'fenced']);

/** The instance's error while its host cannot be fenced: what happened and what the operator does next. */
export function unfencedMessage(hostName: string, reason: string): string {
  return (
    `host ${hostName} is offline and could not be fenced: ${reason}; nothing was restarted elsewhere. ` +
    'Restart the host (its instances stay there), or power it off by hand or fix its BMC (boot.bmc.set); ' +
    'the controller retries the fence and evacuates once the BMC confirms the host is off'
  );
}

const unchanged = (evacuation: Evacuation | undefined): EvacuationStepResult => ({ evacuation, instance: undefined, events: [] });

/**
 * The evacuation of `instance` after `event`. Events that do not apply to the
 * current phase (a second offline, a fence answer after the move, a placement
 * for an instance no longer fenced) leave everything as it is. Pure.
 */
export function evacuationStep(current: Evacuation | undefined, instance: InstanceFacts, event: EvacuationEvent): EvacuationStepResult {
  switch (event.kind) {
    case 'host-offline': {
      if (instance.hostId !== event.hostId || instance.state === 'deleting') return unchanged(current);
      if (current !== undefined && current.failedHostId === event.hostId && (ACTIVE.has(current.phase) || current.phase === 'unplaceable')) return unchanged(current);
      const evacuation: Evacuation = {
        instanceId: instance.id,
        failedHostId: event.hostId,
        phase: 'fencing',
        fenceAttempts: 0,
        nextFenceAtMs: event.atMs,
        targetHostId: null,
        reason: null,
        startedAt: new Date(event.atMs).toISOString(),
      };
      return { evacuation, instance: undefined, events: [{ kind: 'evacuation', message: `host ${event.hostName} offline, fencing it before anything restarts elsewhere` }] };
    }
    case 'fence': {
      if (current === undefined || (current.phase !== 'fencing' && current.phase !== 'unfenced')) return unchanged(current);
      if (event.outcome.kind === 'off') {
        return {
          evacuation: { ...current, phase: 'fenced', nextFenceAtMs: null, reason: null },
          instance: undefined,
          events: [{ kind: 'evacuation', message: `host ${event.hostName} fenced: its BMC confirmed power off` }],
        };
      }
      const attempts = current.fenceAttempts + 1;
      const reason = event.outcome.reason;
      const wait = fenceBackoffMs(attempts);
      const evacuation: Evacuation = { ...current, phase: 'unfenced', fenceAttempts: attempts, nextFenceAtMs: event.atMs + wait, reason };
      // One event per new reason, not one per retry.
      const news = current.phase === 'fencing' || current.reason !== reason;
      return {
        evacuation,
        instance: news ? { state: 'error', error: unfencedMessage(event.hostName, reason) } : undefined,
        events: news ? [{ kind: 'evacuation', message: `host ${event.hostName} could not be fenced: ${reason}; nothing restarted, retrying in ${Math.round(wait / 1000)} s and later` }] : [],
      };
    }
    case 'placed': {
      if (current === undefined || current.phase !== 'fenced' || instance.hostId !== current.failedHostId || event.hostId === current.failedHostId) return unchanged(current);
      return {
        evacuation: { ...current, phase: 'evacuated', targetHostId: event.hostId, reason: null },
        instance: { hostId: event.hostId, state: 'building', error: null },
        events: [{ kind: 'evacuated', message: `evacuated from ${event.fromName} to ${event.hostName}` }],
      };
    }
    case 'no-host': {
      if (current === undefined || current.phase !== 'fenced' || instance.hostId !== current.failedHostId) return unchanged(current);
      const error = `no host can take it: ${event.summary}`;
      return {
        evacuation: { ...current, phase: 'unplaceable', reason: event.summary },
        instance: { state: 'error', error: `its host failed and ${error}; free capacity or take hosts out of maintenance, then delete and recreate it, or restart the failed host` },
        events: [{ kind: 'unschedulable', message: error }],
      };
    }
    case 'host-back': {
      if (current === undefined || (!ACTIVE.has(current.phase) && current.phase !== 'unplaceable') || instance.hostId !== current.failedHostId) return unchanged(current);
      // The instance never left: its host runs it again and reports its real state.
      const flagged = current.phase === 'unfenced' || current.phase === 'unplaceable';
      return {
        evacuation: { ...current, phase: 'abandoned', nextFenceAtMs: null },
        instance: flagged ? { state: 'building', error: null } : undefined,
        events: [{ kind: 'evacuation', message: `host ${event.hostName} is heard from again before the instance was moved; it stays there` }],
      };
    }
  }
}

export type EvacuationAction = 'fence' | 'place' | 'abandon' | 'wait' | 'done';

/**
 * What the driver does next for one evacuation, from the persisted phase, the
 * instance, the failed host's liveness state and the time: fence the host,
 * place the instance elsewhere, give up because the host is back, wait for the
 * fence back-off, or nothing. Pure.
 */
export function nextEvacuationAction(current: Evacuation | undefined, facts: { readonly instanceHostId: string | null; readonly hostState: HostState | undefined; readonly nowMs: number }): EvacuationAction {
  if (current === undefined) return 'done';
  const live = current.phase === 'fencing' || current.phase === 'unfenced' || current.phase === 'fenced' || current.phase === 'unplaceable';
  if (!live) return 'done';
  if (facts.instanceHostId !== current.failedHostId) return 'done';
  if (facts.hostState === 'active' || facts.hostState === 'suspect') return 'abandon';
  if (current.phase === 'unplaceable') return 'done';
  if (current.phase === 'fenced') return 'place';
  if (current.phase === 'fencing') return 'fence';
  return current.nextFenceAtMs === null || facts.nowMs >= current.nextFenceAtMs ? 'fence' : 'wait';
}
