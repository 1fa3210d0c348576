import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  base32,
  createNodeIdentity,
  loadNodeIdentity,
  makeSelfSignedCertificate,
  nodeIdOf,
  readCertificateFacts,
  shortNodeId,
  signWith,
  verifySignature,
} from '../../../appliance/identity/index.ts';
import { refusal } from '../../_support/refusal.ts';

let dir = '';

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'alliance-identity-'));
});

test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

const mode = (path: string): number => statSync(path).mode & 0o777;

// RFC 4648 section 10, lower case and without padding.
const vectors: Record<string, string> = {
  '': '',
  f: 'my',
  fo: 'mzxq',
  foo: 'mzxw6',
  foob: 'mzxw6yq',
  fooba: 'mzxw6ytb',
  foobar: 'mzxw6ytboi',
};

for (const [input, expected] of Object.entries(vectors)) {
  test(`base32() encodes "${input}" as "${expected}" (RFC 4648)`, () => {
    assert.is(base32(Buffer.from(input, 'ascii')), expected);
  });
}

test('base32() encodes all-ones and all-zero bytes at the ends of the alphabet', () => {
  assert.is(base32(new Uint8Array(5).fill(0xff)), '77777777');
  assert.is(base32(new Uint8Array(5)), 'aaaaaaaa');
});

test('createNodeIdentity() then loadNodeIdentity() give the same 52-character node id', () => {
  const keyPath = join(dir, 'identity', 'node.key');
  const pubPath = join(dir, 'identity', 'node.pub');
  const made = createNodeIdentity(keyPath, pubPath);
  const loaded = loadNodeIdentity(keyPath);
  assert.is(made.nodeId.length, 52);
  assert.match(made.nodeId, /^[a-z2-7]{52}$/);
  assert.is(loaded.nodeId, made.nodeId);
  assert.is(nodeIdOf(loaded.publicKey), made.nodeId);
  assert.is(shortNodeId(made.nodeId), made.nodeId.slice(0, 12));
});

