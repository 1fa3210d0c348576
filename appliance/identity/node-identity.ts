import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../files/index.ts';
import { identityErrors } from './errors.ts';

/** A node is its Ed25519 key pair; addresses and names are mutable records about it. */
export interface NodeIdentity {
  /** base32 of SHA-256 over the raw public key: stable, derived, never assigned. */
  readonly nodeId: string;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

export function nodeIdOf(publicKey: KeyObject): string {
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  if (raw.length !== 32) throw new TypeError(`Cannot derive a node id: expected a 32-byte Ed25519 public key, got ${raw.length} bytes`);
  return base32(createHash('sha256').update(raw).digest());
}

/** The short form for screens: the first 12 characters, enough to tell nodes apart by eye. */
export function shortNodeId(nodeId: string): string {
  return nodeId.slice(0, 12);
}

export function createNodeIdentity(keyPath: string, pubPath: string): NodeIdentity {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  writeFileAtomic(keyPath, privateKey.export({ format: 'pem', type: 'pkcs8' }), 0o600);
  writeFileAtomic(pubPath, publicKey.export({ format: 'pem', type: 'spki' }), 0o644);
  return { nodeId: nodeIdOf(publicKey), publicKey, privateKey };
}

export function loadNodeIdentity(keyPath: string): NodeIdentity {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(keyPath));
  } catch (err) {
    throw identityErrors.UNREADABLE({ path: keyPath, reason: (err as Error).message }, { cause: err });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw identityErrors.UNREADABLE({ path: keyPath, reason: `expected an Ed25519 key, found ${privateKey.asymmetricKeyType ?? 'unknown'}` });
  }
  const publicKey = createPublicKey(privateKey);
  return { nodeId: nodeIdOf(publicKey), publicKey, privateKey };
}

export function signWith(identity: NodeIdentity, data: Uint8Array): Buffer {
  return sign(null, data, identity.privateKey);
}

export function verifySignature(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  return verify(null, data, publicKey, signature);
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lower case, no padding. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}
