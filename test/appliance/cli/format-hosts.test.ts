import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatAgo, formatBytes, formatHost, formatHostList, formatJoinTokenCreated, formatJoinTokenList, formatUntil, hostStateText, type JoinTokenView } from '../../../appliance/cli/index.ts';
import type { Host } from '../../../appliance/contracts/index.ts';

const now = new Date('2026-03-01T12:00:00.000Z');
const GiB = 2 ** 30;
const ID_A = 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst';
const ID_B = 'zyxwvutsrqponmlkjihgfedcba765432zyxwvutsrqponmlkjihg';

const host = (overrides: Partial<Host>): Host => ({
  id: ID_A,
  name: 'node-a',
  state: 'active',
  addresses: ['192.0.2.10', '2001:db8::10'],
  labels: { rack: 'r4' },
  traits: ['cpu:virtualization', 'gpu'],
  inventory: {
    system: { vendor: 'Supermicro', model: 'SYS-1029U', serial: 'S1234', uuid: 'u' },
    cpu: { model: 'Xeon Gold 6230', vendor: 'GenuineIntel', sockets: 2, cores: 40, threads: 80, flags: [], virtualization: true },
    memory: { totalBytes: 384 * GiB },
    disks: [
      { name: 'nvme0n1', model: 'PM983', serial: 'D1', sizeBytes: 960 * 10 ** 9, rotational: false, type: 'NVMe' },
      { name: 'sda', model: 'HUS726', serial: 'D2', sizeBytes: 4 * 2 ** 40, rotational: true, type: 'HD' },
    ],
    nics: [
      { name: 'eno1', mac: '3c:ec:ef:00:00:01', speedMbps: 10_000, link: true, virtual: false, addresses: ['192.0.2.10'] },
      { name: 'br0', mac: '3c:ec:ef:00:00:02', speedMbps: null, link: true, virtual: true, addresses: [] },
    ],
    pci: [{ kind: 'gpu', vendor: 'NVIDIA Corporation', model: 'A100', bus: '0000:65:00.0' }],
    os: { hostname: 'node-a', kernel: '6.12.0', distro: 'Alliance host', arch: 'x64' },
  },
  health: { status: 'degraded', problems: ['disk sda: SMART warning'], load1: 1.5, memoryUsedBytes: 12 * GiB, uptimeSeconds: 90_061 },
  agentVersion: '0.1.0',
  certificateNotAfter: '2027-03-01T12:00:00.000Z',
  createdAt: '2026-02-01T12:00:00.000Z',
  updatedAt: '2026-02-01T12:00:00.000Z',
  enrolledAt: '2026-02-01T12:00:05.000Z',
  approvedBy: null,
  lastHeartbeatAt: '2026-03-01T11:59:57.000Z',
  ...overrides,
});

const bytes: Record<string, { value: number; expected: string }> = {
  'shows bytes below a KiB as they are': { value: 512, expected: '512 B' },
  'shows one decimal below ten units': { value: 1536, expected: '1.5 KiB' },
  'drops a decimal of zero': { value: 8 * GiB, expected: '8 GiB' },
  'rounds from ten units up': { value: 384 * GiB + 300 * 2 ** 20, expected: '384 GiB' },
  'goes up to TiB': { value: 4 * 2 ** 40, expected: '4 TiB' },
  'shows zero': { value: 0, expected: '0 B' },
};
for (const [behaviour, { value, expected }] of Object.entries(bytes)) {
  test(`formatBytes() ${behaviour}`, () => assert.is(formatBytes(value), expected));
}

const agos: Record<string, { at: string | null; expected: string }> = {
  'says never for a host never heard from': { at: null, expected: 'never' },
  'shows seconds': { at: '2026-03-01T11:59:57.000Z', expected: '3s ago' },
  'shows minutes': { at: '2026-03-01T11:57:00.000Z', expected: '3m ago' },
  'shows hours': { at: '2026-03-01T09:00:00.000Z', expected: '3h ago' },
  'shows days': { at: '2026-02-26T12:00:00.000Z', expected: '3d ago' },
  'says just now for a time ahead of this clock': { at: '2026-03-01T12:00:05.000Z', expected: 'just now' },
  'says unknown for a time that does not parse': { at: 'garbage', expected: 'unknown' },
};
for (const [behaviour, { at, expected }] of Object.entries(agos)) {
  test(`formatAgo() ${behaviour}`, () => assert.is(formatAgo(at, now), expected));
}

test('formatUntil() says how long is left, and expired once past', () => {
  assert.is(formatUntil('2026-03-02T11:00:00.000Z', now), 'in 23h');
  assert.is(formatUntil(now.toISOString(), now), 'expired');
});

const states: Record<string, { host: Partial<Host>; expected: string }> = {
  'shows an active host as active': { host: { state: 'active' }, expected: 'active' },
  'tells how to approve a pending host': { host: { state: 'pending' }, expected: 'pending - approve with `alliance hosts approve abcdefghijkl`' },
  'says an approved pending host enrols next': { host: { state: 'pending', approvedBy: 'root' }, expected: 'pending - approved, enrols on its next request' },
  'shows an offline host as offline': { host: { state: 'offline' }, expected: 'offline' },
};
for (const [behaviour, { host: overrides, expected }] of Object.entries(states)) {
  test(`hostStateText() ${behaviour}`, () => assert.is(hostStateText(host(overrides)), expected));
}

