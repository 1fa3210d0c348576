import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dataDirLayout } from '../../../appliance/data-dir/index.ts';
import { nodeIdOf } from '../../../appliance/identity/index.ts';
import { loadAgentKeys } from '../../../services/agent/agent-keys.ts';
import { agentPaths } from '../../../services/agent/agent-paths.ts';

const root = mkdtempSync(join(tmpdir(), 'alliance-agent-keys-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('loadAgentKeys() makes both keys on first start (0600) and loads the same ones after', () => {
  const paths = agentPaths(dataDirLayout(join(root, 'a')));
  const first = loadAgentKeys(paths);
  assert.ok(first.created);
  assert.is(statSync(paths.identityKey).mode & 0o777, 0o600);
  assert.is(statSync(paths.tlsKey).mode & 0o777, 0o600);
  assert.is(first.identity.nodeId, nodeIdOf(first.identity.publicKey));
  assert.match(first.tlsPublicPem, /^-----BEGIN PUBLIC KEY-----/);
  assert.match(first.hostKeyPem, /^-----BEGIN PUBLIC KEY-----/);
  const again = loadAgentKeys(paths);
  assert.not.ok(again.created);
  assert.is(again.identity.nodeId, first.identity.nodeId);
  assert.is(again.tlsPublicPem, first.tlsPublicPem);
});

test('agentPaths() keeps the agent in a directory of its own beside an appliance\'s files', () => {
  const paths = agentPaths(dataDirLayout('/var/lib/alliance'));
  assert.equal(paths, {
    dir: '/var/lib/alliance/agent',
    identityKey: '/var/lib/alliance/agent/host.key',
    identityPub: '/var/lib/alliance/agent/host.pub',
    tlsKey: '/var/lib/alliance/agent/tls.key',
    bootstrap: '/var/lib/alliance/agent/bootstrap.json',
  });
});

test('loadAgentKeys() refuses a TLS key that is not P-256, with APL_AGENT_KEY_UNREADABLE naming it', () => {
  const paths = agentPaths(dataDirLayout(join(root, 'b')));
  loadAgentKeys(paths);
  writeFileSync(paths.tlsKey, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }));
  try {
    loadAgentKeys(paths);
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'APL_AGENT_KEY_UNREADABLE');
    assert.match((err as Error).message, paths.tlsKey);
    assert.match((err as Error).message, /expected an ECDSA P-256 key/);
  }
});

test('loadAgentKeys() refuses a garbled host key rather than making a new host', () => {
  const paths = agentPaths(dataDirLayout(join(root, 'c')));
  loadAgentKeys(paths);
  writeFileSync(paths.identityKey, 'garbage');
  try {
    loadAgentKeys(paths);
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'APL_AGENT_KEY_UNREADABLE');
    assert.match((err as Error).message, paths.identityKey);
  }
});

test.run();
