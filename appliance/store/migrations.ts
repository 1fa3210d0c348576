/**
 * The store's schema history. Append only: a released migration is never
 * edited, a change is a new entry. `PRAGMA user_version` records how far a
 * store has come.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'appliance meta and event journal',
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE events (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        at              TEXT NOT NULL,
        source          TEXT NOT NULL,
        kind            TEXT NOT NULL,
        severity        TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'error')),
        message         TEXT NOT NULL,
        data            TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
        idempotency_key TEXT UNIQUE
      ) STRICT;
      CREATE INDEX events_by_kind ON events (kind, id);
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/** The migrations a store at `current` still needs, in order. Pure. */
export function pendingMigrations(current: number, all: readonly Migration[] = MIGRATIONS): Migration[] {
  return all.filter((m) => m.version > current).sort((a, b) => a.version - b.version);
}