test('createNodeIdentity() writes the private key 0600 and the public key readable', () => {
  const keyPath = join(dir, 'node.key');
  const pubPath = join(dir, 'node.pub');
  const made = createNodeIdentity(keyPath, pubPath);
  assert.is(mode(keyPath), 0o600);
  assert.is(mode(pubPath), 0o644);
  assert.match(readFileSync(keyPath, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
  assert.is(readFileSync(pubPath, 'utf8'), made.publicKey.export({ format: 'pem', type: 'spki' }));
});

test('createNodeIdentity() makes a different node each time', () => {
  const a = createNodeIdentity(join(dir, 'a.key'), join(dir, 'a.pub'));
  const b = createNodeIdentity(join(dir, 'b.key'), join(dir, 'b.pub'));
  assert.is.not(a.nodeId, b.nodeId);
});

const unreadable: Record<string, { write: (path: string) => void; reason: RegExp }> = {
  'an EC key': {
    write: (path) => writeFileSync(path, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' })),
    reason: /^expected an Ed25519 key, found ec$/,
  },
  'an RSA key': {
    write: (path) => writeFileSync(path, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' })),
    reason: /^expected an Ed25519 key, found rsa$/,
  },
  'garbage': { write: (path) => writeFileSync(path, 'this is not a key\n'), reason: /./ },
  'an empty file': { write: (path) => writeFileSync(path, ''), reason: /./ },
  'a missing file': { write: () => undefined, reason: /ENOENT/ },
};

for (const [what, { write, reason }] of Object.entries(unreadable)) {
  test(`loadNodeIdentity() refuses ${what} with APL_IDENTITY_UNREADABLE`, () => {
    const keyPath = join(dir, 'node.key');
    write(keyPath);
    const err = refusal(() => loadNodeIdentity(keyPath));
    assert.is(err.code, 'APL_IDENTITY_UNREADABLE');
    assert.is(err.params.path, keyPath);
    assert.match(String(err.params.reason), reason);
  });
}

test('signWith() signatures verify with the public key and fail for a changed message', () => {
  const identity = createNodeIdentity(join(dir, 'node.key'), join(dir, 'node.pub'));
  const message = Buffer.from('join request from edge-7');
  const signature = signWith(identity, message);
  assert.is(signature.length, 64);
  assert.ok(verifySignature(identity.publicKey, message, signature));
  assert.not.ok(verifySignature(identity.publicKey, Buffer.from('join request from edge-8'), signature));
  const tampered = Buffer.from(signature);
  tampered[0]! ^= 1;
  assert.not.ok(verifySignature(identity.publicKey, message, tampered));
});

test('verifySignature() rejects a signature from another node', () => {
  const a = createNodeIdentity(join(dir, 'a.key'), join(dir, 'a.pub'));
  const b = createNodeIdentity(join(dir, 'b.key'), join(dir, 'b.pub'));
  const message = Buffer.from('hello');
  assert.not.ok(verifySignature(b.publicKey, message, signWith(a, message)));
});

test('signWith() works with a reloaded identity', () => {
  const keyPath = join(dir, 'node.key');
  const made = createNodeIdentity(keyPath, join(dir, 'node.pub'));
  const message = Buffer.from('persisted');
  assert.ok(verifySignature(made.publicKey, message, signWith(loadNodeIdentity(keyPath), message)));
});

test('makeSelfSignedCertificate() writes a certificate with the asked-for names that matches its key', async () => {
  const certPath = join(dir, 'tls', 'https.crt');
  const keyPath = join(dir, 'tls', 'https.key');
  const now = new Date('2026-03-01T12:00:00Z');
  const facts = await makeSelfSignedCertificate(certPath, keyPath, {
    commonName: 'gw-01',
    dnsNames: ['gw-01', 'localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
    now,
    days: 30,
  });
  const cert = new X509Certificate(readFileSync(certPath));
  const names = (cert.subjectAltName ?? '').split(', ').sort();
  assert.equal(names, ['DNS:gw-01', 'DNS:localhost', 'IP Address:0:0:0:0:0:0:0:1', 'IP Address:127.0.0.1'].sort());
  assert.is(facts.fingerprint, cert.fingerprint256);
  assert.match(facts.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.is(facts.notAfter, new Date(now.getTime() + 30 * 86_400_000).toISOString());
  assert.is(new Date(cert.validTo).toISOString(), facts.notAfter);
  assert.ok(new Date(cert.validFrom) <= now, 'not valid yet at `now`');
  assert.match(cert.subject, /CN=gw-01/);
  assert.ok(cert.verify(cert.publicKey), 'not self-signed');
  assert.not.ok(cert.ca, 'a server certificate must not be a CA');
  assert.is(mode(keyPath), 0o600);
  assert.is(mode(certPath), 0o644);
  assert.ok(cert.checkPrivateKey(createPrivateKey(readFileSync(keyPath))), 'the key does not match the certificate');
  assert.equal(readCertificateFacts(certPath), facts);
});

test('makeSelfSignedCertificate() makes a new key each time', async () => {
  const options = { commonName: 'gw', dnsNames: ['gw'], ipAddresses: [], now: new Date(), days: 1 };
  const a = await makeSelfSignedCertificate(join(dir, 'a.crt'), join(dir, 'a.key'), options);
  const b = await makeSelfSignedCertificate(join(dir, 'b.crt'), join(dir, 'b.key'), options);
  assert.is.not(a.fingerprint, b.fingerprint);
  const certA = new X509Certificate(readFileSync(join(dir, 'a.crt')));
  assert.not.ok(certA.checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'b.key')))));
});

test('readCertificateFacts() refuses a file that is not a certificate with APL_IDENTITY_CERT_UNREADABLE', () => {
  const certPath = join(dir, 'https.crt');
  writeFileSync(certPath, 'not a certificate');
  const err = refusal(() => readCertificateFacts(certPath));
  assert.is(err.code, 'APL_IDENTITY_CERT_UNREADABLE');
  assert.is(err.params.path, certPath);
});

test.run();
