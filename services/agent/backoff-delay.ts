export interface BackoffOptions {
  readonly minMs: number;
  readonly maxMs: number;
  /** A number in [0, 1) spreading retries of many hosts apart by up to ±20 %; 0.5 for none. */
  readonly random?: number;
}

/**
 * How long to wait before retry number `attempt` (0 for the first retry):
 * minMs doubled per attempt, capped at maxMs, with optional jitter.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const exponent = Number.isFinite(attempt) ? Math.min(Math.max(0, Math.floor(attempt)), 30) : attempt > 0 ? 30 : 0;
  const base = Math.min(options.maxMs, options.minMs * 2 ** exponent);
  const random = options.random ?? 0.5;
  const spread = 0.8 + 0.4 * (Number.isFinite(random) ? Math.min(Math.max(random, 0), 1) : 0.5);
  return Math.round(Math.min(options.maxMs, base * spread));
}
