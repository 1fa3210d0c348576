// Helpers for the nng binding's integration tests (test/appliance/bus/).
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { NngSocket, type Protocol, type SocketOptions } from '../../appliance/bus/index.ts';
import { ROOT, tempDir } from './appliance-process.ts';

/**
 * Kills this process when its JS thread makes no progress for `limitMs`. Deadlines
 * (timers) cannot fire while native code blocks the JS thread — nng_close() in
 * libnng 1.5.2 can block it for ever — so a thread of its own watches a heartbeat
 * and ends the run with a message instead of leaving it hung until the runner's
 * timeout. Neither the watcher nor the heartbeat keeps the process alive.
 */
export function killIfFrozen(limitMs = 30_000): void {
  const beat = new Int32Array(new SharedArrayBuffer(4));
  const watcher = new Worker(
    `const { workerData } = require('node:worker_threads');
     for (;;) {
       if (Atomics.wait(workerData.beat, 0, Atomics.load(workerData.beat, 0), workerData.limitMs) === 'timed-out') {
         require('node:fs').writeSync(2, '\\n!! the JS thread made no progress for ' + workerData.limitMs + ' ms (blocked in native code?): killing the test process\\n');
         process.kill(process.pid, 'SIGKILL');
       }
     }`,
    { eval: true, workerData: { beat, limitMs } },
  );
  watcher.unref();
  setInterval(() => {
    Atomics.add(beat, 0, 1);
    Atomics.notify(beat, 0);
  }, 250).unref();
}

/**
 * Rejects when `promise` has not settled within `ms`: a guard that fails a test
 * which would otherwise hang, never a wait that something depends on.
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** True when `promise` is still unsettled after `ms` (a bounded check that something does NOT happen). */
export async function stillPendingAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const marker = Symbol('pending');
  const late = new Promise<typeof marker>((done) => {
    timer = setTimeout(() => done(marker), ms);
  });
  const outcome = await Promise.race([promise.then(() => undefined, () => undefined), late]);
  clearTimeout(timer);
  return outcome === marker;
}

/** The rejection of `promise`, or a failure if it resolves (or does not settle within `ms`). */
export async function rejectionOf(promise: Promise<unknown>, ms = 5_000, what = 'the operation'): Promise<Error & { code?: string; errno?: number }> {
  const outcome = await within(
    promise.then(
      (value) => ({ resolved: value }),
      (err: unknown) => ({ rejected: err }),
    ),
    ms,
    `${what} to settle`,
  );
  if ('resolved' in outcome) throw new Error(`${what} resolved (${String(outcome.resolved)}) but should have failed`);
  if (!(outcome.rejected instanceof Error)) throw new Error(`${what} rejected with a non-Error: ${String(outcome.rejected)}`);
  return outcome.rejected;
}

/**
 * Runs `body` with an opener that tracks every socket it opens, and closes them
 * all afterwards, also when the body fails.
 */
/** What withSockets() hands its body: opens a socket that is closed when the body ends. */
export type OpenSocket = (protocol: Protocol, options?: SocketOptions) => Promise<NngSocket>;

export async function withSockets<T>(body: (open: OpenSocket) => Promise<T>): Promise<T> {
  const opened: NngSocket[] = [];
  const open = async (protocol: Protocol, options?: SocketOptions): Promise<NngSocket> => {
    const socket = await NngSocket.open(protocol, options);
    opened.push(socket);
    return socket;
  };
  try {
    return await body(open);
  } finally {
    for (const socket of opened) socket.close();
  }
}

/** A fresh temporary directory, removed when `body` ends. */
export async function withTempDir<T>(prefix: string, body: (dir: string) => Promise<T>): Promise<T> {
  const dir = tempDir(prefix);
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Child {
  readonly process: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has ended: the exit code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once stdout contains `text` (rejects if the process ends first). */
  printed(text: string): Promise<void>;
  kill(): void;
}

/** Spawns a process whose output is collected; kill() it in a finally block. */
export function start(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Child {
  const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of watchers) w();
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.on('close', (code, signal) => done({ code, signal }));
  });
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    exited,
    printed(text: string): Promise<void> {
      return new Promise((done, fail) => {
        const check = (): void => {
          if (out.includes(text)) {
            watchers.delete(check);
            done();
          }
        };
        watchers.add(check);
        check();
        void exited.then(({ code, signal }) => {
          if (!out.includes(text)) fail(new Error(`${command} ended (${code ?? signal}) before printing ${JSON.stringify(text)}; stdout ${JSON.stringify(out)}, stderr ${JSON.stringify(err)}`));
        });
      });
    },
    kill(): void {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** The binding's entry point, as a file URL a script outside the repository can import. */
export const BUS_MODULE = pathToFileURL(join(ROOT, 'appliance', 'bus', 'index.ts')).href;

/**
 * Writes `source` to a temporary .mts file (an ES module wherever it lies) and
 * runs it with Node and tsx; `flags` go before the script (e.g. --expose-gc).
 */
export function startScript(dir: string, name: string, source: string, flags: readonly string[] = []): Child {
  const file = join(dir, `${name}.mts`);
  writeFileSync(file, source);
  return start(process.execPath, [...flags, '--import', 'tsx', file]);
}
