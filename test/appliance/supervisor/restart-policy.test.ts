import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decideRestart, type RestartDecision, type RestartPolicy } from '../../../appliance/supervisor/index.ts';

const policy: RestartPolicy = { limit: 5, windowMs: 60_000, baseDelayMs: 250, maxDelayMs: 3_000 };
const NOW = 1_000_000;

const cases: Record<string, { failures: number[]; now?: number; policy?: RestartPolicy; expected: RestartDecision }> = {
  'restarts after the first failure with the base delay': {
    failures: [],
    expected: { action: 'restart', delayMs: 250, recentFailures: [NOW] },
  },
  'doubles the delay for the second failure in the window': {
    failures: [NOW - 1_000],
    expected: { action: 'restart', delayMs: 500, recentFailures: [NOW - 1_000, NOW] },
  },
  'doubles again for the third': {
    failures: [NOW - 2_000, NOW - 1_000],
    expected: { action: 'restart', delayMs: 1_000, recentFailures: [NOW - 2_000, NOW - 1_000, NOW] },
  },
  'caps the delay at maxDelayMs': {
    failures: [NOW - 4_000, NOW - 3_000, NOW - 2_000, NOW - 1_000],
    expected: { action: 'restart', delayMs: 3_000, recentFailures: [NOW - 4_000, NOW - 3_000, NOW - 2_000, NOW - 1_000, NOW] },
  },
  'gives up on the failure past the limit': {
    failures: [NOW - 5_000, NOW - 4_000, NOW - 3_000, NOW - 2_000, NOW - 1_000],
    expected: { action: 'give-up', recentFailures: [NOW - 5_000, NOW - 4_000, NOW - 3_000, NOW - 2_000, NOW - 1_000, NOW] },
  },
  'gives up at once with a limit of 0': {
    failures: [],
    policy: { ...policy, limit: 0 },
    expected: { action: 'give-up', recentFailures: [NOW] },
  },
  'forgets failures older than the window': {
    failures: [NOW - 120_000, NOW - 90_000, NOW - 61_000, NOW - 60_000, NOW - 1_000],
    expected: { action: 'restart', delayMs: 500, recentFailures: [NOW - 1_000, NOW] },
  },
  'starts the back-off over once every earlier failure has left the window': {
    failures: [NOW - 300_000, NOW - 200_000, NOW - 100_000],
    expected: { action: 'restart', delayMs: 250, recentFailures: [NOW] },
  },
  'keeps a failure just inside the window': {
    failures: [NOW - 59_999],
    expected: { action: 'restart', delayMs: 500, recentFailures: [NOW - 59_999, NOW] },
  },
  'does not give up when old failures would pass the limit but recent ones do not': {
    failures: [NOW - 70_000, NOW - 69_000, NOW - 68_000, NOW - 67_000, NOW - 66_000, NOW - 10],
    expected: { action: 'restart', delayMs: 500, recentFailures: [NOW - 10, NOW] },
  },
};

for (const [behaviour, c] of Object.entries(cases)) {
  test(`decideRestart() ${behaviour}`, () => {
    assert.equal(decideRestart(c.failures, c.now ?? NOW, c.policy ?? policy), c.expected);
  });
}

test('decideRestart() does not change the failures it is given', () => {
  const failures = [NOW - 2_000, NOW - 1_000];
  decideRestart(failures, NOW, policy);
  assert.equal(failures, [NOW - 2_000, NOW - 1_000]);
});

test('decideRestart() allows exactly `limit` restarts in a burst', () => {
  let failures: readonly number[] = [];
  const actions: string[] = [];
  for (let i = 0; i < policy.limit + 1; i++) {
    const decision = decideRestart(failures, NOW + i, policy);
    actions.push(decision.action);
    failures = decision.recentFailures;
  }
  assert.equal(actions, [...Array<string>(policy.limit).fill('restart'), 'give-up']);
});

test.run();
