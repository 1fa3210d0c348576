import type { Store } from '../../../appliance/store/index.ts';
import type { AuditEntry, AuditLog } from '../audit/audit-log.ts';

// Keeps a flood of refusals (a stranger's garbage, a rejected host retrying
// every few seconds) from flooding the audit log: per key, at most `perWindow`
// entries each window, and the first entry of the next window says how many
// were left out. Time is passed in.

export interface AuditThrottleOptions {
  readonly windowMs: number;
  readonly perWindow: number;
  /** Keys remembered at most; the oldest window is forgotten first. */
  readonly maxKeys: number;
}

interface Window {
  startMs: number;
  recorded: number;
  suppressed: number;
}

export class AuditThrottle {
  readonly #options: AuditThrottleOptions;
  readonly #windows = new Map<string, Window>();

  constructor(options: AuditThrottleOptions) {
    this.#options = options;
  }

  /**
   * Whether to record an entry for `key` at `nowMs`; when it should be
   * recorded, `suppressed` is how many were left out since the last one.
   */
  admit(key: string, nowMs: number): { record: boolean; suppressed: number } {
    let window = this.#windows.get(key);
    if (window !== undefined && nowMs - window.startMs >= this.#options.windowMs) {
      // Deleted first, so the new window moves to the end of the forgetting order.
      this.#windows.delete(key);
      this.#windows.set(key, { startMs: nowMs, recorded: 1, suppressed: 0 });
      return { record: true, suppressed: window.suppressed };
    }
    if (window === undefined) {
      while (this.#windows.size >= this.#options.maxKeys) {
        const oldest = this.#windows.keys().next().value;
        if (oldest === undefined) break;
        this.#windows.delete(oldest);
      }
      window = { startMs: nowMs, recorded: 0, suppressed: 0 };
      this.#windows.set(key, window);
    }
    if (window.recorded < this.#options.perWindow) {
      window.recorded += 1;
      return { record: true, suppressed: 0 };
    }
    window.suppressed += 1;
    return { record: false, suppressed: 0 };
  }
}

/**
 * Records a denial in its own transaction unless `throttle` holds it back for
 * `key`; a recorded entry says in its detail how many were left out before it.
 */
export function recordThrottled(options: { readonly store: Store; readonly audit: AuditLog; readonly throttle: AuditThrottle }, key: string, nowMs: number, entry: AuditEntry): void {
  const { record, suppressed } = options.throttle.admit(key, nowMs);
  if (!record) return;
  options.store.transaction(() => {
    options.audit.record({ ...entry, detail: { ...entry.detail, ...(suppressed > 0 ? { suppressedSincePrevious: suppressed } : {}) } });
  });
}
