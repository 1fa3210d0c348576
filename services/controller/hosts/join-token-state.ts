// Whether a join token can still admit a host. Pure: the clock is passed in.

export type JoinTokenState = 'usable' | 'expired' | 'revoked' | 'exhausted';

export interface JoinTokenFacts {
  readonly maxUses: number;
  readonly uses: number;
  /** ISO time. */
  readonly expiresAt: string;
  readonly revokedAt: string | null;
}

/** Revoked wins over everything, then expiry, then use count. */
export function joinTokenState(token: JoinTokenFacts, now: Date): JoinTokenState {
  if (token.revokedAt !== null) return 'revoked';
  if (Date.parse(token.expiresAt) <= now.getTime()) return 'expired';
  if (token.uses >= token.maxUses) return 'exhausted';
  return 'usable';
}
