import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type DriverOutcome } from '../../../../services/boot/fence/power-driver.ts';
import { type FenceAction, type FenceEvent, fenceStatusCode, type FenceStep, startFence, stepFence } from '../../../../services/boot/fence/step-fence.ts';

// Each case feeds outcomes to the machine in order, 100 ms apart (a wait moves the
// clock by its length), and compares the whole transcript.
const ON: DriverOutcome = { ok: true, power: 'on' };
const OFF: DriverOutcome = { ok: true, power: 'off' };
const OK: DriverOutcome = { ok: true };
const fail = (kind: 'timeout' | 'unreachable' | 'auth' | 'failed', message: string): DriverOutcome => ({ ok: false, failure: { kind, message } });

function transcript(action: FenceAction, outcomes: DriverOutcome[], options = { timeoutMs: 3000, pollMs: 1000 }): string {
  let now = 0;
  const lines: string[] = [];
  let step: FenceStep = startFence(action, { now, ...options });
  const queue = [...outcomes];
  while (step.state.result === undefined) {
    const effect = step.effects[0];
    if (effect === undefined) return `${lines.join('\n')}\nSTUCK`;
    let event: FenceEvent;
    if (effect.kind === 'wait') {
      lines.push(`${now} wait ${effect.ms}`);
      now += effect.ms;
      event = { kind: 'waited', now };
    } else {
      const outcome = queue.shift();
      if (outcome === undefined) return `${lines.join('\n')}\n${now} ${effect.kind} -> (no outcome scripted)`;
      now += 100;
      lines.push(`${now - 100} ${effect.kind} -> ${outcome.ok ? (outcome.power ?? 'ok') : `${outcome.failure.kind}: ${outcome.failure.message}`}`);
      event = { kind: 'result', now, outcome };
    }
    step = stepFence(step.state, event);
  }
  const r = step.state.result;
  lines.push(r.ok ? `= ok ${r.action} ${r.power}${r.warning === undefined ? '' : ` (${r.warning})`}` : `= FAILED ${r.action} ${r.failure.kind}: ${r.failure.message}`);
  if (queue.length > 0) lines.push(`${queue.length} outcomes left over`);
  return lines.join('\n');
}

