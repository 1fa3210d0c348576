import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InventorySchema, type Inventory } from '../../../appliance/contracts/index.ts';
import { toInventory, type RawInventory } from '../../../services/agent/to-inventory.ts';

const sample = (name: string): RawInventory => JSON.parse(readFileSync(join(import.meta.dirname, 'testdata', `${name}.json`), 'utf8')) as RawInventory;
/** Flags are long; the cases compare them by count and a few members. */
const withoutFlags = (inv: Inventory) => ({ ...inv, cpu: { ...inv.cpu, flags: inv.cpu.flags.length } });

test('toInventory() maps a sample captured on a Firecracker VM (no vmx/svm, virtio disk, ifb interfaces without addresses)', () => {
  const inv = toInventory(sample('raw-inventory-firecracker-vm'));
  assert.ok(Value.Check(InventorySchema, inv), JSON.stringify([...Value.Errors(InventorySchema, inv)].slice(0, 3)));
  assert.equal(withoutFlags(inv), {
    system: { vendor: '', model: 'Docker Container', serial: '', uuid: '' },
    cpu: { model: 'AMD EPYC', vendor: 'AMD', sockets: 1, cores: 2, threads: 2, flags: 99, virtualization: false },
    memory: { totalBytes: 25_276_063_744 },
    disks: [{ name: 'vda', model: '', serial: '', sizeBytes: 274_877_906_944, rotational: true, type: 'hdd' }],
    nics: [
      { name: 'eth0', mac: '02:fc:00:00:00:01', speedMbps: null, link: true, virtual: false, addresses: ['192.0.2.2', 'fd00::2', 'fe80::fc:ff:fe00:1'] },
      { name: 'ifb0', mac: '92:61:a7:b8:c3:af', speedMbps: null, link: false, virtual: true, addresses: [] },
      { name: 'ifb1', mac: '26:28:1a:5f:95:fe', speedMbps: null, link: false, virtual: true, addresses: [] },
    ],
    pci: [],
    os: { hostname: 'vm', kernel: '6.18.44-fc-v769', distro: 'Debian GNU/Linux 12', arch: 'x64' },
  });
  assert.ok(inv.cpu.flags.includes('avx2') && inv.cpu.flags.includes('hypervisor'));
});

test('toInventory() maps a two-socket server: drives from diskLayout and lsblk, NICs without addresses, GPUs and FC HBAs but not the BMC display', () => {
  const inv = toInventory(sample('raw-inventory-server'));
  assert.ok(Value.Check(InventorySchema, inv));
  assert.equal(withoutFlags(inv), {
    system: { vendor: 'Dell Inc.', model: 'PowerEdge R750', serial: '7XK2QH3', uuid: '4c4c4544-0058-4b10-8032-b7c04f514833' },
    cpu: { model: 'Intel Xeon® Gold 6338', vendor: 'GenuineIntel', sockets: 2, cores: 64, threads: 128, flags: 149, virtualization: true },
    memory: { totalBytes: 549_755_813_888 },
    disks: [
      // diskLayout had no serial for the NVMe drive; lsblk had.
      { name: 'nvme0n1', model: 'Dell Ent NVMe P5600 MU U.2 3.2TB', serial: 'PHAB1234005Y3P2EGN', sizeBytes: 3_200_631_791_616, rotational: false, type: 'nvme' },
      { name: 'sda', model: 'MZ7L3480HCHQ-00A07', serial: 'S6KLNA0T123456', sizeBytes: 480_103_981_056, rotational: false, type: 'ssd' },
      { name: 'sdb', model: 'ST12000NM001G-2MV103', serial: 'ZL2ABCDE', sizeBytes: 12_000_138_625_024, rotational: true, type: 'hdd' },
    ],
    nics: [
      { name: 'br0', mac: 'b4:96:91:aa:bb:01', speedMbps: null, link: true, virtual: true, addresses: ['10.20.0.31', 'fe80::b696:91ff:feaa:bb01'] },
      { name: 'eno12399np0', mac: 'b4:96:91:aa:bb:01', speedMbps: 25_000, link: true, virtual: false, addresses: [] },
      { name: 'eno12409np1', mac: 'b4:96:91:aa:bb:02', speedMbps: null, link: false, virtual: false, addresses: [] },
    ],
    pci: [
      { kind: 'gpu', vendor: 'NVIDIA Corporation', model: 'GA100 [A100 PCIe 80GB]', bus: '0000:17:00.0' },
      { kind: 'fc-hba', vendor: 'Emulex Corporation', model: 'LPe36000 Fibre Channel Host Adapter', bus: '0000:5e:00.0' },
      { kind: 'fc-hba', vendor: 'Emulex Corporation', model: 'LPe36000 Fibre Channel Host Adapter', bus: '0000:5e:00.1' },
      // Neither systeminformation nor pci.ids named this one: the ids say what it is.
      { kind: 'gpu', vendor: 'NVIDIA Corporation', model: 'device 0x2236', bus: '0000:b1:00.0' },
    ],
    os: { hostname: 'compute-07.lab.example', kernel: '6.1.0-28-amd64', distro: 'Debian GNU/Linux 12', arch: 'x64' },
  });
});

