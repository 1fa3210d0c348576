import { defineMethod, type Method } from '../../../appliance/bus/index.ts';
import {
  DesiredParams,
  DesiredResult,
  HeartbeatParams,
  HeartbeatResult,
  HOST_METHODS,
  ImageChunkParams,
  ImageChunkResult,
  InstancesReportParams,
  InstancesReportResult,
  InventoryParams,
  InventoryResult,
  inventoryHash,
  type HostHealth,
  type InstanceSpec,
} from '../../../appliance/contracts/index.ts';
import type { Store } from '../../../appliance/store/index.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { recordThrottled, type AuditThrottle } from './audit-throttle.ts';
import { hostsErrors } from './errors.ts';
import type { HostLiveness } from './host-liveness.ts';
import { hashCredential, type HostPatch, type HostRecord, type HostRepository } from './host-repository.ts';
import { traitsOf } from './traits.ts';

export interface HostBusMethodsOptions {
  readonly store: Store;
  readonly hosts: HostRepository;
  readonly liveness: HostLiveness;
  readonly audit: AuditLog;
  readonly throttle: AuditThrottle;
  readonly heartbeatIntervalSeconds: number;
  readonly now: () => Date;
  /** The compute feature's side of the host methods; without it hosts are told of no instances. */
  readonly compute?: ComputeHostPort;
}

/**
 * What the compute feature answers enrolled hosts, through the host methods
 * (which have already told who is calling). Implemented by the compute
 * feature; the hosts feature only routes.
 */
export interface ComputeHostPort {
  /** The instances placed on the host, and a generation that grows whenever any of them changes. */
  desired(hostId: string): { readonly instances: InstanceSpec[]; readonly generation: number };
  /** Takes the agent's report of its instances; answers how many it accepted. */
  report(hostId: string, report: InstancesReportParams): number;
  /** One chunk of an image that an instance placed on this host uses; refused for any other image. */
  imageChunk(hostId: string, imageId: string, offset: number): Promise<{ data: Uint8Array; sizeBytes: number }>;
}

/**
 * host.heartbeat, host.inventory and host.desired for enrolled agents. The
 * TLS layer has already said "a machine of this cluster"; each call's
 * credential says which host, and a retired host's is gone.
 */
export function hostBusMethods(options: HostBusMethodsOptions): Record<string, Method> {
  const { store, hosts, liveness } = options;

  const caller = (credential: string | undefined, method: string): HostRecord => {
    const hash = credential === undefined ? undefined : hashCredential(credential);
    const host = hash === undefined || credential === '' ? undefined : hosts.byCredentialHash(hash);
    if (host !== undefined && (host.state === 'active' || host.state === 'suspect' || host.state === 'offline')) return host;
    recordThrottled(options, 'bus-credential', options.now().getTime(), {
      actor: 'unknown',
      actorKind: 'anonymous',
      action: 'host.unknown-credential',
      source: 'bus',
      outcome: 'denied',
      // A prefix of the hash only, to tell repeated callers apart; never the credential.
      detail: { method, credentialHash: hash === undefined ? null : hash.slice(0, 12) },
    });
    throw hostsErrors.UNKNOWN_CREDENTIAL();
  };

  /** Writes only what changed: most heartbeats change nothing on disk. */
  const update = (host: HostRecord, patch: HostPatch, at: string): void => {
    if (Object.keys(patch).length === 0) return;
    store.transaction(() => hosts.update(host.id, patch, { at }));
  };

  return {
    [HOST_METHODS.heartbeat]: defineMethod({
      description: 'an enrolled host says it is alive, with its health, addresses and agent version',
      params: HeartbeatParams,
      result: HeartbeatResult,
      handler: (params, ctx) => {
        const host = caller(ctx.credential, HOST_METHODS.heartbeat);
        const now = options.now();
        const patch: HostPatch = {
          ...(sameStrings(host.addresses, params.addresses) ? {} : { addresses: params.addresses }),
          ...(host.agentVersion !== params.agentVersion ? { agentVersion: params.agentVersion } : {}),
          ...(healthChanged(host.health, params.health) ? { health: params.health } : {}),
        };
        update(host, patch, now.toISOString());
        const state = liveness.heartbeat(host, now, params.health);
        return { state, sendInventory: host.inventory === null || host.inventoryHash !== params.inventoryHash, intervalSeconds: options.heartbeatIntervalSeconds };
      },
    }),
    [HOST_METHODS.inventory]: defineMethod({
      description: "an enrolled host reports its hardware; the answer is the traits placement will see",
      params: InventoryParams,
      result: InventoryResult,
      handler: (params, ctx) => {
        const host = caller(ctx.credential, HOST_METHODS.inventory);
        const traits = traitsOf(params.inventory);
        // Compared by hash, as heartbeats are: a host stored before the hash was kept has '' and is written once.
        if (host.inventoryHash !== inventoryHash(params.inventory)) update(host, { inventory: params.inventory, traits }, options.now().toISOString());
        return { traits };
      },
    }),
    [HOST_METHODS.desired]: defineMethod({
      description: 'what the controller wants of the calling host',
      params: DesiredParams,
      result: DesiredResult,
      handler: (_params, ctx) => {
        const host = caller(ctx.credential, HOST_METHODS.desired);
        const compute = options.compute?.desired(host.id) ?? { instances: [], generation: 0 };
        // The later of the record's last change and the instances' (ms): it grows whenever anything the host should apply may have changed.
        const generation = Math.max(Date.parse(host.updatedAt), compute.generation);
        return { generation, state: liveness.latest(host.id)?.state ?? host.state, labels: { ...host.labels }, instances: compute.instances };
      },
    }),
    [HOST_METHODS.instances]: defineMethod({
      description: "the calling host's report of its instances",
      params: InstancesReportParams,
      result: InstancesReportResult,
      handler: (params, ctx) => {
        const host = caller(ctx.credential, HOST_METHODS.instances);
        return { accepted: options.compute?.report(host.id, params) ?? 0 };
      },
    }),
    [HOST_METHODS.imageChunk]: defineMethod({
      description: 'one chunk of an image an instance on the calling host uses',
      params: ImageChunkParams,
      result: ImageChunkResult,
      handler: async (params, ctx) => {
        const host = caller(ctx.credential, HOST_METHODS.imageChunk);
        if (options.compute === undefined) throw hostsErrors.NO_COMPUTE({ host: host.id });
        return options.compute.imageChunk(host.id, params.imageId, params.offset);
      },
    }),
  };
}

/** Health worth a write: its status or its problems, not the load and memory figures that move every time. */
function healthChanged(before: HostHealth | null, after: HostHealth): boolean {
  return before === null || before.status !== after.status || !sameStrings(before.problems, after.problems);
}

/** Element-wise equality: what every heartbeat compares, without serialising both sides. */
function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
