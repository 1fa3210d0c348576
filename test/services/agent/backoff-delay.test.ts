import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backoffDelay } from '../../../services/agent/backoff-delay.ts';

test('backoffDelay() doubles from minMs and stops at maxMs', () => {
  const delays = [0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, { minMs: 2000, maxMs: 30_000 }));
  assert.equal(delays, [2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
});

test('backoffDelay() spreads by at most ±20 % and never past maxMs', () => {
  assert.is(backoffDelay(0, { minMs: 1000, maxMs: 10_000, random: 0 }), 800);
  assert.is(backoffDelay(0, { minMs: 1000, maxMs: 10_000, random: 0.999999 }), 1200);
  assert.is(backoffDelay(10, { minMs: 1000, maxMs: 10_000, random: 0.999999 }), 10_000);
});

test('backoffDelay() takes odd attempts as 0 and huge ones as the cap', () => {
  assert.is(backoffDelay(-3, { minMs: 50, maxMs: 100 }), 50);
  assert.is(backoffDelay(Number.NaN, { minMs: 50, maxMs: 100 }), 50);
  assert.is(backoffDelay(1e9, { minMs: 50, maxMs: 100 }), 100);
});

test.run();
