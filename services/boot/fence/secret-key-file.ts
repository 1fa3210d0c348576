import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../../appliance/files/index.ts';
import { bootErrors } from '../errors.ts';
import { newSecretKey, parseSecretKey } from './sealed-secret.ts';

// The edge of sealed secrets: the key file in the data directory (suggested:
// <data-dir>/secrets/bmc.key), 64 hex digits, mode 0600. Made on first use; the
// caller holds the data-directory lock, so two processes never race to make it.
// Losing the file loses every sealed BMC password (they must be set again).

export function ensureSecretKey(path: string): Buffer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw bootErrors.SECRET_UNREADABLE({ reason: `the key file ${path} cannot be read (${(e as Error).message})` }, { cause: e });
    const key = newSecretKey();
    writeFileAtomic(path, `${key.toString('hex')}\n`, 0o600);
    return key;
  }
  return parseSecretKey(text);
}
