import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { reconcile } from '../../../services/agent/reconcile.ts';

test('reconcile() has nothing to apply yet and says where the host stands', () => {
  const got = reconcile({ generation: 3, state: 'active', labels: { rack: 'r1' }, instances: [] }, { generation: undefined });
  assert.equal(got.actions, []);
  assert.is(got.generation, 3);
  assert.is(got.summary, 'desired state: host active, 1 label, generation none -> 3; nothing to apply');
});

test('reconcile() is idempotent: the same inputs give the same answer, and a host at the generation is unchanged', () => {
  const desired = { generation: 5, state: 'suspect' as const, labels: {}, instances: [] };
  assert.equal(reconcile(desired, { generation: 5 }), reconcile(desired, { generation: 5 }));
  assert.match(reconcile(desired, { generation: 5 }).summary, /host suspect, 0 labels, unchanged/);
});

test.run();
