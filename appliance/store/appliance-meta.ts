import type { Database, Statement } from 'better-sqlite3';

/** Small facts about the appliance that must survive restarts (which node owns the store, when it was made). */
export class ApplianceMeta {
  readonly #get: Statement<[string], { value: string }>;
  readonly #set: Statement<[string, string]>;
  readonly #onWrite: () => void;

  constructor(db: Database, onWrite: () => void) {
    this.#get = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.#set = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.#onWrite = onWrite;
  }

  get(key: string): string | undefined {
    return this.#get.get(key)?.value;
  }

  set(key: string, value: string): void {
    this.#set.run(key, value);
    this.#onWrite();
  }
}
