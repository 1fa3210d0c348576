import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureSecretKey } from '../../../../services/boot/fence/secret-key-file.ts';
import { openSecret, sealSecret } from '../../../../services/boot/fence/sealed-secret.ts';

const dir = mkdtempSync(join(tmpdir(), 'alliance-secret-key-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('ensureSecretKey() makes a 0600 key file once and reads the same key after', () => {
  const path = join(dir, 'secrets', 'bmc.key');
  const key = ensureSecretKey(path);
  assert.is(key.length, 32);
  assert.is(statSync(path).mode & 0o777, 0o600);
  const again = ensureSecretKey(path);
  assert.ok(again.equals(key));
  assert.is(openSecret(sealSecret('pw', { key }), { key: again }).reveal(), 'pw');
});

test('ensureSecretKey() refuses a key file that is not a key', () => {
  const path = join(dir, 'bad.key');
  writeFileSync(path, 'not a key\n');
  assert.throws(() => ensureSecretKey(path), /64 hex digits/);
});

test.run();
