import type { FastifyInstance } from 'fastify';
import { ENROLMENT_CLOCK_SKEW_MS, type Host, type HostState } from '../../../appliance/contracts/index.ts';
import { ensureClusterCa, shortNodeId, type ClusterCa } from '../../../appliance/identity/index.ts';
import type { PluginContext } from '../../../appliance/serve/index.ts';
import type { Method } from '../../../appliance/bus/index.ts';
import type { ServiceDefinition } from '../../../appliance/supervisor/index.ts';
import { AuditLog } from '../audit/audit-log.ts';
import { AuditThrottle } from './audit-throttle.ts';
import { ConsoleOverview, consoleBusMethods } from './console-bus-methods.ts';
import { controllerBusService } from './controller-bus-service.ts';
import { EnrolmentReplays } from './enrolment-replays.ts';
import { Enrolments } from './enrolments.ts';
import { HostAdmin, type HostEvent } from './host-admin.ts';
import { hostBusMethods, type ComputeHostPort } from './host-bus-methods.ts';
import { HostLiveness, type LivenessTransition } from './host-liveness.ts';
import { HostRepository, toHost, type HostRecord } from './host-repository.ts';
import { hostRoutes } from './host-routes.ts';
import { JoinTokenRepository } from './join-token-repository.ts';
import { HostsByMac, provisioningBusMethods } from './provisioning-bus-methods.ts';
import { hostsErrors } from './errors.ts';
import type { Machine } from './host-schemas.ts';
import { machinesOf, type LeaseView } from './machines.ts';
import type { LivenessThresholds } from './liveness-step.ts';

/** What the hosts feature uses of the appliance; a PluginContext is one. */
export type HostsContext = Pick<PluginContext, 'config' | 'layout' | 'store' | 'identity' | 'log' | 'note' | 'announce' | 'now' | 'call'>;

export interface HostsFeatureOptions {
  /** Liveness thresholds in ms instead of controller.suspect_after_s / offline_after_s (tests). */
  readonly thresholds?: LivenessThresholds;
  readonly tickMs?: number;
  readonly flushEveryMs?: number;
  readonly certificateDays?: number;
  /** Told the bus port once controller.listen is bound. */
  readonly onBusListening?: (port: number) => void;
  /** The compute feature's answers to host.desired's instances, host.instances and host.image-chunk. */
  readonly compute?: ComputeHostPort;
  /** Told each liveness transition after it is on disk and journalled (the compute feature evacuates offline hosts). */
  readonly onLivenessTransition?: (transition: LivenessTransition) => void;
}

export interface HostsFeature {
  /** Register with prefix /api/v1 inside the access plugin's scope. */
  readonly routes: (app: FastifyInstance) => Promise<void>;
  /** The agent-facing bus on controller.listen, with the liveness ticker: a supervised service. */
  readonly service: ServiceDefinition;
  /** Methods on the appliance's local bus for the boot service (host by MAC, boot join codes) and the console. */
  readonly localBusMethods: Record<string, Method>;
}

/**
 * How often the last heartbeat times reach the store. Liveness is decided in
 * memory and the API shows memory, so the copy on disk only has to be roughly
 * right; each flush costs synced writes, and the rarer they are, the fewer
 * heartbeats wait behind one.
 */
const HEARTBEAT_FLUSH_MS = 60_000;

/** Bus topic of liveness changes (besides the journal's own announcement of each note). */
const HOST_STATE_TOPIC = 'hosts.state';

/**
 * Hosts and enrolment for the controller: the routes (enrolment, hosts, join
 * tokens) and the bus service share one set of repositories, one liveness
 * table and one cluster CA, made on first use in the data directory.
 */
