import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Inventory } from '../../../../appliance/contracts/index.ts';
import { traitsOf } from '../../../../services/controller/hosts/index.ts';
import { sampleInventory } from './_support/hosts-fixtures.ts';

const GiB = 2 ** 30;
const bare = sampleInventory({
  cpu: { model: 'x', vendor: '', sockets: 1, cores: 4, threads: 4, flags: [], virtualization: false },
  memory: { totalBytes: 16 * GiB },
  disks: [],
  nics: [],
  pci: [],
  os: { hostname: 'h', kernel: 'k', distro: 'd', arch: '' },
});
const disk = (d: Partial<Inventory['disks'][number]>): Inventory['disks'][number] => ({ name: 'sda', model: 'm', serial: 's', sizeBytes: 500 * GiB, rotational: false, type: 'SSD', ...d });
const nic = (n: Partial<Inventory['nics'][number]>): Inventory['nics'][number] => ({ name: 'eth0', mac: 'm', speedMbps: 10_000, link: true, virtual: false, addresses: [], ...n });
const gpu = (vendor: string): Inventory['pci'][number] => ({ kind: 'gpu', vendor, model: 'm', bus: '0000:65:00.0' });

const cases: Record<string, { inventory: Inventory | null; expected: string[] }> = {
  'gives a host without an inventory no traits': { inventory: null, expected: [] },
  'gives a bare host no traits': { inventory: bare, expected: [] },
  'names a CPU that can run KVM guests': { inventory: { ...bare, cpu: { ...bare.cpu, virtualization: true } }, expected: ['cpu:virtualization'] },
  'names Intel and AMD CPUs by their vendor': {
    inventory: { ...bare, cpu: { ...bare.cpu, vendor: 'GenuineIntel' } },
    expected: ['cpu:intel'],
  },
  'names an AMD CPU from AuthenticAMD': { inventory: { ...bare, cpu: { ...bare.cpu, vendor: 'AuthenticAMD' } }, expected: ['cpu:amd'] },
  'names another CPU vendor by its first word, slugged': { inventory: { ...bare, cpu: { ...bare.cpu, vendor: 'HiSilicon Tech' } }, expected: ['cpu:hisilicon'] },
  'names the architecture': { inventory: { ...bare, os: { ...bare.os, arch: 'arm64' } }, expected: ['arch:arm64'] },
  'calls 256 GiB of memory large': { inventory: { ...bare, memory: { totalBytes: 256 * GiB } }, expected: ['memory:large'] },
  'does not call just under 256 GiB large': { inventory: { ...bare, memory: { totalBytes: 256 * GiB - 1 } }, expected: [] },
  'calls under 8 GiB of memory small': { inventory: { ...bare, memory: { totalBytes: 8 * GiB - 1 } }, expected: ['memory:small'] },
  'does not call an unknown (0) memory size small': { inventory: { ...bare, memory: { totalBytes: 0 } }, expected: [] },
  'names an SSD': { inventory: { ...bare, disks: [disk({})] }, expected: ['disk:ssd'] },
  'names an NVMe disk as ssd and nvme': { inventory: { ...bare, disks: [disk({ name: 'nvme0n1', type: 'NVMe' })] }, expected: ['disk:nvme', 'disk:ssd'] },
  'names a rotational disk hdd': { inventory: { ...bare, disks: [disk({ rotational: true, type: 'HD' })] }, expected: ['disk:hdd'] },
  'ignores disks under 8 GiB (USB sticks, card readers)': { inventory: { ...bare, disks: [disk({ sizeBytes: 8 * GiB - 1 })] }, expected: [] },
  'names both kinds of disk once each': {
    inventory: { ...bare, disks: [disk({}), disk({ name: 'sdb' }), disk({ name: 'sdc', rotational: true })] },
    expected: ['disk:hdd', 'disk:ssd'],
  },
  'names a GPU and its vendor': { inventory: { ...bare, pci: [gpu('NVIDIA Corporation')] }, expected: ['gpu', 'gpu:nvidia'] },
  'names GPUs of two vendors': {
    inventory: { ...bare, pci: [gpu('Advanced Micro Devices, Inc. [AMD/ATI]'), gpu('Intel Corporation')] },
    expected: ['gpu', 'gpu:amd', 'gpu:intel'],
  },
  'names a Fibre Channel HBA': { inventory: { ...bare, pci: [{ kind: 'fc-hba', vendor: 'QLogic Corp.', model: 'ISP2722', bus: '0000:3b:00.0' }] }, expected: ['fc-hba'] },
  'names a 10 Gbit/s NIC with link': { inventory: { ...bare, nics: [nic({})] }, expected: ['net:10g'] },
  'ignores a fast NIC without link': { inventory: { ...bare, nics: [nic({ link: false })] }, expected: [] },
  'ignores a fast virtual NIC': { inventory: { ...bare, nics: [nic({ virtual: true })] }, expected: [] },
  'ignores a NIC of unknown speed': { inventory: { ...bare, nics: [nic({ speedMbps: null })] }, expected: [] },
  'lists the traits of a full server sorted': {
    inventory: sampleInventory(),
    expected: ['arch:x64', 'cpu:intel', 'cpu:virtualization', 'disk:nvme', 'disk:ssd', 'memory:large', 'net:10g'],
  },
};

for (const [behaviour, { inventory, expected }] of Object.entries(cases)) {
  test(`traitsOf() ${behaviour}`, () => {
    assert.equal(traitsOf(inventory), expected);
  });
}

test.run();
