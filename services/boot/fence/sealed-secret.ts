import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { bootErrors } from '../errors.ts';
import { SecretValue } from './secret-value.ts';

// BMC passwords at rest: AES-256-GCM under a 32-byte key kept in a file of the
// data directory (read by the wiring, passed in here). A sealed value is
// `v1.<base64url(iv | tag | ciphertext)>`; the optional context (the host id) is
// authenticated too, so a sealed password copied onto another host's record
// does not open.

const PREFIX = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A fresh key for the key file. */
export function newSecretKey(): Buffer {
  return randomBytes(32);
}

/** The key from the key file's text: 64 hex digits, surrounding whitespace allowed. */
export function parseSecretKey(text: string): Buffer {
  const t = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(t)) throw bootErrors.SECRET_UNREADABLE({ reason: 'the key file does not hold 64 hex digits' });
  return Buffer.from(t, 'hex');
}

export function sealSecret(secret: SecretValue | string, options: { key: Buffer; context?: string; iv?: Buffer }): string {
  checkKey(options.key);
  const iv = options.iv ?? randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', options.key, iv);
  cipher.setAAD(Buffer.from(`alliance-secret:${options.context ?? ''}`));
  const plain = typeof secret === 'string' ? secret : secret.reveal();
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The secret, or APL_BOOT_SECRET_UNREADABLE if the text was altered, or sealed under another key or context. */
export function openSecret(sealed: string, options: { key: Buffer; context?: string }): SecretValue {
  checkKey(options.key);
  if (!sealed.startsWith(PREFIX) || !/^[A-Za-z0-9_-]+$/.test(sealed.slice(PREFIX.length))) throw bootErrors.SECRET_UNREADABLE({ reason: 'it is not a v1 sealed value' });
  const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES) throw bootErrors.SECRET_UNREADABLE({ reason: 'it is too short' });
  const decipher = createDecipheriv('aes-256-gcm', options.key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(`alliance-secret:${options.context ?? ''}`));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return new SecretValue(Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8'));
  } catch {
    throw bootErrors.SECRET_UNREADABLE({ reason: 'its authentication tag does not match' });
  }
}

function checkKey(key: Buffer): void {
  if (key.length !== 32) throw bootErrors.SECRET_UNREADABLE({ reason: `the key has ${key.length} bytes, not 32` });
}
