import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { hostname, networkInterfaces } from 'node:os';
import type { Config } from '../config/index.ts';
import { BusClient, type EventPublisher } from '../bus/index.ts';
import { dataDirLayout, lockDataDir } from '../data-dir/index.ts';
import { describeError } from '../errors/index.ts';
import { loadNodeIdentity, readCertificateFacts } from '../identity/index.ts';
import type { Logger } from '../log/index.ts';
import { createMetrics } from '../metrics/index.ts';
import { openStore } from '../store/index.ts';
import { overallHealth, Supervisor } from '../supervisor/index.ts';
import { buildInfo } from '../build-info.ts';
import { apiService } from './api-service.ts';
import { busService } from './bus-service.ts';
import { controlRoutes } from './control-routes.ts';
import { discoveryService } from './discovery-service.ts';
import { requireInitialised } from './initialise.ts';
import { createJournal } from './journal.ts';
import { managementUrls } from './management-urls.ts';
import { publicRoutes } from './public-routes.ts';
import type { PluginContext, ServiceModule, ServicePlugin } from './service-plugin.ts';
import type { ApplianceStatus } from './status-schema.ts';

export interface ServeOptions {
  readonly dataDir: string;
  readonly config: Config;
  readonly configFile: string | undefined;
  readonly log: Logger;
  /** The services this executable carries (controller, ...), handed in by main.ts. */
  readonly modules?: readonly ServiceModule[];
}

export interface RunningAppliance {
  readonly status: () => ApplianceStatus;
  /** Stops services in reverse order, journals the stop, closes the store and releases the data directory. */
  stop(reason: string): Promise<void>;
}

const CONTROL_BODY_LIMIT = 64 * 1024;
const PUBLIC_BODY_LIMIT = 1024 * 1024;

