import type { Inventory } from '../../../appliance/contracts/index.ts';

// Traits: what placement asks of a host ("has a GPU", "can run KVM guests"),
// derived from its inventory and never set by hand (labels are the operator's).
// Each is lower-case `name` or `name:value`:
//
//   cpu:virtualization   the CPU has vmx or svm (inventory.cpu.virtualization)
//   cpu:<vendor>         intel, amd, or the vendor's first word (GenuineIntel -> intel)
//   arch:<arch>          the OS architecture as the agent reports it (x64, arm64)
//   memory:large         at least 256 GiB of memory (MEMORY_LARGE_BYTES)
//   memory:small         less than 8 GiB of memory (MEMORY_SMALL_BYTES)
//   disk:ssd             a non-rotational disk of at least 8 GiB (DISK_MIN_BYTES: not a USB stick)
//   disk:nvme            an NVMe disk of at least 8 GiB
//   disk:hdd             a rotational disk of at least 8 GiB
//   gpu, gpu:<vendor>    a GPU on the PCI bus (nvidia, amd, intel, or the vendor's first word)
//   fc-hba               a Fibre Channel host bus adapter
//   net:10g              a physical NIC with link at 10 Gbit/s or more (NET_FAST_MBPS)
//
// A host without an inventory has no traits.

const MEMORY_LARGE_BYTES = 256 * 2 ** 30;
const MEMORY_SMALL_BYTES = 8 * 2 ** 30;
const DISK_MIN_BYTES = 8 * 2 ** 30;
const NET_FAST_MBPS = 10_000;

/** The traits of a host with this inventory, sorted and without duplicates. Pure. */
export function traitsOf(inventory: Inventory | null): string[] {
  if (inventory === null) return [];
  const traits = new Set<string>();
  const { cpu, memory, disks, pci, nics, os } = inventory;
  if (cpu.virtualization) traits.add('cpu:virtualization');
  const cpuVendor = vendorSlug(cpu.vendor);
  if (cpuVendor !== '') traits.add(`cpu:${cpuVendor}`);
  const arch = slug(os.arch);
  if (arch !== '') traits.add(`arch:${arch}`);
  if (memory.totalBytes >= MEMORY_LARGE_BYTES) traits.add('memory:large');
  if (memory.totalBytes > 0 && memory.totalBytes < MEMORY_SMALL_BYTES) traits.add('memory:small');
  for (const disk of disks) {
    if (disk.sizeBytes < DISK_MIN_BYTES) continue;
    if (disk.rotational) traits.add('disk:hdd');
    else traits.add('disk:ssd');
    if (/nvme/i.test(disk.type) || /^nvme/i.test(disk.name)) traits.add('disk:nvme');
  }
  for (const device of pci) {
    if (device.kind === 'fc-hba') traits.add('fc-hba');
    if (device.kind === 'gpu') {
      traits.add('gpu');
      const vendor = vendorSlug(device.vendor);
      if (vendor !== '') traits.add(`gpu:${vendor}`);
    }
  }
  if (nics.some((n) => !n.virtual && n.link && (n.speedMbps ?? 0) >= NET_FAST_MBPS)) traits.add('net:10g');
  return [...traits].sort();
}

const KNOWN_VENDORS: readonly (readonly [RegExp, string])[] = [
  [/nvidia/i, 'nvidia'],
  [/intel/i, 'intel'],
  [/\bamd\b|authenticamd|advanced micro devices|\bati\b/i, 'amd'],
  [/\barm\b/i, 'arm'],
];

function vendorSlug(vendor: string): string {
  for (const [pattern, name] of KNOWN_VENDORS) if (pattern.test(vendor)) return name;
  return slug(vendor.trim().split(/[\s,.]+/)[0] ?? '');
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32);
}
