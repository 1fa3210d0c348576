export interface LimiterOptions {
  /** Hits allowed per key within the window. */
  readonly limit: number;
  readonly windowMs: number;
  /** Keys remembered at most; the stalest are forgotten first, so many keys cannot exhaust memory. */
  readonly maxKeys?: number;
}

export type LimitDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

/**
 * Counts hits (failed logins, say) per key over a sliding window. No clock and
 * no I/O: every call is given the time, so tests step time by hand.
 */
export class SlidingWindowLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  /** Hit times per key, oldest first; Map order is least recently hit first. */
  readonly #hits = new Map<string, number[]>();

  constructor(options: LimiterOptions) {
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /** Whether another attempt for key is allowed now, and if not, when it will be. */
  check(key: string, nowMs: number): LimitDecision {
    const hits = this.#live(key, nowMs);
    if (hits.length < this.#limit) return { allowed: true };
    // The window frees a slot when the oldest hit that still counts leaves it.
    const oldest = hits[hits.length - this.#limit]!;
    return { allowed: false, retryAfterMs: Math.max(1, oldest + this.#windowMs - nowMs) };
  }

  /** Counts one hit for key. */
  hit(key: string, nowMs: number): void {
    const hits = this.#live(key, nowMs);
    hits.push(nowMs);
    // Keep no more than the limit needs: memory per key stays bounded.
    if (hits.length > this.#limit) hits.splice(0, hits.length - this.#limit);
    this.#hits.delete(key);
    this.#hits.set(key, hits);
    while (this.#hits.size > this.#maxKeys) this.#hits.delete(this.#hits.keys().next().value!);
  }

  /** Counts one hit for key if check() would allow it now; whether it did. */
  take(key: string, nowMs: number): boolean {
    if (!this.check(key, nowMs).allowed) return false;
    this.hit(key, nowMs);
    return true;
  }

  /** Forgets key (after a successful login, say). */
  reset(key: string): void {
    this.#hits.delete(key);
  }

  /** Keys currently remembered, for tests and metrics. */
  get size(): number {
    return this.#hits.size;
  }

  #live(key: string, nowMs: number): number[] {
    const hits = this.#hits.get(key);
    if (hits === undefined) return [];
    const live = hits.filter((t) => t > nowMs - this.#windowMs);
    if (live.length === 0) this.#hits.delete(key);
    return live;
  }
}
