import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type Database as Db } from 'better-sqlite3';
import { ApplianceMeta } from './appliance-meta.ts';
import { storeErrors } from './errors.ts';
import { EventJournal } from './event-journal.ts';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, pendingMigrations, type Migration } from './migrations.ts';

export interface OpenStoreOptions {
  /** Create the file if it is missing (init); otherwise a missing store is an error. */
  readonly create: boolean;
  /** The identity of this data directory; the store remembers the first and refuses another. */
  readonly nodeId?: string | undefined;
  /** Migrations to apply (tests pass their own lists). */
  readonly migrations?: readonly Migration[];
}

const CORRUPTION_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CORRUPT_VTAB', 'SQLITE_IOERR_SHORT_READ']);

/** The appliance's SQLite store: one file, WAL, every commit synced before it is acknowledged. */
export class Store {
  readonly path: string;
  readonly events: EventJournal;
  readonly meta: ApplianceMeta;
  readonly #db: Db;
  #writes = 0;

  constructor(db: Db, path: string) {
    this.#db = db;
    this.path = path;
    const counted = (): void => {
      this.#writes += 1;
    };
    this.events = new EventJournal(db, counted);
    this.meta = new ApplianceMeta(db, counted);
  }

  get schemaVersion(): number {
    return this.#db.pragma('user_version', { simple: true }) as number;
  }

  /** Committed writes since open, for metrics. */
  get writes(): number {
    return this.#writes;
  }

  /**
   * The connection, for a service's repository (its typed queries). Writes go
   * through transaction() so each is synced (and counted) before it is acknowledged.
   */
  get database(): Db {
    return this.#db;
  }

  /** Runs fn in one IMMEDIATE transaction; nested calls become savepoints. A committed outermost one counts as a write. */
  transaction<T>(fn: () => T): T {
    const result = this.#db.transaction(fn).immediate();
    if (!this.#db.inTransaction) this.#writes += 1;
    return result;
  }

  /** `PRAGMA integrity_check` rows; ['ok'] when healthy. */
  integrityCheck(): string[] {
    return (this.#db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

export function openStore(path: string, options: OpenStoreOptions): Store {
  const inMemory = path === ':memory:';
  if (!inMemory && !options.create && !existsSync(path)) throw storeErrors.MISSING({ path });
  if (!inMemory) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });

  const db = new Database(path, { timeout: 5000 });
  try {
    return prepare(db, path, options);
  } catch (err) {
    db.close();
    throw err;
  }
}

function prepare(db: Db, path: string, options: OpenStoreOptions): Store {
  const migrations = options.migrations ?? MIGRATIONS;
  const known = options.migrations ? Math.max(0, ...migrations.map((m) => m.version)) : LATEST_SCHEMA_VERSION;

  // Read before writing anything: a corrupt or newer store must be left exactly as found.
  let version: number;
  try {
    version = db.pragma('user_version', { simple: true }) as number;
    const check = db.pragma('quick_check', { simple: true }) as string;
    if (check !== 'ok') throw storeErrors.CORRUPT({ path, reason: `quick_check says "${check}"` });
  } catch (err) {
    throw asCorruption(err, path);
  }
  if (version > known) throw storeErrors.TOO_NEW({ path, found: version, known });

  // Refuse another node's store before migrating (and so changing) it.
  if (options.nodeId !== undefined && version >= 1) {
    const owner = (db.prepare("SELECT value FROM meta WHERE key = 'node_id'").get() as { value: string } | undefined)?.value;
    if (owner !== undefined && owner !== options.nodeId) throw storeErrors.WRONG_NODE({ path, storeNode: owner, identityNode: options.nodeId });
  }

  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');

  const pending = pendingMigrations(version, migrations);
  if (pending.length > 0) migrate(db, path, version, pending);

  const store = new Store(db, path);
  if (options.nodeId !== undefined) {
    if (store.meta.get('node_id') === undefined) store.meta.set('node_id', options.nodeId);
  }
  return store;
}

function migrate(db: Db, path: string, from: number, pending: readonly Migration[]): void {
  // A store with data gets a copy first, so a failed or regretted upgrade can be undone by hand.
  let backup = 'nowhere (the store was empty)';
  if (from > 0 && path !== ':memory:') {
    backup = `${path}.v${from}.bak`;
    rmSync(backup, { force: true });
    db.prepare('VACUUM INTO ?').run(backup);
  }
  for (const migration of pending) {
    try {
      db.transaction(() => {
        db.exec(migration.sql);
        db.pragma(`user_version = ${migration.version}`);
      }).immediate();
    } catch (err) {
      throw storeErrors.MIGRATION_FAILED(
        { path, version: migration.version, name: migration.name, reason: (err as Error).message, from: db.pragma('user_version', { simple: true }) as number, backup },
        { cause: err },
      );
    }
  }
}

function asCorruption(err: unknown, path: string): unknown {
  const code = (err as { code?: string }).code;
  if (code !== undefined && CORRUPTION_CODES.has(code)) {
    return storeErrors.CORRUPT({ path, reason: (err as Error).message }, { cause: err });
  }
  return err;
}
