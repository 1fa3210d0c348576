import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BusClient, BusServer, defineMethod } from '../../../appliance/bus/index.ts';
import { caFingerprint, ensureClusterCa, isIssuedBy, issueCertificate, makeSelfSignedCertificate, type ClusterCaPaths } from '../../../appliance/identity/index.ts';
import { createLogger } from '../../../appliance/log/index.ts';
import { rejection } from '../../_support/refusal.ts';

const log = createLogger('fatal');
const now = new Date('2026-03-01T12:00:00.000Z');
let dir = '';
let paths: ClusterCaPaths = { cert: '', key: '' };

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'alliance-ca-'));
  paths = { cert: join(dir, 'tls', 'cluster-ca.crt'), key: join(dir, 'tls', 'cluster-ca.key') };
});

test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

const mode = (path: string): number => statSync(path).mode & 0o777;

function p256(): { publicKeyPem: string; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(), privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

test('ensureClusterCa() makes a ten-year P-256 CA certificate with a 0600 key and a 0644 certificate', async () => {
  const ca = await ensureClusterCa(paths, now);
  assert.is(mode(paths.key), 0o600);
  assert.is(mode(paths.cert), 0o644);
  const cert = new X509Certificate(readFileSync(paths.cert));
  assert.ok(cert.ca, 'basic constraints say CA');
  assert.is(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(cert.verify(cert.publicKey), 'self-signed');
  const years = (new Date(cert.validTo).getTime() - now.getTime()) / (365 * 86_400_000);
  assert.ok(years > 9.9 && years < 10.1, `valid for ${years} years`);
  assert.is(ca.fingerprint, cert.fingerprint256);
  assert.is(ca.certificatePem, readFileSync(paths.cert, 'utf8'));
  assert.equal(readdirSync(join(dir, 'tls')).sort(), ['cluster-ca.crt', 'cluster-ca.key'], 'no temporary files left behind');
});

test('ensureClusterCa() loads the existing CA instead of making another', async () => {
  const first = await ensureClusterCa(paths, now);
  const key = readFileSync(paths.key, 'utf8');
  const second = await ensureClusterCa(paths, new Date(now.getTime() + 86_400_000));
  assert.is(second.fingerprint, first.fingerprint);
  assert.is(readFileSync(paths.key, 'utf8'), key);
});

test('ensureClusterCa() called twice at once ends with one CA both agree on', async () => {
  const [a, b] = await Promise.all([ensureClusterCa(paths, now), ensureClusterCa(paths, now)]);
  assert.is(a.fingerprint, b.fingerprint);
  assert.is(caFingerprint(readFileSync(paths.cert, 'utf8')), a.fingerprint);
});

test('ensureClusterCa() finishes a CA whose first run stopped after writing the key', async () => {
  await ensureClusterCa(paths, now);
  const key = readFileSync(paths.key, 'utf8');
  unlinkSync(paths.cert);
  const ca = await ensureClusterCa(paths, now);
  assert.is(readFileSync(paths.key, 'utf8'), key, 'the key is kept');
  const cert = new X509Certificate(ca.certificatePem);
  assert.ok(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(key)));
});

test('ensureClusterCa() refuses a certificate that does not belong to the key, and leaves both files alone', async () => {
  await ensureClusterCa(paths, now);
  const other = join(dir, 'other');
  await ensureClusterCa({ cert: join(other, 'ca.crt'), key: join(other, 'ca.key') }, now);
  const foreign = readFileSync(join(other, 'ca.crt'), 'utf8');
  writeFileSync(paths.cert, foreign);
  const err = await rejection(ensureClusterCa(paths, now));
  assert.is(err.code, 'APL_IDENTITY_CA_UNREADABLE');
  assert.match(err.message, /does not belong to the key/);
  assert.is(readFileSync(paths.cert, 'utf8'), foreign);
});

test('ensureClusterCa() refuses a key file that is not a P-256 key', async () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, 'tls'));
  writeFileSync(paths.key, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const err = await rejection(ensureClusterCa(paths, now));
  assert.is(err.code, 'APL_IDENTITY_CA_UNREADABLE');
  assert.not.ok(existsSync(paths.cert));
});

