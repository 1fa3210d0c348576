import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricSources {
  readonly labels: { readonly version: string; readonly commit: string; readonly node_id: string };
  readonly serviceStates: () => readonly { name: string; state: string }[];
  readonly storeWrites: () => number;
}

export interface ApplianceMetrics {
  readonly registry: Registry;
  /** One answered bus request: method, "ok" or an error code, seconds. */
  readonly busAnswered: (method: string, outcome: string, seconds: number) => void;
  /** One mDNS packet ignored, and why (malformed, oversized, off-link, wrong-port). */
  readonly discoveryDropped: (reason: string) => void;
}

/** One registry per appliance process (never prom-client's global one), read at scrape time. */
export function createMetrics(sources: MetricSources): ApplianceMetrics {
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
  const busCalls = new Counter({ name: 'alliance_bus_requests_total', help: 'Bus requests answered, by method and outcome (ok or an APL_ code).', labelNames: ['method', 'outcome'], registers: [registry] });
  const busSeconds = new Histogram({
    name: 'alliance_bus_request_seconds',
    help: 'Time to answer a bus request, by method.',
    labelNames: ['method'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const discoveryDrops = new Counter({ name: 'alliance_discovery_packets_dropped_total', help: 'mDNS packets ignored, by reason (malformed, oversized, off-link, wrong-port).', labelNames: ['reason'], registers: [registry] });
  return {
    registry,
    discoveryDropped: (reason) => discoveryDrops.inc({ reason }),
    busAnswered(method, outcome, seconds) {
      busCalls.inc({ method, outcome });
      busSeconds.observe({ method }, seconds);
    },
  };
}
