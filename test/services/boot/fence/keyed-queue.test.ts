import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyedQueue } from '../../../../services/boot/fence/keyed-queue.ts';
import { rejection } from '../../../_support/refusal.ts';

/** A task that logs its start and end and finishes when the test says so. */
function gated(log: string[], name: string): { task: () => Promise<string>; finish: () => void } {
  let finish!: () => void;
  const gate = new Promise<void>((resolve) => (finish = resolve));
  return {
    finish,
    task: async () => {
      log.push(`${name} start`);
      await gate;
      log.push(`${name} end`);
      return name;
    },
  };
}

const busy = (): Error => new Error('busy');
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('KeyedQueue.run() runs tasks of one key one at a time, in arrival order', async () => {
  const q = new KeyedQueue();
  const log: string[] = [];
  const [a, b, c] = [gated(log, 'a'), gated(log, 'b'), gated(log, 'c')];
  const runs = [q.run('h1', a.task, { busy }), q.run('h1', b.task, { busy }), q.run('h1', c.task, { busy })];
  await settle();
  assert.equal(log, ['a start']);
  c.finish();
  b.finish();
  await settle();
  assert.equal(log, ['a start']);
  a.finish();
  assert.equal(await Promise.all(runs), ['a', 'b', 'c']);
  assert.equal(log, ['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  assert.is(q.busyKeys, 0);
});

test('KeyedQueue.run() runs tasks of different keys side by side', async () => {
  const q = new KeyedQueue();
  const log: string[] = [];
  const [a, b] = [gated(log, 'a'), gated(log, 'b')];
  const runs = [q.run('h1', a.task, { busy }), q.run('h2', b.task, { busy })];
  await settle();
  assert.equal(log, ['a start', 'b start']);
  b.finish();
  a.finish();
  assert.equal(await Promise.all(runs), ['a', 'b']);
});

test('KeyedQueue.run() gives up with the busy error when the signal fires while waiting, and the queue goes on', async () => {
  const q = new KeyedQueue();
  const log: string[] = [];
  const [a, b, c] = [gated(log, 'a'), gated(log, 'b'), gated(log, 'c')];
  const controller = new AbortController();
  const first = q.run('h1', a.task, { busy });
  const second = q.run('h1', b.task, { busy, signal: controller.signal });
  const third = q.run('h1', c.task, { busy });
  controller.abort();
  assert.is((await rejection(second)).message, 'busy');
  await settle();
  assert.equal(log, ['a start'], 'the third task overtook the first');
  a.finish();
  c.finish();
  assert.equal([await first, await third], ['a', 'c']);
  assert.equal(log, ['a start', 'a end', 'c start', 'c end']);
});

test('KeyedQueue.run() lets the next task run after one that throws', async () => {
  const q = new KeyedQueue();
  const failing = q.run('h1', () => Promise.reject(new Error('boom')), { busy });
  const next = q.run('h1', () => Promise.resolve('next'), { busy });
  assert.is((await rejection(failing)).message, 'boom');
  assert.is(await next, 'next');
});

test.run();
