import { randomBytes, timingSafeEqual } from 'node:crypto';
import { base32, sha256Hex } from '../../../appliance/identity/index.ts';

// Bearer tokens are opaque: alc_<id>_<secret>. The id (16 base32 characters)
// finds the row by primary key; the secret (32 random bytes, base64url) is
// checked against its SHA-256, the only form the store keeps. A leaked
// database therefore holds no usable token.

export const TOKEN_PREFIX = 'alc_';
const TOKEN_PATTERN = /^alc_([a-z2-7]{16})_([A-Za-z0-9_-]{43})$/;

export interface TokenSecret {
  readonly id: string;
  /** The whole token as handed to the client, once. */
  readonly token: string;
  /** hex SHA-256 of the secret part: what the store keeps. */
  readonly secretHash: string;
}

/** A fresh random token. */
export function newTokenSecret(): TokenSecret {
  const id = base32(randomBytes(10));
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${TOKEN_PREFIX}${id}_${secret}`, secretHash: hashSecret(secret) };
}

/** The id and secret of a presented token, or undefined if it does not have the shape of one. Pure. */
export function parseToken(token: string): { id: string; secret: string } | undefined {
  const m = TOKEN_PATTERN.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

export function hashSecret(secret: string): string {
  return sha256Hex(secret);
}

/** Whether a presented secret matches a stored hash, in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A new random id with a readable prefix (prj_..., usr_...). */
export function newId(prefix: string): string {
  return `${prefix}_${base32(randomBytes(10))}`;
}
