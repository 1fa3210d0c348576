import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openStore, type Store } from '../../../../appliance/store/index.ts';
import { ProjectRepository } from '../../../../services/controller/identity/project-repository.ts';
import { TokenRepository } from '../../../../services/controller/identity/token-repository.ts';
import { parseToken } from '../../../../services/controller/identity/token-secret.ts';
import { UserRepository } from '../../../../services/controller/identity/user-repository.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
const later = (s: number): Date => new Date(NOW.getTime() + s * 1000);

let store: Store;
let tokens: TokenRepository;
let users: UserRepository;
let projectId: string;
let userId: string;

test.before.each(() => {
  store = openStore(':memory:', { create: true });
  tokens = new TokenRepository(store.database);
  users = new UserRepository(store.database);
  projectId = new ProjectRepository(store.database).create({ name: 'web', description: '' }, NOW).id;
  userId = users.create({ name: 'bob', passwordHash: 'x' }, NOW).id;
  users.bind(userId, { scope: projectId, role: 'admin' }, NOW);
});
test.after.each(() => store.close());

test('TokenRepository.issue() stores only the hash of the secret', () => {
  const { secret } = tokens.issue({ kind: 'access', userId, scope: projectId, roles: ['admin'], expiresAt: later(60) }, NOW);
  const row = store.database.prepare('SELECT * FROM tokens WHERE id = ?').get(secret.id) as Record<string, unknown>;
  assert.is(row.secret_hash, secret.secretHash);
  assert.not.ok(JSON.stringify(row).includes(parseToken(secret.token)!.secret));
});

test('TokenRepository.resolve() turns a live token into its principal', () => {
  const { secret } = tokens.issue({ kind: 'access', userId, scope: projectId, roles: ['member'], expiresAt: later(60) }, NOW);
  const r = tokens.resolve(secret.token, NOW);
  assert.ok(r.ok);
  assert.equal(r.principal, { kind: 'user', userId, userName: 'bob', tokenId: secret.id, scope: projectId, roles: ['member'], expiresAt: later(60).toISOString() });
});

test('TokenRepository.resolve() refuses malformed, unknown, wrong-secret and refresh tokens alike', () => {
  const { secret } = tokens.issue({ kind: 'access', userId, scope: projectId, roles: ['admin'], expiresAt: null }, NOW);
  const refresh = tokens.issue({ kind: 'refresh', userId, scope: projectId, roles: ['admin'], familyId: 'self', expiresAt: null }, NOW).secret;
  const wrongSecret = `${secret.token.slice(0, -1)}${secret.token.endsWith('A') ? 'B' : 'A'}`;
  for (const token of ['garbage', `alc_${'a'.repeat(16)}_${'A'.repeat(43)}`, wrongSecret, refresh.token]) {
    assert.equal(tokens.resolve(token, NOW), { ok: false, problem: 'invalid' }, token);
  }
});

test('TokenRepository.resolve() says expired at and after the expiry', () => {
  const { secret } = tokens.issue({ kind: 'access', userId, scope: projectId, roles: ['admin'], expiresAt: later(60) }, NOW);
  assert.ok(tokens.resolve(secret.token, later(59)).ok);
  const r = tokens.resolve(secret.token, later(60));
  assert.is(r.ok ? 'ok' : r.problem, 'expired');
});

test('TokenRepository.revoke() makes a token revoked', () => {
  const { secret } = tokens.issue({ kind: 'api-key', userId, scope: projectId, roles: ['reader'], expiresAt: null }, NOW);
  assert.ok(tokens.revoke(secret.id, NOW));
  assert.not.ok(tokens.revoke(secret.id, NOW), 'already revoked');
  const r = tokens.resolve(secret.token, NOW);
  assert.is(r.ok ? 'ok' : r.problem, 'revoked');
});

test('TokenRepository.resolve() follows the user binding: capped when lowered, refused when gone', () => {
  const { secret } = tokens.issue({ kind: 'api-key', userId, scope: projectId, roles: ['admin'], expiresAt: null }, NOW);
  users.bind(userId, { scope: projectId, role: 'reader' }, NOW);
  const capped = tokens.resolve(secret.token, NOW);
  assert.equal(capped.ok ? capped.principal.roles : capped.problem, ['reader']);
  users.unbind(userId, projectId);
  const gone = tokens.resolve(secret.token, NOW);
  assert.is(gone.ok ? 'ok' : gone.problem, 'revoked');
});

test('TokenRepository.revokeFamily() revokes one session, optionally only some kinds', () => {
  const root = tokens.issue({ kind: 'refresh', userId, scope: projectId, roles: ['admin'], familyId: 'self', expiresAt: null }, NOW);
  const access = tokens.issue({ kind: 'access', userId, scope: projectId, roles: ['admin'], familyId: root.secret.id, expiresAt: null }, NOW);
  const other = tokens.issue({ kind: 'access', userId, scope: projectId, roles: ['admin'], familyId: 'other', expiresAt: null }, NOW);
  assert.is(root.record.familyId, root.secret.id);
  assert.is(tokens.revokeFamily({ userId, familyId: root.secret.id }, { now: NOW, kinds: ['access'] }), 1);
  assert.is(tokens.get(root.secret.id)!.revokedAt, null);
  assert.is(tokens.revokeFamily({ userId, familyId: root.secret.id }, { now: NOW }), 1);
  assert.is.not(tokens.get(root.secret.id)!.revokedAt, null);
  assert.is.not(tokens.get(access.secret.id)!.revokedAt, null);
  assert.is(tokens.get(other.secret.id)!.revokedAt, null);
});

test('TokenRepository.revokeSessions() spares API keys and the session asked for', () => {
  const keep = tokens.issue({ kind: 'access', userId, scope: projectId, roles: ['admin'], familyId: 'keep', expiresAt: null }, NOW);
  const drop = tokens.issue({ kind: 'access', userId, scope: projectId, roles: ['admin'], familyId: 'drop', expiresAt: null }, NOW);
  const key = tokens.issue({ kind: 'api-key', userId, scope: projectId, roles: ['admin'], expiresAt: null }, NOW);
  assert.is(tokens.revokeSessions(userId, { now: NOW, exceptFamily: 'keep' }), 1);
  assert.is(tokens.get(keep.secret.id)!.revokedAt, null);
  assert.is.not(tokens.get(drop.secret.id)!.revokedAt, null);
  assert.is(tokens.get(key.secret.id)!.revokedAt, null);
});

test('TokenRepository.apiKeys() lists a project\'s keys, optionally one user\'s', () => {
  const other = users.create({ name: 'carol', passwordHash: 'x' }, NOW).id;
  tokens.issue({ kind: 'api-key', userId, scope: projectId, roles: ['admin'], name: 'ci', expiresAt: null }, NOW);
  tokens.issue({ kind: 'api-key', userId: other, scope: projectId, roles: ['reader'], name: 'dash', expiresAt: null }, NOW);
  tokens.issue({ kind: 'access', userId, scope: projectId, roles: ['admin'], expiresAt: null }, NOW);
  assert.equal(tokens.apiKeys(projectId).map((k) => k.name).sort(), ['ci', 'dash']);
  assert.equal(tokens.apiKeys(projectId, { userId: other }).map((k) => [k.name, k.userName]), [['dash', 'carol']]);
});

test.run();
