import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HOST_STATES, type HostState } from '../../../appliance/contracts/index.ts';
import { normaliseMac } from '../../../services/boot/_dhcp-values.ts';
import { type BootDecision, type BootOverride, type BootRequest, decideBoot, firmwareOf } from '../../../services/boot/boot-decision.ts';

const MAC = 'aa:bb:cc:dd:ee:01';
const REQ: BootRequest = { mac: 'AA:BB:CC:DD:EE:01', arch: 'x86_64', platform: 'efi', version: '1.21.1+ (g4bd064de)' };
const FW = 'x86_64-efi' as const;
const ID = 'h1';

// The answers for the known host ID with MAC on FW; under admit, image boots carry a join code.
const enrolOf = (admit: boolean): BootDecision => ({ kind: 'enrol', mac: MAC, firmware: FW, admit, hostId: ID });
const imageOf = (admit: boolean): BootDecision => ({ kind: 'host-image', mac: MAC, firmware: FW, admit, hostId: ID });
const enrol = enrolOf(false);
const image = imageOf(false);
const disk: BootDecision = { kind: 'local-disk', mac: MAC, firmware: FW, hostId: ID };
const deny = (reason: 'retired' | 'rejected'): BootDecision => ({ kind: 'deny', reason, mac: MAC, firmware: FW });

// Every state × override; the policy for unknown MACs changes a known host's answer only by the join code.
const expected: Record<HostState, Record<'none' | BootOverride, BootDecision>> = {
  pending: { 'none': enrol, 'local-disk': disk },
  active: { 'none': image, 'local-disk': disk },
  suspect: { 'none': image, 'local-disk': disk },
  offline: { 'none': image, 'local-disk': disk },
  retired: { 'none': deny('retired'), 'local-disk': disk },
  rejected: { 'none': deny('rejected'), 'local-disk': disk },
};

test('decideBoot() table covers every host state', () => {
  assert.equal(Object.keys(expected).sort(), [...HOST_STATES].sort());
});

for (const state of HOST_STATES) {
  for (const override of ['none', 'local-disk'] as const) {
    for (const policy of ['discover', 'admit', 'ignore'] as const) {
      test(`decideBoot() answers a ${state} host with override ${override} under policy ${policy}`, () => {
        const host = { id: ID, state, ...(override === 'none' ? {} : { bootOverride: override }) };
        const want = expected[state][override];
        const admitted = policy === 'admit' && (want.kind === 'enrol' || want.kind === 'host-image') ? { ...want, admit: true } : want;
        assert.equal(decideBoot(REQ, { host, unknownMacPolicy: policy }), admitted);
      });
    }
  }
}

const unknown: Record<string, [BootRequest, 'discover' | 'admit' | 'ignore', BootDecision]> = {
  'an unknown MAC under discover enrols to wait for approval': [REQ, 'discover', { kind: 'enrol', mac: MAC, firmware: FW, admit: false }],
  'an unknown MAC under admit enrols with a join code': [REQ, 'admit', { kind: 'enrol', mac: MAC, firmware: FW, admit: true }],
  'an unknown MAC under ignore is denied': [REQ, 'ignore', { kind: 'deny', reason: 'unknown-mac', mac: MAC, firmware: FW }],
  'a hyphenated MAC is normalised': [{ ...REQ, mac: 'aa-bb-cc-dd-ee-01' }, 'discover', { kind: 'enrol', mac: MAC, firmware: FW, admit: false }],
  'a missing MAC is a bad request': [{ ...REQ, mac: undefined }, 'discover', { kind: 'deny', reason: 'bad-request' }],
  'an unexpanded ${net0/mac} is a bad request': [{ ...REQ, mac: '${net0/mac}' }, 'discover', { kind: 'deny', reason: 'bad-request' }],
  'a MAC with a command appended is a bad request': [{ ...REQ, mac: `${MAC} || shell` }, 'discover', { kind: 'deny', reason: 'bad-request' }],
  'a MAC with mixed separators is a bad request': [{ ...REQ, mac: 'aa:bb-cc:dd:ee:01' }, 'discover', { kind: 'deny', reason: 'bad-request' }],
  'x86_64 BIOS': [{ ...REQ, platform: 'pcbios' }, 'discover', { kind: 'enrol', mac: MAC, firmware: 'x86_64-bios', admit: false }],
  'i386 iPXE under BIOS boots the x86_64 image': [{ ...REQ, arch: 'i386', platform: 'pcbios' }, 'discover', { kind: 'enrol', mac: MAC, firmware: 'x86_64-bios', admit: false }],
  'arm64 UEFI': [{ ...REQ, arch: 'arm64' }, 'discover', { kind: 'enrol', mac: MAC, firmware: 'arm64-efi', admit: false }],
  'arm64 without UEFI is unsupported': [{ ...REQ, arch: 'arm64', platform: 'pcbios' }, 'discover', { kind: 'deny', reason: 'unsupported-firmware', mac: MAC }],
  'riscv64 is unsupported': [{ ...REQ, arch: 'riscv64' }, 'discover', { kind: 'deny', reason: 'unsupported-firmware', mac: MAC }],
  'a missing platform is unsupported': [{ ...REQ, platform: undefined }, 'ignore', { kind: 'deny', reason: 'unsupported-firmware', mac: MAC }],
};
for (const [name, [request, policy, decision]] of Object.entries(unknown)) {
  test(`decideBoot() answers ${name}`, () => {
    assert.equal(decideBoot(request, { unknownMacPolicy: policy }), decision);
  });
}

test('normaliseMac() reads colon and hyphen forms and refuses others', () => {
  assert.equal(
    ['AA:BB:CC:DD:EE:FF', ' aa-bb-cc-dd-ee-ff ', 'aabbccddeeff', 'aa:bb:cc:dd:ee', 'gg:bb:cc:dd:ee:ff', ''].map(normaliseMac),
    ['aa:bb:cc:dd:ee:ff', 'aa:bb:cc:dd:ee:ff', undefined, undefined, undefined, undefined],
  );
});

test('firmwareOf() knows x86_64 BIOS and UEFI and arm64 UEFI only', () => {
  assert.equal(
    [['x86_64', 'pcbios'], ['x86_64', 'efi'], ['arm64', 'efi'], ['i386', 'efi'], ['arm32', 'efi'], ['', '']].map(([a, p]) => firmwareOf(a!, p!)),
    ['x86_64-bios', 'x86_64-efi', 'arm64-efi', undefined, undefined, undefined],
  );
});

test.run();
