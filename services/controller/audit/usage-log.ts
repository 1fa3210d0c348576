import type { Database } from 'better-sqlite3';

export interface UsageEntry {
  readonly projectId: string;
  /** Dotted name of what was used, e.g. "api-key.created", later "instance.vcpu-hours". */
  readonly kind: string;
  readonly quantity: number;
  /** What quantity counts: "key", "vcpu-hour", "GiB-hour"... */
  readonly unit: string;
  /** The thing used (an API key id, an instance id). */
  readonly subject?: string;
  readonly data?: Record<string, unknown>;
}

export interface UsageRecord extends Required<UsageEntry> {
  readonly id: number;
  readonly at: string;
}

export interface UsageQuery {
  readonly kind?: string | undefined;
  readonly after?: number | undefined;
  readonly limit: number;
}

interface Row {
  id: number;
  at: string;
  project_id: string;
  kind: string;
  quantity: number;
  unit: string;
  subject: string;
  data: string;
}

/**
 * Metering: append-only records of what each project used, the base for
 * accounting and quotas. Written in the same transaction as the change that
 * causes the use.
 */
export class UsageLog {
  readonly #db: Database;
  readonly #now: () => Date;
  readonly #insert;

  constructor(db: Database, now: () => Date) {
    this.#db = db;
    this.#now = now;
    this.#insert = db.prepare('INSERT INTO usage_events (at, project_id, kind, quantity, unit, subject, data) VALUES (?, ?, ?, ?, ?, ?, ?)');
  }

  record(entry: UsageEntry): number {
    const info = this.#insert.run(this.#now().toISOString(), entry.projectId, entry.kind, entry.quantity, entry.unit, entry.subject ?? '', JSON.stringify(entry.data ?? {}));
    return Number(info.lastInsertRowid);
  }

  /** A project's usage, newest first. */
  list(projectId: string, query: UsageQuery): UsageRecord[] {
    return this.#db
      .prepare<[string, string | null, string | null, number, number], Row>(
        'SELECT * FROM usage_events WHERE project_id = ? AND (? IS NULL OR kind = ?) AND id > ? ORDER BY id DESC LIMIT ?',
      )
      .all(projectId, query.kind ?? null, query.kind ?? null, query.after ?? 0, query.limit)
      .map((r) => ({ id: r.id, at: r.at, projectId: r.project_id, kind: r.kind, quantity: r.quantity, unit: r.unit, subject: r.subject, data: JSON.parse(r.data) as Record<string, unknown> }));
  }
}
