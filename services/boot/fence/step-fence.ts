import { type DriverFailure, type DriverOutcome, type PowerOperation, type PowerState } from './power-driver.ts';

// The ClusterLabs fence-agent semantics as a pure state machine:
// - off (the one mandatory action): read the state; if not off, power off, then
//   read it back every pollMs until it says off. Not off by the deadline is a
//   failure (`timeout`), whatever the driver said about the request.
// - on: the same towards on.
// - reboot: off as above, then on; it succeeds when its off half succeeds (the
//   host is fenced), and a failed on half is only a warning.
// - status: one read; on, off, or unreachable (exit codes 0, 2, 1).
// Time comes in with each event; effects are driver calls and waits.

export type FenceAction = 'off' | 'on' | 'reboot' | 'status';

export type FenceEffect = { readonly kind: PowerOperation } | { readonly kind: 'wait'; readonly ms: number };

export type FenceEvent =
  | { readonly kind: 'result'; readonly now: number; readonly outcome: DriverOutcome }
  | { readonly kind: 'waited'; readonly now: number };

export type FenceResult =
  | { readonly ok: true; readonly action: FenceAction; readonly power: PowerState; readonly warning?: string }
  | { readonly ok: false; readonly action: FenceAction; readonly failure: DriverFailure };

export interface FenceOptions {
  /** How long each half may take to reach its power state, from its first request. Default 20 000 ms. */
  readonly timeoutMs?: number;
  /** Pause between reads while verifying. Default 1000 ms. */
  readonly pollMs?: number;
}

export interface FenceState {
  readonly action: FenceAction;
  /** The power state the current half aims for. */
  readonly target: PowerState;
  /** check: first read; act: request sent; verify: read back; waiting: between reads; done: see result. */
  readonly phase: 'check' | 'act' | 'verify' | 'waiting' | 'done';
  readonly deadline: number;
  readonly timeoutMs: number;
  readonly pollMs: number;
  /** Why the last read back did not show the target, for the timeout message. */
  readonly lastSeen?: string;
  readonly result?: FenceResult;
}

export interface FenceStep {
  readonly state: FenceState;
  readonly effects: readonly FenceEffect[];
}

/** The first step of an action at time `now`: always a read of the power state. */
export function startFence(action: FenceAction, options: FenceOptions & { now: number }): FenceStep {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const pollMs = options.pollMs ?? 1000;
  if (!(timeoutMs > 0) || !(pollMs > 0)) throw new RangeError(`Cannot start fencing: timeoutMs ${timeoutMs} and pollMs ${pollMs} must be positive`);
  const target = action === 'on' ? 'on' : 'off';
  return { state: { action, target, phase: 'check', deadline: options.now + timeoutMs, timeoutMs, pollMs }, effects: [{ kind: 'read-state' }] };
}

/** The next state and effects after a driver result or a finished wait. A done state ignores events. */
export function stepFence(state: FenceState, event: FenceEvent): FenceStep {
  switch (state.phase) {
    case 'done':
      return { state, effects: [] };
    case 'waiting':
      if (event.kind !== 'waited') return { state, effects: [] };
      if (event.now >= state.deadline) return timedOut(state);
      return { state: { ...state, phase: 'verify' }, effects: [{ kind: 'read-state' }] };
    case 'check':
    case 'act':
    case 'verify': {
      if (event.kind !== 'result') return { state, effects: [] };
      const { outcome, now } = event;
      if (state.phase === 'check') {
        if (state.action === 'status') return outcome.ok ? finish(state, { ok: true, action: 'status', power: powerOf(outcome) }) : failHalf(state, outcome.failure);
        if (!outcome.ok) return failHalf(state, outcome.failure);
        if (outcome.power === state.target) return completeHalf(state, now);
        return act(state);
      }
      if (state.phase === 'act') {
        if (!outcome.ok) return failHalf(state, outcome.failure);
        return { state: { ...state, phase: 'verify' }, effects: [{ kind: 'read-state' }] };
      }
      // verify: the state read back is the truth, even if it arrives late.
      if (outcome.ok && outcome.power === state.target) return completeHalf(state, now);
      if (!outcome.ok && outcome.failure.kind === 'auth') return failHalf(state, outcome.failure);
      const lastSeen = outcome.ok ? `the BMC still reports ${outcome.power ?? 'no power state'}` : `the last read failed: ${outcome.failure.message}`;
      const next = { ...state, lastSeen };
      if (now + state.pollMs > state.deadline) return timedOut(next);
      return { state: { ...next, phase: 'waiting' }, effects: [{ kind: 'wait', ms: state.pollMs }] };
    }
  }
}

/** The fence-agent exit status of a status result: 0 on, 2 off, 1 unreachable or failed. */
export function fenceStatusCode(result: FenceResult): 0 | 1 | 2 {
  if (!result.ok) return 1;
  return result.power === 'on' ? 0 : 2;
}

function powerOf(outcome: DriverOutcome & { ok: true }): PowerState {
  // A read without a power state is a driver bug; treating it as on never claims a host is fenced.
  return outcome.power ?? 'on';
}

function act(state: FenceState): FenceStep {
  return { state: { ...state, phase: 'act' }, effects: [{ kind: state.target === 'off' ? 'power-off' : 'power-on' }] };
}

function completeHalf(state: FenceState, now: number): FenceStep {
  if (state.action === 'reboot' && state.target === 'off') {
    const { lastSeen: _, ...rest } = state;
    return act({ ...rest, target: 'on', deadline: now + state.timeoutMs });
  }
  return finish(state, { ok: true, action: state.action, power: state.target });
}

function failHalf(state: FenceState, failure: DriverFailure): FenceStep {
  if (state.action === 'reboot' && state.target === 'on') {
    return finish(state, { ok: true, action: 'reboot', power: 'off', warning: `the host is off but did not power on again: ${failure.message}` });
  }
  return finish(state, { ok: false, action: state.action, failure });
}

function timedOut(state: FenceState): FenceStep {
  const seen = state.lastSeen === undefined ? '' : ` (${state.lastSeen})`;
  return failHalf(state, { kind: 'timeout', message: `not ${state.target} within ${state.timeoutMs} ms${seen}` });
}

function finish(state: FenceState, result: FenceResult): FenceStep {
  return { state: { ...state, phase: 'done', result }, effects: [] };
}