/** Brings the appliance up in this process; resolves once every service has started or settled. */
export async function serve(options: ServeOptions): Promise<RunningAppliance> {
  const { config, log } = options;
  const layout = dataDirLayout(options.dataDir);
  requireInitialised(layout);
  const lock = lockDataDir(layout);
  try {
    const identity = loadNodeIdentity(layout.identityKey);
    const certPath = config.http.tls_cert || layout.tlsCert;
    const keyPath = config.http.tls_key || layout.tlsKey;
    const cert = readCertificateFacts(certPath);
    const busCert = readCertificateFacts(layout.busCert);
    const store = openStore(layout.storeFile, { create: false, nodeId: identity.nodeId });
    const metricsToken = readFileSync(layout.metricsToken, 'utf8').trim();
    const startedAt = new Date();
    const build = buildInfo();
    // Set while the bus service runs; events are announced on it, best effort.
    let publisher: EventPublisher | undefined;
    const announce = (topic: string, body: unknown): void => {
      publisher?.publish(topic, body).catch((err: unknown) => log.debug({ err: describeError(err), topic }, 'event not published'));
    };
    // One client for every service's calls on the local bus, connected on first use (nng redials while the bus starts).
    let localBus: Promise<BusClient> | undefined;
    const call = async <R>(method: string, params: unknown, callOptions?: { readonly timeoutMs?: number }): Promise<R> => {
      localBus ??= BusClient.connect(`ipc://${layout.busSocket}`, { timeoutMs: 5000 });
      return (await localBus).call<R>(method, params, callOptions);
    };
    const journal = createJournal(store, { now: () => new Date(), onRecorded: (event) => announce(`journal.${event.kind}`, event) });

    // The closures below run only once the supervisor exists (at scrape, request or state-change time).
    const statuses = () => supervisor.statuses();
    const { registry: metrics, busAnswered, discoveryDropped } = createMetrics({
      labels: { version: build.version, commit: build.commit, node_id: identity.nodeId },
      serviceStates: statuses,
      storeWrites: () => store.writes,
    });
    const status = (): ApplianceStatus => ({
      name: config.appliance.name,
      nodeId: identity.nodeId,
      health: overallHealth(statuses()),
      build,
      pid: process.pid,
      startedAt: startedAt.toISOString(),
      uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      dataDir: layout.root,
      configFile: options.configFile ?? null,
      https: { listen: config.http.listen, port: config.http.port, urls: managementUrls(config.http.listen, config.http.port, networkInterfaces()), fingerprint: cert.fingerprint, notAfter: cert.notAfter },
      bus: { socket: `ipc://${layout.busSocket}`, events: `ipc://${layout.eventsSocket}`, listen: config.bus.listen || null, fingerprint: busCert.fingerprint },
      store: { path: store.path, schemaVersion: store.schemaVersion, events: store.events.count() },
      services: statuses(),
    });

    const discovery = discoveryService({
      config,
      nodeId: identity.nodeId,
      version: build.version,
      log,
      onDrop: discoveryDropped,
      onChange: (visible) => announce('discovery.changed', visible),
      note: (kind, severity, message, data) => note(kind, severity, message, data),
    });

    const pluginContext = (source: string): PluginContext => ({
      config,
      layout,
      store,
      identity,
      log: log.child({ svc: source }),
      metrics,
      note: (kind, severity, message, data) => note(kind, severity, message, data, source),
      call,
      announce,
      visible: discovery.visible,
      now: () => new Date(),
    });
    const plugins: ServicePlugin[] = (options.modules ?? []).flatMap((m) => (m.plugin ? [m.plugin(pluginContext(m.name))] : []));
    const withPlugins =
      (own: (app: FastifyInstance) => Promise<void>, pick: (p: ServicePlugin) => ((app: FastifyInstance) => Promise<void>) | undefined) =>
      async (app: FastifyInstance): Promise<void> => {
        await app.register(own);
        for (const p of plugins) {
          const routes = pick(p);
          if (routes) await app.register(routes);
        }
      };

    const supervisor: Supervisor = new Supervisor(
      [
        apiService({
          name: 'control',
          listen: { path: layout.controlSocket },
          bodyLimit: CONTROL_BODY_LIMIT,
          routes: withPlugins(controlRoutes({ status, journal, metrics }), (p) => p.controlRoutes),
        }),
        busService({ layout, config, log, status, journal, visible: discovery.visible, onAnswer: busAnswered, onPublisher: (p) => (publisher = p), extraMethods: plugins.flatMap((p) => (p.busMethods ? [p.busMethods] : [])) }),
        apiService({
          name: 'https',
          listen: { host: config.http.listen, port: config.http.port },
          https: () => ({ key: readFileSync(keyPath), cert: readFileSync(certPath) }),
          bodyLimit: PUBLIC_BODY_LIMIT,
          routes: withPlugins(publicRoutes({ health: () => overallHealth(statuses()), metrics, metricsToken: () => metricsToken }), (p) => p.publicRoutes),
        }),
        discovery.service,
        ...plugins.flatMap((p) => (p.service ? [p.service] : [])),
      ],
      {
        log,
        policy: { limit: config.supervisor.restart_limit, windowMs: config.supervisor.restart_window_ms, baseDelayMs: 250, maxDelayMs: 30_000 },
        stopTimeoutMs: config.supervisor.stop_timeout_ms,
        onChange: (s) => {
          announce('service.state', s);
          if (!['running', 'off', 'failed', 'restarting'].includes(s.state)) return;
          note(`service.${s.state}`, s.state === 'failed' ? 'error' : s.state === 'restarting' ? 'warning' : 'info', `${s.name} ${s.state}${s.reason ? `: ${s.reason}` : ''}`, { service: s.name });
        },
      },
    );

    function note(kind: string, severity: 'info' | 'warning' | 'error', message: string, data: Record<string, unknown>, source = 'appliance'): void {
      try {
        journal.record({ source, kind, severity, message, data });
      } catch (err) {
        log.error({ err: describeError(err), kind }, 'could not journal an event');
      }
    }

    note('appliance.starting', 'info', `alliance ${build.version} starting (pid ${process.pid}, host ${hostname()})`, { pid: process.pid, version: build.version });
    await supervisor.start();
    const ready = status();
    log.info({ health: ready.health, urls: ready.https.urls, fingerprint: cert.fingerprint, socket: layout.controlSocket }, 'appliance ready');

    let stopped = false;
    return {
      status,
      async stop(reason) {
        if (stopped) return;
        stopped = true;
        await supervisor.stop();
        if (localBus !== undefined) (await localBus.catch(() => undefined))?.close();
        note('appliance.stopped', 'info', `alliance stopped: ${reason}`, { reason });
        store.close();
        lock.release();
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}
