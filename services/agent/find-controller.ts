import type { Logger } from '../../appliance/log/index.ts';
import { backoffDelay } from './backoff-delay.ts';
import { pickAppliance, type FoundAppliance } from './controller-address.ts';
import { agentErrors } from './errors.ts';
import type { HostDiscovery } from './host-discovery.ts';
import { formatHostPort } from './host-port.ts';

export interface FindControllerOptions {
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** The first wait for an appliance; later waits back off from it, up to maxWaitMs. Default 5 s and 60 s. */
  readonly waitMs?: number;
  readonly maxWaitMs?: number;
}

/**
 * Waits until mDNS shows an appliance to enrol with. Each wait is bounded;
 * when one passes without an appliance the agent says what it looked at, and
 * waits longer the next time. Undefined only when stopped.
 */
export async function findController(discovery: HostDiscovery, options: FindControllerOptions): Promise<FoundAppliance | undefined> {
  const { log, signal } = options;
  for (let attempt = 0; !signal.aborted; attempt += 1) {
    const waitMs = backoffDelay(attempt, { minMs: options.waitMs ?? 5000, maxMs: options.maxWaitMs ?? 60_000 });
    const found = await waitForAppliance(discovery, waitMs, signal);
    if (found !== undefined) {
      log.info({ address: formatHostPort(found.address), nodeId: found.nodeId, instance: found.instance }, 'found an appliance on mDNS');
      return found;
    }
    if (signal.aborted) break;
    const err = agentErrors.CONTROLLER_NOT_FOUND({ interfaces: discovery.interfaces().join(', ') || 'no usable interface', ms: waitMs });
    log.warn({ code: err.code, seen: discovery.nodes().map((n) => ({ instance: n.instance, problem: n.problem })) }, err.message);
  }
  return undefined;
}

/** The appliance mDNS shows now, or at a change within `ms`; undefined after that (or when aborted). */
async function waitForAppliance(discovery: HostDiscovery, ms: number, signal: AbortSignal): Promise<FoundAppliance | undefined> {
  const deadline = Date.now() + ms;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    for (;;) {
      const found = pickAppliance(discovery.nodes());
      if (found !== undefined || signal.aborted || Date.now() >= deadline) return found;
      const woken = await Promise.race([discovery.changed().then(() => 'changed' as const), stop.then(() => 'stop' as const)]);
      if (woken === 'stop') return pickAppliance(discovery.nodes());
    }
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}
