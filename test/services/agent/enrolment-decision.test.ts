import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { controllerProofPayload, joinHmac, joinSecretKey } from '../../../appliance/contracts/index.ts';
import { ensureClusterCa, issueCertificate } from '../../../appliance/identity/index.ts';
import { controllerProofOf, decideEnrolment, type EnrolmentOutcome } from '../../../services/agent/enrolment-decision.ts';

const dir = mkdtempSync(join(tmpdir(), 'alliance-enrolment-decision-'));
const now = new Date();
const ca = await ensureClusterCa({ cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') }, now);
const otherCa = await ensureClusterCa({ cert: join(dir, 'other.crt'), key: join(dir, 'other.key') }, now);
const p256 = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
const ourKey = p256();
const issue = (key: string, by = ca) => issueCertificate(by, { publicKeyPem: key, commonName: 'host', usages: ['clientAuth', 'serverAuth'], days: 1, now });
const certificate = await issue(ourKey);
const HOST = 'h'.repeat(52);
const joinCode = { id: 'abcdefgh', secret: 'abcdefghijklmnopqrstuvwxyz234567' };
const goodProof = joinHmac(joinSecretKey(joinCode.secret), controllerProofPayload(HOST, ca.fingerprint));
const admitted = { state: 'admitted', hostId: HOST, certificate, clusterCa: ca.certificatePem, credential: 'cred', busPort: 8444, controllerProof: null, busServerName: 'controller.test' };
test.after(() => rmSync(dir, { recursive: true, force: true }));

const cases: Record<string, [{ status: number; body: unknown }, boolean, EnrolmentOutcome['kind'], RegExp?]> = {
  'pending': [{ status: 202, body: { state: 'pending', hostId: HOST, message: 'waiting' } }, false, 'pending'],
  'a coded refusal': [{ status: 403, body: { error: { code: 'APL_HOSTS_REJECTED', message: 'an operator rejected it' } } }, false, 'refused'],
  'an error without a code': [{ status: 502, body: '<html>bad gateway</html>' }, false, 'invalid', /HTTP 502 without a coded error/],
  'a body that is no answer': [{ status: 200, body: { hello: 'world' } }, false, 'invalid'],
  'an answer for another host': [{ status: 202, body: { state: 'pending', hostId: 'x'.repeat(52), message: '' } }, false, 'invalid', /not this host/],
  'admitted without a join code': [{ status: 200, body: admitted }, false, 'admitted'],
  'admitted with a join code and the right proof': [{ status: 200, body: { ...admitted, controllerProof: goodProof } }, true, 'admitted'],
  'admitted with a join code and a wrong proof': [{ status: 200, body: { ...admitted, controllerProof: goodProof.replace(/^./, (c) => (c === '0' ? '1' : '0')) } }, true, 'impostor'],
  'admitted with a join code and no proof': [{ status: 200, body: admitted }, true, 'impostor'],
  'a proof over another CA than the one sent': [
    { status: 200, body: { ...admitted, controllerProof: joinHmac(joinSecretKey(joinCode.secret), controllerProofPayload(HOST, otherCa.fingerprint)) } },
    true,
    'impostor',
  ],
  'a certificate for another key': [{ status: 200, body: { ...admitted, certificate: 'LATER' } }, false, 'invalid', /not for the TLS key/],
  'a certificate from another CA': [{ status: 200, body: { ...admitted, certificate: 'OTHER-CA' } }, false, 'invalid', /not issued by the cluster CA/],
  'a cluster CA that is no CA': [{ status: 200, body: { ...admitted, clusterCa: certificate } }, false, 'invalid', /not a CA certificate/],
  'garbage instead of PEM': [{ status: 200, body: { ...admitted, clusterCa: 'garbage' } }, false, 'invalid', /not a PEM certificate/],
  'no bus server name': [{ status: 200, body: { ...admitted, busServerName: '' } }, false, 'invalid', /busServerName is empty/],
};
const otherKeyCert = await issue(p256());
const otherCaCert = await issue(ourKey, otherCa);

for (const [name, [answer, withCode, kind, problem]] of Object.entries(cases)) {
  test(`decideEnrolment(): ${name} is ${kind}`, () => {
    const body = answer.body as Record<string, unknown>;
    const fixed = body?.certificate === 'LATER' ? { ...body, certificate: otherKeyCert } : body?.certificate === 'OTHER-CA' ? { ...body, certificate: otherCaCert } : answer.body;
    const outcome = decideEnrolment({ status: answer.status, body: fixed }, { hostId: HOST, tlsPublicPem: ourKey, joinCode: withCode ? joinCode : undefined });
    assert.is(outcome.kind, kind, JSON.stringify(outcome));
    if (problem !== undefined) assert.match((outcome as { problem: string }).problem, problem);
  });
}

test('decideEnrolment() hands over what the bootstrap needs from an admission', () => {
  const outcome = decideEnrolment({ status: 200, body: admitted }, { hostId: HOST, tlsPublicPem: ourKey });
  assert.equal(outcome, { kind: 'admitted', certificate, clusterCa: ca.certificatePem, credential: 'cred', busPort: 8444, busServerName: 'controller.test' });
});

test('decideEnrolment() keeps a refusal\'s code and message, bounded', () => {
  const outcome = decideEnrolment({ status: 403, body: { error: { code: 'APL_HOSTS_TOO_MANY_PENDING', message: 'm'.repeat(5000) } } }, { hostId: HOST, tlsPublicPem: ourKey });
  assert.is(outcome.kind, 'refused');
  assert.is((outcome as { code: string }).code, 'APL_HOSTS_TOO_MANY_PENDING');
  assert.is((outcome as { message: string }).message.length, 512);
});

test('controllerProofOf() is the contract\'s joinHmac over controllerProofPayload()', () => {
  assert.is(controllerProofOf(joinCode.secret, HOST, ca.fingerprint), goodProof);
});

test.run();
