import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InventorySchema } from '../../../appliance/contracts/index.ts';
import { collectInventory, collectRawInventory, cpuinfoFlags, lookupPciNames, parseOsRelease } from '../../../services/agent/collect-inventory.ts';

test('collectInventory() on this machine gives a valid inventory with CPU, memory and a NIC, in under 5 s', async () => {
  const started = performance.now();
  const inv = await collectInventory();
  const ms = performance.now() - started;
  assert.ok(Value.Check(InventorySchema, inv), JSON.stringify([...Value.Errors(InventorySchema, inv)].slice(0, 3)));
  assert.ok(inv.cpu.threads > 0 && inv.cpu.cores > 0, JSON.stringify(inv.cpu));
  assert.ok(inv.memory.totalBytes > 0);
  assert.ok(inv.nics.length > 0);
  assert.ok(inv.os.kernel !== '' && inv.os.arch !== '');
  assert.ok(ms < 5000, `took ${Math.round(ms)} ms`);
  console.log(`    collectInventory() took ${Math.round(ms)} ms here`);
});

test('collectInventory() works inside the single executable, whose pkg prelude patches child_process (exec with undefined options used to throw)', () => {
  // pkg's own patch, applied in a child process, as dist/alliance applies it at start.
  const script = `
    import { createRequire } from 'node:module';
    createRequire(${JSON.stringify(join(import.meta.dirname, '..', '..', '..', 'package.json'))})('@yao-pkg/pkg/prelude/bootstrap-shared.js').patchChildProcess('/snapshot/main/build/alliance.cjs');
    const { collectInventory } = await import(${JSON.stringify(join(import.meta.dirname, '..', '..', '..', 'services', 'agent', 'collect-inventory.ts'))});
    const inventory = await collectInventory();
    process.stdout.write(JSON.stringify(inventory));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.is(run.status, 0, run.stderr);
  const inventory: unknown = JSON.parse(run.stdout);
  assert.ok(Value.Check(InventorySchema, inventory));
});

test('collectRawInventory() reads interfaces and PCI class codes from sysfs (a copy, here)', async () => {
  const sys = mkdtempSync(join(tmpdir(), 'alliance-sysfs-'));
  try {
    const put = (path: string, text: string) => {
      mkdirSync(join(sys, path, '..'), { recursive: true });
      writeFileSync(join(sys, path), `${text}\n`);
    };
    put('devices/pci0000:00/0000:00:03.0/net/enp0s3/address', '52:54:00:12:34:56');
    put('devices/pci0000:00/0000:00:03.0/net/enp0s3/operstate', 'up');
    put('devices/pci0000:00/0000:00:03.0/net/enp0s3/speed', '10000');
    put('devices/virtual/net/br9/address', '52:54:00:ab:cd:ef');
    put('devices/virtual/net/br9/operstate', 'down');
    put('devices/virtual/net/br9/speed', '-1');
    mkdirSync(join(sys, 'class', 'net'), { recursive: true });
    symlinkSync(join(sys, 'devices/pci0000:00/0000:00:03.0/net/enp0s3'), join(sys, 'class/net/enp0s3'));
    symlinkSync(join(sys, 'devices/virtual/net/br9'), join(sys, 'class/net/br9'));
    for (const [address, cls, vendor, device] of [['0000:5e:00.0', '0x0c0400', '0x10df', '0xf400'], ['0000:00:02.0', '0x030000', '0x1234', '0x1111'], ['0000:00:09.0', 'garbage', '0x1', '0x2']]) {
      put(`bus/pci/devices/${address}/class`, cls!);
      put(`bus/pci/devices/${address}/vendor`, vendor!);
      put(`bus/pci/devices/${address}/device`, device!);
    }
    const ids = join(sys, 'pci.ids');
    writeFileSync(ids, '10df  Emulex Corporation\n\tf400  LPe36000 Fibre Channel Host Adapter\n1234  Technical Corp.\n');
    const raw = await collectRawInventory({ sysRoot: sys, pciIdsPaths: [join(sys, 'missing.ids'), ids] });
    assert.equal(raw.sysNet, [
      { name: 'br9', mac: '52:54:00:ab:cd:ef', operstate: 'down', speedMbps: null, virtual: true },
      { name: 'enp0s3', mac: '52:54:00:12:34:56', operstate: 'up', speedMbps: 10_000, virtual: false },
    ]);
    assert.equal(raw.pciDevices, [
      { address: '0000:00:02.0', classCode: 0x030000, vendorId: 0x1234, deviceId: 0x1111 },
      { address: '0000:5e:00.0', classCode: 0x0c0400, vendorId: 0x10df, deviceId: 0xf400 },
    ]);
    assert.equal(raw.pciNames, { '10df': 'Emulex Corporation', '10df:f400': 'LPe36000 Fibre Channel Host Adapter', '1234': 'Technical Corp.' });
  } finally {
    rmSync(sys, { recursive: true, force: true });
  }
});

test('collectRawInventory() with no sysfs at all still answers, with those parts empty', async () => {
  const raw = await collectRawInventory({ sysRoot: '/nonexistent-sysfs' });
  assert.equal(raw.sysNet, []);
  assert.equal(raw.pciDevices, []);
  assert.equal(raw.pciNames, {});
});

test('parseOsRelease() reads os-release lines, quoted or not, and skips the rest', () => {
  const text = ['NAME="Debian GNU/Linux"', 'VERSION_ID="12"', "ID=debian", 'PRETTY_NAME=\'Debian "bookworm"\'', '# comment', 'garbage line', 'HOME_URL="https://www.debian.org/"'].join('\n');
  assert.equal(parseOsRelease(text), { NAME: 'Debian GNU/Linux', VERSION_ID: '12', ID: 'debian', PRETTY_NAME: 'Debian "bookworm"', HOME_URL: 'https://www.debian.org/' });
});

test('lookupPciNames() finds vendor and device names and stops at the class list', () => {
  const ids = [
    '# comment',
    '10de  NVIDIA Corporation',
    '\t20b5  GA100 [A100 PCIe 80GB]',
    '\t\t10de 1533  A100 80GB (subsystem, ignored)',
    '10df  Emulex Corporation',
    '\tf400  LPe36000 Fibre Channel Host Adapter',
    'C 03  Display controller',
    '\t00  VGA compatible controller',
  ].join('\n');
  assert.equal(lookupPciNames(ids, [['10de', '20b5'], ['10df', 'ffff']]), { '10de': 'NVIDIA Corporation', '10de:20b5': 'GA100 [A100 PCIe 80GB]', '10df': 'Emulex Corporation' });
  assert.equal(lookupPciNames(ids, [['ffff', '0000']]), {});
});

const cpuinfos: Record<string, [string, string]> = {
  'x86 (flags, tab before the colon)': ['processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme vmx sse2\nbugs\t\t: spectre_v1\n\nprocessor\t: 1\nflags\t\t: fpu\n', 'fpu vme vmx sse2'],
  'arm64 (Features)': ['processor\t: 0\nFeatures\t: fp asimd evtstrm\nCPU implementer\t: 0x41\n', 'fp asimd evtstrm'],
  'neither': ['processor\t: 0\nmodel name\t: something\n', ''],
  'empty': ['', ''],
};
for (const [name, [text, flags]] of Object.entries(cpuinfos)) {
  test(`cpuinfoFlags() reads ${name}`, () => {
    assert.is(cpuinfoFlags(text), flags);
  });
}

test.run();