const cases: Record<string, [FenceAction, DriverOutcome[], string]> = {
  'off verified after one poll': [
    'off',
    [ON, OK, ON, OFF],
    `0 read-state -> on
100 power-off -> ok
200 read-state -> on
300 wait 1000
1300 read-state -> off
= ok off off`,
  ],
  'off of a host already off sends no request': ['off', [OFF], `0 read-state -> off\n= ok off off`],
  'off timing out while the BMC keeps saying on': [
    'off',
    [ON, OK, ON, ON, ON],
    `0 read-state -> on
100 power-off -> ok
200 read-state -> on
300 wait 1000
1300 read-state -> on
1400 wait 1000
2400 read-state -> on
= FAILED off timeout: not off within 3000 ms (the BMC still reports on)`,
  ],
  'off with a read failing during verification retries, then times out quoting it': [
    'off',
    [ON, OK, fail('timeout', 'no answer'), fail('unreachable', 'no session'), fail('unreachable', 'no session')],
    `0 read-state -> on
100 power-off -> ok
200 read-state -> timeout: no answer
300 wait 1000
1300 read-state -> unreachable: no session
1400 wait 1000
2400 read-state -> unreachable: no session
= FAILED off timeout: not off within 3000 ms (the last read failed: no session)`,
  ],
  'off whose request fails': ['off', [ON, fail('failed', 'Command not supported in present state')], `0 read-state -> on\n100 power-off -> failed: Command not supported in present state\n= FAILED off failed: Command not supported in present state`],
  'off against an unreachable BMC': ['off', [fail('unreachable', 'Unable to establish IPMI v2 / RMCP+ session')], `0 read-state -> unreachable: Unable to establish IPMI v2 / RMCP+ session\n= FAILED off unreachable: Unable to establish IPMI v2 / RMCP+ session`],
  'off refused credentials while verifying stops at once': [
    'off',
    [ON, OK, fail('auth', 'RAKP 2 HMAC is invalid')],
    `0 read-state -> on\n100 power-off -> ok\n200 read-state -> auth: RAKP 2 HMAC is invalid\n= FAILED off auth: RAKP 2 HMAC is invalid`,
  ],
  'on verified at once': ['on', [OFF, OK, ON], `0 read-state -> off\n100 power-on -> ok\n200 read-state -> on\n= ok on on`],
  'on of a host already on': ['on', [ON], `0 read-state -> on\n= ok on on`],
  'reboot: off then on': [
    'reboot',
    [ON, OK, OFF, OK, ON],
    `0 read-state -> on
100 power-off -> ok
200 read-state -> off
300 power-on -> ok
400 read-state -> on
= ok reboot on`,
  ],
  'reboot of a host that is off only powers it on': ['reboot', [OFF, OK, ON], `0 read-state -> off\n100 power-on -> ok\n200 read-state -> on\n= ok reboot on`],
  'reboot where on fails still succeeds, with a warning': [
    'reboot',
    [ON, OK, OFF, fail('failed', 'BMC busy')],
    `0 read-state -> on
100 power-off -> ok
200 read-state -> off
300 power-on -> failed: BMC busy
= ok reboot off (the host is off but did not power on again: BMC busy)`,
  ],
  'reboot where on never shows succeeds, with a warning': [
    'reboot',
    [ON, OK, OFF, OK, OFF, OFF, OFF],
    `0 read-state -> on
100 power-off -> ok
200 read-state -> off
300 power-on -> ok
400 read-state -> off
500 wait 1000
1500 read-state -> off
1600 wait 1000
2600 read-state -> off
= ok reboot off (the host is off but did not power on again: not on within 3000 ms (the BMC still reports off))`,
  ],
  'reboot whose off half fails fails': ['reboot', [ON, fail('auth', 'unauthorized name')], `0 read-state -> on\n100 power-off -> auth: unauthorized name\n= FAILED reboot auth: unauthorized name`],
  'status on': ['status', [ON], `0 read-state -> on\n= ok status on`],
  'status off': ['status', [OFF], `0 read-state -> off\n= ok status off`],
  'status unreachable': ['status', [fail('unreachable', 'Address lookup for bmc9 failed')], `0 read-state -> unreachable: Address lookup for bmc9 failed\n= FAILED status unreachable: Address lookup for bmc9 failed`],
};
for (const [name, [action, outcomes, expected]] of Object.entries(cases)) {
  test(`stepFence() ${name}`, () => {
    assert.fixture(transcript(action, outcomes), expected);
  });
}

test('stepFence() takes a late read showing the target as the truth', () => {
  const start = startFence('off', { now: 0, timeoutMs: 1000, pollMs: 100 });
  const acted = stepFence(start.state, { kind: 'result', now: 10, outcome: ON });
  const verifying = stepFence(acted.state, { kind: 'result', now: 20, outcome: OK });
  const done = stepFence(verifying.state, { kind: 'result', now: 5000, outcome: OFF });
  assert.equal(done.state.result, { ok: true, action: 'off', power: 'off' });
});

test('stepFence() ignores events once done and events of the wrong kind', () => {
  const done = stepFence(startFence('status', { now: 0 }).state, { kind: 'result', now: 1, outcome: OFF });
  assert.equal(stepFence(done.state, { kind: 'result', now: 2, outcome: ON }), { state: done.state, effects: [] });
  const start = startFence('off', { now: 0 });
  assert.equal(stepFence(start.state, { kind: 'waited', now: 5 }), { state: start.state, effects: [] });
});

test('startFence() refuses a non-positive timeout', () => {
  assert.throws(() => startFence('off', { now: 0, timeoutMs: 0 }), /Cannot start fencing: timeoutMs 0/);
});

test('fenceStatusCode() gives 0 on, 2 off, 1 unreachable', () => {
  assert.equal(
    [
      fenceStatusCode({ ok: true, action: 'status', power: 'on' }),
      fenceStatusCode({ ok: true, action: 'status', power: 'off' }),
      fenceStatusCode({ ok: false, action: 'status', failure: { kind: 'unreachable', message: 'x' } }),
    ],
    [0, 2, 1],
  );
});

test.run();
