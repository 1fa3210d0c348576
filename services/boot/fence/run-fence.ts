import { type DriverOutcome, type PowerDriver } from './power-driver.ts';
import { type FenceAction, type FenceEffect, type FenceOptions, type FenceResult, startFence, stepFence } from './step-fence.ts';

// The thin driver of the fence state machine: performs each effect against a
// PowerDriver and feeds the outcome back with the time. Each driver call gets
// an abort signal that fires after callTimeoutMs; a call that has not answered
// by then counts as a `timeout` outcome even if the driver ignores the signal,
// so one hung ipmitool cannot stretch the deadline. A driver that throws is a
// `failed` outcome. Clock, waits and call signals are injected.

export interface RunFenceOptions extends FenceOptions {
  readonly driver: PowerDriver;
  /** Milliseconds since some epoch; Date.now in production. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Longest one driver call may take. Default 10 000 ms. */
  readonly callTimeoutMs?: number;
  /** The signal for one call; default AbortSignal.timeout. Tests pass an aborted one. */
  readonly callSignal?: (ms: number) => AbortSignal;
}

/** One performed effect, for the log and for tests. */
export interface FenceRecord {
  readonly at: number;
  readonly effect: FenceEffect;
  readonly outcome?: DriverOutcome;
}

export async function runFence(action: FenceAction, options: RunFenceOptions): Promise<{ result: FenceResult; records: FenceRecord[] }> {
  const callTimeoutMs = options.callTimeoutMs ?? 10_000;
  const callSignal = options.callSignal ?? ((ms: number) => AbortSignal.timeout(ms));
  const records: FenceRecord[] = [];
  let step = startFence(action, { now: options.now(), ...pick(options) });
  while (step.state.result === undefined) {
    const effect = step.effects[0];
    if (effect === undefined) throw new Error(`Cannot run fencing: the state machine stopped in phase ${step.state.phase} without a result`);
    const at = options.now();
    if (effect.kind === 'wait') {
      await options.sleep(effect.ms);
      records.push({ at, effect });
      step = stepFence(step.state, { kind: 'waited', now: options.now() });
    } else {
      const outcome = await call(options.driver, effect.kind, callSignal(callTimeoutMs), callTimeoutMs);
      records.push({ at, effect, outcome });
      step = stepFence(step.state, { kind: 'result', now: options.now(), outcome });
    }
  }
  return { result: step.state.result, records };
}

async function call(driver: PowerDriver, operation: 'power-off' | 'power-on' | 'read-state', signal: AbortSignal, ms: number): Promise<DriverOutcome> {
  const timeout: DriverOutcome = { ok: false, failure: { kind: 'timeout', message: `${operation} got no answer from ${driver.target} within ${ms} ms` } };
  if (signal.aborted) return timeout;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<DriverOutcome>((resolve) => {
    onAbort = () => resolve(timeout);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([
      driver.call(operation, { signal }).catch((e: unknown): DriverOutcome => ({ ok: false, failure: { kind: 'failed', message: `${operation} failed: ${e instanceof Error ? e.message : String(e)}` } })),
      aborted,
    ]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

function pick(options: FenceOptions): FenceOptions {
  return { ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }), ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }) };
}
