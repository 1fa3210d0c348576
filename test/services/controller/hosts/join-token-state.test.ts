import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { joinTokenState, type JoinTokenFacts, type JoinTokenState } from '../../../../services/controller/hosts/index.ts';

const now = new Date('2026-03-01T12:00:00.000Z');
const usable: JoinTokenFacts = { maxUses: 3, uses: 1, expiresAt: '2026-03-02T12:00:00.000Z', revokedAt: null };

const cases: Record<string, { token: Partial<JoinTokenFacts>; expected: JoinTokenState }> = {
  'calls a fresh token with uses left usable': { token: {}, expected: 'usable' },
  'calls a token with its last use left usable': { token: { uses: 2 }, expected: 'usable' },
  'calls a token with every use spent exhausted': { token: { uses: 3 }, expected: 'exhausted' },
  'calls a token expired at the expiry instant': { token: { expiresAt: now.toISOString() }, expected: 'expired' },
  'calls a token usable a millisecond before expiry': { token: { expiresAt: new Date(now.getTime() + 1).toISOString() }, expected: 'usable' },
  'says expired before exhausted': { token: { uses: 3, expiresAt: '2026-01-01T00:00:00.000Z' }, expected: 'expired' },
  'says revoked before anything else': { token: { uses: 3, expiresAt: '2026-01-01T00:00:00.000Z', revokedAt: '2026-02-01T00:00:00.000Z' }, expected: 'revoked' },
};

for (const [behaviour, { token, expected }] of Object.entries(cases)) {
  test(`joinTokenState() ${behaviour}`, () => {
    assert.is(joinTokenState({ ...usable, ...token }, now), expected);
  });
}

test.run();