test('formatHostList() aligns ID, NAME, STATE, ADDRESS, CPU, MEMORY, TRAITS, LAST SEEN; a pending host says how to approve it', () => {
  const text = formatHostList(
    [host({}), host({ id: ID_B, name: 'node-b', state: 'pending', addresses: [], traits: [], inventory: null, lastHeartbeatAt: null })],
    now,
  );
  assert.is(
    text,
    [
      'ID            NAME    STATE                                                         ADDRESS     CPU  MEMORY   TRAITS                  LAST SEEN',
      'abcdefghijkl  node-a  active                                                        192.0.2.10  40   384 GiB  cpu:virtualization,gpu  3s ago',
      'zyxwvutsrqpo  node-b  pending - approve with `alliance hosts approve zyxwvutsrqpo`  -           -    -        -                       never',
      '',
    ].join('\n'),
  );
});

test('formatHostList() says so when there are no hosts', () => {
  assert.is(formatHostList([], now), 'no hosts\n');
});

test('formatHost() shows the record, the health and the inventory readably', () => {
  assert.is(
    formatHost(host({}), now),
    [
      'host         abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst',
      'name         node-a',
      'state        active',
      'addresses    192.0.2.10, 2001:db8::10',
      'labels       rack=r4',
      'traits       cpu:virtualization, gpu',
      'agent        0.1.0',
      'created      2026-02-01T12:00:00.000Z',
      'enrolled     2026-02-01T12:00:05.000Z',
      'last seen    3s ago (2026-03-01T11:59:57.000Z)',
      'certificate  valid until 2027-03-01T12:00:00.000Z',
      'health       degraded, load 1.50, 12 GiB memory used, up 1d',
      'problem      disk sda: SMART warning',
      '',
      'system  Supermicro SYS-1029U (serial S1234)',
      'cpu     Xeon Gold 6230: 2 socket(s), 40 cores, 80 threads, virtualization yes',
      'memory  384 GiB',
      'os      Alliance host, kernel 6.12.0, x64, hostname node-a',
      '',
      'Disks',
      'NAME     MODEL   SIZE     KIND',
      'nvme0n1  PM983   894 GiB  ssd',
      'sda      HUS726  4 TiB    hdd',
      '',
      'Network',
      'NAME           MAC                SPEED      LINK  ADDRESSES',
      'eno1           3c:ec:ef:00:00:01  10 Gbit/s  up    192.0.2.10',
      'br0 (virtual)  3c:ec:ef:00:00:02  -          up',
      '',
      'Devices',
      'KIND  VENDOR              MODEL  BUS',
      'gpu   NVIDIA Corporation  A100   0000:65:00.0',
      '',
    ].join('\n'),
  );
});

test('formatHost() of a pending host without an inventory says what is missing', () => {
  const text = formatHost(host({ state: 'pending', approvedBy: 'root', inventory: null, health: null, enrolledAt: null, certificateNotAfter: null, lastHeartbeatAt: null }), now);
  assert.match(text, /^state {8}pending - approved, enrols on its next request$/m);
  assert.match(text, /^approved by {2}root$/m);
  assert.match(text, /^enrolled {5}not yet$/m);
  assert.match(text, /^last seen {4}never$/m);
  assert.match(text, /^certificate {2}none$/m);
  assert.ok(text.endsWith('\nno inventory reported yet\n'));
});

const token = (overrides: Partial<JoinTokenView>): JoinTokenView => ({
  id: 'k7q2m5x4c3v6b2n7',
  description: 'rack 4',
  maxUses: 3,
  uses: 1,
  state: 'usable',
  createdBy: 'root',
  createdAt: '2026-03-01T11:00:00.000Z',
  expiresAt: '2026-03-02T11:00:00.000Z',
  revokedAt: null,
  ...overrides,
});

test('formatJoinTokenList() aligns ID, STATE, USES, EXPIRES, CREATED BY, DESCRIPTION', () => {
  assert.is(
    formatJoinTokenList([token({}), token({ id: 'aaaaaaaaaaaaaaaa', state: 'revoked', uses: 0, maxUses: 1, expiresAt: '2026-03-01T00:00:00.000Z', description: '' })], now),
    [
      'ID                STATE    USES  EXPIRES  CREATED BY  DESCRIPTION',
      'k7q2m5x4c3v6b2n7  usable   1/3   in 23h   root        rack 4',
      'aaaaaaaaaaaaaaaa  revoked  0/1   expired  root',
      '',
    ].join('\n'),
  );
  assert.is(formatJoinTokenList([], now), 'no join tokens\n');
});

test('formatJoinTokenCreated() shows the code once with where it goes', () => {
  const code = `k7q2m5x4c3v6b2n7.${'a'.repeat(32)}`;
  assert.is(
    formatJoinTokenCreated({ joinToken: token({ uses: 0 }), code }, now),
    [
      'join code (shown only now; anyone holding it can enrol a host):',
      '',
      `  ${code}`,
      '',
      'token k7q2m5x4c3v6b2n7: 3 use(s), expires in 23h (2026-03-02T11:00:00.000Z)',
      `give it to hosts as alliance.join=${code} on the kernel command line, or in agent.join_code_file`,
      '',
    ].join('\n'),
  );
});

test.run();
