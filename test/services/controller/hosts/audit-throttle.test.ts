import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AuditThrottle } from '../../../../services/controller/hosts/index.ts';

test('AuditThrottle.admit() records up to perWindow entries per key and window, then suppresses', () => {
  const throttle = new AuditThrottle({ windowMs: 60_000, perWindow: 2, maxKeys: 10 });
  assert.equal(throttle.admit('a', 0), { record: true, suppressed: 0 });
  assert.equal(throttle.admit('a', 1), { record: true, suppressed: 0 });
  assert.equal(throttle.admit('a', 2), { record: false, suppressed: 0 });
  assert.equal(throttle.admit('a', 59_999), { record: false, suppressed: 0 });
});

test('AuditThrottle.admit() tells the first entry of the next window how many were left out', () => {
  const throttle = new AuditThrottle({ windowMs: 60_000, perWindow: 1, maxKeys: 10 });
  throttle.admit('a', 0);
  for (let i = 1; i <= 7; i += 1) throttle.admit('a', i);
  assert.equal(throttle.admit('a', 60_000), { record: true, suppressed: 7 });
  assert.equal(throttle.admit('a', 60_001), { record: false, suppressed: 0 });
  assert.equal(throttle.admit('a', 120_000), { record: true, suppressed: 1 });
});

test('AuditThrottle.admit() counts each key on its own', () => {
  const throttle = new AuditThrottle({ windowMs: 60_000, perWindow: 1, maxKeys: 10 });
  assert.ok(throttle.admit('a', 0).record);
  assert.not.ok(throttle.admit('a', 1).record);
  assert.ok(throttle.admit('b', 2).record);
});

test('AuditThrottle.admit() forgets the oldest key beyond maxKeys, so a flood of keys stays bounded', () => {
  const throttle = new AuditThrottle({ windowMs: 60_000, perWindow: 1, maxKeys: 2 });
  throttle.admit('a', 0);
  throttle.admit('b', 0);
  throttle.admit('c', 0);
  assert.ok(throttle.admit('a', 1).record, 'a was forgotten, so it starts a new window');
  assert.not.ok(throttle.admit('c', 1).record, 'c is still remembered');
});

test.run();
