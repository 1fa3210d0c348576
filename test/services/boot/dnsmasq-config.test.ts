import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAllianceError } from '../../../appliance/errors/index.ts';
import { DEBIAN_BOOT_FILES, renderDnsmasqConfig, renderLeaseHookWrapper, type DnsmasqSpec, type RenderDnsmasqOptions } from '../../../services/boot/dnsmasq-config.ts';

const base: DnsmasqSpec = {
  interface: 'prov0',
  serverAddress: '10.20.0.1',
  mode: { kind: 'dhcp', rangeStart: '10.20.0.100', rangeEnd: '10.20.0.199', netmask: '255.255.255.0', leaseSeconds: 3600 },
  httpPort: 8081,
  ipxePath: '/boot/ipxe',
  tftpRoot: '/usr/lib/ipxe',
  bootFiles: DEBIAN_BOOT_FILES,
  hostsDir: '/var/lib/alliance/boot/hosts',
  leaseHook: '/var/lib/alliance/boot/lease-hook',
  unknownMacs: 'discover',
};

/**
 * The whole expected file for `base`: the lines every case shares, with the
 * parts a case sets (mode, unknown MACs, boot files) put in place. Each part
 * is whole lines ending in a newline.
 */
function expectedConfig(parts: { logDhcp?: boolean; mode: string; unknownMacs: string; boot: string }): string {
  return `# Rendered by the Alliance boot service; edits are overwritten.
# Run as: dnsmasq --conf-file=<this file> (no /etc/dnsmasq.conf or conf-dir is read).
keep-in-foreground
log-facility=-
${parts.logDhcp === true ? 'log-dhcp\n' : ''}# No DNS: DHCP and TFTP only; nothing from /etc/hosts or /etc/resolv.conf.
port=0
no-hosts
no-resolv
interface=prov0
bind-interfaces

# The appliance owns the leases: the hook stores every change and prints them at start (init).
leasefile-ro
dhcp-script=/var/lib/alliance/boot/lease-hook
# One file per known host: MAC,IP,name / MAC,name / MAC,ignore (never set: tags, dnsmasq 2.90 crashes on SIGHUP with them).
dhcp-hostsdir=/var/lib/alliance/boot/hosts

${parts.mode}${parts.unknownMacs}
# Client classes (DHCP option 93 client-arch; iPXE says so in option 175 or its user class).
dhcp-vendorclass=set:pxe,PXEClient
dhcp-match=set:bios,option:client-arch,0
dhcp-match=set:efi-x64,option:client-arch,7
dhcp-match=set:efi-x64,option:client-arch,9
dhcp-match=set:efi-arm64,option:client-arch,11
dhcp-match=set:ipxe,175
dhcp-userclass=set:ipxe,iPXE

# TFTP serves only the first stage, the iPXE binaries.
enable-tftp
tftp-root=/usr/lib/ipxe

${parts.boot}`;
}

const DISCOVER = `# Unknown MACs are answered and boot into enrolment (the iPXE endpoint decides).
`;
const IGNORE = `# Unknown MACs are not answered; a host is known by its file in the hosts directory.
dhcp-ignore=tag:!known
`;

