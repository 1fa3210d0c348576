export interface RestartPolicy {
  /** Restarts allowed within windowMs; one more failure leaves the service failed. */
  readonly limit: number;
  readonly windowMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export type RestartDecision =
  | { readonly action: 'restart'; readonly delayMs: number; readonly recentFailures: readonly number[] }
  | { readonly action: 'give-up'; readonly recentFailures: readonly number[] };

/**
 * What to do after a failure at `now`, given earlier failure times (ms).
 * Exponential back-off over the failures still inside the window. Pure.
 */
export function decideRestart(failures: readonly number[], now: number, policy: RestartPolicy): RestartDecision {
  const recentFailures = [...failures.filter((t) => now - t < policy.windowMs), now];
  if (recentFailures.length > policy.limit) return { action: 'give-up', recentFailures };
  const delayMs = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (recentFailures.length - 1));
  return { action: 'restart', delayMs, recentFailures };
}