const placeholders: Record<string, string> = {
  'To Be Filled By O.E.M.': '',
  'Default string': '',
  'System Serial Number': '',
  'Not Specified': '',
  '-': '',
  '  PowerEdge\tR640 ': 'PowerEdge R640',
};
for (const [firmware, expected] of Object.entries(placeholders)) {
  test(`toInventory() reads the firmware string ${JSON.stringify(firmware)} as ${JSON.stringify(expected)}`, () => {
    const raw = sample('raw-inventory-server');
    assert.is(toInventory({ ...raw, system: { ...raw.system, model: firmware } }).system.model, expected);
  });
}

test('toInventory() keeps a weird machine within every bound of the schema', () => {
  const long = (n: number) => 'x\u0000y'.repeat(n);
  const raw: RawInventory = {
    system: { manufacturer: long(100), model: long(100), serial: long(100), uuid: long(100) },
    cpu: { manufacturer: long(50), brand: long(200), vendor: long(50), cores: 1e6, physicalCores: -4, processors: Number.NaN, flags: Array.from({ length: 700 }, (_, i) => `f${i}${'z'.repeat(i % 50)}`).join(' ') },
    mem: { total: Number.POSITIVE_INFINITY },
    diskLayout: Array.from({ length: 300 }, (_, i) => ({ device: `/dev/sd${i}${long(80)}`, type: 'SSD', name: long(80), size: -1, serialNum: long(80), interfaceType: long(20) })),
    blockDevices: [],
    nics: Array.from({ length: 300 }, (_, i) => ({ iface: `n${i}${'q'.repeat(40)}`, mac: long(20), internal: false, virtual: false, operstate: 'up', speed: 1.5e15 })),
    nicStats: [],
    sysNet: [],
    addresses: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`n${i}${'q'.repeat(40)}`, Array.from({ length: 100 }, (_, j) => `fd00::${j}${'1'.repeat(80)}`)])),
    graphics: [],
    pciDevices: Array.from({ length: 300 }, (_, i) => ({ address: `0000:${i}:00.0${long(20)}`, classCode: 0x0c0400, vendorId: 0x10df, deviceId: i })),
    pciNames: {},
    os: { hostname: long(200), kernel: long(100), distro: long(100), release: long(100), arch: long(20) },
  };
  const inv = toInventory(raw);
  assert.ok(Value.Check(InventorySchema, inv), JSON.stringify([...Value.Errors(InventorySchema, inv)].slice(0, 3).map((e) => `${e.path} ${e.message}`)));
  assert.is(inv.cpu.flags.length, 512);
  assert.is(inv.disks.length, 256);
  assert.is(inv.nics.length, 256);
  assert.is(inv.pci.length, 256);
  assert.is(inv.cpu.threads, 8192);
  assert.is(inv.cpu.cores, 0);
  assert.is(inv.memory.totalBytes, 0);
  assert.not.match(JSON.stringify(inv), /\\u0000/);
});

test('toInventory() survives missing lists and wrong types from a broken source', () => {
  const raw = { ...sample('raw-inventory-server'), diskLayout: undefined, nics: undefined, sysNet: null, graphics: undefined, pciDevices: undefined, addresses: undefined } as unknown as RawInventory;
  const inv = toInventory(raw);
  assert.ok(Value.Check(InventorySchema, inv));
  assert.equal(inv.disks.map((d) => d.name), ['nvme0n1', 'sda', 'sdb']);
  assert.equal(inv.nics, []);
});

test('toInventory() is deterministic: shuffled sources give the same inventory', () => {
  const raw = sample('raw-inventory-server');
  const shuffled: RawInventory = { ...raw, blockDevices: [...raw.blockDevices].reverse(), diskLayout: [...raw.diskLayout].reverse(), sysNet: [...raw.sysNet].reverse(), pciDevices: [...raw.pciDevices].reverse() };
  assert.equal(toInventory(shuffled), toInventory(raw));
});

test.run();