const cases: { name: string; spec: DnsmasqSpec; options: RenderDnsmasqOptions; expected: string }[] = [
  {
    name: 'dhcp, unknown MACs discovered, no router or DNS',
    spec: { ...base, mode: { kind: 'dhcp', rangeStart: '10.20.0.100', rangeEnd: '10.20.0.199', netmask: '255.255.255.0', leaseSeconds: 3600 } },
    options: {},
    expected: expectedConfig({
      mode: `# Full DHCP on the provisioning network (an empty option 3 or 6 sends no router or DNS server).
dhcp-range=10.20.0.100,10.20.0.199,255.255.255.0,3600
dhcp-authoritative
dhcp-option=3
dhcp-option=6
`,
      unknownMacs: DISCOVER,
      boot: `# iPXE fetches its script over HTTP (this breaks the chainload loop); firmware PXE gets iPXE by TFTP;
# a client that is not PXE (an agent asking for its own address) gets no boot file.
dhcp-boot=tag:ipxe,http://10.20.0.1:8081/boot/ipxe
dhcp-boot=tag:pxe,tag:!ipxe,tag:bios,undionly.kpxe
dhcp-boot=tag:pxe,tag:!ipxe,tag:efi-x64,snponly.efi
# arm64 UEFI: no boot file configured.
`,
    }),
  },
  {
    name: 'dhcp, unknown MACs ignored, router, DNS and arm64',
    spec: {
      ...base,
      bootFiles: { bios: 'undionly.kpxe', efiX64: 'snponly.efi', efiArm64: 'arm64-efi/snponly.efi' },
      unknownMacs: 'ignore',
      mode: { kind: 'dhcp', rangeStart: '10.20.0.100', rangeEnd: '10.20.0.199', netmask: '255.255.255.0', leaseSeconds: 600, router: '10.20.0.254', dns: ['192.0.2.53', '192.0.2.54'] },
    },
    options: {},
    expected: expectedConfig({
      mode: `# Full DHCP on the provisioning network (an empty option 3 or 6 sends no router or DNS server).
dhcp-range=10.20.0.100,10.20.0.199,255.255.255.0,600
dhcp-authoritative
dhcp-option=option:router,10.20.0.254
dhcp-option=option:dns-server,192.0.2.53,192.0.2.54
`,
      unknownMacs: IGNORE,
      boot: `# iPXE fetches its script over HTTP (this breaks the chainload loop); firmware PXE gets iPXE by TFTP;
# a client that is not PXE (an agent asking for its own address) gets no boot file.
dhcp-boot=tag:ipxe,http://10.20.0.1:8081/boot/ipxe
dhcp-boot=tag:pxe,tag:!ipxe,tag:bios,undionly.kpxe
dhcp-boot=tag:pxe,tag:!ipxe,tag:efi-x64,snponly.efi
dhcp-boot=tag:pxe,tag:!ipxe,tag:efi-arm64,arm64-efi/snponly.efi
`,
    }),
  },
  {
    name: 'proxy, unknown MACs discovered, arm64',
    spec: {
      ...base,
      bootFiles: { bios: 'undionly.kpxe', efiX64: 'snponly.efi', efiArm64: 'arm64-efi/snponly.efi' },
      mode: { kind: 'proxy', subnet: '10.20.0.0', netmask: '255.255.255.0' },
    },
    options: {},
    expected: expectedConfig({
      mode: `# proxyDHCP: another server hands out addresses; only PXE clients get boot information from here.
dhcp-range=10.20.0.0,proxy,255.255.255.0
# PXE discovery control: no multicast or broadcast discovery, boot the offered file at once.
dhcp-option=vendor:PXEClient,6,2b
`,
      unknownMacs: DISCOVER,
      boot: `# iPXE fetches its script over HTTP (this breaks the chainload loop); firmware PXE gets iPXE by TFTP.
# In proxy mode only PXE clients are answered, so an agent asking for its own address gets nothing from here.
dhcp-boot=tag:ipxe,http://10.20.0.1:8081/boot/ipxe
pxe-service=tag:ipxe,x86PC,"Alliance iPXE script",http://10.20.0.1:8081/boot/ipxe
pxe-service=tag:ipxe,BC_EFI,"Alliance iPXE script",http://10.20.0.1:8081/boot/ipxe
pxe-service=tag:ipxe,X86-64_EFI,"Alliance iPXE script",http://10.20.0.1:8081/boot/ipxe
pxe-service=tag:ipxe,11,"Alliance iPXE script",http://10.20.0.1:8081/boot/ipxe
pxe-service=tag:!ipxe,x86PC,"Alliance network boot",undionly.kpxe
pxe-service=tag:!ipxe,BC_EFI,"Alliance network boot",snponly.efi
pxe-service=tag:!ipxe,X86-64_EFI,"Alliance network boot",snponly.efi
pxe-service=tag:!ipxe,11,"Alliance network boot",arm64-efi/snponly.efi
`,
    }),
  },
  {
    name: 'proxy, unknown MACs ignored, log-dhcp',
    spec: { ...base, serverAddress: '10.20.3.4', unknownMacs: 'ignore', mode: { kind: 'proxy', subnet: '10.20.0.0', netmask: '255.255.0.0' } },
    options: { logDhcp: true },
    expected: expectedConfig({
      logDhcp: true,
      mode: `# proxyDHCP: another server hands out addresses; only PXE clients get boot information from here.
dhcp-range=10.20.0.0,proxy,255.255.0.0
# PXE discovery control: no multicast or broadcast discovery, boot the offered file at once.
dhcp-option=vendor:PXEClient,6,2b
`,
      unknownMacs: IGNORE,
      boot: `# iPXE fetches its script over HTTP (this breaks the chainload loop); firmware PXE gets iPXE by TFTP.
# In proxy mode only PXE clients are answered, so an agent asking for its own address gets nothing from here.
dhcp-boot=tag:ipxe,http://10.20.3.4:8081/boot/ipxe
pxe-service=tag:ipxe,x86PC,"Alliance iPXE script",http://10.20.3.4:8081/boot/ipxe
pxe-service=tag:ipxe,BC_EFI,"Alliance iPXE script",http://10.20.3.4:8081/boot/ipxe
pxe-service=tag:ipxe,X86-64_EFI,"Alliance iPXE script",http://10.20.3.4:8081/boot/ipxe
pxe-service=tag:!ipxe,x86PC,"Alliance network boot",undionly.kpxe
pxe-service=tag:!ipxe,BC_EFI,"Alliance network boot",snponly.efi
pxe-service=tag:!ipxe,X86-64_EFI,"Alliance network boot",snponly.efi
# arm64 UEFI: no boot file configured.
`,
    }),
  },
];

