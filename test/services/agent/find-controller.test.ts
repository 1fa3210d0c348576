import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DiscoveredNode } from '../../../appliance/discovery/index.ts';
import { createLogger } from '../../../appliance/log/index.ts';
import { findController } from '../../../services/agent/find-controller.ts';
import type { HostDiscovery } from '../../../services/agent/host-discovery.ts';
import { within } from '../../_support/nng.ts';

/** In-memory stand-in for the agent's mDNS: tests set what is visible and announce changes. */
function visible(): HostDiscovery & { show(nodes: DiscoveredNode[]): void } {
  let nodes: DiscoveredNode[] = [];
  let waiters: (() => void)[] = [];
  return {
    nodes: () => nodes,
    changed: () => new Promise<void>((resolve) => waiters.push(resolve)),
    interfaces: () => ['eth0'],
    close: async () => undefined,
    show(next) {
      nodes = next;
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
    },
  };
}

const appliance: DiscoveredNode = {
  instance: 'rack-1',
  role: 'appliance',
  via: ['eth0'],
  host: 'alliance-x.local',
  port: 8443,
  addresses: ['10.0.0.5'],
  node: { clusterId: '', nodeId: 'a'.repeat(52), role: 'appliance', version: '1', apiPort: 8443, busPort: 0 },
};

function capture(): { log: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { log: createLogger('debug', { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) }), lines };
}

test('findController() answers at once with an appliance already visible', async () => {
  const mdns = visible();
  mdns.show([appliance]);
  const found = await findController(mdns, { log: capture().log, signal: new AbortController().signal });
  assert.equal(found?.address, { host: '10.0.0.5', port: 8443 });
});

test('findController() waits for an appliance to appear, saying each time a wait ends empty', async () => {
  const mdns = visible();
  const { log, lines } = capture();
  const finding = findController(mdns, { log, signal: new AbortController().signal, waitMs: 20, maxWaitMs: 40 });
  // A host advertising itself is no controller: the search goes on.
  mdns.show([{ ...appliance, instance: 'compute-1', role: 'host', node: { ...appliance.node!, role: 'host' } }]);
  while (lines.filter((l) => l.code === 'APL_AGENT_CONTROLLER_NOT_FOUND').length < 2) await new Promise((r) => setImmediate(r));
  mdns.show([appliance]);
  const found = await within(finding, 5000, 'the appliance to be found');
  assert.is(found?.instance, 'rack-1');
  const notFound = lines.find((l) => l.code === 'APL_AGENT_CONTROLLER_NOT_FOUND')!;
  assert.match(String(notFound.msg), /No appliance answered on mDNS \(eth0\) within 20 ms/);
  assert.equal(notFound.seen, [{ instance: 'compute-1' }]);
});

test('findController() gives up when stopped', async () => {
  const stop = new AbortController();
  const finding = findController(visible(), { log: capture().log, signal: stop.signal, waitMs: 60_000 });
  stop.abort();
  assert.is(await within(finding, 2000, 'findController to stop'), undefined);
});

test.run();
