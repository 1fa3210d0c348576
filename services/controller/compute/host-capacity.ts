import type { HostRecord } from '../hosts/host-repository.ts';
import type { HostCapacity } from './placement/index.ts';

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
