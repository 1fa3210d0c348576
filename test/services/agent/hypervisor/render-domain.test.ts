import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeXml, renderDomain, type DomainFiles } from '../../../../services/agent/hypervisor/render-domain.ts';
import { specOf } from './_specs.ts';

const FILES: DomainFiles = { rootDisk: '/d/i/disk.qcow2', seedIso: '/d/i/seed.iso', consoleLog: '/d/i/console.log' };
const ID = '00000000-0000-4000-8000-000000000007';

const KVM_WITH_SEED = `<domain type='kvm'>
  <name>alliance-${ID}</name>
  <uuid>${ID}</uuid>
  <title>vm-7</title>
  <metadata>
    <alliance:instance xmlns:alliance='https://alliance.invalid/xmlns/instance/1'>
      <alliance:id>${ID}</alliance:id>
      <alliance:name>vm-7</alliance:name>
      <alliance:image>11111111-1111-4111-8111-111111111111</alliance:image>
    </alliance:instance>
  </metadata>
  <memory unit='MiB'>2048</memory>
  <vcpu placement='static'>4</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <cpu mode='host-passthrough'/>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>restart</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='/d/i/disk.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/d/i/seed.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <serial type='pty'>
      <log file='/d/i/console.log' append='on'/>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <rng model='virtio'>
      <backend model='random'>/dev/urandom</backend>
    </rng>
  </devices>
</domain>
`;

test('renderDomain() gives kvm with host CPU, a virtio qcow2 disk, the seed cdrom and a logged serial console', () => {
  assert.fixture(renderDomain(specOf(7, { vcpus: 4, memoryMiB: 2048 }), FILES, { virtType: 'kvm' }), KVM_WITH_SEED);
});

const cases: Record<string, { files: Partial<DomainFiles>; virtType: 'kvm' | 'qemu'; has: string[]; lacks: string[] }> = {
  'qemu (TCG) without host-passthrough': { files: {}, virtType: 'qemu', has: ["<domain type='qemu'>"], lacks: ['host-passthrough', "type='kvm'"] },
  'no seed, no cdrom': { files: { seedIso: undefined }, virtType: 'kvm', has: ["<target dev='vda' bus='virtio'/>"], lacks: ['cdrom', 'seed.iso'] },
  'paths escaped': {
    files: { rootDisk: "/d/it's <&> \"x\"/disk.qcow2", consoleLog: '/d/a&b/console.log' },
    virtType: 'kvm',
    has: ["<source file='/d/it&apos;s &lt;&amp;&gt; &quot;x&quot;/disk.qcow2'/>", "<log file='/d/a&amp;b/console.log' append='on'/>"],
    lacks: ["it's", 'a&b'],
  },
  'no network interface yet': { files: {}, virtType: 'kvm', has: [], lacks: ['<interface'] },
};

for (const [name, c] of Object.entries(cases)) {
  test(`renderDomain() ${name}`, () => {
    const xml = renderDomain(specOf(7), { ...FILES, ...c.files }, { virtType: c.virtType });
    for (const s of c.has) assert.ok(xml.includes(s), `missing ${s}`);
    for (const s of c.lacks) assert.not.ok(xml.includes(s), `should not contain ${s}`);
  });
}

test('escapeXml() replaces the five XML specials and nothing else', () => {
  assert.is(escapeXml(`a&b<c>d'e"f é`), 'a&amp;b&lt;c&gt;d&apos;e&quot;f é');
});

test.run();
