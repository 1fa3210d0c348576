import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { codeOf, controllerFixture, PASSWORD, type Fixture } from './_controller-fixture.ts';

let f: Fixture;

test.before.each(async () => {
  f = await controllerFixture({ config: { login_attempts_per_minute: 3 } });
  f.project('web');
  await f.user('root', { cloudAdmin: true });
  await f.user('bob', { roles: { web: 'member' } });
});
test.after.each(async () => f.close());

test('POST /auth/login answers tokens that whoami recognises', async () => {
  const s = await f.login('bob');
  assert.match(s.accessToken, /^alc_/);
  const me = await f.call('GET', '/api/v1/auth/whoami', { token: s.accessToken });
  assert.is(me.statusCode, 200);
  assert.equal(me.json<Record<string, unknown>>().user, 'bob');
  assert.equal(me.json<{ project: { name: string } }>().project.name, 'web');
  assert.equal(me.json<Record<string, unknown>>().roles, ['member']);
});

test('POST /auth/login fails for everyone when there are no users: the first visitor cannot make one', async () => {
  const empty = await controllerFixture();
  try {
    const res = await empty.call('POST', '/api/v1/auth/login', { body: { user: 'admin', password: PASSWORD } });
    assert.equal([res.statusCode, codeOf(res)], [401, 'APL_CTRL_LOGIN_FAILED']);
    const make = await empty.call('POST', '/api/v1/users', { body: { name: 'admin', password: PASSWORD } });
    assert.is(make.statusCode, 401);
  } finally {
    await empty.close();
  }
});

test('POST /auth/login answers 400 naming the field', async () => {
  const extra = await f.call('POST', '/api/v1/auth/login', { body: { user: 'bob', password: PASSWORD, admin: true } });
  assert.equal([extra.statusCode, codeOf(extra)], [400, 'APL_API_INVALID_REQUEST']);
  assert.match(extra.json<{ error: { message: string } }>().error.message, /"admin"/);
  const missing = await f.call('POST', '/api/v1/auth/login', { body: { user: 'bob' } });
  assert.match(missing.json<{ error: { message: string } }>().error.message, /password/);
  const badName = await f.call('POST', '/api/v1/auth/login', { body: { user: 'Bob Smith', password: PASSWORD } });
  assert.match(badName.json<{ error: { message: string } }>().error.message, /body\/user/);
});

test('POST /auth/login answers 429 with Retry-After once the failures per minute are used up, and audits it', async () => {
  for (let i = 0; i < 3; i += 1) {
    const res = await f.call('POST', '/api/v1/auth/login', { body: { user: 'bob', password: 'not the password' } });
    assert.is(res.statusCode, 401);
  }
  const limited = await f.call('POST', '/api/v1/auth/login', { body: { user: 'bob', password: PASSWORD } });
  assert.equal([limited.statusCode, codeOf(limited), limited.headers['retry-after']], [429, 'APL_CTRL_LOGIN_RATE_LIMITED', '60']);
  const [entry] = f.core.audit.list({ action: 'auth.login', limit: 1 });
  assert.equal([entry!.outcome, entry!.detail.reason, entry!.source], ['denied', 'rate limited', '192.0.2.10']);
  f.advance(60);
  assert.is((await f.login('bob')).scope.startsWith('prj_'), true);
});

test('POST /auth/refresh rotates the pair; presenting the old refresh token again revokes the session', async () => {
  const first = await f.login('root');
  const rotated = await f.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
  assert.is(rotated.statusCode, 200, rotated.body);
  const second = rotated.json<{ accessToken: string; refreshToken: string }>();
  assert.is((await f.call('GET', '/api/v1/auth/whoami', { token: second.accessToken })).statusCode, 200);
  const old = await f.call('GET', '/api/v1/auth/whoami', { token: first.accessToken });
  assert.equal([old.statusCode, codeOf(old)], [401, 'APL_CTRL_TOKEN_REVOKED']);

  const reuse = await f.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
  assert.equal([reuse.statusCode, codeOf(reuse)], [401, 'APL_CTRL_REFRESH_REUSED']);
  const after = await f.call('GET', '/api/v1/auth/whoami', { token: second.accessToken });
  assert.equal([after.statusCode, codeOf(after)], [401, 'APL_CTRL_TOKEN_REVOKED']);
  const [entry] = f.core.audit.list({ action: 'auth.refresh', limit: 1 });
  assert.equal([entry!.outcome, entry!.detail.reason], ['denied', 'refresh token reused']);
});

test('an access token expires after controller.access_token_ttl_s', async () => {
  const s = await f.login('root');
  f.advance(899);
  assert.is((await f.call('GET', '/api/v1/auth/whoami', { token: s.accessToken })).statusCode, 200);
  f.advance(1);
  const res = await f.call('GET', '/api/v1/auth/whoami', { token: s.accessToken });
  assert.equal([res.statusCode, codeOf(res)], [401, 'APL_CTRL_TOKEN_EXPIRED']);
  assert.is((await f.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: s.refreshToken } })).statusCode, 200);
});

test('POST /auth/logout revokes the token and its session, audited', async () => {
  const s = await f.login('bob');
  const out = await f.call('POST', '/api/v1/auth/logout', { token: s.accessToken });
  assert.equal([out.statusCode, out.json()], [200, { revoked: 2 }]);
  assert.equal(codeOf(await f.call('GET', '/api/v1/auth/whoami', { token: s.accessToken })), 'APL_CTRL_TOKEN_REVOKED');
  assert.equal(codeOf(await f.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: s.refreshToken } })), 'APL_CTRL_REFRESH_REUSED');
  assert.is(f.core.audit.list({ action: 'auth.logout', limit: 1 })[0]!.actor, 'bob');
});

test('POST /auth/password changes the caller\'s own password', async () => {
  const s = await f.login('bob');
  const wrong = await f.call('POST', '/api/v1/auth/password', { token: s.accessToken, body: { current: 'not my password', new: 'a brand new passphrase' } });
  assert.equal([wrong.statusCode, codeOf(wrong)], [403, 'APL_CTRL_WRONG_PASSWORD']);
  const weak = await f.call('POST', '/api/v1/auth/password', { token: s.accessToken, body: { current: PASSWORD, new: 'short' } });
  assert.equal([weak.statusCode, codeOf(weak)], [400, 'APL_CTRL_WEAK_PASSWORD']);
  assert.match(weak.json<{ error: { message: string } }>().error.message, /5 characters, at least 12/);
  const ok = await f.call('POST', '/api/v1/auth/password', { token: s.accessToken, body: { current: PASSWORD, new: 'a brand new passphrase' } });
  assert.is(ok.statusCode, 200);
  const login = await f.call('POST', '/api/v1/auth/login', { body: { user: 'bob', password: 'a brand new passphrase' } });
  assert.is(login.statusCode, 200);
});

test('no answer carries a password or a stored hash', async () => {
  const s = await f.login('root');
  for (const url of ['/api/v1/users', '/api/v1/users/bob', '/api/v1/audit?limit=100']) {
    const res = await f.call('GET', url, { token: s.accessToken });
    assert.is(res.statusCode, 200, url);
    assert.not.match(res.body, /scrypt\$|horse battery/, url);
  }
  assert.not.match(f.logged.join('\n'), /horse battery|alc_[a-z2-7]{16}_/);
});

test.run();
