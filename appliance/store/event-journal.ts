import type { Database, Statement } from 'better-sqlite3';
import { storeErrors } from './errors.ts';

export type Severity = 'info' | 'warning' | 'error';

export interface NewEvent {
  readonly source: string;
  readonly kind: string;
  readonly severity: Severity;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
  /** A retried write with the same key is recorded once. */
  readonly idempotencyKey?: string | undefined;
}

export interface StoredEvent extends Required<Omit<NewEvent, 'idempotencyKey'>> {
  readonly id: number;
  readonly at: string;
  readonly idempotencyKey: string | null;
}

interface EventRow {
  id: number;
  at: string;
  source: string;
  kind: string;
  severity: Severity;
  message: string;
  data: string;
  idempotency_key: string | null;
}

export interface ListEventsQuery {
  /** Only events with id greater than this (for following). */
  readonly after?: number | undefined;
  readonly kind?: string | undefined;
  readonly limit: number;
}

/** The appliance's append-only journal of what happened: service changes, operator notes, hooks. */
export class EventJournal {
  readonly #insert: Statement<[string, string, string, string, string, string, string | null]>;
  readonly #byKey: Statement<[string], EventRow>;
  readonly #list: Statement<[number, string | null, string | null, number], EventRow>;
  readonly #count: Statement<[], { n: number }>;
  readonly #onWrite: () => void;

  constructor(db: Database, onWrite: () => void) {
    this.#insert = db.prepare(
      'INSERT INTO events (at, source, kind, severity, message, data, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#byKey = db.prepare('SELECT * FROM events WHERE idempotency_key = ?');
    this.#list = db.prepare(
      'SELECT * FROM events WHERE id > ? AND (? IS NULL OR kind = ?) ORDER BY id DESC LIMIT ?',
    );
    this.#count = db.prepare('SELECT count(*) AS n FROM events');
    this.#onWrite = onWrite;
  }

  /**
   * Appends an event; when this returns, it is on disk (synchronous=FULL).
   * A repeated idempotency key returns the first event instead of a second one.
   */
  record(event: NewEvent, now: Date): { event: StoredEvent; created: boolean } {
    const key = event.idempotencyKey ?? null;
    if (key !== null) {
      const existing = this.#byKey.get(key);
      if (existing) {
        const stored = toEvent(existing);
        if (stored.kind !== event.kind || stored.source !== event.source || stored.message !== event.message) {
          throw storeErrors.DUPLICATE_KEY({ key });
        }
        return { event: stored, created: false };
      }
    }
    const data = JSON.stringify(event.data ?? {});
    const at = now.toISOString();
    const { lastInsertRowid } = this.#insert.run(at, event.source, event.kind, event.severity, event.message, data, key);
    this.#onWrite();
    return {
      event: { id: Number(lastInsertRowid), at, source: event.source, kind: event.kind, severity: event.severity, message: event.message, data: event.data ?? {}, idempotencyKey: key },
      created: true,
    };
  }

  /** Newest first. */
  list(query: ListEventsQuery): StoredEvent[] {
    const kind = query.kind ?? null;
    return this.#list.all(query.after ?? 0, kind, kind, query.limit).map(toEvent);
  }

  count(): number {
    return this.#count.get()?.n ?? 0;
  }
}

function toEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    at: row.at,
    source: row.source,
    kind: row.kind,
    severity: row.severity,
    message: row.message,
    data: JSON.parse(row.data) as Record<string, unknown>,
    idempotencyKey: row.idempotency_key,
  };
}
