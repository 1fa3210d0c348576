import { createHash } from 'node:crypto';
import { computeErrors } from './errors.ts';

/** Key types a guest's sshd accepts in authorized_keys that we let through. */
const KEY_TYPES = new Set(['ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com']);

export interface ParsedPublicKey {
  /** "type base64 [comment]", one line, as authorized_keys takes it. */
  readonly line: string;
  /** SHA256:<base64 without padding>, as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
}

/**
 * Checks one OpenSSH public key line (type, base64 blob, optional comment):
 * the blob must decode and name the same type the line does. Pure; throws
 * APL_COMPUTE_BAD_PUBLIC_KEY saying what is wrong.
 */
export function parsePublicKey(text: string): ParsedPublicKey {
  const trimmed = text.trim();
  if (trimmed.includes('\n')) throw computeErrors.BAD_PUBLIC_KEY({ reason: 'it has more than one line' });
  const [type = '', blob = '', ...comment] = trimmed.split(/\s+/);
  if (!KEY_TYPES.has(type)) throw computeErrors.BAD_PUBLIC_KEY({ reason: `key type "${type.slice(0, 40)}" is not one of ${[...KEY_TYPES].join(', ')}` });
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) throw computeErrors.BAD_PUBLIC_KEY({ reason: 'the key is not base64' });
  const bytes = Buffer.from(blob, 'base64');
  const nameLength = bytes.length >= 4 ? bytes.readUInt32BE(0) : -1;
  const inner = nameLength >= 0 && 4 + nameLength <= bytes.length ? bytes.subarray(4, 4 + nameLength).toString('latin1') : undefined;
  if (inner !== type) throw computeErrors.BAD_PUBLIC_KEY({ reason: `the key data is not an ${type} key` });
  if (bytes.length <= 4 + nameLength) throw computeErrors.BAD_PUBLIC_KEY({ reason: 'the key data ends after its type' });
  const fingerprint = `SHA256:${createHash('sha256').update(bytes).digest('base64').replace(/=+$/, '')}`;
  return { line: [type, blob, ...comment].join(' '), fingerprint };
}
