import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openStore, type Store } from '../../../../appliance/store/index.ts';
import { AuditLog } from '../../../../services/controller/audit/audit-log.ts';

let store: Store;
let audit: AuditLog;
const NOW = new Date('2026-03-01T12:00:00Z');

test.before.each(() => {
  store = openStore(':memory:', { create: true });
  audit = new AuditLog(store.database, () => NOW);
});
test.after.each(() => store.close());

test('AuditLog.record() keeps who, what, when, where and the outcome', () => {
  const id = audit.record({ actor: 'alice', actorKind: 'user', action: 'projects.create', target: 'web', projectId: 'prj_a', source: '192.0.2.1', outcome: 'ok', detail: { id: 'prj_a' } });
  assert.equal(audit.list({ limit: 10 }), [
    { id, at: NOW.toISOString(), actor: 'alice', actorKind: 'user', action: 'projects.create', target: 'web', projectId: 'prj_a', source: '192.0.2.1', outcome: 'ok', detail: { id: 'prj_a' } },
  ]);
});

test('AuditLog.list() filters by project, action and after, newest first, up to the limit', () => {
  const ids = ['a', 'b', 'a', 'b'].map((p, i) => audit.record({ actor: 'x', actorKind: 'system', action: i % 2 ? 'users.create' : 'projects.create', projectId: `prj_${p}`, outcome: 'ok' }));
  assert.equal(audit.list({ projectId: 'prj_a', limit: 10 }).map((e) => e.id), [ids[2], ids[0]]);
  assert.equal(audit.list({ action: 'users.create', limit: 10 }).map((e) => e.id), [ids[3], ids[1]]);
  assert.equal(audit.list({ after: ids[1], limit: 10 }).map((e) => e.id), [ids[3], ids[2]]);
  assert.equal(audit.list({ limit: 1 }).map((e) => e.id), [ids[3]]);
});

test('AuditLog.record() rolls back with the transaction it is part of', () => {
  assert.throws(() =>
    store.transaction(() => {
      audit.record({ actor: 'x', actorKind: 'system', action: 'projects.create', outcome: 'ok' });
      throw new Error('the change failed');
    }),
  );
  assert.equal(audit.list({ limit: 10 }), []);
});

test.run();
