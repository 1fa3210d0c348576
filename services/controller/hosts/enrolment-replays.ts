import type { Database, Statement } from 'better-sqlite3';

/**
 * Signatures of enrolment requests already seen, by SHA-256, until the
 * request's timestamp leaves the allowed clock skew (after that the clock
 * check refuses it anyway). Writes run inside the caller's store.transaction().
 */
export class EnrolmentReplays {
  readonly #seen: Statement<[string, string], { n: number }>;
  readonly #remember: Statement<[string, string]>;
  readonly #purge: Statement<[string]>;

  constructor(db: Database) {
    this.#seen = db.prepare('SELECT count(*) AS n FROM enrolment_replays WHERE signature_hash = ? AND expires_at > ?');
    this.#remember = db.prepare('INSERT OR REPLACE INTO enrolment_replays (signature_hash, expires_at) VALUES (?, ?)');
    this.#purge = db.prepare('DELETE FROM enrolment_replays WHERE expires_at <= ?');
  }

  /** Whether this signature hash was seen and is still remembered at `now` (ISO). */
  seen(signatureHash: string, now: string): boolean {
    return (this.#seen.get(signatureHash, now)?.n ?? 0) > 0;
  }

  remember(signatureHash: string, expiresAt: string): void {
    this.#remember.run(signatureHash, expiresAt);
  }

  /** Forgets what expired by `now` (ISO); returns how many. */
  purge(now: string): number {
    return this.#purge.run(now).changes;
  }
}
