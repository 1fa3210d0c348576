// After an appliance stops, dnsmasq's script helper may still run the lease
// hook calls it had queued (each keeps its change in the data directory's
// lease spool, by design). A test waits for them before removing that
// directory, or the spool would be written again after the cleanup.
import { setTimeout as sleep } from 'node:timers/promises';
import { listProcesses } from '../../services/boot/dnsmasq-process.ts';

/** Resolves once no process has `runDir` in its command line; fails after `timeoutMs`. */
export async function dnsmasqDrained(runDir: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const running = () => listProcesses().filter((p) => p.args.some((a) => a.includes(runDir)));
  while (running().length > 0) {
    if (Date.now() > deadline) throw new Error(`dnsmasq processes of ${runDir} still run after ${timeoutMs} ms: ${running().map((p) => p.pid).join(', ')}`);
    await sleep(100);
  }
}
