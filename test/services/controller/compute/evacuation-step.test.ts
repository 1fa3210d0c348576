import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  evacuationStep,
  fenceBackoffMs,
  fenceOutcomeOfAnswer,
  fenceOutcomeOfError,
  nextEvacuationAction,
  type Evacuation,
  type EvacuationEvent,
  type EvacuationPhase,
  type InstanceFacts,
} from '../../../../services/controller/compute/evacuation/index.ts';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const ON_A: InstanceFacts = { id: 'i1', hostId: 'A', state: 'running' };
const ON_B: InstanceFacts = { id: 'i1', hostId: 'B', state: 'building' };

const evac = (phase: EvacuationPhase, more: Partial<Evacuation> = {}): Evacuation => ({
  instanceId: 'i1',
  failedHostId: 'A',
  phase,
  fenceAttempts: 0,
  nextFenceAtMs: T0,
  targetHostId: null,
  reason: null,
  startedAt: new Date(T0).toISOString(),
  ...more,
});

const offline: EvacuationEvent = { kind: 'host-offline', hostId: 'A', hostName: 'a', atMs: T0 };
const fencedOff: EvacuationEvent = { kind: 'fence', outcome: { kind: 'off' }, hostName: 'a', atMs: T0 + 1000 };
const notFenced: EvacuationEvent = { kind: 'fence', outcome: { kind: 'not-fenced', reason: 'APL_BOOT_FENCE_AUTH: refused' }, hostName: 'a', atMs: T0 + 1000 };
const placedB: EvacuationEvent = { kind: 'placed', hostId: 'B', hostName: 'b', fromName: 'a', atMs: T0 + 2000 };
const noHost: EvacuationEvent = { kind: 'no-host', summary: '2 hosts considered, rejected by memory 2', atMs: T0 + 2000 };
const back: EvacuationEvent = { kind: 'host-back', hostName: 'a', atMs: T0 + 3000 };

// Every phase (and none) against every event: the phase after, whether the instance changes, the event kinds.
const table: Record<string, { current: Evacuation | undefined; instance?: InstanceFacts; event: EvacuationEvent; phase: EvacuationPhase | undefined; change?: string; events: string[] }> = {
  'none + offline starts fencing': { current: undefined, event: offline, phase: 'fencing', events: ['evacuation'] },
  'none + offline of another host: nothing': { current: undefined, instance: ON_B, event: offline, phase: undefined, events: [] },
  'none + offline of a deleting instance: nothing': { current: undefined, instance: { ...ON_A, state: 'deleting' }, event: offline, phase: undefined, events: [] },
  'fencing + offline again: unchanged (no second start)': { current: evac('fencing'), event: offline, phase: 'fencing', events: [] },
  'unfenced + offline again: unchanged': { current: evac('unfenced', { fenceAttempts: 2 }), event: offline, phase: 'unfenced', events: [] },
  'fenced + offline again: unchanged': { current: evac('fenced'), event: offline, phase: 'fenced', events: [] },
  'unplaceable + offline again: unchanged': { current: evac('unplaceable'), event: offline, phase: 'unplaceable', events: [] },
  'abandoned + offline: a new failure starts fencing': { current: evac('abandoned'), event: offline, phase: 'fencing', events: ['evacuation'] },
  'evacuated from another host + offline of its new host: a new evacuation': {
    current: evac('evacuated', { failedHostId: 'Z', targetHostId: 'A' }),
    event: offline,
    phase: 'fencing',
    events: ['evacuation'],
  },
  'fencing + off: fenced': { current: evac('fencing'), event: fencedOff, phase: 'fenced', events: ['evacuation'] },
  'fencing + not fenced: unfenced, instance flagged error': { current: evac('fencing'), event: notFenced, phase: 'unfenced', change: 'error', events: ['evacuation'] },
  'unfenced + same reason again: quiet retry': { current: evac('unfenced', { fenceAttempts: 1, reason: 'APL_BOOT_FENCE_AUTH: refused' }), event: notFenced, phase: 'unfenced', events: [] },
  'unfenced + another reason: flagged again': { current: evac('unfenced', { fenceAttempts: 1, reason: 'APL_BOOT_BMC_NOT_SET: no BMC' }), event: notFenced, phase: 'unfenced', change: 'error', events: ['evacuation'] },
  'unfenced + off: fenced': { current: evac('unfenced', { fenceAttempts: 3, reason: 'x' }), event: fencedOff, phase: 'fenced', events: ['evacuation'] },
  'fenced + a late fence answer: unchanged': { current: evac('fenced'), event: notFenced, phase: 'fenced', events: [] },
  'evacuated + fence answer: unchanged': { current: evac('evacuated', { targetHostId: 'B' }), instance: ON_B, event: fencedOff, phase: 'evacuated', events: [] },
  'fenced + placed: evacuated, moved': { current: evac('fenced'), event: placedB, phase: 'evacuated', change: 'B building', events: ['evacuated'] },
  'fenced + no host: unplaceable, error': { current: evac('fenced'), event: noHost, phase: 'unplaceable', change: 'error', events: ['unschedulable'] },
  'fencing + placed (not fenced yet): nothing moves': { current: evac('fencing'), event: placedB, phase: 'fencing', events: [] },
  'unfenced + placed: nothing moves': { current: evac('unfenced', { reason: 'x' }), event: placedB, phase: 'unfenced', events: [] },
  'evacuated + placed again: exactly once, unchanged': { current: evac('evacuated', { targetHostId: 'B' }), instance: ON_B, event: { ...placedB, hostId: 'C', hostName: 'c' }, phase: 'evacuated', events: [] },
  'fenced but already moved (restart after commit) + placed: unchanged': { current: evac('fenced'), instance: ON_B, event: placedB, phase: 'fenced', events: [] },
  'fenced + placed on the failed host itself: refused': { current: evac('fenced'), event: { ...placedB, hostId: 'A' }, phase: 'fenced', events: [] },
  'unplaceable + no host again: unchanged': { current: evac('unplaceable', { reason: 'r' }), event: noHost, phase: 'unplaceable', events: [] },
  'fencing + host back: abandoned, instance untouched': { current: evac('fencing'), event: back, phase: 'abandoned', events: ['evacuation'] },
  'unfenced + host back: abandoned, error cleared': { current: evac('unfenced', { reason: 'x' }), event: back, phase: 'abandoned', change: 'building', events: ['evacuation'] },
  'fenced + host back: abandoned': { current: evac('fenced'), event: back, phase: 'abandoned', events: ['evacuation'] },
  'unplaceable + host back: abandoned, error cleared': { current: evac('unplaceable', { reason: 'r' }), event: back, phase: 'abandoned', change: 'building', events: ['evacuation'] },
  'evacuated + host back: never re-added': { current: evac('evacuated', { targetHostId: 'B' }), instance: ON_B, event: back, phase: 'evacuated', events: [] },
  'abandoned + host back: unchanged': { current: evac('abandoned'), event: back, phase: 'abandoned', events: [] },
};

