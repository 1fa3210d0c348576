import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SlidingWindowLimiter } from '../../../../services/controller/identity/sliding-window-limiter.ts';

const MINUTE = 60_000;

test('SlidingWindowLimiter.check() allows up to the limit within a window', () => {
  const limiter = new SlidingWindowLimiter({ limit: 3, windowMs: MINUTE });
  for (const t of [0, 1000, 2000]) {
    assert.ok(limiter.check('user:a', t).allowed);
    limiter.hit('user:a', t);
  }
  assert.equal(limiter.check('user:a', 3000), { allowed: false, retryAfterMs: 57_000 });
});

test('SlidingWindowLimiter.check() frees a slot when the oldest hit leaves the window', () => {
  const limiter = new SlidingWindowLimiter({ limit: 2, windowMs: MINUTE });
  limiter.hit('k', 0);
  limiter.hit('k', 30_000);
  assert.not.ok(limiter.check('k', 59_999).allowed);
  assert.ok(limiter.check('k', 60_000).allowed);
  limiter.hit('k', 60_000);
  assert.equal(limiter.check('k', 60_001), { allowed: false, retryAfterMs: 29_999 });
});

test('SlidingWindowLimiter.take() counts a hit only while the limit allows', () => {
  const limiter = new SlidingWindowLimiter({ limit: 2, windowMs: MINUTE });
  assert.ok(limiter.take('k', 0));
  assert.ok(limiter.take('k', 1000));
  assert.not.ok(limiter.take('k', 2000));
  assert.equal(limiter.check('k', 2000), { allowed: false, retryAfterMs: 58_000 });
  assert.ok(limiter.take('k', 60_000));
  assert.equal(limiter.check('k', 60_000), { allowed: false, retryAfterMs: 1000 });
});

test('SlidingWindowLimiter counts keys apart', () => {
  const limiter = new SlidingWindowLimiter({ limit: 1, windowMs: MINUTE });
  limiter.hit('addr:192.0.2.1', 0);
  assert.not.ok(limiter.check('addr:192.0.2.1', 1).allowed);
  assert.ok(limiter.check('addr:192.0.2.2', 1).allowed);
});

test('SlidingWindowLimiter.reset() forgets a key', () => {
  const limiter = new SlidingWindowLimiter({ limit: 1, windowMs: MINUTE });
  limiter.hit('k', 0);
  limiter.reset('k');
  assert.ok(limiter.check('k', 1).allowed);
});

test('SlidingWindowLimiter forgets the stalest keys beyond maxKeys, and keys whose hits all expired', () => {
  const limiter = new SlidingWindowLimiter({ limit: 1, windowMs: MINUTE, maxKeys: 2 });
  limiter.hit('a', 0);
  limiter.hit('b', 1);
  limiter.hit('c', 2);
  assert.is(limiter.size, 2);
  assert.ok(limiter.check('a', 3).allowed, 'a was forgotten');
  assert.not.ok(limiter.check('c', 3).allowed);
  limiter.check('b', MINUTE + 10);
  assert.is(limiter.size, 1);
});

test.run();
