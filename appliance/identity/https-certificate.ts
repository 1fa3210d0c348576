import { X509Certificate as NodeX509, createHash, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
// @peculiar/x509 resolves its ASN.1 providers through tsyringe, which needs this polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { writeFileAtomic } from '../files/index.ts';
import { identityErrors } from './errors.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface CertificateFacts {
  /** SHA-256 over the DER certificate, as colon-separated upper-case hex (what browsers show). */
  readonly fingerprint: string;
  readonly notAfter: string;
  readonly subject: string;
}

export interface MakeCertificateOptions {
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly now: Date;
  readonly days: number;
  /** Default serverAuth; bus peers that dial each other with mutual TLS need both. */
  readonly usages?: readonly ('serverAuth' | 'clientAuth')[];
}

/** A self-signed ECDSA P-256 server certificate (browsers and curl accept P-256; not yet Ed25519). */
export async function makeSelfSignedCertificate(certPath: string, keyPath: string, options: MakeCertificateOptions): Promise<CertificateFacts> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const notAfter = new Date(options.now.getTime() + options.days * 86_400_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '7'),
    name: `CN=${options.commonName.replace(/[,=+<>#;"\\]/g, '-')}, O=Alliance appliance`,
    notBefore: new Date(options.now.getTime() - 5 * 60_000),
    notAfter,
    signingAlgorithm: algorithm,
    // x509's typings name the DOM's CryptoKeyPair, which a Node-only lib does not declare.
    keys: keys as never,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension((options.usages ?? ['serverAuth']).map((u) => x509.ExtendedKeyUsage[u])),
      new x509.SubjectAlternativeNameExtension([
        ...options.dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...options.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  writeFileAtomic(keyPath, toPem('PRIVATE KEY', pkcs8), 0o600);
  writeFileAtomic(certPath, cert.toString('pem') + '\n', 0o644);
  return readCertificateFacts(certPath);
}

export function readCertificateFacts(certPath: string): CertificateFacts {
  try {
    const cert = new NodeX509(readFileSync(certPath));
    return {
      fingerprint: cert.fingerprint256,
      notAfter: new Date(cert.validTo).toISOString(),
      subject: cert.subject.replace(/\n/g, ', '),
    };
  } catch (err) {
    throw identityErrors.CERT_UNREADABLE({ path: certPath, reason: (err as Error).message }, { cause: err });
  }
}

/** SHA-256 as lower-case hex; a string is hashed as its UTF-8 bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function toPem(label: string, der: Buffer): string {
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}
