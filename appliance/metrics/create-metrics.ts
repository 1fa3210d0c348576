import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

export interface MetricSources {
  readonly labels: { readonly version: string; readonly commit: string; readonly node_id: string };
  readonly serviceStates: () => readonly { name: string; state: string }[];
  readonly storeWrites: () => number;
}

/** One registry per appliance process (never prom-client's global one), read at scrape time. */
export function createMetrics(sources: MetricSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'alliance_' });

  new Gauge({ name: 'alliance_build_info', help: 'Build of the running appliance (always 1).', labelNames: ['version', 'commit', 'node_id'], registers: [registry] })
    .set(sources.labels, 1);

  new Gauge({
    name: 'alliance_service_up',
    help: 'Per service: 1 when running, 0 otherwise; the state label says which.',
    labelNames: ['service', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of sources.serviceStates()) this.set({ service: s.name, state: s.state }, s.state === 'running' ? 1 : 0);
    },
  });

  let reportedWrites = 0;
  new Counter({
    name: 'alliance_store_writes_total',
    help: 'Committed (synced) writes to the store since start.',
    registers: [registry],
    collect() {
      const now = sources.storeWrites();
      if (now > reportedWrites) this.inc(now - reportedWrites);
      reportedWrites = now;
    },
  });
  return registry;
}
