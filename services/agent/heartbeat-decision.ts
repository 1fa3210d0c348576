import type { HeartbeatResult, HostState } from '../../appliance/contracts/index.ts';

/** What the bus session remembers between heartbeats. */
export interface SessionState {
  /** The host's state in the controller's last answer; undefined before the first (and after a lost session). */
  readonly hostState: HostState | undefined;
  /** Hash of the inventory the controller last accepted from us. */
  readonly sentInventoryHash: string | undefined;
}

export const INITIAL_SESSION: SessionState = { hostState: undefined, sentInventoryHash: undefined };

export interface HeartbeatStep {
  readonly state: SessionState;
  readonly sendInventory: boolean;
  /** The host's state changed (or this is the first answer), or the host runs instances (they need a pass every round): fetch host.desired. */
  readonly fetchDesired: boolean;
  /** The controller no longer counts this host as enrolled: enrol again. */
  readonly reenrol: boolean;
  readonly nextInMs: number;
}

/**
 * After a heartbeat answer: send the inventory when the controller asks for it
 * or ours changed since it last took one; fetch desired state when the host's
 * state moved, or every round on a host that runs instances (shutdown
 * timeouts, retries after back-off and crashed domains need a pass each
 * round); enrol again when the host was retired or rejected.
 */
export function afterHeartbeat(state: SessionState, result: HeartbeatResult, facts: { readonly inventoryHash: string; readonly runsInstances: boolean }): HeartbeatStep {
  return {
    state: { ...state, hostState: result.state },
    sendInventory: result.sendInventory || facts.inventoryHash !== state.sentInventoryHash,
    fetchDesired: result.state !== state.hostState || facts.runsInstances,
    reenrol: result.state === 'retired' || result.state === 'rejected',
    nextInMs: Math.min(600, Math.max(1, Math.floor(result.intervalSeconds) || 1)) * 1000,
  };
}

export type CallFailure = 'unreachable' | 'refused' | 'failed';

/**
 * Sorts a failed bus call: no answer (the controller is away: retry the same
 * session), a refusal of who we are (the credential: enrol again), or any
 * other coded failure (log, back off, retry).
 */
export function classifyCallFailure(err: unknown): CallFailure {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('APL_')) return 'unreachable';
  if (code === 'APL_BUS_DEADLINE' || code === 'APL_BUS_UNREACHABLE') return 'unreachable';
  if (code.startsWith('APL_BUS_')) return 'failed';
  return /CREDENTIAL|UNAUTHENTICATED|UNKNOWN_HOST|HOST_UNKNOWN|NOT_ENROLLED|RETIRED|REJECTED/.test(code) ? 'refused' : 'failed';
}
