import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { MIN_PASSWORD_LENGTH } from '../../../appliance/contracts/index.ts';
import { controllerErrors } from '../errors.ts';

// Password hashes in a PHC-like string: scrypt$ln=15,r=8,p=1$<salt b64>$<hash b64>.
// scrypt is memory-hard and built into Node (no native dependency); Node runs
// it on the libuv thread pool, so hashing never blocks the event loop.


const SALT_BYTES = 16;
const KEY_BYTES = 32;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;

export interface HashOptions {
  /** log2 of scrypt's N (config controller.password_cost). */
  readonly cost: number;
}

interface ParsedHash {
  readonly cost: number;
  readonly blockSize: number;
  readonly parallelism: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

/**
 * Refuses a password the appliance will not store. Length is the rule: a long
 * passphrase beats composition rules.
 * @throws AllianceError APL_CTRL_WEAK_PASSWORD
 */
export function checkPasswordPolicy(password: string): void {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) throw controllerErrors.WEAK_PASSWORD({ length, minimum: MIN_PASSWORD_LENGTH });
}

/** A new salted hash of the password at the given cost. */
export async function hashPassword(password: string, options: HashOptions): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, { cost: options.cost, blockSize: BLOCK_SIZE, parallelism: PARALLELISM, salt });
  return `scrypt$ln=${options.cost},r=${BLOCK_SIZE},p=${PARALLELISM}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Whether the password matches the stored hash; compared in constant time. A malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (parsed === undefined) return false;
  const hash = await derive(password, parsed);
  return hash.length === parsed.hash.length && timingSafeEqual(hash, parsed.hash);
}

/** Whether a stored hash was made with other parameters than today's, so a successful login should rehash. */
export function needsRehash(stored: string, options: HashOptions): boolean {
  const parsed = parseHash(stored);
  return parsed === undefined || parsed.cost !== options.cost || parsed.blockSize !== BLOCK_SIZE || parsed.parallelism !== PARALLELISM;
}

function parseHash(stored: string): ParsedHash | undefined {
  const m = /^scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return undefined;
  const cost = Number(m[1]);
  const blockSize = Number(m[2]);
  const parallelism = Number(m[3]);
  // Bounds keep a tampered row from asking for gigabytes of memory.
  if (cost < 1 || cost > 20 || blockSize < 1 || blockSize > 32 || parallelism < 1 || parallelism > 16) return undefined;
  return { cost, blockSize, parallelism, salt: Buffer.from(m[4]!, 'base64'), hash: Buffer.from(m[5]!, 'base64') };
}

function derive(password: string, params: { cost: number; blockSize: number; parallelism: number; salt: Buffer }): Promise<Buffer> {
  const N = 2 ** params.cost;
  // scrypt needs about 128 * N * r bytes; leave headroom over Node's 32 MiB default.
  const maxmem = 256 * N * params.blockSize + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), params.salt, KEY_BYTES, { N, r: params.blockSize, p: params.parallelism, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}
