import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openStore, type NewEvent, type Store } from '../../../appliance/store/index.ts';
import { refusal } from '../../_support/refusal.ts';

let store: Store;

test.before.each(() => {
  store = openStore(':memory:', { create: true });
});

test.after.each(() => {
  store.close();
});

const at = (second: number): Date => new Date(Date.UTC(2026, 0, 2, 3, 4, second));

function note(message: string, extra: Partial<NewEvent> = {}): NewEvent {
  return { source: 'operator', kind: 'operator.note', severity: 'info', message, ...extra };
}

/** Records events of the given kinds in order; returns their ids. */
function seed(kinds: string[]): number[] {
  return kinds.map((kind, i) => store.events.record(note(`event ${i}`, { kind }), at(i)).event.id);
}

test('store.events.record() gives increasing ids and returns what it stored', () => {
  const a = store.events.record(note('first'), at(1));
  const b = store.events.record(note('second', { severity: 'warning', source: 'appliance', kind: 'service.failed' }), at(2));
  assert.ok(a.created && b.created);
  assert.ok(b.event.id > a.event.id, `${b.event.id} is not after ${a.event.id}`);
  assert.equal(b.event, {
    id: b.event.id,
    at: '2026-01-02T03:04:02.000Z',
    source: 'appliance',
    kind: 'service.failed',
    severity: 'warning',
    message: 'second',
    data: {},
    idempotencyKey: null,
  });
  assert.equal(store.events.list({ limit: 1 })[0], b.event);
});

test('store.events.record() never reuses an id', () => {
  const ids = seed(['a', 'b', 'c', 'd', 'e']);
  assert.equal([...ids].sort((x, y) => x - y), ids);
  assert.is(new Set(ids).size, 5);
});

test('store.events.record() round-trips nested data', () => {
  const data = { service: 'https', attempt: 3, ok: false, nested: { list: [1, 'two', null], empty: {} }, text: 'ünïcødé "quoted"' };
  const { event } = store.events.record(note('with data', { data }), at(1));
  assert.equal(event.data, data);
  assert.equal(store.events.list({ limit: 10 })[0]!.data, data);
});

test('store.events.list() returns the newest first', () => {
  const ids = seed(['a', 'b', 'c']);
  assert.equal(store.events.list({ limit: 10 }).map((e) => e.id), [...ids].reverse());
  assert.equal(store.events.list({ limit: 10 }).map((e) => e.message), ['event 2', 'event 1', 'event 0']);
});

const queries: Record<string, { kinds: string[]; query: (ids: number[]) => { limit: number; after?: number; kind?: string }; expected: (ids: number[]) => number[] }> = {
  'keeps the newest `limit` events': { kinds: ['a', 'a', 'a', 'a'], query: () => ({ limit: 2 }), expected: (ids) => [ids[3]!, ids[2]!] },
  'returns only events after the given id': { kinds: ['a', 'a', 'a', 'a'], query: (ids) => ({ limit: 10, after: ids[1] }), expected: (ids) => [ids[3]!, ids[2]!] },
  'returns only events of the given kind': { kinds: ['a', 'b', 'a', 'c'], query: () => ({ limit: 10, kind: 'a' }), expected: (ids) => [ids[2]!, ids[0]!] },
  'combines kind, after and limit': { kinds: ['a', 'a', 'b', 'a', 'a'], query: (ids) => ({ limit: 1, after: ids[0], kind: 'a' }), expected: (ids) => [ids[4]!] },
  'returns nothing for a kind never recorded': { kinds: ['a', 'b'], query: () => ({ limit: 10, kind: 'z' }), expected: () => [] },
  'returns nothing after the newest id': { kinds: ['a', 'b'], query: (ids) => ({ limit: 10, after: ids[1] }), expected: () => [] },
};

for (const [behaviour, { kinds, query, expected }] of Object.entries(queries)) {
  test(`store.events.list() ${behaviour}`, () => {
    const ids = seed(kinds);
    assert.equal(store.events.list(query(ids)).map((e) => e.id), expected(ids));
  });
}

test('store.events.count() counts every recorded event', () => {
  assert.is(store.events.count(), 0);
  seed(['a', 'b', 'c']);
  assert.is(store.events.count(), 3);
});

test('store.events.record() with a used idempotency key returns the first event, created false, and adds no row', () => {
  const first = store.events.record(note('deploy started', { idempotencyKey: 'req-1', data: { n: 1 } }), at(1));
  const writes = store.writes;
  const again = store.events.record(note('deploy started', { idempotencyKey: 'req-1', data: { n: 2 } }), at(9));
  assert.is(first.created, true);
  assert.is(again.created, false);
  assert.equal(again.event, first.event);
  assert.is(again.event.idempotencyKey, 'req-1');
  assert.is(again.event.at, at(1).toISOString());
  assert.is(store.events.count(), 1);
  assert.is(store.writes, writes);
});

test('store.events.record() treats different idempotency keys as different events', () => {
  const a = store.events.record(note('same text', { idempotencyKey: 'k-1' }), at(1));
  const b = store.events.record(note('same text', { idempotencyKey: 'k-2' }), at(2));
  assert.ok(a.created && b.created);
  assert.is.not(a.event.id, b.event.id);
  assert.is(store.events.count(), 2);
});

const reuses: Record<string, Partial<NewEvent>> = {
  'a different message': { message: 'something else' },
  'a different kind': { kind: 'operator.other' },
  'a different source': { source: 'hook' },
};

for (const [what, change] of Object.entries(reuses)) {
  test(`store.events.record() refuses an idempotency key reused for ${what} with APL_STORE_DUPLICATE_KEY`, () => {
    store.events.record(note('original', { idempotencyKey: 'k-1' }), at(1));
    const err = refusal(() => store.events.record(note('original', { idempotencyKey: 'k-1', ...change }), at(2)));
    assert.is(err.code, 'APL_STORE_DUPLICATE_KEY');
    assert.is(err.status, 409);
    assert.is(err.params.key, 'k-1');
    assert.is(store.events.count(), 1);
  });
}

test('store.writes counts committed writes only', () => {
  assert.is(store.writes, 0);
  seed(['a', 'b']);
  assert.is(store.writes, 2);
  store.meta.set('created_at', at(0).toISOString());
  assert.is(store.writes, 3);
  store.events.list({ limit: 10 });
  store.events.count();
  store.meta.get('created_at');
  assert.is(store.writes, 3);
  assert.throws(() => store.events.record(note('bad', { severity: 'fatal' as 'error' }), at(1)), /CHECK constraint/);
  assert.is(store.writes, 3);
  assert.is(store.events.count(), 2);
});

test.run();