for (const c of cases) {
  test(`renderDnsmasqConfig() renders ${c.name}`, () => {
    assert.fixture(renderDnsmasqConfig(c.spec, c.options), c.expected);
  });
}

const dhcp = base.mode as Extract<DnsmasqSpec['mode'], { kind: 'dhcp' }>;
const invalidSpecs: Record<string, { spec: DnsmasqSpec; field: string }> = {
  'an interface name with a newline': { spec: { ...base, interface: 'eth0\ndhcp-range=0.0.0.0,proxy' }, field: 'interface' },
  'an interface name longer than 15': { spec: { ...base, interface: 'a234567890123456' }, field: 'interface' },
  'a server address with a comma': { spec: { ...base, serverAddress: '10.20.0.1,evil' }, field: 'serverAddress' },
  'a server address with leading zeros': { spec: { ...base, serverAddress: '010.20.0.1' }, field: 'serverAddress' },
  'port 0': { spec: { ...base, httpPort: 0 }, field: 'httpPort' },
  'port 65536': { spec: { ...base, httpPort: 65536 }, field: 'httpPort' },
  'a fractional port': { spec: { ...base, httpPort: 80.5 }, field: 'httpPort' },
  'an iPXE path with a query': { spec: { ...base, ipxePath: '/boot?x=1' }, field: 'ipxePath' },
  'a relative tftp root': { spec: { ...base, tftpRoot: 'usr/lib/ipxe' }, field: 'tftpRoot' },
  'a hosts dir with a comma': { spec: { ...base, hostsDir: '/var/lib/a,b' }, field: 'hostsDir' },
  'a lease hook path with a newline': { spec: { ...base, leaseHook: '/bin/hook\nport=53' }, field: 'leaseHook' },
  'a lease hook path with ..': { spec: { ...base, leaseHook: '/var/../bin/sh' }, field: 'leaseHook' },
  'a boot file with a comma': { spec: { ...base, bootFiles: { ...DEBIAN_BOOT_FILES, bios: 'undionly.kpxe,evil' } }, field: 'bootFiles.bios' },
  'an arm64 boot file leaving the tftp root': { spec: { ...base, bootFiles: { ...DEBIAN_BOOT_FILES, efiArm64: '../../etc/shadow' } }, field: 'bootFiles.efiArm64' },
  'an unknown-MAC policy': { spec: { ...base, unknownMacs: 'allow' as 'ignore' }, field: 'unknownMacs' },
  'a netmask with a hole': { spec: { ...base, mode: { ...dhcp, netmask: '255.0.255.0' } }, field: 'mode.netmask' },
  'a range end before its start': { spec: { ...base, mode: { ...dhcp, rangeStart: '10.20.0.200' } }, field: 'mode.rangeEnd' },
  'a range outside the server subnet': { spec: { ...base, mode: { ...dhcp, rangeStart: '10.21.0.100', rangeEnd: '10.21.0.199' } }, field: 'mode.rangeStart' },
  'a lease shorter than 120 s': { spec: { ...base, mode: { ...dhcp, leaseSeconds: 60 } }, field: 'mode.leaseSeconds' },
  'a router that is not an address': { spec: { ...base, mode: { ...dhcp, router: 'gateway' } }, field: 'mode.router' },
  'a DNS server with an option after it': { spec: { ...base, mode: { ...dhcp, dns: ['192.0.2.53\ndhcp-boot=evil'] } }, field: 'mode.dns[0]' },
  'a proxy subnet that is not a network address': { spec: { ...base, mode: { kind: 'proxy', subnet: '10.20.0.7', netmask: '255.255.255.0' } }, field: 'mode.subnet' },
  'a proxy subnet without the server': { spec: { ...base, mode: { kind: 'proxy', subnet: '10.30.0.0', netmask: '255.255.255.0' } }, field: 'serverAddress' },
  'an unknown mode': { spec: { ...base, mode: { kind: 'relay' } as unknown as DnsmasqSpec['mode'] }, field: 'mode.kind' },
};