for (const [name, c] of Object.entries(table)) {
  test(`evacuationStep(): ${name}`, () => {
    const result = evacuationStep(c.current, c.instance ?? ON_A, c.event);
    assert.is(result.evacuation?.phase, c.phase);
    const change = result.instance === undefined ? undefined : result.instance.hostId === undefined ? result.instance.state : `${result.instance.hostId} ${result.instance.state}`;
    assert.is(change, c.change);
    assert.equal(
      result.events.map((e) => e.kind),
      c.events,
    );
    if (c.events.length === 0 && c.change === undefined && !name.includes('quiet')) assert.is(result.evacuation, c.current, 'an event that does not apply returns the same record');
  });
}

test('evacuationStep(): a failed fence says what to do, counts the attempt and backs off', () => {
  const once = evacuationStep(evac('fencing'), ON_A, notFenced);
  assert.equal([once.evacuation?.fenceAttempts, once.evacuation?.nextFenceAtMs], [1, T0 + 1000 + fenceBackoffMs(1)]);
  assert.match(once.instance?.error ?? '', /^host a is offline and could not be fenced: APL_BOOT_FENCE_AUTH: refused; nothing was restarted elsewhere\. Restart the host/);
  const twice = evacuationStep(once.evacuation, ON_A, { ...notFenced, atMs: T0 + 60_000 });
  assert.equal([twice.evacuation?.fenceAttempts, twice.evacuation?.nextFenceAtMs], [2, T0 + 60_000 + fenceBackoffMs(2)]);
});

test('evacuationStep(): the move records the failed and the new host by name', () => {
  assert.equal(evacuationStep(evac('fenced'), ON_A, placedB).events, [{ kind: 'evacuated', message: 'evacuated from a to b' }]);
  assert.equal(evacuationStep(evac('fenced'), ON_A, noHost).events, [{ kind: 'unschedulable', message: 'no host can take it: 2 hosts considered, rejected by memory 2' }]);
});

test('evacuationStep(): a run of events applied twice (a restart replays them) moves the instance once', () => {
  const events = [offline, fencedOff, placedB];
  let current: Evacuation | undefined;
  let instance = ON_A;
  const moves: string[] = [];
  for (const event of [...events, ...events]) {
    const r = evacuationStep(current, instance, event);
    current = r.evacuation;
    if (r.instance?.hostId !== undefined) {
      moves.push(r.instance.hostId);
      instance = { ...instance, hostId: r.instance.hostId, state: r.instance.state };
    }
  }
  assert.equal(moves, ['B']);
  assert.is(current?.phase, 'evacuated');
});

test('fenceBackoffMs() doubles from 15 s up to 10 min', () => {
  assert.equal([1, 2, 3, 6, 7, 50].map(fenceBackoffMs), [15_000, 30_000, 60_000, 480_000, 600_000, 600_000]);
});

