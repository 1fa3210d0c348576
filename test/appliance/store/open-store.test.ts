import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, openStore, pendingMigrations, type Migration, type OpenStoreOptions } from '../../../appliance/store/index.ts';
import { refusal } from '../../_support/refusal.ts';

let dir = '';

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'alliance-open-store-'));
});

test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Reads a store file directly, bypassing openStore. */
function inspect<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path, { fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const tableNames = (db: Database.Database): string[] =>
  (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);

function makeStore(path: string, options: Partial<OpenStoreOptions> = {}, events = 1): void {
  const store = openStore(path, { create: true, ...options });
  for (let i = 0; i < events; i++) store.events.record({ source: 'test', kind: 'test.seed', severity: 'info', message: `seed ${i}` }, new Date());
  store.close();
}

const first = MIGRATIONS.find((m) => m.version === 1)!;
const addNotes: Migration = { version: 2, name: 'notes', sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL) STRICT; CREATE TABLE applied (version INTEGER); INSERT INTO applied VALUES (2);' };
const addPinned: Migration = { version: 3, name: 'pinned notes', sql: 'ALTER TABLE notes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0; INSERT INTO applied VALUES (3);' };
const broken: Migration = { version: 3, name: 'broken', sql: 'CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);' };

test('openStore() creates a new store at LATEST_SCHEMA_VERSION in WAL mode', () => {
  const path = join(dir, 'store', 'alliance.db');
  const store = openStore(path, { create: true });
  assert.is(store.path, path);
  assert.is(store.schemaVersion, LATEST_SCHEMA_VERSION);
  assert.equal(store.integrityCheck(), ['ok']);
  store.close();

  assert.is(statSync(join(dir, 'store')).mode & 0o777, 0o700);
  inspect(path, (db) => {
    assert.is(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.is(db.pragma('user_version', { simple: true }), LATEST_SCHEMA_VERSION);
    assert.equal(tableNames(db), ['audit_log', 'boot_bmcs', 'enrolment_replays', 'events', 'flavors', 'hosts', 'images', 'instance_evacuations', 'instance_events', 'instances', 'join_tokens', 'key_pairs', 'leases', 'meta', 'projects', 'quotas', 'role_bindings', 'server_groups', 'tokens', 'usage_events', 'users']);
  });
});

test('openStore() keeps what a store holds across a close and reopen', () => {
  const path = join(dir, 'alliance.db');
  makeStore(path, {}, 3);
  const store = openStore(path, { create: false });
  assert.is(store.events.count(), 3);
  assert.is(store.schemaVersion, LATEST_SCHEMA_VERSION);
  store.close();
});

test('openStore() upgrades a version 1 store to the controller schema, keeping its events and a backup', () => {
  const path = join(dir, 'alliance.db');
  makeStore(path, { migrations: [first] }, 4);
  const store = openStore(path, { create: false });
  assert.is(store.schemaVersion, LATEST_SCHEMA_VERSION);
  assert.is(store.events.count(), 4);
  store.close();
  assert.ok(existsSync(`${path}.v1.bak`));
  inspect(path, (db) => {
    // A cloud-wide binding is only ever cloud-admin, and cloud-admin is only ever cloud-wide.
    db.prepare("INSERT INTO users (id, name, created_at) VALUES ('u1', 'ada', 'now')").run();
    assert.throws(() => db.prepare("INSERT INTO role_bindings VALUES ('u1', '*', 'admin', 'now')").run(), /CHECK constraint failed/);
    assert.throws(() => db.prepare("INSERT INTO role_bindings VALUES ('u1', 'p1', 'cloud-admin', 'now')").run(), /CHECK constraint failed/);
  });
});

test('openStore() refuses a missing file with APL_STORE_MISSING when create is false, creating nothing', () => {
  const path = join(dir, 'store', 'alliance.db');
  const err = refusal(() => openStore(path, { create: false }));
  assert.is(err.code, 'APL_STORE_MISSING');
  assert.is(err.params.path, path);
  assert.is(err.exitCode, 1);
  assert.not.ok(existsSync(join(dir, 'store')));
});

const corruptions: Record<string, { content: () => Buffer; create: boolean }> = {
  'a file of random bytes': { content: () => randomBytes(8192), create: false },
  'a file of random bytes, even with create': { content: () => randomBytes(8192), create: true },
  'a store cut short': {
    content: () => {
      const donor = join(dir, 'donor.db');
      makeStore(donor, {}, 200);
      const bytes = readFileSync(donor);
      rmSync(donor);
      return bytes.subarray(0, 8192);
    },
    create: false,
  },
};

for (const [what, { content, create }] of Object.entries(corruptions)) {
  test(`openStore() refuses ${what} with APL_STORE_CORRUPT and leaves it byte for byte`, () => {
    const path = join(dir, 'alliance.db');
    const bytes = content();
    writeFileSync(path, bytes);
    const files = readdirSync(dir).sort();
    const err = refusal(() => openStore(path, { create }));
    assert.is(err.code, 'APL_STORE_CORRUPT');
    assert.is(err.params.path, path);
    assert.ok(readFileSync(path).equals(bytes), 'the file was changed');
    assert.equal(readdirSync(dir).sort(), files);
  });
}

test('openStore() refuses a store from a newer schema with APL_STORE_TOO_NEW and leaves it byte for byte', () => {
  const path = join(dir, 'alliance.db');
  makeStore(path);
  inspect(path, (db) => db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`));
  const bytes = readFileSync(path);
  const files = readdirSync(dir).sort();
  const err = refusal(() => openStore(path, { create: false }));
  assert.is(err.code, 'APL_STORE_TOO_NEW');
  assert.is(err.params.found, LATEST_SCHEMA_VERSION + 1);
  assert.is(err.params.known, LATEST_SCHEMA_VERSION);
  assert.ok(readFileSync(path).equals(bytes), 'the file was changed');
  assert.equal(readdirSync(dir).sort(), files);
});

test('openStore() remembers the first node id and refuses another with APL_STORE_WRONG_NODE', () => {
  const path = join(dir, 'alliance.db');
  makeStore(path, { nodeId: 'node-a' });
  const err = refusal(() => openStore(path, { create: false, nodeId: 'node-b' }));
  assert.is(err.code, 'APL_STORE_WRONG_NODE');
  assert.is(err.params.storeNode, 'node-a');
  assert.is(err.params.identityNode, 'node-b');

  const store = openStore(path, { create: false, nodeId: 'node-a' });
  assert.is(store.meta.get('node_id'), 'node-a');
  store.close();
});

test('openStore() applies the given migrations in version order', () => {
  const path = join(dir, 'alliance.db');
  const store = openStore(path, { create: true, migrations: [addPinned, first, addNotes] });
  assert.is(store.schemaVersion, 3);
  store.close();
  inspect(path, (db) => {
    assert.is(db.pragma('user_version', { simple: true }), 3);
    assert.equal(tableNames(db), ['applied', 'events', 'meta', 'notes']);
    assert.equal(db.prepare('SELECT version FROM applied ORDER BY rowid').pluck().all(), [2, 3]);
    assert.ok((db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('notes') as string[]).includes('pinned'));
  });
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.bak')), [], 'a new store needs no backup');
});

test('openStore() copies a store with data to .v<N>.bak before migrating it', () => {
  const path = join(dir, 'alliance.db');
  makeStore(path, { migrations: [first] }, 2);
  const store = openStore(path, { create: false, migrations: [first, addNotes, addPinned] });
  assert.is(store.schemaVersion, 3);
  assert.is(store.events.count(), 2);
  store.close();

  const backup = `${path}.v1.bak`;
  assert.ok(existsSync(backup), `${backup} is missing`);
  inspect(backup, (db) => {
    assert.is(db.pragma('user_version', { simple: true }), 1);
    assert.equal(tableNames(db), ['events', 'meta']);
    assert.is(db.prepare('SELECT count(*) FROM events').pluck().get(), 2);
  });
});

test('openStore() reports a failing migration with APL_STORE_MIGRATION_FAILED and leaves the previous version', () => {
  const path = join(dir, 'alliance.db');
  makeStore(path, { migrations: [first] }, 1);
  const err = refusal(() => openStore(path, { create: false, migrations: [first, { ...broken, version: 2 }] }));
  assert.is(err.code, 'APL_STORE_MIGRATION_FAILED');
  assert.is(err.params.version, 2);
  assert.is(err.params.name, 'broken');
  assert.is(err.params.from, 1);
  assert.is(err.params.backup, `${path}.v1.bak`);
  assert.match(String(err.params.reason), /no such table: no_such_table/);
  inspect(path, (db) => {
    assert.is(db.pragma('user_version', { simple: true }), 1);
    assert.equal(tableNames(db), ['events', 'meta'], 'the failed migration left tables behind');
    assert.is(db.prepare('SELECT count(*) FROM events').pluck().get(), 1);
  });
  assert.ok(existsSync(`${path}.v1.bak`));
});

test('openStore() keeps the migrations that succeeded before the one that failed', () => {
  const path = join(dir, 'alliance.db');
  makeStore(path, { migrations: [first] });
  const err = refusal(() => openStore(path, { create: false, migrations: [first, addNotes, broken] }));
  assert.is(err.code, 'APL_STORE_MIGRATION_FAILED');
  assert.is(err.params.version, 3);
  assert.is(err.params.from, 2);
  inspect(path, (db) => {
    assert.is(db.pragma('user_version', { simple: true }), 2);
    assert.equal(tableNames(db), ['applied', 'events', 'meta', 'notes']);
  });
});

const pending: Record<string, { current: number; all?: Migration[]; expected: number[] }> = {
  'lists every migration for a new store': { current: 0, all: [first, addNotes, addPinned], expected: [1, 2, 3] },
  'lists only the later ones for a store part way': { current: 1, all: [first, addNotes, addPinned], expected: [2, 3] },
  'lists nothing for a store that is up to date': { current: 3, all: [first, addNotes, addPinned], expected: [] },
  'lists nothing for a store newer than every migration': { current: 9, all: [first, addNotes, addPinned], expected: [] },
  'sorts migrations given out of order': { current: 0, all: [addPinned, first, addNotes], expected: [1, 2, 3] },
  'uses the built-in migrations by default': { current: 0, expected: MIGRATIONS.map((m) => m.version).sort((a, b) => a - b) },
  'lists nothing for a store at LATEST_SCHEMA_VERSION by default': { current: LATEST_SCHEMA_VERSION, expected: [] },
};

for (const [behaviour, { current, all, expected }] of Object.entries(pending)) {
  test(`pendingMigrations() ${behaviour}`, () => {
    assert.equal(pendingMigrations(current, all).map((m) => m.version), expected);
  });
}

test('pendingMigrations() does not reorder the list it is given', () => {
  const all = [addPinned, first, addNotes];
  pendingMigrations(0, all);
  assert.equal(all.map((m) => m.version), [3, 1, 2]);
});

test('LATEST_SCHEMA_VERSION is the highest built-in migration and versions are unique', () => {
  const versions = MIGRATIONS.map((m) => m.version);
  assert.is(new Set(versions).size, versions.length);
  assert.is(LATEST_SCHEMA_VERSION, Math.max(...versions));
});

test.run();