test('issueCertificate() signs a leaf the CA verifies, with the names, usages and validity asked for', async () => {
  const ca = await ensureClusterCa(paths, now);
  const { publicKeyPem } = p256();
  const pem = await issueCertificate(ca, { publicKeyPem, commonName: 'host-a', dnsNames: ['host-a'], ipAddresses: ['192.0.2.7'], usages: ['serverAuth', 'clientAuth'], days: 30, now });
  const cert = new X509Certificate(pem);
  const issuer = new X509Certificate(ca.certificatePem);
  assert.ok(cert.checkIssued(issuer), 'issuer name matches');
  assert.ok(cert.verify(issuer.publicKey), 'signature verifies with the CA key');
  assert.not.ok(cert.ca);
  assert.match(cert.subject, /CN=host-a/);
  assert.match(cert.subjectAltName ?? '', /DNS:host-a/);
  assert.match(cert.subjectAltName ?? '', /IP Address:192\.0\.2\.7/);
  assert.equal(cert.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  assert.ok(cert.publicKey.export({ format: 'pem', type: 'spki' }) === publicKeyPem);
  assert.is(new Date(cert.validTo).getTime(), now.getTime() + 30 * 86_400_000);
  assert.ok(isIssuedBy(ca, pem, { now, minDaysLeft: 29 }));
  assert.not.ok(isIssuedBy(ca, pem, { now, minDaysLeft: 31 }), 'not enough days left');
});

test('issueCertificate() never issues past the end of the CA', async () => {
  const ca = await ensureClusterCa(paths, now);
  const pem = await issueCertificate(ca, { publicKeyPem: p256().publicKeyPem, commonName: 'h', usages: ['clientAuth'], days: 20 * 365, now });
  assert.is(new Date(new X509Certificate(pem).validTo).toISOString(), ca.notAfter);
});

test('issueCertificate() refuses keys that are not ECDSA P-256 public keys', async () => {
  const ca = await ensureClusterCa(paths, now);
  const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
  for (const publicKeyPem of [ed, p384, 'not a key', p256().privateKeyPem]) {
    const err = await rejection(issueCertificate(ca, { publicKeyPem, commonName: 'h', usages: ['clientAuth'], days: 1, now }));
    assert.is(err.code, 'APL_IDENTITY_KEY_UNSUPPORTED', publicKeyPem.slice(0, 40));
  }
});

test('isIssuedBy() says no for a self-signed certificate and for garbage', async () => {
  const ca = await ensureClusterCa(paths, now);
  const facts = await makeSelfSignedCertificate(join(dir, 'x.crt'), join(dir, 'x.key'), { commonName: 'x', dnsNames: [], ipAddresses: [], now, days: 1 });
  assert.ok(facts.fingerprint.length > 0);
  assert.not.ok(isIssuedBy(ca, readFileSync(join(dir, 'x.crt'), 'utf8'), { now, minDaysLeft: 0 }));
  assert.not.ok(isIssuedBy(ca, 'garbage', { now, minDaysLeft: 0 }));
});

test('caFingerprint() is the SHA-256 fingerprint node:crypto shows', async () => {
  const ca = await ensureClusterCa(paths, now);
  assert.match(caFingerprint(ca.certificatePem), /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.is(caFingerprint(ca.certificatePem), new X509Certificate(ca.certificatePem).fingerprint256);
  assert.throws(() => caFingerprint('garbage'));
});

test('issueCertificate() certificates pass nng TLS with authMode required; a self-signed client is refused', async () => {
  const realNow = new Date();
  const ca = await ensureClusterCa(paths, realNow);
  const serverKeys = p256();
  const clientKeys = p256();
  const serverCert = await issueCertificate(ca, { publicKeyPem: serverKeys.publicKeyPem, commonName: 'controller', dnsNames: ['controller.test'], usages: ['serverAuth', 'clientAuth'], days: 1, now: realNow });
  const clientCert = await issueCertificate(ca, { publicKeyPem: clientKeys.publicKeyPem, commonName: 'host', dnsNames: ['host'], usages: ['clientAuth'], days: 1, now: realNow });
  await makeSelfSignedCertificate(join(dir, 'x.crt'), join(dir, 'x.key'), { commonName: 'stranger', dnsNames: ['stranger'], ipAddresses: [], now: realNow, days: 1, usages: ['clientAuth'] });

  let calls = 0;
  const methods = {
    'echo.ping': defineMethod({
      description: 'pong',
      params: Type.Object({}),
      result: Type.Object({ pong: Type.Boolean() }),
      handler: () => {
        calls += 1;
        return { pong: true };
      },
    }),
  };
  const server = await BusServer.open(methods, { log, workers: 2 });
  const endpoint = server.listen('tls+tcp://127.0.0.1:0', { tls: { cert: serverCert, key: serverKeys.privateKeyPem, ca: ca.certificatePem, authMode: 'required' } });
  const url = `tls+tcp://127.0.0.1:${endpoint.port}`;
  const member = await BusClient.connect(url, { timeoutMs: 3000, tls: { cert: clientCert, key: clientKeys.privateKeyPem, ca: ca.certificatePem, serverName: 'controller.test' } });
  const stranger = await BusClient.connect(url, {
    timeoutMs: 800,
    tls: { cert: readFileSync(join(dir, 'x.crt'), 'utf8'), key: readFileSync(join(dir, 'x.key'), 'utf8'), ca: ca.certificatePem, serverName: 'controller.test' },
  });
  try {
    assert.equal(await member.call('echo.ping'), { pong: true });
    assert.is((await rejection(stranger.call('echo.ping'))).code, 'APL_BUS_DEADLINE');
    assert.is(calls, 1, 'only the member reached the handler');
  } finally {
    member.close();
    stranger.close();
    await server.close();
  }
});

test.run();
