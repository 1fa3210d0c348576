import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type BootDecision } from '../../../services/boot/boot-decision.ts';
import { type IpxeScriptOptions, renderChainScript, renderIpxeScript } from '../../../services/boot/ipxe-script.ts';

const MAC = 'aa:bb:cc:dd:ee:01';
const JOIN = 'abcdefgh.abcdefghijklmnopqrstuvwxyz234567';
const BASE = 'http://10.99.0.1:8080';
const enrolOptions: IpxeScriptOptions = { appliance: BASE, kernel: { controller: '10.99.0.1:8443', joinCode: JOIN, consoles: ['ttyS0'] } };
const imageOptions: IpxeScriptOptions = { appliance: BASE, kernel: { controller: '10.99.0.1:8443', consoles: ['ttyS0'] } };

const scripts: Record<string, [BootDecision, IpxeScriptOptions, string]> = {
  'enrol on x86_64 UEFI': [
    { kind: 'enrol', mac: MAC, firmware: 'x86_64-efi', admit: true },
    enrolOptions,
    `#!ipxe
echo Alliance: enrolling aa:bb:cc:dd:ee:01
kernel http://10.99.0.1:8080/boot/image/x86_64/vmlinuz initrd=initrd.img alliance.controller=10.99.0.1:8443 alliance.join=${JOIN} console=ttyS0 || goto failed
initrd --name initrd.img http://10.99.0.1:8080/boot/image/x86_64/initrd.img || goto failed
boot || goto failed
:failed
echo Alliance: could not load the host image, leaving iPXE
exit 1
`,
  ],
  'host image on arm64 UEFI': [
    { kind: 'host-image', mac: MAC, firmware: 'arm64-efi', admit: false, hostId: 'h1' },
    imageOptions,
    `#!ipxe
echo Alliance: booting host aa:bb:cc:dd:ee:01
kernel http://10.99.0.1:8080/boot/image/arm64/vmlinuz initrd=initrd.img alliance.controller=10.99.0.1:8443 console=ttyS0 || goto failed
initrd --name initrd.img http://10.99.0.1:8080/boot/image/arm64/initrd.img || goto failed
boot || goto failed
:failed
echo Alliance: could not load the host image, leaving iPXE
exit 1
`,
  ],
  'local disk under BIOS': [
    { kind: 'local-disk', mac: MAC, firmware: 'x86_64-bios', hostId: 'h1' },
    { appliance: BASE },
    `#!ipxe
echo Alliance: aa:bb:cc:dd:ee:01 boots from its local disk
sanboot --no-describe --drive 0x80 || exit 1
`,
  ],
  'local disk under UEFI': [
    { kind: 'local-disk', mac: MAC, firmware: 'x86_64-efi' },
    { appliance: BASE },
    `#!ipxe
echo Alliance: aa:bb:cc:dd:ee:01 boots from its local disk
exit
`,
  ],
  'deny of an unknown MAC': [
    { kind: 'deny', reason: 'unknown-mac', mac: MAC, firmware: 'x86_64-bios' },
    { appliance: BASE },
    `#!ipxe
echo Alliance: not booting aa:bb:cc:dd:ee:01: this MAC address belongs to no host and unknown machines are ignored
exit 1
`,
  ],
  'deny of a bad request': [
    { kind: 'deny', reason: 'bad-request' },
    { appliance: BASE },
    `#!ipxe
echo Alliance: not booting this machine: the request did not carry a MAC address and firmware type
exit 1
`,
  ],
  'deny of a rejected host': [
    { kind: 'deny', reason: 'rejected', mac: MAC, firmware: 'arm64-efi' },
    { appliance: 'http://[fd00::1]:8080' },
    `#!ipxe
echo Alliance: not booting aa:bb:cc:dd:ee:01: an operator rejected this machine
exit 1
`,
  ],
};
for (const [name, [decision, options, expected]] of Object.entries(scripts)) {
  test(`renderIpxeScript() renders ${name}`, () => {
    assert.fixture(renderIpxeScript(decision, options), expected);
  });
}

