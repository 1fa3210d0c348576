import { defineErrors } from '../errors/index.ts';

export const storeErrors = defineErrors('STORE', {
  MISSING: { status: 500, exit: 1, message: 'Cannot open store {path}: it does not exist; run `alliance init` to create it, or restore it from a backup' },
  CORRUPT: { status: 500, exit: 1, message: 'Cannot open store {path}: {reason}; nothing was changed. Restore it from a backup, or move it away and run `alliance init` for an empty one' },
  TOO_NEW: { status: 500, exit: 1, message: 'Cannot open store {path}: it is at schema version {found}, this alliance knows up to {known}; run the newer alliance that wrote it, or restore a backup taken before the upgrade' },
  WRONG_NODE: { status: 500, exit: 1, message: 'Cannot open store {path}: it belongs to node {storeNode}, but this data directory\'s identity is node {identityNode}; put the matching identity back or use the right --data-dir' },
  MIGRATION_FAILED: { status: 500, exit: 1, message: 'Cannot migrate store {path} to schema version {version} ({name}): {reason}; the store was left at version {from} and a copy was saved to {backup}' },
  DUPLICATE_KEY: { status: 409, exit: 1, message: 'Cannot record event: idempotency key {key} was already used for a different event' },
});
