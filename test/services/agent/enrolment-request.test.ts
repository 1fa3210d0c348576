import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EnrolmentRequest, enrolmentPayload, joinHmac, joinSecretKey } from '../../../appliance/contracts/index.ts';
import { dataDirLayout } from '../../../appliance/data-dir/index.ts';
import { nodeIdOf, verifySignature } from '../../../appliance/identity/index.ts';
import { loadAgentKeys } from '../../../services/agent/agent-keys.ts';
import { agentPaths } from '../../../services/agent/agent-paths.ts';
import { buildEnrolmentRequest, hostLabel } from '../../../services/agent/enrolment-request.ts';
import { toInventory, type RawInventory } from '../../../services/agent/to-inventory.ts';

if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => !Number.isNaN(Date.parse(v)) && /^\d{4}-\d{2}-\d{2}T/.test(v));

const root = mkdtempSync(join(tmpdir(), 'alliance-enrolment-request-'));
const keys = loadAgentKeys(agentPaths(dataDirLayout(root)));
const inventory = toInventory(JSON.parse(readFileSync(join(import.meta.dirname, 'testdata', 'raw-inventory-firecracker-vm.json'), 'utf8')) as RawInventory);
const base = { name: 'compute-7', now: new Date('2026-11-22T10:00:00Z'), nonce: 'n0nce-n0nce-n0nce-1', addresses: ['10.0.0.7', 'fe80::7%eth0'], agentVersion: '0.1.0', inventory };
test.after(() => rmSync(root, { recursive: true, force: true }));

test('buildEnrolmentRequest() is a valid EnrolmentRequest the host key signs, with the keys as SPKI PEM', () => {
  const request = buildEnrolmentRequest(keys, base);
  assert.ok(Value.Check(EnrolmentRequest, request), JSON.stringify([...Value.Errors(EnrolmentRequest, request)].map((e) => `${e.path} ${e.message}`)));
  const hostKey = createPublicKey(request.hostKey);
  assert.is(nodeIdOf(hostKey), keys.identity.nodeId);
  assert.ok(verifySignature(hostKey, enrolmentPayload(request), Buffer.from(request.signature, 'base64')));
  assert.is(request.timestamp, '2026-11-22T10:00:00.000Z');
  assert.is(request.joinTokenId, undefined);
  assert.is(request.joinProof, undefined);
  assert.is(createPublicKey(request.tlsKey).asymmetricKeyDetails?.namedCurve, 'prime256v1');
});

test('buildEnrolmentRequest() signs what travels: the signature still holds after a JSON round trip', () => {
  const sent = JSON.parse(JSON.stringify(buildEnrolmentRequest(keys, base))) as EnrolmentRequest;
  assert.ok(verifySignature(createPublicKey(sent.hostKey), enrolmentPayload(sent), Buffer.from(sent.signature, 'base64')));
});

test('buildEnrolmentRequest() with a join code names the token and proves the secret without sending it', () => {
  const joinCode = { id: 'abcdefgh', secret: 'abcdefghijklmnopqrstuvwxyz234567' };
  const request = buildEnrolmentRequest(keys, { ...base, joinCode });
  assert.is(request.joinTokenId, 'abcdefgh');
  assert.is(request.joinProof, joinHmac(joinSecretKey(joinCode.secret), enrolmentPayload(request)));
  assert.not.match(JSON.stringify(request), joinCode.secret);
  assert.ok(Value.Check(EnrolmentRequest, request));
});

test('buildEnrolmentRequest(): a changed field breaks the signature (the nonce, the inventory)', () => {
  const request = buildEnrolmentRequest(keys, base);
  const check = (r: EnrolmentRequest) => verifySignature(createPublicKey(r.hostKey), enrolmentPayload(r), Buffer.from(r.signature, 'base64'));
  assert.not.ok(check({ ...request, nonce: 'another-nonce-value' }));
  assert.not.ok(check({ ...request, inventory: { ...inventory, memory: { totalBytes: 1 } } }));
});

const labels: Record<string, string> = {
  'compute-7.lab.example': 'compute-7',
  'Node_12': 'Node-12',
  '-weird-': 'weird',
  '': 'host',
  '...': 'host',
  [`${'a'.repeat(70)}.x`]: 'a'.repeat(63),
};
for (const [hostname, label] of Object.entries(labels)) test(`hostLabel(${JSON.stringify(hostname)}) is ${JSON.stringify(label)}`, () => assert.is(hostLabel(hostname), label));

test.run();
