import type { HostRecord } from '../hosts/host-repository.ts';
import type { FlavorRecord, ServerGroupRecord, SizedInstance } from './compute-repository.ts';
import { flavorTraits } from './flavor-traits.ts';
import type { Allocation, HostCapacity, PlacementRequest } from './placement/index.ts';

/** The host label that takes a host out of placement (any value but "false"). */
export const MAINTENANCE_LABEL = 'alliance/maintenance';

const MIB = 2 ** 20;
const GIB = 2 ** 30;

/**
 * What placement sees of a host: its physical threads, memory and the sum of
 * its disks, its traits, and whether an operator took it out. undefined for a
 * host that has sent no inventory yet (nothing to count). Pure.
 */
export function hostCapacityOf(host: HostRecord): HostCapacity | undefined {
  const inventory = host.inventory;
  if (inventory === null) return undefined;
  const maintenance = host.labels[MAINTENANCE_LABEL];
  return {
    id: host.id,
    name: host.name,
    state: host.state,
    maintenance: maintenance !== undefined && maintenance !== 'false',
    traits: host.traits,
    vcpus: inventory.cpu.threads,
    memoryMiB: Math.floor(inventory.memory.totalBytes / MIB),
    diskGiB: Math.floor(inventory.disks.reduce((sum, d) => sum + d.sizeBytes, 0) / GIB),
  };
}

/** Hosts whose capacity placement weighs; suspect and offline ones are passed too, so `why` can say why they were turned away. */
export function placementHosts(hosts: readonly HostRecord[]): HostCapacity[] {
  return hosts.filter((h) => ENROLLED.has(h.state)).flatMap((h) => hostCapacityOf(h) ?? []);
}

/** The instances already on hosts, as placement counts them (leave out the one being placed again). */
export function allocationsOf(instances: readonly SizedInstance[]): Allocation[] {
  return instances.flatMap((i) =>
    i.hostId === null ? [] : [{ instanceId: i.id, hostId: i.hostId, vcpus: i.vcpus, memoryMiB: i.memoryMiB, diskGiB: i.diskGiB, serverGroupId: i.serverGroupId ?? undefined }],
  );
}

/** What placement is asked for an instance of `flavor`, in `group` if any. Pure. */
export function placementRequestOf(
  instanceId: string,
  flavor: Pick<FlavorRecord, 'vcpus' | 'memoryMiB' | 'diskGiB' | 'extraSpecs'>,
  group: Pick<ServerGroupRecord, 'id' | 'policy'> | undefined,
  purpose: PlacementRequest['purpose'],
  excludeHosts?: readonly string[],
): PlacementRequest {
  const traits = flavorTraits(flavor.extraSpecs);
  return {
    instanceId,
    vcpus: flavor.vcpus,
    memoryMiB: flavor.memoryMiB,
    diskGiB: flavor.diskGiB,
    requiredTraits: traits.required,
    forbiddenTraits: traits.forbidden,
    serverGroup: group === undefined ? undefined : { id: group.id, policy: group.policy },
    purpose,
    ...(excludeHosts === undefined ? {} : { excludeHosts }),
  };
}

const ENROLLED: ReadonlySet<string> = new Set(['active', 'suspect', 'offline']);