for (const [name, { spec, field }] of Object.entries(invalidSpecs)) {
  test(`renderDnsmasqConfig() refuses ${name} with APL_BOOT_DNSMASQ_SPEC_INVALID`, () => {
    try {
      renderDnsmasqConfig(spec);
      assert.unreachable('rendered');
    } catch (err) {
      assert.ok(isAllianceError(err, 'APL_BOOT_DNSMASQ_SPEC_INVALID'), String(err));
      assert.is(err.params.field, field);
      assert.not.match(err.message, '\n');
    }
  });
}

test('renderLeaseHookWrapper() execs alliance with its subcommand and dnsmasq arguments', () => {
  assert.fixture(
    renderLeaseHookWrapper({ executable: '/usr/bin/alliance', args: ['boot', 'lease-hook', '--data-dir=/var/lib/alliance'] }),
    `#!/bin/sh
# dnsmasq dhcp-script: rendered by the Alliance boot service; edits are overwritten.
exec /usr/bin/alliance boot lease-hook --data-dir=/var/lib/alliance "$@"
`,
  );
});

test('renderLeaseHookWrapper() refuses shell words', () => {
  for (const args of [['boot', 'lease-hook; rm -rf /'], ['$(id)'], ['a b']]) {
    assert.throws(() => renderLeaseHookWrapper({ executable: '/usr/bin/alliance', args }), (err: unknown) => isAllianceError(err, 'APL_BOOT_DNSMASQ_SPEC_INVALID'));
  }
  assert.throws(() => renderLeaseHookWrapper({ executable: 'alliance', args: [] }), (err: unknown) => isAllianceError(err, 'APL_BOOT_DNSMASQ_SPEC_INVALID'));
});

test.run();
