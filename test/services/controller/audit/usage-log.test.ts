import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openStore, type Store } from '../../../../appliance/store/index.ts';
import { UsageLog } from '../../../../services/controller/audit/usage-log.ts';

let store: Store;
let usage: UsageLog;
const NOW = new Date('2026-03-01T12:00:00Z');

test.before.each(() => {
  store = openStore(':memory:', { create: true });
  usage = new UsageLog(store.database, () => NOW);
});
test.after.each(() => store.close());

test('UsageLog.record() keeps what a project used', () => {
  const id = usage.record({ projectId: 'prj_a', kind: 'api-key.created', quantity: 1, unit: 'key', subject: 'abc', data: { role: 'reader' } });
  assert.equal(usage.list('prj_a', { limit: 5 }), [{ id, at: NOW.toISOString(), projectId: 'prj_a', kind: 'api-key.created', quantity: 1, unit: 'key', subject: 'abc', data: { role: 'reader' } }]);
});

test('UsageLog.list() is per project, filtered by kind and after, newest first', () => {
  const a1 = usage.record({ projectId: 'prj_a', kind: 'api-key.created', quantity: 1, unit: 'key' });
  usage.record({ projectId: 'prj_b', kind: 'api-key.created', quantity: 1, unit: 'key' });
  const a2 = usage.record({ projectId: 'prj_a', kind: 'instance.vcpu-hours', quantity: 2.5, unit: 'vcpu-hour' });
  assert.equal(usage.list('prj_a', { limit: 10 }).map((u) => u.id), [a2, a1]);
  assert.equal(usage.list('prj_a', { kind: 'instance.vcpu-hours', limit: 10 }).map((u) => u.quantity), [2.5]);
  assert.equal(usage.list('prj_a', { after: a1, limit: 10 }).map((u) => u.id), [a2]);
});

test.run();