export function hostsFeature(ctx: HostsContext, options: HostsFeatureOptions = {}): HostsFeature {
  const { store, config, layout, now } = ctx;
  const db = store.database;
  const hosts = new HostRepository(db);
  const tokens = new JoinTokenRepository(db);
  const audit = new AuditLog(db, now);
  const thresholds = options.thresholds ?? { suspectAfterMs: config.controller.suspect_after_s * 1000, offlineAfterMs: config.controller.offline_after_s * 1000 };

  let caPromise: Promise<ClusterCa> | undefined;
  const ca = (): Promise<ClusterCa> => {
    caPromise ??= ensureClusterCa({ cert: layout.clusterCaCert, key: layout.clusterCaKey }, now()).catch((err: unknown) => {
      caPromise = undefined;
      throw err;
    });
    return caPromise;
  };

  const liveness = new HostLiveness({
    store,
    hosts,
    thresholds,
    onTransition: (t) => {
      noteTransition(ctx, t);
      options.onLivenessTransition?.(t);
    },
  });

  const enrolments = new Enrolments({
    store,
    hosts,
    tokens,
    replays: new EnrolmentReplays(db),
    audit,
    throttle: new AuditThrottle({ windowMs: 60_000, perWindow: 5, maxKeys: 10_000 }),
    ca,
    policy: { maxSkewMs: ENROLMENT_CLOCK_SKEW_MS, unknownHosts: config.controller.unknown_hosts, maxPending: config.controller.max_pending_hosts },
    busPort: busPortOf(config.controller.listen),
    busServerName: ctx.identity.nodeId,
    certificateDays: options.certificateDays ?? 365,
    now,
    onAdmitted: (host, reason) => {
      liveness.track(host, now().getTime());
      ctx.note('host.enrolled', 'info', `Host ${shortNodeId(host.id)} (${host.name}) enrolled (${reason})`, { hostId: host.id, name: host.name, reason });
    },
    onPending: (host, reason) => {
      ctx.note('host.pending', 'warning', `Host ${shortNodeId(host.id)} (${host.name}) waits for approval: \`alliance hosts approve ${shortNodeId(host.id)}\``, {
        hostId: host.id,
        name: host.name,
        reason,
        addresses: host.addresses,
      });
    },
  });

  const admin = new HostAdmin({
    store,
    hosts,
    tokens,
    audit,
    now,
    onHostEvent: (event, host, actor) => {
      if (event === 'retired') liveness.forget(host.id);
      noteHostEvent(ctx, event, host, actor.actor);
    },
  });

  const view = (record: HostRecord): Host => {
    const host = toHost(record);
    const latest = liveness.latest(record.id);
    if (latest === undefined) return host;
    return { ...host, lastHeartbeatAt: latest.lastHeartbeatAt ?? host.lastHeartbeatAt, health: latest.health ?? host.health };
  };

  const byMac = new HostsByMac(db);
  const machines = async (): Promise<Machine[]> => {
    let leases: LeaseView[];
    try {
      ({ leases } = await ctx.call<{ leases: LeaseView[] }>('boot.leases', {}));
    } catch (err) {
      throw hostsErrors.BOOT_UNAVAILABLE({ reason: (err as Error).message }, { cause: err });
    }
    // One scan of the inventories for all leases, not one per lease.
    const owners = new Map(byMac.list().map((row) => [row.mac, row]));
    return machinesOf(leases, (mac) => owners.get(mac));
  };

  const methods = hostBusMethods({
    store,
    hosts,
    liveness,
    audit,
    throttle: new AuditThrottle({ windowMs: 60_000, perWindow: 5, maxKeys: 16 }),
    heartbeatIntervalSeconds: config.controller.heartbeat_interval_s,
    now,
    ...(options.compute === undefined ? {} : { compute: options.compute }),
  });

  return {
    routes: hostRoutes({ admin, enrolments, view, list: (state: HostState | undefined) => hosts.list({ state }), machines, now }),
    localBusMethods: {
      ...provisioningBusMethods({ byMac, admin }),
      ...consoleBusMethods({ store, admin, overview: new ConsoleOverview(db), passwordCost: config.controller.password_cost, now, note: ctx.note }),
    },
    service: controllerBusService({
      listen: config.controller.listen,
      certPath: layout.controllerCert,
      keyPath: layout.controllerKey,
      serverName: ctx.identity.nodeId,
      ca,
      methods,
      hosts,
      liveness,
      log: ctx.log,
      now,
      tickMs: options.tickMs ?? 1000,
      flushEveryMs: options.flushEveryMs ?? HEARTBEAT_FLUSH_MS,
      onListening: options.onBusListening,
    }),
  };
}

/** The port of a tls+tcp://address:port URL (controller.listen's schema guarantees the form). */
export function busPortOf(listen: string): number {
  const port = Number(/:(\d{1,5})\/?$/.exec(listen)?.[1]);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new TypeError(`Cannot read a port from controller.listen "${listen}": expected tls+tcp://address:port`);
  return port;
}

function noteTransition(ctx: HostsContext, t: LivenessTransition): void {
  const who = `Host ${shortNodeId(t.hostId)} (${t.name})`;
  const data = { hostId: t.hostId, name: t.name, from: t.from, to: t.to };
  if (t.to === 'active') ctx.note('host.recovered', 'info', `${who} is heard from again (was ${t.from})`, data);
  else if (t.to === 'suspect') ctx.note('host.suspect', 'warning', `${who} missed its heartbeats: suspect`, data);
  else ctx.note('host.offline', 'error', `${who} has been silent too long: offline`, data);
  ctx.announce(HOST_STATE_TOPIC, { ...data, at: t.at });
}

function noteHostEvent(ctx: HostsContext, event: HostEvent, host: HostRecord, actor: string): void {
  const who = `Host ${shortNodeId(host.id)} (${host.name})`;
  const data = { hostId: host.id, name: host.name, by: actor };
  if (event === 'approved') ctx.note('host.approved', 'info', `${who} approved by ${actor}; it enrols on its next request`, data);
  else if (event === 'rejected') ctx.note('host.rejected', 'info', `${who} rejected by ${actor}`, data);
  else ctx.note('host.retired', 'info', `${who} retired by ${actor}; its credential is revoked`, data);
}
