import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  credentialsPath,
  isLocalUrl,
  normaliseApiUrl,
  normaliseFingerprint,
  readCredentials,
  removeCredentials,
  sessionState,
  writeCredentials,
  type Credentials,
} from '../../../appliance/cli/credentials.ts';
import { isAllianceError } from '../../../appliance/errors/index.ts';

const SAMPLE: Credentials = {
  version: 1,
  url: 'https://localhost:8443',
  fingerprint: null,
  caFile: '/var/lib/alliance/tls/https.crt',
  user: 'root',
  scope: '*',
  project: null,
  accessToken: 'alc_a',
  refreshToken: 'alc_r',
  expiresAt: '2026-03-01T12:15:00.000Z',
  refreshExpiresAt: '2026-03-02T00:00:00.000Z',
};

let dir: string;
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'alliance-creds-'));
});
test.after.each(() => rmSync(dir, { recursive: true, force: true }));

test('credentialsPath() prefers $ALLIANCE_CREDENTIALS, then $XDG_CONFIG_HOME, then ~/.config', () => {
  assert.is(credentialsPath({ ALLIANCE_CREDENTIALS: '/tmp/c.json', HOME: '/home/a' }), '/tmp/c.json');
  assert.is(credentialsPath({ XDG_CONFIG_HOME: '/cfg', HOME: '/home/a' }), '/cfg/alliance/credentials.json');
  assert.is(credentialsPath({ HOME: '/home/a' }), '/home/a/.config/alliance/credentials.json');
});

test('writeCredentials() writes a file only its owner can read, and readCredentials() reads it back', () => {
  const path = join(dir, 'sub', 'credentials.json');
  writeCredentials(path, SAMPLE);
  assert.is(statSync(path).mode & 0o777, 0o600);
  assert.equal(readCredentials(path), SAMPLE);
  assert.ok(removeCredentials(path));
  assert.is(readCredentials(path), undefined);
  assert.not.ok(removeCredentials(path));
});

test('readCredentials() refuses a file that is not ours, naming what is wrong', () => {
  const path = join(dir, 'credentials.json');
  for (const [text, reason] of [
    ['not json', /not JSON/],
    [JSON.stringify({ ...SAMPLE, version: 2 }), /version/],
    [JSON.stringify({ ...SAMPLE, accessToken: undefined }), /accessToken/],
  ] as const) {
    writeFileSync(path, text);
    try {
      readCredentials(path);
      assert.unreachable();
    } catch (err) {
      assert.ok(isAllianceError(err, 'APL_CLIENT_CREDENTIALS_UNREADABLE'));
      assert.match(err.message, reason);
    }
  }
});

const STATES: Record<string, [string, ReturnType<typeof sessionState>]> = {
  'well before expiry': ['2026-03-01T12:00:00.000Z', 'fresh'],
  'within 30 s of the access expiry': ['2026-03-01T12:14:31.000Z', 'refresh'],
  'after the access expiry': ['2026-03-01T13:00:00.000Z', 'refresh'],
  'at the refresh expiry': ['2026-03-02T00:00:00.000Z', 'ended'],
};
for (const [name, [now, expected]] of Object.entries(STATES)) {
  test(`sessionState() is ${expected} ${name}`, () => {
    assert.is(sessionState(SAMPLE, new Date(now)), expected);
  });
}

test('normaliseApiUrl() keeps scheme, host and port, adding https:// when missing', () => {
  assert.is(normaliseApiUrl('cloud.example:8443'), 'https://cloud.example:8443');
  assert.is(normaliseApiUrl('https://cloud.example:8443/api/v1/'), 'https://cloud.example:8443');
  assert.is(normaliseApiUrl('https://cloud.example:443'), 'https://cloud.example');
  assert.throws(() => normaliseApiUrl('http://cloud.example'), /only https/);
});

test('isLocalUrl() knows this machine by name and loopback address only', () => {
  assert.ok(isLocalUrl('https://localhost:8443'));
  assert.ok(isLocalUrl('https://127.0.0.1:8443'));
  assert.ok(isLocalUrl('https://[::1]:8443'));
  assert.not.ok(isLocalUrl('https://localhost.example.com'));
  assert.not.ok(isLocalUrl('https://10.0.0.1'));
});

test('normaliseFingerprint() accepts the forms operators paste and refuses others', () => {
  const hex = 'ab'.repeat(32);
  const canonical = Array(32).fill('AB').join(':');
  assert.is(normaliseFingerprint(canonical), canonical);
  assert.is(normaliseFingerprint(hex), canonical);
  assert.is(normaliseFingerprint(`SHA-256 ${canonical.toLowerCase()}`), canonical);
  assert.is(normaliseFingerprint('AB:CD'), undefined);
  assert.is(normaliseFingerprint('zz'.repeat(32)), undefined);
});

test.run();
