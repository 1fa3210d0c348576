import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAllianceError } from '../../../../appliance/errors/index.ts';
import { openStore, type Store } from '../../../../appliance/store/index.ts';
import { AuditLog } from '../../../../services/controller/audit/audit-log.ts';
import { hashPassword } from '../../../../services/controller/identity/password-hash.ts';
import { ProjectRepository } from '../../../../services/controller/identity/project-repository.ts';
import { Sessions, type SessionSettings } from '../../../../services/controller/identity/sessions.ts';
import { SlidingWindowLimiter } from '../../../../services/controller/identity/sliding-window-limiter.ts';
import { TokenRepository } from '../../../../services/controller/identity/token-repository.ts';
import { UserRepository } from '../../../../services/controller/identity/user-repository.ts';

const PASSWORD = 'correct horse battery staple';
const SETTINGS: SessionSettings = { accessTtlS: 900, refreshTtlS: 3600, passwordCost: 10, attemptsPerMinute: 3 };
const FROM = { source: '192.0.2.7' };

let store: Store;
let clock: number;
let users: UserRepository;
let projects: ProjectRepository;
let tokens: TokenRepository;
let audit: AuditLog;
let sessions: Sessions;

function setUp(settings: SessionSettings = SETTINGS): void {
  store = openStore(':memory:', { create: true });
  clock = Date.parse('2026-03-01T12:00:00Z');
  const now = (): Date => new Date(clock);
  users = new UserRepository(store.database);
  projects = new ProjectRepository(store.database);
  tokens = new TokenRepository(store.database);
  audit = new AuditLog(store.database, now);
  sessions = new Sessions({ store, users, projects, tokens, audit, now, settings });
}

async function user(name: string, bindings: Record<string, 'cloud-admin' | 'admin' | 'member' | 'reader'> = {}, cost = 10): Promise<string> {
  const made = users.create({ name, passwordHash: await hashPassword(PASSWORD, { cost }) }, new Date(clock));
  for (const [scope, role] of Object.entries(bindings)) users.bind(made.id, { scope: scope === '*' ? '*' : projects.find(scope)!.id, role }, new Date(clock));
  return made.id;
}

async function failure(promise: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    if (isAllianceError(err)) return err.code;
    throw err;
  }
  return 'no error';
}

test.before.each(() => setUp());
test.after.each(() => store.close());

test('Sessions.login() gives a cloud-admin a cloud-wide token when no project is asked', async () => {
  await user('alice', { '*': 'cloud-admin' });
  const s = await sessions.login({ user: 'alice', password: PASSWORD }, FROM);
  assert.is(s.scope, '*');
  assert.equal(s.roles, ['cloud-admin']);
  assert.is(s.expiresAt, '2026-03-01T12:15:00.000Z');
  assert.is(s.refreshExpiresAt, '2026-03-01T13:00:00.000Z');
  const r = tokens.resolve(s.accessToken, new Date(clock));
  assert.ok(r.ok && r.principal.userName === 'alice');
});

test('Sessions.login() scopes the token to the project asked, with the user\'s role there', async () => {
  projects.create({ name: 'web', description: '' }, new Date(clock));
  projects.create({ name: 'db', description: '' }, new Date(clock));
  await user('bob', { web: 'member', db: 'reader' });
  const s = await sessions.login({ user: 'bob', password: PASSWORD, project: 'db' }, FROM);
  assert.equal([s.project?.name, s.roles], ['db', ['reader']]);
});

test('Sessions.login() picks the only project, or gives a personal token listing the choices', async () => {
  projects.create({ name: 'web', description: '' }, new Date(clock));
  projects.create({ name: 'db', description: '' }, new Date(clock));
  await user('one', { web: 'admin' });
  await user('two', { web: 'member', db: 'reader' });
  const only = await sessions.login({ user: 'one', password: PASSWORD }, FROM);
  assert.equal([only.project?.name, only.roles], ['web', ['admin']]);
  const many = await sessions.login({ user: 'two', password: PASSWORD }, FROM);
  assert.equal([many.scope, many.roles, many.projects.map((p) => `${p.name}:${p.role}`)], ['', [], ['db:reader', 'web:member']]);
});

test('Sessions.login() refuses a project the user has no role in', async () => {
  projects.create({ name: 'web', description: '' }, new Date(clock));
  await user('bob');
  assert.is(await failure(sessions.login({ user: 'bob', password: PASSWORD, project: 'web' }, FROM)), 'APL_CTRL_NOT_A_MEMBER');
  assert.is(await failure(sessions.login({ user: 'bob', password: PASSWORD, project: 'nowhere' }, FROM)), 'APL_CTRL_NOT_A_MEMBER');
});

