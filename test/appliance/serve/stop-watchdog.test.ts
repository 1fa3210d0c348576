import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tempDir } from '../../_support/appliance-process.ts';

const watchdogModule = resolve(import.meta.dirname, '../../../appliance/serve/index.ts');

/** Runs a script in a child Node (with tsx) and resolves with how it ended. */
function runScript(body: string): Promise<{ code: number | null; signal: string | null; stderr: string; ms: number }> {
  const file = join(tempDir('watchdog'), 'script.mts');
  writeFileSync(file, `import { armStopWatchdog } from ${JSON.stringify(watchdogModule)};\n${body}\n`);
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.on('exit', (code, signal) => done({ code, signal, stderr, ms: Date.now() - started })));
}

test('armStopWatchdog() kills the process when its main thread is blocked in native code', async () => {
  // Atomics.wait blocks the main thread outright, as a hang inside nng_close() would.
  const outcome = await runScript(`
armStopWatchdog(300, 'watchdog fired');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20_000);
console.error('main thread woke up: the watchdog did not fire');
`);
  assert.is(outcome.signal, 'SIGKILL');
  assert.match(outcome.stderr, /watchdog fired/);
  assert.not.match(outcome.stderr, /woke up/);
  assert.ok(outcome.ms < 15_000, `killed after ${outcome.ms} ms, long before the 20 s block ended`);
});

test('armStopWatchdog() disarmed in time lets the process end normally, and never keeps it alive', async () => {
  const outcome = await runScript(`
const watchdog = armStopWatchdog(60_000, 'watchdog fired');
await watchdog.disarm();
armStopWatchdog(60_000, 'an armed watchdog must not keep the process alive');
`);
  assert.is(outcome.code, 0, outcome.stderr);
  assert.is(outcome.signal, null);
  assert.not.match(outcome.stderr, /watchdog fired/);
  assert.ok(outcome.ms < 30_000, `ended after ${outcome.ms} ms`);
});

test.run();
