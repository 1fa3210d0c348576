import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HostState } from '../../../../appliance/contracts/index.ts';
import { graceLastSeen, livenessStep } from '../../../../services/controller/hosts/index.ts';

const thresholds = { suspectAfterMs: 15_000, offlineAfterMs: 45_000 };
const now = 1_000_000;

const steps: Record<string, { state: HostState; silenceMs: number; expected: HostState | undefined }> = {
  'leaves an active host that was just heard from active': { state: 'active', silenceMs: 0, expected: undefined },
  'leaves an active host active just below the suspect threshold': { state: 'active', silenceMs: 14_999, expected: undefined },
  'makes an active host suspect at the suspect threshold': { state: 'active', silenceMs: 15_000, expected: 'suspect' },
  'leaves a suspect host suspect below the offline threshold': { state: 'suspect', silenceMs: 44_999, expected: undefined },
  'makes a suspect host offline at the offline threshold': { state: 'suspect', silenceMs: 45_000, expected: 'offline' },
  'takes an active host straight to offline after a long gap': { state: 'active', silenceMs: 60_000, expected: 'offline' },
  'leaves an offline host offline while it stays silent': { state: 'offline', silenceMs: 600_000, expected: undefined },
  'brings a suspect host back to active after a heartbeat': { state: 'suspect', silenceMs: 0, expected: 'active' },
  'brings an offline host back to active after a heartbeat': { state: 'offline', silenceMs: 100, expected: 'active' },
  'moves an offline host heard from a while ago only to suspect': { state: 'offline', silenceMs: 20_000, expected: 'suspect' },
  'never moves a pending host': { state: 'pending', silenceMs: 600_000, expected: undefined },
  'never moves a retired host': { state: 'retired', silenceMs: 600_000, expected: undefined },
  'never moves a rejected host': { state: 'rejected', silenceMs: 0, expected: undefined },
};

for (const [behaviour, { state, silenceMs, expected }] of Object.entries(steps)) {
  test(`livenessStep() ${behaviour}`, () => {
    assert.is(livenessStep({ state, lastSeenMs: now - silenceMs }, now, thresholds), expected);
  });
}

for (const state of ['active', 'suspect', 'offline'] as const) {
  test(`graceLastSeen() keeps a ${state} host ${state} at the restart`, () => {
    const restart = 5_000_000;
    assert.is(livenessStep({ state, lastSeenMs: graceLastSeen(state, restart, thresholds) }, restart, thresholds), undefined);
  });
}

test('graceLastSeen() gives an active host the full suspect threshold after the restart', () => {
  const restart = 5_000_000;
  const lastSeenMs = graceLastSeen('active', restart, thresholds);
  assert.is(livenessStep({ state: 'active', lastSeenMs }, restart + 14_999, thresholds), undefined);
  assert.is(livenessStep({ state: 'active', lastSeenMs }, restart + 15_000, thresholds), 'suspect');
});

test('graceLastSeen() gives a suspect host the time left until offline after the restart', () => {
  const restart = 5_000_000;
  const lastSeenMs = graceLastSeen('suspect', restart, thresholds);
  assert.is(livenessStep({ state: 'suspect', lastSeenMs }, restart + 29_999, thresholds), undefined);
  assert.is(livenessStep({ state: 'suspect', lastSeenMs }, restart + 30_000, thresholds), 'offline');
});

test.run();
