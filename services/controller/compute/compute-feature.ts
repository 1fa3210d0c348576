import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { PluginContext } from '../../../appliance/serve/index.ts';
import { AuditLog } from '../audit/audit-log.ts';
import type { ComputeHostPort } from '../hosts/host-bus-methods.ts';
import { HostRepository } from '../hosts/host-repository.ts';
import { ProjectRepository } from '../identity/project-repository.ts';
import { ComputeAdmin, type PlaceFn } from './compute-admin.ts';
import { computeHostPort } from './compute-host-port.ts';
import { ComputeRepository } from './compute-repository.ts';
import { computeRoutes } from './compute-routes.ts';
import { EvacuationRepository, Evacuator } from './evacuation/index.ts';
import { ImageFiles } from './image-files.ts';
import { place, type PlacementPolicy } from './placement/index.ts';

/** What the compute feature uses of the appliance; a PluginContext is one. */
export type ComputeContext = Pick<PluginContext, 'layout' | 'store' | 'now' | 'call' | 'note'>;

/**
 * How placement weighs hosts until it has config keys: vCPUs overcommitted 4
 * to 1, memory not at all, a tenth of every host kept for evacuations, GPUs
 * and FC HBAs kept for those who ask for them.
 */
export const DEFAULT_PLACEMENT_POLICY: PlacementPolicy = { cpuAllocationRatio: 4, ramAllocationRatio: 1, evacuationReserve: 0.1, rareTraits: ['gpu', 'fc-hba'] };

/** The largest image an upload may bring (bytes). */
export const MAX_IMAGE_BYTES = 64 * 2 ** 30;

export interface ComputeFeatureOptions {
  readonly policy?: PlacementPolicy;
  readonly maxImageBytes?: number;
  /** Instead of place() (tests). */
  readonly place?: PlaceFn;
  /** How long boot.power may take to fence a failed host (default 20 000 ms). */
  readonly fenceTimeoutMs?: number;
}

export interface ComputeFeature {
  /** Register with prefix /api/v1 inside the access plugin's scope. */
  readonly routes: (app: FastifyInstance) => Promise<void>;
  /** For hostsFeature(ctx, { compute }): what the host methods answer about instances and images. */
  readonly port: ComputeHostPort;
  /** Evacuation of failed hosts: hostsFeature's onLivenessTransition, and tick() on a timer (withEvacuationTimer). */
  readonly evacuation: Evacuator;
}

/** Compute for the controller: flavors, images (files in <data-dir>/images), key pairs, server groups, instances, quotas. */
export function computeFeature(ctx: ComputeContext, options: ComputeFeatureOptions = {}): ComputeFeature {
  const db = ctx.store.database;
  const repo = new ComputeRepository(db);
  const hosts = new HostRepository(db);
  const files = new ImageFiles(join(ctx.layout.root, 'images'));
  // No upload survives a restart: forget those that were under way, and their partial files.
  for (const id of ctx.store.transaction(() => repo.deleteUploading())) rmSync(`${files.path(id)}.part`, { force: true });
  const admin = new ComputeAdmin({
    store: ctx.store,
    repo,
    hosts: () => hosts.list(),
    audit: new AuditLog(db, ctx.now),
    files,
    place: options.place ?? place,
    policy: options.policy ?? DEFAULT_PLACEMENT_POLICY,
    maxImageBytes: options.maxImageBytes ?? MAX_IMAGE_BYTES,
    now: ctx.now,
  });
  const evacuation = new Evacuator({
    store: ctx.store,
    repo,
    evacuations: new EvacuationRepository(db),
    hosts,
    call: ctx.call,
    note: ctx.note,
    place: options.place ?? place,
    policy: options.policy ?? DEFAULT_PLACEMENT_POLICY,
    now: ctx.now,
    ...(options.fenceTimeoutMs === undefined ? {} : { fenceTimeoutMs: options.fenceTimeoutMs }),
    onError: (err) =>
      ctx.note('compute.evacuation.failed', 'error', `An evacuation pass failed: ${(err as Error).message}; the controller tries again within a minute, check the store if it repeats`, {
        error: String(err),
      }),
  });
  return {
    routes: computeRoutes({ admin, repo, projects: new ProjectRepository(db) }),
    port: computeHostPort({ store: ctx.store, repo, files, now: ctx.now }),
    evacuation,
  };
}
