import { X509Certificate as NodeX509, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, webcrypto, type KeyObject, type webcrypto as WebCrypto } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
// @peculiar/x509 resolves its ASN.1 providers through tsyringe, which needs this polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { identityErrors } from './errors.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

// The cluster CA: an ECDSA P-256 key and a self-signed CA certificate, made
// once per controller data directory and never replaced (a new CA would orphan
// every enrolled host). It signs the hosts' bus certificates and the
// controller's own, so a tls+tcp peer of controller.listen is "some machine of
// this cluster"; which one is said by the credential each call carries.

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const CA_DAYS = 3650;
const DAY_MS = 86_400_000;
/** Certificates start a little in the past, so a peer whose clock lags a few minutes accepts them. */
const BACKDATE_MS = 5 * 60_000;

export interface ClusterCaPaths {
  readonly cert: string;
  readonly key: string;
}

export type CertificateUsage = 'serverAuth' | 'clientAuth';

export interface IssueCertificateOptions {
  /** SPKI PEM of the ECDSA P-256 key the certificate is for. */
  readonly publicKeyPem: string;
  readonly commonName: string;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly usages: readonly CertificateUsage[];
  readonly days: number;
  readonly now: Date;
}

interface Signer {
  readonly key: WebCrypto.CryptoKey;
  readonly cert: x509.X509Certificate;
}

// Kept beside the object, not on it: the key never shows up when a ClusterCa is logged or inspected.
const signers = new WeakMap<ClusterCa, Signer>();

/** A loaded cluster CA: its certificate in the open, its signing key held privately for issueCertificate(). */
export class ClusterCa {
  /** PEM of the CA certificate, what peers trust. */
  readonly certificatePem: string;
  /** SHA-256 over the DER certificate, as colon-separated upper-case hex (caFingerprint()). */
  readonly fingerprint: string;
  readonly notAfter: string;
  readonly subject: string;

  constructor(certificatePem: string, signer: Signer) {
    const facts = new NodeX509(certificatePem);
    this.certificatePem = certificatePem;
    this.fingerprint = facts.fingerprint256;
    this.notAfter = new Date(facts.validTo).toISOString();
    this.subject = facts.subject.replace(/\n/g, ', ');
    signers.set(this, signer);
  }
}

/**
 * The cluster CA at `paths`, made on first use: key 0600 and certificate 0644,
 * each written to a temporary file and linked into place, so an existing file
 * is never overwritten (a concurrent maker loses and loads the winner's).
 * @throws AllianceError APL_IDENTITY_CA_UNREADABLE when the files exist but do not make a CA.
 */
export async function ensureClusterCa(paths: ClusterCaPaths, now: Date): Promise<ClusterCa> {
  if (!existsSync(paths.key)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileExclusive(paths.key, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 0o600);
  }
  const keyPem = readOrFail(paths.key);
  const privateKey = parsePrivateKey(keyPem, paths.key);
  if (!existsSync(paths.cert)) {
    // A key without a certificate: a first run stopped between the two writes. The key is still the CA's.
    const pem = await selfSignedCa(privateKey, now);
    writeFileExclusive(paths.cert, pem, 0o644);
  }
  return loadCa(paths, readOrFail(paths.cert), privateKey);
}

/**
 * A certificate for `publicKeyPem` signed by the CA: client and/or server use,
 * valid from a few minutes before `now` for `days`, never past the CA itself.
 * @throws AllianceError APL_IDENTITY_KEY_UNSUPPORTED unless the key is ECDSA P-256.
 */
