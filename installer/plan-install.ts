import { INSTALL_LABELS } from '../appliance/contracts/index.ts';
import { installErrors } from './errors.ts';
import { SECTOR, type PartitionTable, type TablePartition } from './read-partition-table.ts';
import { formatBytes } from '../appliance/cli/index.ts';

// From the appliance image's partition table and what the target disk holds
// now to the steps that install it. Pure: the runner reads the tables and
// labels first, and carries the steps out (install-runner.ts).

export const DATA_MINIMUM_BYTES = 1024 ** 3;
/** The GPT partition type of a Linux file system, for the data partition. */
export const LINUX_FS_TYPE = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';
/** Bytes of the MBR's boot code (SYSLINUX gptmbr.bin), which the image carries and sfdisk does not keep. */
export const BOOT_CODE_BYTES = 440;
/** The data partition's number. */
export const DATA_PARTITION = 3;
/** Sectors the backup GPT takes at the end of the disk (header + 128 entries). */
const BACKUP_SECTORS = 33;

export interface ImageLayout {
  /** Bytes of the whole raw image (up to and with its backup GPT). */
  readonly sizeBytes: number;
  /** Bytes from the start up to the end of the root partition: what is copied. */
  readonly headBytes: number;
  /** First sector of the data partition (the image's own p3, or after p2 aligned to 1 MiB). */
  readonly dataStart: number;
  readonly diskGuid: string;
  /** The partitions copied as they are (the ESP and the root). */
  readonly copied: readonly TablePartition[];
  /** The image's data partition entry, when it has one (its GUID is reused). */
  readonly data: TablePartition | undefined;
}

/**
 * The image's table to its layout.
 * @throws AllianceError APL_INSTALL_IMAGE_INVALID when it is not the GPT disk of ESP, root (and data).
 */
export function imageLayout(table: PartitionTable, image: string): ImageLayout {
  const bad = (problem: string): never => {
    throw installErrors.IMAGE_INVALID({ image, problem });
  };
  if (table.scheme !== 'gpt') bad(`it has ${table.scheme === 'mbr' ? 'an MBR' : 'no'} partition table, not GPT`);
  const [esp, root, data, ...rest] = [...table.partitions].sort((a, b) => a.number - b.number);
  if (esp === undefined || root === undefined) return bad(`it has ${table.partitions.length} partition(s); expected the EFI system partition, the root and the data partition`);
  if (rest.length > 0) bad(`it has ${table.partitions.length} partitions; expected at most 3`);
  if (esp.number !== 1 || root.number !== 2 || (data !== undefined && data.number !== 3)) bad('its partitions are not numbered 1, 2, 3');
  if (!(esp.start < root.start && esp.start + esp.sectors <= root.start)) bad('its root partition does not follow the EFI system partition');
  const rootEnd = root.start + root.sectors;
  if (data !== undefined && data.start < rootEnd) bad('its data partition overlaps the root');
  const sizeBytes = (table.alternateLba + 1) * SECTOR;
  if (sizeBytes < rootEnd * SECTOR) bad(`its GPT says the disk ends at sector ${table.alternateLba}, inside the root partition`);
  const dataStart = data?.start ?? Math.ceil(rootEnd / 2048) * 2048;
  return { sizeBytes, headBytes: rootEnd * SECTOR, dataStart, diskGuid: table.diskGuid, copied: [esp, root], data };
}

/** The least a target disk must hold: the image, and 1 GiB of data. */
export function minimumDiskBytes(image: ImageLayout): number {
  return image.sizeBytes + DATA_MINIMUM_BYTES;
}

export interface TargetDisk {
  /** The device (or, in tests, a file) written to. */
  readonly path: string;
  readonly kind: 'block' | 'file';
  readonly sizeBytes: number;
  readonly table: PartitionTable;
  /** File system label of each existing partition that has one, by partition number. */
  readonly labels: Readonly<Record<number, string>>;
}

export interface InstallFile {
  /** Path inside the data file system, e.g. install/answers.json. */
  readonly path: string;
  readonly mode: number;
  readonly content: string;
}

export type InstallStep =
  | { readonly kind: 'write-image'; readonly bytes: number }
  | { readonly kind: 'partition'; readonly script: string }
  | { readonly kind: 'write-boot-code'; readonly bytes: number }
  | { readonly kind: 'reread-partitions' }
  | { readonly kind: 'make-data-fs'; readonly partition: number; readonly offsetBytes: number; readonly sizeBytes: number; readonly label: string }
  | { readonly kind: 'keep-data-fs'; readonly partition: number; readonly offsetBytes: number }
  | { readonly kind: 'write-install-files'; readonly partition: number; readonly offsetBytes: number; readonly files: readonly InstallFile[] }
  | { readonly kind: 'sync' };

export interface InstallPlan {
  readonly target: string;
  readonly steps: readonly InstallStep[];
  /** The data partition as it will be. */
  readonly data: { readonly start: number; readonly sectors: number; readonly kept: boolean };
  /** What is on the disk now and goes, for the confirmation ('nothing' for a blank disk). */
  readonly erases: string;
}

