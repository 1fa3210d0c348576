import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAllianceError } from '../../../../appliance/errors/index.ts';
import { checkPasswordPolicy, hashPassword, needsRehash, verifyPassword } from '../../../../services/controller/identity/password-hash.ts';

const COST = 10;

test('hashPassword() writes a PHC-like scrypt string with its parameters and a random salt', async () => {
  const a = await hashPassword('correct horse battery staple', { cost: COST });
  const b = await hashPassword('correct horse battery staple', { cost: COST });
  assert.match(a, /^scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
  assert.is.not(a, b, 'two hashes of one password differ by their salt');
  assert.not.match(a, /horse/);
});

test('verifyPassword() accepts the password and refuses any other', async () => {
  const stored = await hashPassword('correct horse battery staple', { cost: COST });
  assert.ok(await verifyPassword('correct horse battery staple', stored));
  assert.not.ok(await verifyPassword('correct horse battery stapl', stored));
  assert.not.ok(await verifyPassword('', stored));
});

test('verifyPassword() never matches a malformed or out-of-bounds hash', async () => {
  for (const stored of ['', 'plain', 'scrypt$ln=10,r=8,p=1$AAAA', 'scrypt$ln=40,r=8,p=1$AAAA$AAAA', 'bcrypt$2b$10$abc']) {
    assert.not.ok(await verifyPassword('anything at all', stored), stored);
  }
});

test('verifyPassword() treats composed and decomposed unicode alike', async () => {
  const stored = await hashPassword('caf\u00e9 au lait, s\u2019il vous pla\u00eet', { cost: COST });
  assert.ok(await verifyPassword('cafe\u0301 au lait, s\u2019il vous pla\u00eet', stored));
});

test('needsRehash() says so when the cost changed or the hash is not ours', async () => {
  const stored = await hashPassword('correct horse battery staple', { cost: COST });
  assert.not.ok(needsRehash(stored, { cost: COST }));
  assert.ok(needsRehash(stored, { cost: COST + 1 }));
  assert.ok(needsRehash('something else', { cost: COST }));
});

test('checkPasswordPolicy() refuses fewer than 12 characters, saying how many there were', () => {
  checkPasswordPolicy('twelve chars');
  try {
    checkPasswordPolicy('eleven char');
    assert.unreachable();
  } catch (err) {
    assert.ok(isAllianceError(err, 'APL_CTRL_WEAK_PASSWORD'));
    assert.match(err.message, /11 characters, at least 12/);
  }
});

test.run();
