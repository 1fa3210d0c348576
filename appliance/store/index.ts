export { storeErrors } from './errors.ts';
export type { ListEventsQuery, NewEvent, Severity, StoredEvent } from './event-journal.ts';
export { LATEST_SCHEMA_VERSION, MIGRATIONS, pendingMigrations } from './migrations.ts';
export type { Migration } from './migrations.ts';
export { openStore, Store } from './open-store.ts';
export type { OpenStoreOptions } from './open-store.ts';