const actions: Record<string, { current: Evacuation | undefined; instanceHostId: string | null; hostState: 'active' | 'suspect' | 'offline' | 'retired' | undefined; nowMs?: number; expected: string }> = {
  'no evacuation: done': { current: undefined, instanceHostId: 'A', hostState: 'offline', expected: 'done' },
  'fencing, host offline: fence': { current: evac('fencing'), instanceHostId: 'A', hostState: 'offline', expected: 'fence' },
  'unfenced before its back-off: wait': { current: evac('unfenced', { nextFenceAtMs: T0 + 5000 }), instanceHostId: 'A', hostState: 'offline', expected: 'wait' },
  'unfenced after its back-off: fence': { current: evac('unfenced', { nextFenceAtMs: T0 + 5000 }), instanceHostId: 'A', hostState: 'offline', nowMs: T0 + 5000, expected: 'fence' },
  'fenced, still on the failed host: place': { current: evac('fenced'), instanceHostId: 'A', hostState: 'offline', expected: 'place' },
  'fenced, already moved (restart after the commit): done': { current: evac('fenced'), instanceHostId: 'B', hostState: 'offline', expected: 'done' },
  'evacuated: done': { current: evac('evacuated'), instanceHostId: 'B', hostState: 'offline', expected: 'done' },
  'unplaceable, host offline: done': { current: evac('unplaceable'), instanceHostId: 'A', hostState: 'offline', expected: 'done' },
  'fencing, host active again: abandon': { current: evac('fencing'), instanceHostId: 'A', hostState: 'active', expected: 'abandon' },
  'unfenced, host suspect (heard again): abandon': { current: evac('unfenced'), instanceHostId: 'A', hostState: 'suspect', expected: 'abandon' },
  'unplaceable, host active again: abandon': { current: evac('unplaceable'), instanceHostId: 'A', hostState: 'active', expected: 'abandon' },
  'evacuated, host active again: done (never re-added)': { current: evac('evacuated'), instanceHostId: 'B', hostState: 'active', expected: 'done' },
  'fencing, host retired: still fence': { current: evac('fencing'), instanceHostId: 'A', hostState: 'retired', expected: 'fence' },
  'abandoned: done': { current: evac('abandoned'), instanceHostId: 'A', hostState: 'offline', expected: 'done' },
};

for (const [name, c] of Object.entries(actions)) {
  test(`nextEvacuationAction(): ${name}`, () => {
    assert.is(nextEvacuationAction(c.current, { instanceHostId: c.instanceHostId, hostState: c.hostState, nowMs: c.nowMs ?? T0 }), c.expected);
  });
}

const answers: Record<string, { answer: unknown; expected: string }> = {
  'power off for the host: off': { answer: { hostId: 'A', action: 'off', power: 'off', status: 2, target: 'ipmi://x', tookMs: 10 }, expected: 'off' },
  'power on: not fenced': { answer: { hostId: 'A', action: 'off', power: 'on' }, expected: 'not-fenced: the BMC says power is on' },
  'unreachable with a reason: not fenced': { answer: { hostId: 'A', action: 'off', power: 'unreachable', reason: 'no route' }, expected: 'not-fenced: the BMC says power is unreachable (no route)' },
  'another host: not fenced': { answer: { hostId: 'B', action: 'off', power: 'off' }, expected: 'not-fenced: the boot service answered for host "B", not this one' },
  'another action: not fenced': { answer: { hostId: 'A', action: 'status', power: 'off' }, expected: 'not-fenced: the boot service answered a "status" action, not off' },
  'no power field: not fenced': { answer: { hostId: 'A', action: 'off' }, expected: 'not-fenced: the boot service answered without a power state' },
  'null: not fenced': { answer: null, expected: 'not-fenced: the boot service answered null instead of a power state' },
  'a string: not fenced': { answer: 'off', expected: 'not-fenced: the boot service answered the text "off" instead of a power state' },
  'a list: not fenced': { answer: [{ power: 'off' }], expected: 'not-fenced: the boot service answered a list instead of a power state' },
  'power true: not fenced': { answer: { power: true }, expected: 'not-fenced: the boot service answered without a power state' },
};

for (const [name, c] of Object.entries(answers)) {
  test(`fenceOutcomeOfAnswer(): ${name}`, () => {
    const outcome = fenceOutcomeOfAnswer('A', c.answer);
    assert.is(outcome.kind === 'off' ? 'off' : `not-fenced: ${outcome.reason}`, c.expected);
  });
}

test('fenceOutcomeOfError(): a coded error keeps its code, anything thrown is not fenced', () => {
  const coded = Object.assign(new Error('The host has no BMC settings'), { code: 'APL_BOOT_BMC_NOT_SET' });
  assert.equal(fenceOutcomeOfError(coded), { kind: 'not-fenced', reason: 'APL_BOOT_BMC_NOT_SET: The host has no BMC settings' });
  assert.equal(fenceOutcomeOfError(new Error('')), { kind: 'not-fenced', reason: 'no message' });
  assert.equal(fenceOutcomeOfError(42), { kind: 'not-fenced', reason: 'the call failed with a number' });
  assert.equal(fenceOutcomeOfError(undefined), { kind: 'not-fenced', reason: 'the call failed with a undefined' });
});

test.run();
