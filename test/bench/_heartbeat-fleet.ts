// One process of simulated agents for control-plane.bench.ts: real bus
// clients over tls+tcp, each heartbeating on its own phase. Told what to do
// over IPC; answers with every heartbeat's round-trip time in the window.
import { BusClient } from '../../appliance/bus/index.ts';
import { HOST_METHODS, type HeartbeatParams } from '../../appliance/contracts/index.ts';

export interface FleetOrder {
  readonly url: string;
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string; readonly serverName: string };
  readonly credentials: readonly string[];
  readonly intervalMs: number;
  /** Heartbeats before this long after all are connected are warm-up, not counted. */
  readonly warmupMs: number;
  readonly windowMs: number;
}

export type FleetReport =
  | { readonly t: 'connected'; readonly ms: number }
  | { readonly t: 'done'; readonly latenciesMs: number[]; readonly failures: number; readonly firstFailure: string };

const params: HeartbeatParams = {
  health: { status: 'ok', problems: [], load1: 0.1, memoryUsedBytes: 1 << 30, uptimeSeconds: 1000 },
  addresses: ['192.0.2.50'],
  agentVersion: 'bench',
  inventoryHash: 'x'.repeat(64),
};

const RAMP_CONCURRENCY = 20;

const send = (report: FleetReport): void => void process.send?.(report);

process.once('message', (order: FleetOrder) => {
  void run(order).then(() => process.exit(0));
});

async function run(order: FleetOrder): Promise<void> {
  const started = performance.now();
  // Agents come up a few at a time, as a fleet booting does; each one's first
  // heartbeat waits for its TLS handshake, which the server makes in turn.
  const clients: BusClient[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: RAMP_CONCURRENCY }, async () => {
      while (next < order.credentials.length) {
        const credential = order.credentials[next++]!;
        const client = await BusClient.connect(order.url, { tls: order.tls, credential, timeoutMs: 10_000 });
        await client.call(HOST_METHODS.heartbeat, params, { timeoutMs: 120_000 });
        clients.push(client);
      }
    }),
  );
  send({ t: 'connected', ms: performance.now() - started });

  const t0 = performance.now();
  const countFrom = t0 + order.warmupMs;
  const stopAt = countFrom + order.windowMs;
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure = '';
  await Promise.all(
    clients.map(async (client, i) => {
      // Each agent keeps its own phase, as a fleet booted over minutes would.
      let next = t0 + (i / clients.length) * order.intervalMs;
      for (;;) {
        const wait = next - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const sent = performance.now();
        if (sent >= stopAt) return;
        try {
          await client.call(HOST_METHODS.heartbeat, params);
          if (sent >= countFrom) latencies.push(performance.now() - sent);
        } catch (err) {
          failures += 1;
          firstFailure ||= (err as Error).message;
        }
        next += order.intervalMs;
      }
    }),
  );
  for (const c of clients) c.close();
  send({ t: 'done', latenciesMs: latencies, failures, firstFailure });
}
