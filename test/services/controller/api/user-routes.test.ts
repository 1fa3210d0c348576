import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { codeOf, controllerFixture, PASSWORD, type Fixture } from './_controller-fixture.ts';

let f: Fixture;
let root: string;

interface UserDetail {
  name: string;
  cloudAdmin: boolean;
  bindings: { scope: string; project: string | null; role: string }[];
}

test.before.each(async () => {
  f = await controllerFixture();
  f.project('web');
  await f.user('root', { cloudAdmin: true });
  root = (await f.login('root')).accessToken;
});
test.after.each(async () => f.close());

const create = (body: Record<string, unknown>) => f.call('POST', '/api/v1/users', { token: root, body });

test('POST /users creates a user who can log in, with an optional first role', async () => {
  const plain = await create({ name: 'bob', password: PASSWORD });
  assert.equal([plain.statusCode, plain.json<UserDetail>().bindings], [201, []]);
  const member = await create({ name: 'carol', password: PASSWORD, project: 'web' });
  assert.equal(member.json<UserDetail>().bindings.map((b) => [b.project, b.role]), [['web', 'member']]);
  const admin = await create({ name: 'dave', password: PASSWORD, role: 'cloud-admin' });
  assert.equal([admin.json<UserDetail>().cloudAdmin, admin.json<UserDetail>().bindings[0]!.scope], [true, '*']);
  assert.equal((await f.login('carol')).scope, f.core.projects.find('web')!.id);
  const [entry] = f.core.audit.list({ action: 'users.create', limit: 1 });
  assert.equal([entry!.actor, entry!.target, entry!.detail.role], ['root', 'dave', 'cloud-admin']);
  assert.not.match(JSON.stringify(f.core.audit.list({ limit: 50 })), /horse/);
});

test('POST /users refuses a short password, a taken name and role/project mismatches', async () => {
  const cases: [Record<string, unknown>, number, string][] = [
    [{ name: 'bob', password: 'short' }, 400, 'APL_CTRL_WEAK_PASSWORD'],
    [{ name: 'root', password: PASSWORD }, 409, 'APL_CTRL_USER_EXISTS'],
    [{ name: 'bob', password: PASSWORD, role: 'cloud-admin', project: 'web' }, 400, 'APL_CTRL_ROLE_INVALID'],
    [{ name: 'bob', password: PASSWORD, role: 'admin' }, 400, 'APL_CTRL_ROLE_INVALID'],
    [{ name: 'bob', password: PASSWORD, project: 'nowhere' }, 404, 'APL_CTRL_PROJECT_NOT_FOUND'],
    [{ name: 'bob', password: PASSWORD, extra: 1 }, 400, 'APL_API_INVALID_REQUEST'],
  ];
  for (const [body, status, code] of cases) {
    const res = await create(body);
    assert.equal([res.statusCode, codeOf(res)], [status, code], JSON.stringify(body));
  }
  assert.is(f.core.users.find('bob'), undefined);
});

test('GET /users and /users/:user show users without secrets', async () => {
  await create({ name: 'bob', password: PASSWORD, project: 'web', role: 'reader' });
  const list = await f.call('GET', '/api/v1/users', { token: root });
  assert.equal(list.json<{ users: { name: string; cloudAdmin: boolean }[] }>().users.map((u) => [u.name, u.cloudAdmin]), [['bob', false], ['root', true]]);
  const bob = await f.call('GET', '/api/v1/users/bob', { token: root });
  assert.equal(bob.json<UserDetail>().bindings.map((b) => [b.project, b.role]), [['web', 'reader']]);
  assert.not.match(list.body + bob.body, /scrypt|password/i);
  assert.equal(codeOf(await f.call('GET', '/api/v1/users/nobody', { token: root })), 'APL_CTRL_USER_NOT_FOUND');
});

test('DELETE /users/:user removes the user and their tokens, but never the last cloud-admin', async () => {
  await create({ name: 'bob', password: PASSWORD, project: 'web' });
  const bob = (await f.login('bob')).accessToken;
  assert.is((await f.call('DELETE', '/api/v1/users/bob', { token: root })).statusCode, 200);
  assert.is((await f.call('GET', '/api/v1/auth/whoami', { token: bob })).statusCode, 401);
  const last = await f.call('DELETE', '/api/v1/users/root', { token: root });
  assert.equal([last.statusCode, codeOf(last)], [409, 'APL_CTRL_LAST_ADMIN']);
});

test('POST /users/:user/password sets the password and ends the user\'s sessions', async () => {
  await create({ name: 'bob', password: PASSWORD, project: 'web' });
  const bob = await f.login('bob');
  const res = await f.call('POST', '/api/v1/users/bob/password', { token: root, body: { password: 'a fresh long passphrase' } });
  assert.equal([res.statusCode, res.json<{ revokedSessions: number }>().revokedSessions], [200, 2]);
  assert.is((await f.call('GET', '/api/v1/auth/whoami', { token: bob.accessToken })).statusCode, 401);
  assert.is((await f.call('POST', '/api/v1/auth/login', { body: { user: 'bob', password: 'a fresh long passphrase' } })).statusCode, 200);
  const weak = await f.call('POST', '/api/v1/users/bob/password', { token: root, body: { password: 'short' } });
  assert.equal(codeOf(weak), 'APL_CTRL_WEAK_PASSWORD');
});

test.run();