export async function issueCertificate(ca: ClusterCa, options: IssueCertificateOptions): Promise<string> {
  const signer = signers.get(ca);
  if (signer === undefined) throw new TypeError('Cannot issue a certificate: the ClusterCa was not made by ensureClusterCa()');
  const spki = p256Spki(options.publicKeyPem);
  const publicKey = await webcrypto.subtle.importKey('spki', spki, EC, true, ['verify']);
  const caNotAfter = signer.cert.notAfter.getTime();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${escapeName(options.commonName)}, O=Alliance cluster`,
    issuer: signer.cert.subject,
    notBefore: new Date(options.now.getTime() - BACKDATE_MS),
    notAfter: new Date(Math.min(options.now.getTime() + options.days * DAY_MS, caNotAfter)),
    signingAlgorithm: SIGNING,
    publicKey,
    signingKey: signer.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(options.usages.map((u) => x509.ExtendedKeyUsage[u])),
      new x509.SubjectAlternativeNameExtension([
        ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
        ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(signer.cert.publicKey),
    ],
  });
  return cert.toString('pem') + '\n';
}

/** The SHA-256 fingerprint of a PEM certificate as colon-separated upper-case hex, the form controllerProofPayload() covers. */
export function caFingerprint(certificatePem: string): string {
  return new NodeX509(certificatePem).fingerprint256;
}

/** Whether `certificatePem` was signed by the CA and is valid for at least `minDaysLeft` more days at `now`. */
export function isIssuedBy(ca: ClusterCa, certificatePem: string, options: { now: Date; minDaysLeft: number }): boolean {
  try {
    const cert = new NodeX509(certificatePem);
    const issuer = new NodeX509(ca.certificatePem);
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey) && new Date(cert.validTo).getTime() - options.now.getTime() >= options.minDaysLeft * DAY_MS;
  } catch {
    return false;
  }
}

async function selfSignedCa(privateKey: KeyObject, now: Date): Promise<string> {
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', privateKey.export({ format: 'der', type: 'pkcs8' }), EC, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', createPublicKey(privateKey).export({ format: 'der', type: 'spki' }), EC, true, ['verify']),
  };
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    // A random tag keeps the names of different clusters' CAs apart in tools that index by subject.
    name: `CN=Alliance cluster CA ${randomBytes(4).toString('hex')}, O=Alliance appliance`,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_DAYS * DAY_MS),
    signingAlgorithm: SIGNING,
    // x509's typings name the DOM's CryptoKeyPair, which a Node-only lib does not declare.
    keys: keys as never,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return cert.toString('pem') + '\n';
}

async function loadCa(paths: ClusterCaPaths, certPem: string, privateKey: KeyObject): Promise<ClusterCa> {
  const fail = (reason: string): never => {
    throw identityErrors.CA_UNREADABLE({ path: paths.cert, reason });
  };
  let facts: NodeX509;
  try {
    facts = new NodeX509(certPem);
  } catch (err) {
    return fail(`not a PEM certificate (${(err as Error).message})`);
  }
  if (!facts.ca) fail('the certificate is not a CA certificate');
  const fromKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const fromCert = facts.publicKey.export({ format: 'der', type: 'spki' });
  if (!fromKey.equals(fromCert)) fail(`it does not belong to the key ${paths.key}`);
  const key = await webcrypto.subtle.importKey('pkcs8', privateKey.export({ format: 'der', type: 'pkcs8' }), EC, false, ['sign']);
  return new ClusterCa(certPem, { key, cert: new x509.X509Certificate(certPem) });
}

function parsePrivateKey(pem: string, path: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw identityErrors.CA_UNREADABLE({ path, reason: (err as Error).message }, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw identityErrors.CA_UNREADABLE({ path, reason: `expected an ECDSA P-256 key, found ${key.asymmetricKeyType ?? 'unknown'} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`.trim() });
  }
  return key;
}

/**
 * Whether `pem` is a PEM "PUBLIC KEY" (SPKI). Check it before createPublicKey(),
 * which would also take a private key and derive its public half.
 */
export function isSpkiPem(pem: string): boolean {
  return /^-----BEGIN PUBLIC KEY-----\r?\n/.test(pem.trim() + '\n');
}

function p256Spki(pem: string): Buffer {
  if (!isSpkiPem(pem)) throw identityErrors.KEY_UNSUPPORTED({ reason: 'not a PEM "PUBLIC KEY" (SPKI)' });
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw identityErrors.KEY_UNSUPPORTED({ reason: `not a public key in PEM (${(err as Error).message.split('\n')[0]})` }, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw identityErrors.KEY_UNSUPPORTED({ reason: `the key is ${key.asymmetricKeyType ?? 'unknown'} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`.trim() });
  }
  return key.export({ format: 'der', type: 'spki' });
}

function readOrFail(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw identityErrors.CA_UNREADABLE({ path, reason: (err as Error).message }, { cause: err });
  }
}

/**
 * Writes `data` to `path` unless something is there already: a synced
 * temporary file linked into place (link fails where rename would replace).
 * Losing to a concurrent writer is not an error; the caller reads the winner.
 */
function writeFileExclusive(path: string, data: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, Buffer.from(data));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

function serialNumber(): string {
  // Positive and 16 bytes: the top bit clear, so DER needs no sign byte.
  return randomBytes(16).toString('hex').replace(/^[89a-f]/, '7');
}

function escapeName(value: string): string {
  return value.replace(/[,=+<>#;"\\]/g, '-');
}
