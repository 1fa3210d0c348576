import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatDuration, formatOffline, formatStatus } from '../../../appliance/cli/index.ts';
import { base32 } from '../../../appliance/identity/index.ts';
import type { ApplianceStatus } from '../../../appliance/serve/index.ts';

const durations: Record<string, { seconds: number; expected: string }> = {
  'shows zero as minutes and seconds': { seconds: 0, expected: '0m0s' },
  'shows under a minute in seconds': { seconds: 59, expected: '0m59s' },
  'shows minutes and seconds under an hour': { seconds: 3_599, expected: '59m59s' },
  'shows hours and minutes from one hour': { seconds: 3_600, expected: '1h0m' },
  'drops the seconds once past an hour': { seconds: 3_661, expected: '1h1m' },
  'shows hours and minutes under a day': { seconds: 86_399, expected: '23h59m' },
  'shows days and hours from one day': { seconds: 86_400, expected: '1d0h' },
  'shows days and hours past a day': { seconds: 90_061, expected: '1d1h' },
  'shows many days': { seconds: 400 * 86_400 + 5 * 3_600, expected: '400d5h' },
  'rounds fractions down': { seconds: 59.9, expected: '0m59s' },
  'shows a negative duration as zero': { seconds: -5, expected: '0m0s' },
};

for (const [behaviour, { seconds, expected }] of Object.entries(durations)) {
  test(`formatDuration() ${behaviour}`, () => {
    assert.is(formatDuration(seconds), expected);
  });
}

const nodeId = base32(createHash('sha256').update('a node').digest());
const fingerprint = createHash('sha256').update('a cert').digest('hex').toUpperCase().match(/../g)!.join(':');

function status(services: ApplianceStatus['services']): ApplianceStatus {
  return {
    name: 'gw-01',
    nodeId,
    health: 'degraded',
    // As scripts/build.ts makes it: a 12-character commit and an ISO build time.
    build: { version: '0.1.0', commit: '006df8f1a2b3', builtAt: '2026-11-22T10:38:00.000Z', node: 'v24.21.0' },
    pid: 4242,
    startedAt: '2026-11-22T10:40:00.000Z',
    uptimeSeconds: 3_725,
    dataDir: '/var/lib/alliance',
    configFile: '/var/lib/alliance/alliance.toml',
    https: { listen: '0.0.0.0', port: 8443, urls: ['https://192.168.10.20:8443/', 'https://[2001:db8::20]:8443/'], fingerprint, notAfter: '2029-02-24T10:38:00.000Z' },
    bus: { socket: 'ipc:///var/lib/alliance/run/bus.sock', events: 'ipc:///var/lib/alliance/run/events.sock', listen: null, fingerprint },
    store: { path: '/var/lib/alliance/store/alliance.db', schemaVersion: 1, events: 1_234 },
    services,
  };
}

const since = '2026-11-22T10:40:01.000Z';
const services: ApplianceStatus['services'] = [
  { name: 'control', state: 'running', since, restarts: 0 },
  { name: 'https', state: 'restarting', reason: 'listen EADDRINUSE: address already in use 0.0.0.0:8443', since, restarts: 2 },
  { name: 'tun', state: 'off', reason: 'needs root for /dev/net/tun', since, restarts: 0 },
  { name: 'vpn', state: 'blocked', reason: 'waits for tun (off), https (restarting)', since, restarts: 0 },
];

test('formatStatus() shows the name, health, node id and certificate fingerprint', () => {
  const text = formatStatus(status(services));
  const lines = text.split('\n');
  assert.is(lines[0], 'alliance gw-01: running, health degraded');
  assert.ok(lines.includes(`  node      ${nodeId}`), text);
  assert.ok(lines.includes(`  cert      SHA-256 ${fingerprint}`), text);
  assert.ok(lines.includes('            expires 2029-02-24T10:38:00.000Z'), text);
  assert.ok(lines.includes('  process   pid 4242, up 1h2m'), text);
  assert.ok(lines.includes('  data      /var/lib/alliance, config /var/lib/alliance/alliance.toml'), text);
  assert.ok(lines.includes('  https     https://192.168.10.20:8443/  https://[2001:db8::20]:8443/'), text);
  assert.ok(lines.includes('  store     /var/lib/alliance/store/alliance.db (schema v1, 1234 events)'), text);
  assert.ok(text.endsWith('\n'));
});

test('formatStatus() lists every service with its state and reason, in aligned columns', () => {
  const lines = formatStatus(status(services)).split('\n');
  const at = lines.indexOf('  services');
  assert.ok(at > 0, 'no services heading');
  // trimEnd: a service without a reason keeps the state column's padding (trailing spaces).
  assert.equal(lines.slice(at + 1, -1).map((l) => l.trimEnd()), [
    '    control  running',
    '    https    restarting  listen EADDRINUSE: address already in use 0.0.0.0:8443',
    '    tun      off         needs root for /dev/net/tun',
    '    vpn      blocked     waits for tun (off), https (restarting)',
  ]);
});

test('formatStatus() widens the name column for a long service name', () => {
  const lines = formatStatus(status([...services, { name: 'wireguard-peers', state: 'running', since, restarts: 0 }]))
    .split('\n')
    .map((l) => l.trimEnd());
  assert.ok(lines.includes('    control          running'));
  assert.ok(lines.includes('    wireguard-peers  running'));
});

test('formatStatus() leaves out the config file when there is none', () => {
  const text = formatStatus({ ...status(services), configFile: null });
  assert.ok(text.split('\n').includes('  data      /var/lib/alliance'), text);
  assert.not.match(text, /config/);
});

test('formatStatus() keeps lines within 80 characters, except the certificate lines', () => {
  const lines = formatStatus(status(services)).split('\n');
  // A SHA-256 fingerprint is 95 characters on its own, so the cert lines cannot
  // fit. Not covered: a 'failed' service, whose supervisor reason ("<error>
  // (gave up after N failures; see the log, fix it, restart alliance)") does not fit either.
  const certs = lines.filter((l) => / cert +SHA-256 /.test(l));
  assert.equal(certs.map((l) => l.length), [115, 115]);
  assert.ok(lines.includes('  version   0.1.0 (006df8f1a2b3, built 2026-11-22T10:38, node v24.21.0)'));
  assert.ok(lines.includes('  bus       ipc:///var/lib/alliance/run/bus.sock (local only)'));
  for (const line of lines.filter((l) => !certs.includes(l))) {
    assert.ok(line.length <= 80, `${line.length} characters: "${line}"`);
    assert.is(line, line.trimEnd(), 'no trailing spaces');
  }
});

test('formatOffline() says why and who the data directory is', () => {
  const text = formatOffline({ dataDir: '/var/lib/alliance', nodeId, fingerprint, reason: 'no answer on /var/lib/alliance/run/control.sock' });
  assert.is(
    text,
    [
      'alliance is not running: no answer on /var/lib/alliance/run/control.sock',
      '  data      /var/lib/alliance',
      `  node      ${nodeId}`,
      `  cert      SHA-256 ${fingerprint}`,
      '',
    ].join('\n'),
  );
});

test('formatOffline() leaves out the node and cert it could not read', () => {
  const text = formatOffline({ dataDir: '/var/lib/alliance', nodeId: undefined, fingerprint: undefined, reason: 'not running' });
  assert.is(text, 'alliance is not running: not running\n  data      /var/lib/alliance\n');
});

test.run();
