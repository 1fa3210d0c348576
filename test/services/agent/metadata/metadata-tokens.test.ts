import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_TOKENS, MetadataTokens, parseTokenTtl } from '../../../../services/agent/metadata/metadata-tokens.ts';

const ttlCases: Record<string, [string | string[] | undefined, number | undefined]> = {
  'one second': ['1', 1],
  'six hours, the most': ['21600', 21600],
  'spaces around': [' 60 ', 60],
  'one over six hours': ['21601', undefined],
  'zero': ['0', undefined],
  'negative': ['-5', undefined],
  'a fraction': ['1.5', undefined],
  'a leading zero': ['060', undefined],
  'hex': ['0x10', undefined],
  'missing': [undefined, undefined],
  'sent twice': [['60', '60'], undefined],
  'empty': ['', undefined],
};

for (const [name, [header, expected]] of Object.entries(ttlCases)) {
  test(`parseTokenTtl() ${name}`, () => {
    assert.is(parseTokenTtl(header), expected);
  });
}

test('MetadataTokens admits a token for its address until its TTL runs out', () => {
  const tokens = new MetadataTokens();
  const token = tokens.issue('10.0.0.5', 60, 1_000);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(tokens.admits(token, '10.0.0.5', 1_000));
  assert.ok(tokens.admits(token, '10.0.0.5', 60_999));
  assert.not.ok(tokens.admits(token, '10.0.0.5', 61_000));
});

test('MetadataTokens refuses a token from another address, and one it never issued', () => {
  const tokens = new MetadataTokens();
  const token = tokens.issue('10.0.0.5', 60, 0);
  assert.not.ok(tokens.admits(token, '10.0.0.6', 0));
  assert.not.ok(tokens.admits(`${token}x`, '10.0.0.5', 0));
  assert.not.ok(tokens.admits('', '10.0.0.5', 0));
});

test('MetadataTokens drops expired tokens when issuing, and never holds more than MAX_TOKENS', () => {
  const tokens = new MetadataTokens();
  const first = tokens.issue('10.0.0.5', 1, 0);
  tokens.issue('10.0.0.5', 60, 500);
  tokens.issue('10.0.0.5', 60, 1_000);
  assert.is(tokens.size, 2);
  assert.not.ok(tokens.admits(first, '10.0.0.5', 999));
  for (let i = 0; i < MAX_TOKENS + 10; i++) tokens.issue('10.0.0.7', 60, 2_000);
  assert.is(tokens.size, MAX_TOKENS);
});

test.run();
