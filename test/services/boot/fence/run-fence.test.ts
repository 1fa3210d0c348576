import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type DriverOutcome, type PowerDriver, type PowerOperation } from '../../../../services/boot/fence/power-driver.ts';
import { runFence } from '../../../../services/boot/fence/run-fence.ts';

/** A driver answering from a script; each call costs 50 ms of fake time. */
function scripted(clock: { t: number }, answers: (DriverOutcome | 'hang' | 'throw')[]): PowerDriver & { calls: PowerOperation[] } {
  const calls: PowerOperation[] = [];
  return {
    target: 'test://bmc',
    calls,
    async call(operation) {
      calls.push(operation);
      clock.t += 50;
      const a = answers.shift();
      if (a === undefined) throw new Error(`unscripted ${operation}`);
      if (a === 'throw') throw new Error('spawn ipmitool ENOENT');
      if (a === 'hang') return new Promise<DriverOutcome>(() => undefined);
      return a;
    },
  };
}

function harness(answers: (DriverOutcome | 'hang' | 'throw')[], aborted = false) {
  const clock = { t: 1000 };
  const driver = scripted(clock, answers);
  const sleeps: number[] = [];
  const options = {
    driver,
    now: () => clock.t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      clock.t += ms;
    },
    timeoutMs: 2000,
    pollMs: 500,
    callSignal: aborted ? () => AbortSignal.abort() : () => new AbortController().signal,
  };
  return { driver, sleeps, options };
}

test('runFence() performs off, polls with the injected sleep and records every step with its time', async () => {
  const h = harness([{ ok: true, power: 'on' }, { ok: true }, { ok: true, power: 'on' }, { ok: true, power: 'off' }]);
  const { result, records } = await runFence('off', h.options);
  assert.equal(result, { ok: true, action: 'off', power: 'off' });
  assert.equal(h.driver.calls, ['read-state', 'power-off', 'read-state', 'read-state']);
  assert.equal(h.sleeps, [500]);
  assert.equal(
    records.map((r) => `${r.at} ${r.effect.kind}`),
    ['1000 read-state', '1050 power-off', '1100 read-state', '1150 wait', '1650 read-state'],
  );
});

test('runFence() counts a call that does not answer before its signal fires as a timeout', async () => {
  const h = harness(['hang'], true);
  const { result } = await runFence('status', h.options);
  assert.equal(result, { ok: false, action: 'status', failure: { kind: 'timeout', message: 'read-state got no answer from test://bmc within 10000 ms' } });
});

test('runFence() counts a hung call as a timeout when the signal fires while it waits', async () => {
  const h = harness(['hang']);
  const controller = new AbortController();
  const running = runFence('off', { ...h.options, callTimeoutMs: 7, callSignal: () => controller.signal });
  controller.abort();
  assert.equal((await running).result, { ok: false, action: 'off', failure: { kind: 'timeout', message: 'read-state got no answer from test://bmc within 7 ms' } });
});

test('runFence() turns a throwing driver into a failed outcome', async () => {
  const h = harness(['throw']);
  const { result } = await runFence('off', h.options);
  assert.equal(result, { ok: false, action: 'off', failure: { kind: 'failed', message: 'read-state failed: spawn ipmitool ENOENT' } });
});

test('runFence() reboot that cannot power on again still reports the host fenced', async () => {
  const h = harness([{ ok: true, power: 'on' }, { ok: true }, { ok: true, power: 'off' }, { ok: false, failure: { kind: 'unreachable', message: 'gone' } }]);
  const { result } = await runFence('reboot', h.options);
  assert.equal(result, { ok: true, action: 'reboot', power: 'off', warning: 'the host is off but did not power on again: gone' });
});

test.run();
