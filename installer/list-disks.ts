// The machine's disks as lsblk describes them: `lsblk -J -b -o LSBLK_COLUMNS`.
// Pure: the runner runs lsblk and hands its output here.

export const LSBLK_COLUMNS = 'NAME,PATH,TYPE,SIZE,MODEL,TRAN,RM,RO,LOG-SEC,FSTYPE,LABEL,MOUNTPOINTS';

export interface DiskVolume {
  readonly path: string;
  readonly fstype: string;
  readonly label: string;
  readonly mountpoints: readonly string[];
}

export interface Disk {
  readonly name: string;
  readonly path: string;
  /** 'disk', or 'rom' for a CD/DVD drive (never a target). */
  readonly type: string;
  readonly sizeBytes: number;
  readonly model: string;
  /** sata, nvme, usb, virtio ... or '' when lsblk does not know. */
  readonly transport: string;
  readonly removable: boolean;
  readonly readOnly: boolean;
  readonly sectorSize: number;
  /** The whole disk's own file system (an ISO written to a stick), then its partitions'. */
  readonly volumes: readonly DiskVolume[];
  readonly partitionCount: number;
}

interface LsblkDevice {
  readonly name?: string;
  readonly path?: string;
  readonly type?: string;
  readonly size?: number | string | null;
  readonly model?: string | null;
  readonly tran?: string | null;
  readonly rm?: boolean | string | null;
  readonly ro?: boolean | string | null;
  readonly 'log-sec'?: number | string | null;
  readonly fstype?: string | null;
  readonly label?: string | null;
  readonly mountpoints?: readonly (string | null)[] | null;
  readonly mountpoint?: string | null;
  readonly children?: readonly LsblkDevice[];
}

/** lsblk's JSON to the disks and CD drives (loop, zram and ram devices left out). Throws TypeError on output that is not lsblk's. */
export function parseLsblk(json: string): Disk[] {
  const doc = JSON.parse(json) as { blockdevices?: LsblkDevice[] };
  if (!Array.isArray(doc.blockdevices)) throw new TypeError('Cannot read lsblk output: no "blockdevices" list');
  return doc.blockdevices
    .filter((d) => (d.type === 'disk' || d.type === 'rom') && !/^(zram|ram|loop)\d/.test(d.name ?? ''))
    .map((d) => {
      const children = flatten(d.children ?? []);
      return {
        name: d.name ?? '',
        path: d.path ?? `/dev/${d.name ?? ''}`,
        type: d.type ?? 'disk',
        sizeBytes: Number(d.size ?? 0),
        model: (d.model ?? '').trim(),
        transport: d.tran ?? '',
        removable: flag(d.rm),
        readOnly: flag(d.ro),
        sectorSize: Number(d['log-sec'] ?? 512),
        volumes: [d, ...children].map(volumeOf).filter((v) => v.fstype !== '' || v.label !== '' || v.mountpoints.length > 0),
        partitionCount: children.filter((c) => c.type === 'part').length,
      };
    });
}

function flatten(devices: readonly LsblkDevice[]): LsblkDevice[] {
  return devices.flatMap((d) => [d, ...flatten(d.children ?? [])]);
}

function volumeOf(d: LsblkDevice): DiskVolume {
  const mounts = d.mountpoints ?? (d.mountpoint ? [d.mountpoint] : []);
  return { path: d.path ?? '', fstype: d.fstype ?? '', label: d.label ?? '', mountpoints: mounts.filter((m): m is string => typeof m === 'string' && m !== '') };
}

function flag(value: boolean | string | null | undefined): boolean {
  return value === true || value === '1';
}
