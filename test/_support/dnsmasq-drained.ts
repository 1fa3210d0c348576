// After an appliance stops, dnsmasq's script helper may still run the lease
// hook calls it had queued (each keeps its change in the data directory's
// lease spool, by design). A test waits for them before removing that
// directory, or the spool would be written again after the cleanup.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves once no process has `runDir` in its command line, or after `timeoutMs`. */
export async function dnsmasqDrained(runDir: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && running(runDir)) await sleep(100);
}

function running(marker: string): boolean {
  return readdirSync('/proc').some((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      return readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker);
    } catch {
      return false;
    }
  });
}
