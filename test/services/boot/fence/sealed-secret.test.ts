import { inspect } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newSecretKey, openSecret, parseSecretKey, sealSecret } from '../../../../services/boot/fence/sealed-secret.ts';

const KEY = parseSecretKey(`${'0123456789abcdef'.repeat(4)}\n`);
const IV = Buffer.alloc(12, 7);

test('sealSecret() renders a v1 sealed value, fixed for a fixed IV', () => {
  const sealed = sealSecret('hunter2', { key: KEY, context: 'host-1', iv: IV });
  assert.match(sealed, /^v1\.[A-Za-z0-9_-]+$/);
  assert.is(sealed, sealSecret('hunter2', { key: KEY, context: 'host-1', iv: IV }));
  assert.not.ok(sealed.includes('hunter2'));
});

test('openSecret() opens what sealSecret() sealed', () => {
  for (const text of ['hunter2', '', 'pässwörd with spaces', 'x'.repeat(1000)]) {
    assert.is(openSecret(sealSecret(text, { key: KEY, context: 'h' }), { key: KEY, context: 'h' }).reveal(), text);
  }
});

test('sealSecret() uses a fresh IV each time', () => {
  assert.is.not(sealSecret('a', { key: KEY }), sealSecret('a', { key: KEY }));
});

const tampered: Record<string, [string, Buffer, string | undefined, RegExp]> = {
  'a flipped byte': [flip(sealSecret('hunter2', { key: KEY, context: 'h' })), KEY, 'h', /authentication tag does not match/],
  'another key': [sealSecret('hunter2', { key: KEY, context: 'h' }), newSecretKey(), 'h', /authentication tag does not match/],
  'another host (context)': [sealSecret('hunter2', { key: KEY, context: 'h' }), KEY, 'other', /authentication tag does not match/],
  'no prefix': ['AAAA', KEY, undefined, /not a v1 sealed value/],
  'a cut value': ['v1.AAAA', KEY, undefined, /too short/],
  'characters outside base64url': ['v1.AA AA', KEY, undefined, /not a v1 sealed value/],
};
for (const [name, [sealed, key, context, message]] of Object.entries(tampered)) {
  test(`openSecret() refuses ${name}`, () => {
    try {
      openSecret(sealed, { key, ...(context === undefined ? {} : { context }) });
      assert.unreachable('opened');
    } catch (e) {
      assert.is((e as { code?: string }).code, 'APL_BOOT_SECRET_UNREADABLE');
      assert.match((e as Error).message, message);
    }
  });
}

test('parseSecretKey() refuses a key file that is not 64 hex digits', () => {
  assert.throws(() => parseSecretKey('abcd'), /64 hex digits/);
  assert.throws(() => sealSecret('x', { key: Buffer.alloc(16) }), /16 bytes, not 32/);
});

test('openSecret() gives a value that never prints', () => {
  const secret = openSecret(sealSecret('hunter2', { key: KEY }), { key: KEY });
  const shown = [String(secret), secret.toString(), JSON.stringify({ secret }), inspect(secret), inspect({ secret })].join(' ');
  assert.not.ok(shown.includes('hunter2'), shown);
});

function flip(sealed: string): string {
  const raw = Buffer.from(sealed.slice(3), 'base64url');
  raw[raw.length - 1]! ^= 1;
  return `v1.${raw.toString('base64url')}`;
}

test.run();
