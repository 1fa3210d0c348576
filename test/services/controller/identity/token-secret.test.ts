import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hashSecret, newId, newTokenSecret, parseToken, secretMatches } from '../../../../services/controller/identity/token-secret.ts';

test('newTokenSecret() makes alc_<id>_<secret> and keeps only the hash of the secret', () => {
  const made = newTokenSecret();
  assert.match(made.token, /^alc_[a-z2-7]{16}_[A-Za-z0-9_-]{43}$/);
  const parsed = parseToken(made.token)!;
  assert.is(parsed.id, made.id);
  assert.is(made.secretHash, hashSecret(parsed.secret));
  assert.not.ok(made.token.includes(made.secretHash));
  assert.is.not(newTokenSecret().token, made.token);
});

const SHAPES: Record<string, [string, boolean]> = {
  'a token of our shape': [`alc_abcdefghijklmnop_${'A'.repeat(43)}`, true],
  'a secret with - and _': [`alc_abcdefghijklmnop_${'a_-'.repeat(14)}x`, true],
  'another prefix': [`tok_abcdefghijklmnop_${'A'.repeat(43)}`, false],
  'an id with letters outside base32': [`alc_abcdefghijklmno1_${'A'.repeat(43)}`, false],
  'a short secret': [`alc_abcdefghijklmnop_${'A'.repeat(42)}`, false],
  'trailing text': [`alc_abcdefghijklmnop_${'A'.repeat(43)} x`, false],
  'nothing': ['', false],
};

for (const [name, [text, ok]] of Object.entries(SHAPES)) {
  test(`parseToken() ${ok ? 'accepts' : 'refuses'} ${name}`, () => {
    assert.is(parseToken(text) !== undefined, ok);
  });
}

test('secretMatches() compares the secret with the stored hash', () => {
  const made = newTokenSecret();
  const secret = parseToken(made.token)!.secret;
  assert.ok(secretMatches(secret, made.secretHash));
  assert.not.ok(secretMatches(`${secret.slice(0, -1)}x`, made.secretHash));
  assert.not.ok(secretMatches(secret, 'not hex'));
});

test('newId() puts a readable prefix before random base32', () => {
  assert.match(newId('prj'), /^prj_[a-z2-7]{16}$/);
  assert.is.not(newId('prj'), newId('prj'));
});

test.run();
