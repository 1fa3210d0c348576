import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startOrder, type Ordered } from '../../../appliance/supervisor/index.ts';

const orders: Record<string, { items: Ordered[]; expected: string[] }> = {
  'keeps the given order when nothing depends on anything': {
    items: [{ name: 'b' }, { name: 'a' }, { name: 'c' }],
    expected: ['b', 'a', 'c'],
  },
  'moves a dependency before its dependent': {
    items: [{ name: 'https', after: ['store'] }, { name: 'store' }],
    expected: ['store', 'https'],
  },
  'resolves a chain': {
    items: [{ name: 'c', after: ['b'] }, { name: 'b', after: ['a'] }, { name: 'a' }],
    expected: ['a', 'b', 'c'],
  },
  'starts a diamond bottom once': {
    items: [{ name: 'top', after: ['left', 'right'] }, { name: 'left', after: ['base'] }, { name: 'right', after: ['base'] }, { name: 'base' }],
    expected: ['base', 'left', 'right', 'top'],
  },
};

for (const [behaviour, { items, expected }] of Object.entries(orders)) {
  test(`startOrder() ${behaviour}`, () => {
    assert.equal(startOrder(items), expected);
  });
}

const refusals: Record<string, { items: Ordered[]; message: RegExp }> = {
  'refuses an unknown dependency': { items: [{ name: 'a', after: ['ghost'] }], message: /"a" starts after "ghost", which is not defined/ },
  'refuses a duplicate name': { items: [{ name: 'a' }, { name: 'a' }], message: /"a" is defined twice/ },
  'refuses a cycle and names it': { items: [{ name: 'a', after: ['b'] }, { name: 'b', after: ['a'] }], message: /cycle a -> b -> a/ },
};

for (const [behaviour, { items, message }] of Object.entries(refusals)) {
  test(`startOrder() ${behaviour}`, () => {
    assert.throws(() => startOrder(items), message);
  });
}

test.run();