test('Sessions.login() answers an unknown user and a wrong password the same, and audits both without the password', async () => {
  await user('bob');
  const unknown = await failure(sessions.login({ user: 'nobody', password: PASSWORD }, FROM));
  const wrong = await failure(sessions.login({ user: 'bob', password: 'Tr0ub4dor&3-guess' }, FROM));
  assert.equal([unknown, wrong], ['APL_CTRL_LOGIN_FAILED', 'APL_CTRL_LOGIN_FAILED']);
  const entries = audit.list({ action: 'auth.login', limit: 10 });
  assert.equal(entries.map((e) => [e.actor, e.outcome, e.source]), [['bob', 'denied', FROM.source], ['nobody', 'denied', FROM.source]]);
  assert.not.match(JSON.stringify(entries), /Tr0ub4dor|horse/);
});

test('Sessions.login() rate-limits failures per user name and per address, then audits the refusal', async () => {
  await user('bob');
  for (let i = 0; i < 3; i += 1) assert.is(await failure(sessions.login({ user: 'bob', password: 'not the password' }, FROM)), 'APL_CTRL_LOGIN_FAILED');
  try {
    await sessions.login({ user: 'bob', password: PASSWORD }, { source: '198.51.100.1' });
    assert.unreachable('the user name is limited from any address');
  } catch (err) {
    assert.ok(isAllianceError(err, 'APL_CTRL_LOGIN_RATE_LIMITED'));
    assert.is(err.params.retryAfter, 60);
  }
  await user('carol');
  assert.is(await failure(sessions.login({ user: 'carol', password: PASSWORD }, FROM)), 'APL_CTRL_LOGIN_RATE_LIMITED', 'the address is limited for any user');
  assert.is(audit.list({ action: 'auth.login', limit: 1 })[0]!.detail.reason, 'rate limited');
  clock += 60_000;
  assert.is((await sessions.login({ user: 'bob', password: PASSWORD }, FROM)).user, 'bob');
});

test('Sessions audits anonymous refusals at most as often as the refusal throttle allows per address', async () => {
  store.close();
  setUp();
  const now = (): Date => new Date(clock);
  sessions = new Sessions({ store, users, projects, tokens, audit, now, settings: SETTINGS, refusalThrottle: new SlidingWindowLimiter({ limit: 2, windowMs: 60_000 }) });
  for (let i = 0; i < 5; i += 1) assert.is(await failure(() => sessions.refresh(`alc_unknown_${i}`, FROM)), 'APL_CTRL_REFRESH_FAILED');
  assert.is(audit.list({ action: 'auth.refresh', limit: 10 }).length, 2);
  clock += 60_000;
  await failure(() => sessions.refresh('alc_unknown', FROM));
  assert.is(audit.list({ action: 'auth.refresh', limit: 10 }).length, 3);
});

test('Sessions.login() rehashes a password stored at another cost', async () => {
  await user('bob', {}, 11);
  await sessions.login({ user: 'bob', password: PASSWORD }, FROM);
  assert.match(users.passwordHash('bob')!.hash!, /^scrypt\$ln=10,/);
  assert.is(audit.list({ action: 'auth.login', limit: 1 })[0]!.detail.rehashed, true);
});

test('Sessions.login() records the session in the audit log with its scope', async () => {
  await user('alice', { '*': 'cloud-admin' });
  const s = await sessions.login({ user: 'alice', password: PASSWORD }, FROM);
  const [entry] = audit.list({ action: 'auth.login', limit: 1 });
  assert.equal([entry!.actor, entry!.outcome, entry!.detail.scope], ['alice', 'ok', '*']);
  assert.not.ok(JSON.stringify(entry).includes(s.accessToken));
});

test('Sessions.refresh() rotates: a new pair, the old refresh and access tokens revoked', async () => {
  await user('alice', { '*': 'cloud-admin' });
  const first = await sessions.login({ user: 'alice', password: PASSWORD }, FROM);
  clock += 600_000;
  const second = sessions.refresh(first.refreshToken, FROM);
  assert.is.not(second.refreshToken, first.refreshToken);
  assert.is(second.refreshExpiresAt, first.refreshExpiresAt, 'the session keeps its end');
  assert.is(second.expiresAt, '2026-03-01T12:25:00.000Z');
  const old = tokens.resolve(first.accessToken, new Date(clock));
  assert.is(old.ok ? 'ok' : old.problem, 'revoked');
  assert.ok(tokens.resolve(second.accessToken, new Date(clock)).ok);
});

