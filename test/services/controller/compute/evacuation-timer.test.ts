import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../../../appliance/log/index.ts';
import type { ServiceDefinition } from '../../../../appliance/supervisor/index.ts';
import { withEvacuationTimer } from '../../../../services/controller/compute/evacuation/index.ts';

test('withEvacuationTimer() starts the service, resumes evacuations at once, and on stop waits for a pass before stopping the service', async () => {
  const calls: string[] = [];
  const inner: ServiceDefinition = {
    name: 'controller',
    start: async () => {
      calls.push('start');
      return { stop: async () => void calls.push('stop') };
    },
  };
  const evacuator = {
    tick: async () => void calls.push('tick'),
    idle: async () => void calls.push('idle'),
  };
  const wrapped = withEvacuationTimer(inner, evacuator, 60_000);
  assert.is(wrapped.name, 'controller');
  const running = await wrapped.start({ log: createLogger('fatal'), signal: new AbortController().signal, fail: () => undefined });
  await running.stop();
  assert.equal(calls, ['start', 'tick', 'idle', 'stop']);
});

test('withEvacuationTimer() logs a failed pass and keeps the service running', async () => {
  const errors: unknown[] = [];
  const log = createLogger('fatal');
  const inner: ServiceDefinition = { name: 'controller', start: async () => ({ stop: async () => undefined }) };
  const wrapped = withEvacuationTimer(inner, { tick: () => Promise.reject(new Error('store is gone')), idle: async () => undefined }, 60_000);
  const running = await wrapped.start({ log: Object.assign(Object.create(log) as typeof log, { error: (obj: unknown) => void errors.push(obj) }), signal: new AbortController().signal, fail: (err) => errors.push(['fail', err]) });
  await new Promise<void>((resolve) => setImmediate(resolve));
  await running.stop();
  assert.is(errors.length, 1);
  assert.match(String((errors[0] as { err: Error }).err), /store is gone/);
});

test('withEvacuationTimer() logs a pass that throws at once (a store error before any await) instead of letting it escape the timer', async () => {
  const errors: unknown[] = [];
  const log = createLogger('fatal');
  const inner: ServiceDefinition = { name: 'controller', start: async () => ({ stop: async () => undefined }) };
  const throwing = {
    tick: (): Promise<void> => {
      throw new Error('database is locked');
    },
    idle: async () => undefined,
  };
  const wrapped = withEvacuationTimer(inner, throwing, 60_000);
  const running = await wrapped.start({ log: Object.assign(Object.create(log) as typeof log, { error: (obj: unknown) => void errors.push(obj) }), signal: new AbortController().signal, fail: (err) => errors.push(['fail', err]) });
  await new Promise<void>((resolve) => setImmediate(resolve));
  await running.stop();
  assert.is(errors.length, 1);
  assert.match(String((errors[0] as { err: Error }).err), /database is locked/);
});

test.run();
