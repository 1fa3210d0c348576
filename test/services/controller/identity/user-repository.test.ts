import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openStore, type Store } from '../../../../appliance/store/index.ts';
import { TokenRepository } from '../../../../services/controller/identity/token-repository.ts';
import { UserRepository } from '../../../../services/controller/identity/user-repository.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
let store: Store;
let users: UserRepository;

test.before.each(() => {
  store = openStore(':memory:', { create: true });
  users = new UserRepository(store.database);
});
test.after.each(() => store.close());

test('UserRepository.create() keeps the hash apart from what find() returns', () => {
  const made = users.create({ name: 'bob', passwordHash: 'scrypt$secret' }, NOW);
  assert.equal(users.find('bob'), made);
  assert.not.ok(JSON.stringify(users.find('bob')).includes('scrypt'));
  assert.is(users.passwordHash('bob')!.hash, 'scrypt$secret');
  users.setPasswordHash(made.id, 'scrypt$other');
  assert.is(users.passwordHash('bob')!.hash, 'scrypt$other');
});

test('UserRepository.bind() replaces the role in a scope; unbind() removes it', () => {
  const bob = users.create({ name: 'bob', passwordHash: 'x' }, NOW);
  users.bind(bob.id, { scope: 'prj_a', role: 'reader' }, NOW);
  users.bind(bob.id, { scope: 'prj_a', role: 'admin' }, NOW);
  assert.is(users.role(bob.id, 'prj_a'), 'admin');
  assert.is(users.countWithRole('prj_a', 'admin'), 1);
  assert.ok(users.unbind(bob.id, 'prj_a'));
  assert.not.ok(users.unbind(bob.id, 'prj_a'));
  assert.is(users.role(bob.id, 'prj_a'), undefined);
});

test('UserRepository.bind() refuses cloud-admin outside "*" and project roles on "*" (store check)', () => {
  const bob = users.create({ name: 'bob', passwordHash: 'x' }, NOW);
  assert.throws(() => users.bind(bob.id, { scope: 'prj_a', role: 'cloud-admin' }, NOW), /CHECK/);
  assert.throws(() => users.bind(bob.id, { scope: '*', role: 'admin' }, NOW), /CHECK/);
});

test('UserRepository.delete() takes bindings and tokens with the user', () => {
  const bob = users.create({ name: 'bob', passwordHash: 'x' }, NOW);
  users.bind(bob.id, { scope: '*', role: 'cloud-admin' }, NOW);
  const tokens = new TokenRepository(store.database);
  const key = tokens.issue({ kind: 'api-key', userId: bob.id, scope: '*', roles: ['cloud-admin'], expiresAt: null }, NOW);
  assert.ok(users.delete(bob.id));
  assert.is(users.find('bob'), undefined);
  assert.is(users.countWithRole('*', 'cloud-admin'), 0);
  assert.is(tokens.get(key.secret.id), undefined);
});

test.run();
