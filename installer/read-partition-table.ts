// The partition table at the start of a disk (or disk image), read from its
// first sectors: GPT (protective MBR, header at LBA 1, entries after it) or
// a plain MBR. Pure: the caller reads the bytes. 512-byte sectors only (the
// installer refuses other disks before it gets here).

export const SECTOR = 512;
/** Bytes a caller reads so that the GPT header and 128 entries are inside. */
export const TABLE_BYTES = 34 * SECTOR;

export interface TablePartition {
  /** 1-based, as the kernel numbers them (GPT entry index + 1, MBR slot + 1). */
  readonly number: number;
  readonly start: number;
  readonly sectors: number;
  /** GPT type GUID (upper case), or the MBR type byte as two hex digits. */
  readonly type: string;
  /** GPT unique partition GUID (upper case); '' for MBR. */
  readonly uuid: string;
  readonly name: string;
  /** GPT attribute bits that are set (0 RequiredPartition, 2 LegacyBIOSBootable, 48..63 type specific). */
  readonly attributeBits: readonly number[];
}

export interface PartitionTable {
  readonly scheme: 'gpt' | 'mbr' | 'none';
  /** GPT disk GUID, upper case; '' otherwise. */
  readonly diskGuid: string;
  /** GPT: the LBA of the backup header as the primary header says (the disk's last sector when it was written). */
  readonly alternateLba: number;
  readonly partitions: readonly TablePartition[];
}

/** Reads the table from the first TABLE_BYTES (or more) of a disk. Throws TypeError on a damaged GPT. */
export function readPartitionTable(head: Uint8Array): PartitionTable {
  const bytes = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const none: PartitionTable = { scheme: 'none', diskGuid: '', alternateLba: 0, partitions: [] };
  if (bytes.length < SECTOR || bytes.readUInt16LE(510) !== 0xaa55) return none;
  const mbrEntries = [0, 1, 2, 3].map((i) => ({ slot: i, type: bytes[446 + i * 16 + 4]!, start: bytes.readUInt32LE(446 + i * 16 + 8), sectors: bytes.readUInt32LE(446 + i * 16 + 12) }));
  if (mbrEntries.some((e) => e.type === 0xee)) return readGpt(bytes);
  const partitions = mbrEntries
    .filter((e) => e.type !== 0 && e.sectors > 0)
    .map((e) => ({ number: e.slot + 1, start: e.start, sectors: e.sectors, type: e.type.toString(16).padStart(2, '0'), uuid: '', name: '', attributeBits: [] }));
  return { ...none, scheme: partitions.length > 0 ? 'mbr' : 'none', partitions };
}

function readGpt(bytes: Buffer): PartitionTable {
  if (bytes.length < 2 * SECTOR) throw new TypeError('Cannot read the GPT: the header sector is missing');
  const header = bytes.subarray(SECTOR, 2 * SECTOR);
  if (header.toString('latin1', 0, 8) !== 'EFI PART') throw new TypeError('Cannot read the GPT: the protective MBR is there but LBA 1 holds no "EFI PART" header');
  const alternateLba = Number(header.readBigUInt64LE(32));
  const diskGuid = guidAt(header, 56);
  const entriesLba = Number(header.readBigUInt64LE(72));
  const count = header.readUInt32LE(80);
  const size = header.readUInt32LE(84);
  if (size < 128 || count > 1024) throw new TypeError(`Cannot read the GPT: ${count} entries of ${size} bytes`);
  const partitions: TablePartition[] = [];
  for (let i = 0; i < count; i++) {
    const at = entriesLba * SECTOR + i * size;
    if (at + size > bytes.length) throw new TypeError(`Cannot read the GPT: entry ${i + 1} lies past the ${bytes.length} bytes read`);
    const entry = bytes.subarray(at, at + size);
    if (entry.subarray(0, 16).every((b) => b === 0)) continue;
    const first = Number(entry.readBigUInt64LE(32));
    const last = Number(entry.readBigUInt64LE(40));
    const attrs = entry.readBigUInt64LE(48);
    const attributeBits = [...Array(64).keys()].filter((bit) => (attrs >> BigInt(bit)) & 1n);
    const name = entry.toString('utf16le', 56, 128).replace(/\0.*$/s, '');
    partitions.push({ number: i + 1, start: first, sectors: last - first + 1, type: guidAt(entry, 0), uuid: guidAt(entry, 16), name, attributeBits });
  }
  return { scheme: 'gpt', diskGuid, alternateLba, partitions };
}

/** A GUID stored mixed-endian (first three fields little-endian), as text. */
function guidAt(bytes: Buffer, at: number): string {
  const hex = (from: number, to: number, reverse: boolean): string => {
    const part = [...bytes.subarray(at + from, at + to)];
    return (reverse ? part.reverse() : part).map((b) => b.toString(16).padStart(2, '0')).join('');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`.toUpperCase();
}

/** The volume label of an ext2/3/4 superblock (the 1024 bytes at offset 1024 of the file system), or undefined when it is not one. */
export function ext4LabelOf(superblock: Uint8Array): string | undefined {
  const sb = Buffer.from(superblock.buffer, superblock.byteOffset, superblock.byteLength);
  if (sb.length < 136 || sb.readUInt16LE(56) !== 0xef53) return undefined;
  return sb.toString('latin1', 120, 136).replace(/\0.*$/s, '');
}
