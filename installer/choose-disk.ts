import { installErrors } from './errors.ts';
import type { Disk } from './list-disks.ts';
import { formatBytes } from '../appliance/cli/index.ts';

// Which disk to install onto, and why a disk cannot be it. Pure.

/** Volume labels of the installer medium and of the answers volume: never targets. */
export const MEDIUM_LABELS = ['ALLIANCE-INSTALL', 'ALLIANCE-ANSWERS'] as const;

export interface DiskRules {
  readonly minimumBytes: number;
  /** Where the installer medium is mounted (a disk with a volume mounted there is the medium). */
  readonly mediumMounts: readonly string[];
}

/** Why this disk cannot take the appliance, as an error to throw, or undefined when it can. Disks in use (partitions) are the plan's decision. */
export function diskRefusal(disk: Disk, rules: DiskRules): Error | undefined {
  const medium = disk.volumes.find((v) => (MEDIUM_LABELS as readonly string[]).includes(v.label) || v.mountpoints.some((m) => rules.mediumMounts.includes(m)));
  if (medium !== undefined || disk.type === 'rom') return installErrors.DISK_BOOT_MEDIUM({ disk: disk.path });
  if (disk.readOnly) return installErrors.DISK_READ_ONLY({ disk: disk.path });
  if (disk.sectorSize !== 512) return installErrors.DISK_SECTOR_SIZE({ disk: disk.path, sector: disk.sectorSize });
  if (disk.sizeBytes < rules.minimumBytes) {
    return installErrors.DISK_TOO_SMALL({ disk: disk.path, size: formatBytes(disk.sizeBytes), minimum: formatBytes(rules.minimumBytes), image: 'appliance' });
  }
  const mounted = disk.volumes.find((v) => v.mountpoints.length > 0);
  if (mounted !== undefined) return installErrors.DISK_MOUNTED({ disk: disk.path, mounted: mounted.path, mountpoint: mounted.mountpoints[0] });
  return undefined;
}

/**
 * The disk named by the answer file (a path under /dev, or "auto": the only disk that can take the appliance).
 * @throws AllianceError APL_INSTALL_DISK_NOT_FOUND, _DISK_NONE, _DISK_AMBIGUOUS, or the refusal of the named disk.
 */
export function chooseDisk(disks: readonly Disk[], want: string, rules: DiskRules): Disk {
  if (want !== 'auto') {
    const disk = disks.find((d) => d.path === want || `/dev/${d.name}` === want);
    if (disk === undefined) throw installErrors.DISK_NOT_FOUND({ disk: want, disks: disks.map((d) => d.path).join(', ') || 'none' });
    const refusal = diskRefusal(disk, rules);
    if (refusal) throw refusal;
    return disk;
  }
  const verdicts = disks.filter((d) => d.type !== 'rom').map((disk) => ({ disk, refusal: diskRefusal(disk, rules) }));
  const fit = verdicts.filter((v) => v.refusal === undefined).map((v) => v.disk);
  if (fit.length === 1) return fit[0]!;
  if (fit.length === 0) {
    const reasons = verdicts.map((v) => `${v.disk.path}: ${shortReason(v.refusal)}`).join('; ') || 'no disks at all';
    throw installErrors.DISK_NONE({ reasons, minimum: formatBytes(rules.minimumBytes) });
  }
  throw installErrors.DISK_AMBIGUOUS({ count: fit.length, disks: fit.map((d) => `${d.path} ${formatBytes(d.sizeBytes)}`).join(', ') });
}

function shortReason(err: Error | undefined): string {
  const code = (err as { code?: string } | undefined)?.code ?? '';
  return code.replace(/^APL_INSTALL_DISK_/, '').toLowerCase().replace(/_/g, ' ');
}

/** One line a disk for the interactive list: "sda  500.0 GiB  Samsung SSD 870  sata". */
export function describeDisk(disk: Disk): string {
  const bits = [disk.path.padEnd(14), formatBytes(disk.sizeBytes).padStart(10), disk.model || '(no model)', disk.transport, disk.removable ? 'removable' : '', disk.partitionCount > 0 ? `${disk.partitionCount} partition(s)` : 'blank'];
  return bits.filter((b) => b !== '').join('  ');
}
