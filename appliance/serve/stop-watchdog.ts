import { Worker } from 'node:worker_threads';

export interface StopWatchdog {
  disarm(): Promise<void>;
}

// Runs on its own thread with its own event loop, so its timer fires even while
// the main thread is stuck in native code (a libnng deadlock in nng_close(),
// like the one we patched, would be one). Acknowledged writes are already synced;
// SIGKILL loses none.
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
setTimeout(() => {
  require('node:fs').writeSync(2, workerData.message + '\\n');
  process.kill(workerData.pid, 'SIGKILL');
}, workerData.ms);
`;

/** After `ms`, prints `message` on stderr and kills this process, unless disarmed first. */
export function armStopWatchdog(ms: number, message: string): StopWatchdog {
  const worker = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { ms, pid: process.pid, message } });
  worker.unref(); // it must never be what keeps the process alive
  return {
    async disarm() {
      await worker.terminate();
    },
  };
}