test('Sessions.refresh() of a spent refresh token revokes the whole session, and that sticks', async () => {
  await user('alice', { '*': 'cloud-admin' });
  const first = await sessions.login({ user: 'alice', password: PASSWORD }, FROM);
  const second = sessions.refresh(first.refreshToken, FROM);
  assert.is(await failure(() => sessions.refresh(first.refreshToken, FROM)), 'APL_CTRL_REFRESH_REUSED');
  const now = new Date(clock);
  const access = tokens.resolve(second.accessToken, now);
  assert.is(access.ok ? 'ok' : access.problem, 'revoked');
  assert.is(await failure(() => sessions.refresh(second.refreshToken, FROM)), 'APL_CTRL_REFRESH_REUSED');
  assert.is(audit.list({ action: 'auth.refresh', limit: 2 })[1]!.detail.reason, 'refresh token reused');
});

test('Sessions.refresh() refuses an unknown, an access or an expired token', async () => {
  await user('alice', { '*': 'cloud-admin' });
  const s = await sessions.login({ user: 'alice', password: PASSWORD }, FROM);
  assert.is(await failure(() => sessions.refresh('alc_nonsense', FROM)), 'APL_CTRL_REFRESH_FAILED');
  assert.is(await failure(() => sessions.refresh(s.accessToken, FROM)), 'APL_CTRL_REFRESH_FAILED');
  clock += 3600_000;
  assert.is(await failure(() => sessions.refresh(s.refreshToken, FROM)), 'APL_CTRL_REFRESH_FAILED');
});

test('Sessions.refresh() ends the session when the user lost the role it was for', async () => {
  projects.create({ name: 'web', description: '' }, new Date(clock));
  const bob = await user('bob', { web: 'admin' });
  const s = await sessions.login({ user: 'bob', password: PASSWORD }, FROM);
  users.unbind(bob, projects.find('web')!.id);
  assert.is(await failure(() => sessions.refresh(s.refreshToken, FROM)), 'APL_CTRL_REFRESH_FAILED');
  assert.is.not(tokens.get(s.refreshToken.split('_')[1]!)!.revokedAt, null);
});

test('Sessions.logout() revokes every token of the session and nothing else', async () => {
  await user('alice', { '*': 'cloud-admin' });
  const a = await sessions.login({ user: 'alice', password: PASSWORD }, FROM);
  const b = await sessions.login({ user: 'alice', password: PASSWORD }, FROM);
  const r = tokens.resolve(a.accessToken, new Date(clock));
  assert.ok(r.ok);
  assert.equal(sessions.logout(r.principal, FROM), { revoked: 2 });
  assert.is(await failure(() => sessions.refresh(a.refreshToken, FROM)), 'APL_CTRL_REFRESH_REUSED');
  assert.ok(tokens.resolve(b.accessToken, new Date(clock)).ok);
});

test('Sessions.changePassword() needs the current password and keeps only this session', async () => {
  await user('alice', { '*': 'cloud-admin' });
  const mine = await sessions.login({ user: 'alice', password: PASSWORD }, FROM);
  const other = await sessions.login({ user: 'alice', password: PASSWORD }, FROM);
  const me = tokens.resolve(mine.accessToken, new Date(clock));
  assert.ok(me.ok);
  assert.is(await failure(sessions.changePassword(me.principal, { current: 'not it at all', next: 'a new long passphrase' }, FROM)), 'APL_CTRL_WRONG_PASSWORD');
  assert.is(await failure(sessions.changePassword(me.principal, { current: PASSWORD, next: 'short' }, FROM)), 'APL_CTRL_WEAK_PASSWORD');
  assert.equal(await sessions.changePassword(me.principal, { current: PASSWORD, next: 'a new long passphrase' }, FROM), { revokedSessions: 2 });
  assert.ok(tokens.resolve(mine.accessToken, new Date(clock)).ok);
  assert.not.ok(tokens.resolve(other.accessToken, new Date(clock)).ok);
  assert.is(await failure(sessions.login({ user: 'alice', password: PASSWORD }, { source: '198.51.100.9' })), 'APL_CTRL_LOGIN_FAILED');
  assert.is((await sessions.login({ user: 'alice', password: 'a new long passphrase' }, { source: '198.51.100.9' })).user, 'alice');
});

test('Sessions.changePassword() refuses an API key', async () => {
  const alice = await user('alice', { '*': 'cloud-admin' });
  const key = tokens.issue({ kind: 'api-key', userId: alice, scope: '*', roles: ['cloud-admin'], expiresAt: null }, new Date(clock));
  const r = tokens.resolve(key.secret.token, new Date(clock));
  assert.ok(r.ok);
  assert.is(await failure(sessions.changePassword(r.principal, { current: PASSWORD, next: 'a new long passphrase' }, FROM)), 'APL_CTRL_SESSION_ONLY');
});

test.run();
