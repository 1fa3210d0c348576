import { randomBytes } from 'node:crypto';

// IMDSv2 session tokens: PUT /latest/api/token hands one out for a TTL the
// caller chooses (1 s to 6 h, as on EC2), bound to the caller's address, and
// later requests may present it. Time is passed in. The set is bounded, so an
// instance asking in a loop cannot grow the agent's memory without limit.

/** The longest TTL a token may ask for, in seconds (EC2's limit). */
export const MAX_TOKEN_TTL_S = 21_600;
/** Live tokens kept at most; the oldest goes first beyond it. */
export const MAX_TOKENS = 4096;

/** The TTL in seconds from the X-aws-ec2-metadata-token-ttl-seconds header, or undefined when it is missing or out of range. */
export function parseTokenTtl(header: string | readonly string[] | undefined): number | undefined {
  if (typeof header !== 'string' || !/^[1-9][0-9]{0,4}$/.test(header.trim())) return undefined;
  const ttl = Number(header.trim());
  return ttl <= MAX_TOKEN_TTL_S ? ttl : undefined;
}

export class MetadataTokens {
  readonly #tokens = new Map<string, { readonly address: string; readonly expiresAtMs: number }>();

  /** A fresh token for `address`, valid for `ttlS` seconds from `nowMs`. */
  issue(address: string, ttlS: number, nowMs: number): string {
    this.#sweep(nowMs);
    while (this.#tokens.size >= MAX_TOKENS) this.#tokens.delete(this.#tokens.keys().next().value!);
    const token = randomBytes(32).toString('base64url');
    this.#tokens.set(token, { address, expiresAtMs: nowMs + ttlS * 1000 });
    return token;
  }

  /** Whether `token` was issued to `address` and has not expired at `nowMs`. */
  admits(token: string, address: string, nowMs: number): boolean {
    const entry = this.#tokens.get(token);
    return entry !== undefined && entry.expiresAtMs > nowMs && entry.address === address;
  }

  /** Tokens currently held (expired ones linger until the next issue). */
  get size(): number {
    return this.#tokens.size;
  }

  #sweep(nowMs: number): void {
    for (const [token, entry] of this.#tokens) if (entry.expiresAtMs <= nowMs) this.#tokens.delete(token);
  }
}