test('renderIpxeScript() never leaves an iPXE expansion or an unknown command in a per-host script', () => {
  const firmwares = ['x86_64-bios', 'x86_64-efi', 'arm64-efi'] as const;
  const reasons = ['bad-request', 'unsupported-firmware', 'unknown-mac', 'retired', 'rejected'] as const;
  const decisions: [BootDecision, IpxeScriptOptions][] = firmwares.flatMap((firmware) => [
    [{ kind: 'enrol', mac: MAC, firmware, admit: true }, enrolOptions] as [BootDecision, IpxeScriptOptions],
    [{ kind: 'host-image', mac: MAC, firmware, admit: false, hostId: 'h' }, imageOptions] as [BootDecision, IpxeScriptOptions],
    [{ kind: 'local-disk', mac: MAC, firmware }, { appliance: BASE }] as [BootDecision, IpxeScriptOptions],
    ...reasons.map((reason) => [{ kind: 'deny', reason, mac: MAC, firmware }, { appliance: BASE }] as [BootDecision, IpxeScriptOptions]),
  ]);
  for (const [decision, options] of decisions) {
    const script = renderIpxeScript(decision, options);
    assert.not.ok(script.includes('$'), script);
    for (const line of script.trimEnd().split('\n').slice(1)) {
      assert.match(line, /^(echo|kernel|initrd|boot|sanboot|exit|:failed)( |$)/);
      assert.not.ok(/(^| )(;|#|&&)/.test(line), line);
    }
  }
});

test('renderChainScript() chains to the per-host script with the iPXE variables', () => {
  assert.fixture(
    renderChainScript({ appliance: BASE }),
    `#!ipxe
chain --autofree http://10.99.0.1:8080/boot/host?mac=\${net0/mac}&arch=\${buildarch}&platform=\${platform}&version=\${version} || exit 1
`,
  );
});

const refused: Record<string, [BootDecision, IpxeScriptOptions, string]> = {
  'a MAC carrying a command': [{ kind: 'local-disk', mac: `${MAC}\nshell`, firmware: 'x86_64-efi' }, { appliance: BASE }, 'MAC'],
  'a MAC carrying an expansion': [{ kind: 'deny', reason: 'retired', mac: '${net0/mac}' }, { appliance: BASE }, 'MAC'],
  'an appliance URL with a path': [{ kind: 'deny', reason: 'retired' }, { appliance: `${BASE}/x` }, 'appliance URL'],
  'an appliance URL with an expansion': [{ kind: 'deny', reason: 'retired' }, { appliance: 'http://${next-server}' }, 'appliance URL'],
  'an appliance URL with a space': [{ kind: 'deny', reason: 'retired' }, { appliance: 'http://a || shell' }, 'appliance URL'],
  'an https appliance URL (iPXE may lack TLS)': [{ kind: 'deny', reason: 'retired' }, { appliance: 'https://a' }, 'appliance URL'],
  'a port beyond 65535': [{ kind: 'deny', reason: 'retired' }, { appliance: 'http://a:65536' }, 'appliance URL'],
  'enrol without a kernel command line': [{ kind: 'enrol', mac: MAC, firmware: 'x86_64-efi', admit: true }, { appliance: BASE }, 'kernel'],
  'an admitting enrol without a join code': [{ kind: 'enrol', mac: MAC, firmware: 'x86_64-efi', admit: true }, imageOptions, 'alliance.join'],
  'an enrol to wait for approval with a join code': [{ kind: 'enrol', mac: MAC, firmware: 'x86_64-efi', admit: false }, enrolOptions, 'alliance.join'],
  'a host image with a join code it did not admit': [{ kind: 'host-image', mac: MAC, firmware: 'x86_64-efi', admit: false, hostId: 'h' }, enrolOptions, 'alliance.join'],
  'a controller carrying a command': [
    { kind: 'enrol', mac: MAC, firmware: 'x86_64-efi', admit: true },
    { appliance: BASE, kernel: { controller: 'a:1 || shell', joinCode: JOIN } },
    'alliance.controller',
  ],
};
for (const [name, [decision, options, what]] of Object.entries(refused)) {
  test(`renderIpxeScript() refuses ${name}`, () => {
    try {
      renderIpxeScript(decision, options);
      assert.unreachable('rendered');
    } catch (e) {
      assert.is((e as { code?: string }).code, 'APL_BOOT_PARAM_INVALID');
      assert.ok((e as Error).message.startsWith(`Cannot place ${what} `), (e as Error).message);
    }
  });
}

test('renderChainScript() refuses an appliance URL carrying a command', () => {
  assert.throws(() => renderChainScript({ appliance: 'http://a;shell' }), /Cannot place appliance URL/);
});

test.run();