/**
 * The steps that put the image on the disk and the install files in its data partition.
 * An alliance-data partition already at the data partition's start is kept
 * (data survives a reinstall); anything else on the disk needs `wipe`.
 * @throws AllianceError APL_INSTALL_DISK_TOO_SMALL, APL_INSTALL_DISK_IN_USE.
 */
export function planInstall(image: ImageLayout, disk: TargetDisk, options: { wipe: boolean; imageName: string; files: readonly InstallFile[] }): InstallPlan {
  const minimum = minimumDiskBytes(image);
  if (disk.sizeBytes < minimum) {
    throw installErrors.DISK_TOO_SMALL({ disk: disk.path, size: formatBytes(disk.sizeBytes), minimum: formatBytes(minimum), image: `${formatBytes(image.sizeBytes)} ${options.imageName}` });
  }
  const sectors = Math.floor(disk.sizeBytes / SECTOR);
  const lastUsable = sectors - BACKUP_SECTORS - 1;
  const existing = disk.table.partitions;
  const dataLabelled = existing.filter((p) => disk.labels[p.number] === INSTALL_LABELS.data);
  const keep = dataLabelled.find((p) => p.start === image.dataStart && p.start + p.sectors - 1 <= lastUsable);
  const previousInstall = disk.table.scheme === 'gpt' && dataLabelled.length > 0;
  if (existing.length > 0 && !options.wipe && !(previousInstall && keep !== undefined)) {
    const what = previousInstall
      ? `an Alliance data partition that the new layout cannot keep (it starts at sector ${dataLabelled[0]!.start}, the image's data partition at ${image.dataStart})`
      : describeTable(disk);
    throw installErrors.DISK_IN_USE({ disk: disk.path, what });
  }
  const dataSectors = keep?.sectors ?? lastUsable - image.dataStart + 1;
  const dataUuid = keep?.uuid ?? image.data?.uuid;
  const lines = [
    'label: gpt',
    ...(image.diskGuid ? [`label-id: ${image.diskGuid}`] : []),
    'unit: sectors',
    'sector-size: 512',
    '',
    ...image.copied.map((p) => partitionLine(p.number, { start: p.start, sectors: p.sectors, type: p.type, uuid: p.uuid, name: p.name, attributeBits: p.attributeBits })),
    partitionLine(DATA_PARTITION, { start: image.dataStart, sectors: dataSectors, type: keep?.type ?? image.data?.type ?? LINUX_FS_TYPE, uuid: dataUuid, name: keep?.name ?? image.data?.name ?? INSTALL_LABELS.data, attributeBits: [] }),
  ];
  const offsetBytes = image.dataStart * SECTOR;
  const steps: InstallStep[] = [
    { kind: 'write-image', bytes: image.headBytes },
    { kind: 'partition', script: `${lines.join('\n')}\n` },
    { kind: 'write-boot-code', bytes: BOOT_CODE_BYTES },
    ...(disk.kind === 'block' ? [{ kind: 'reread-partitions' } as const] : []),
    keep ? { kind: 'keep-data-fs', partition: DATA_PARTITION, offsetBytes } : { kind: 'make-data-fs', partition: DATA_PARTITION, offsetBytes, sizeBytes: dataSectors * SECTOR, label: INSTALL_LABELS.data },
    ...(options.files.length > 0 ? [{ kind: 'write-install-files', partition: DATA_PARTITION, offsetBytes, files: options.files } as const] : []),
    { kind: 'sync' },
  ];
  return {
    target: disk.path,
    steps,
    data: { start: image.dataStart, sectors: dataSectors, kept: keep !== undefined },
    erases: existing.length === 0 ? 'nothing (no partition table)' : describeTable(disk) + (keep ? `; the data partition ${keep.number} is kept` : ''),
  };
}

function partitionLine(number: number, p: { start: number; sectors: number; type: string; uuid: string | undefined; name: string; attributeBits: readonly number[] }): string {
  const fields = [`start=${p.start}`, `size=${p.sectors}`, `type=${p.type}`];
  if (p.uuid) fields.push(`uuid=${p.uuid}`);
  if (p.name) fields.push(`name="${p.name.replace(/["\\]/g, '')}"`);
  const attrs = p.attributeBits.map((bit) => (bit === 0 ? 'RequiredPartition' : bit === 1 ? 'NoBlockIOProtocol' : bit === 2 ? 'LegacyBIOSBootable' : `GUID:${bit}`));
  if (attrs.length > 0) fields.push(`attrs="${attrs.join(' ')}"`);
  return `${number} : ${fields.join(', ')}`;
}

/** "a GPT with 2 partitions (1 ext4 "home", 2 ...)": what would be erased. */
export function describeTable(disk: Pick<TargetDisk, 'table' | 'labels'>): string {
  const { table, labels } = disk;
  if (table.partitions.length === 0) return 'no partitions';
  const parts = table.partitions.map((p) => {
    const label = labels[p.number];
    return `${p.number}: ${formatBytes(p.sectors * SECTOR)}${label ? ` "${label}"` : p.name ? ` (${p.name})` : ''}`;
  });
  return `${table.scheme === 'gpt' ? 'a GPT' : 'an MBR'} partition table with ${table.partitions.length} partition(s) (${parts.join(', ')})`;
}
