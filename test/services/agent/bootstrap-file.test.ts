import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readBootstrap, writeBootstrap, type Bootstrap } from '../../../services/agent/bootstrap-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'alliance-bootstrap-'));
const bootstrap: Bootstrap = {
  version: 1,
  hostId: 'h'.repeat(52),
  controller: '10.0.0.5:8443',
  controllerFingerprint: Array(32).fill('AA').join(':'),
  busPort: 8444,
  busServerName: 'controller.test',
  clusterCa: '-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n',
  certificate: '-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n',
  credential: 'c'.repeat(32),
  admittedAt: '2026-11-22T10:00:00.000Z',
};

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('writeBootstrap() then readBootstrap() gives the same bootstrap, in a file only its owner reads', () => {
  const path = join(dir, 'agent', 'bootstrap.json');
  writeBootstrap(path, bootstrap);
  assert.equal(readBootstrap(path), bootstrap);
  assert.is(statSync(path).mode & 0o777, 0o600);
  writeBootstrap(path, { ...bootstrap, credential: null });
  assert.is(readBootstrap(path)?.credential, null);
});

test('readBootstrap() of a missing file is undefined: a host not enrolled yet', () => {
  assert.is(readBootstrap(join(dir, 'nope.json')), undefined);
});

const broken: Record<string, string> = {
  'not JSON': '{"version": 1,',
  'another version': JSON.stringify({ ...bootstrap, version: 2 }),
  'a field missing': JSON.stringify({ ...bootstrap, clusterCa: undefined }),
  'a bus port out of range': JSON.stringify({ ...bootstrap, busPort: 70000 }),
  'an unknown field': JSON.stringify({ ...bootstrap, extra: true }),
};
for (const [name, text] of Object.entries(broken)) {
  test(`readBootstrap() of ${name} is APL_AGENT_BOOTSTRAP_UNREADABLE, naming the file`, () => {
    const path = join(dir, `${name.replace(/\W/g, '-')}.json`);
    writeFileSync(path, text);
    try {
      readBootstrap(path);
      assert.unreachable('should have thrown');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'APL_AGENT_BOOTSTRAP_UNREADABLE');
      assert.match((err as Error).message, path);
      assert.not.match((err as Error).message, bootstrap.credential!);
    }
  });
}

test.run();
