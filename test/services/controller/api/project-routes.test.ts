import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { codeOf, controllerFixture, type Fixture } from './_controller-fixture.ts';

let f: Fixture;
let root: string;

test.before.each(async () => {
  f = await controllerFixture();
  f.project('web');
  await f.user('root', { cloudAdmin: true });
  await f.user('wadmin', { roles: { web: 'admin' } });
  await f.user('zed', { roles: { web: 'reader' } });
  root = (await f.login('root')).accessToken;
});
test.after.each(async () => f.close());

test('POST /projects creates a project and its audit entry together', async () => {
  const res = await f.call('POST', '/api/v1/projects', { token: root, body: { name: 'shop', description: 'the shop' } });
  assert.is(res.statusCode, 201, res.body);
  const made = res.json<{ id: string; name: string; description: string }>();
  assert.equal([made.name, made.description], ['shop', 'the shop']);
  const [entry] = f.core.audit.list({ action: 'projects.create', limit: 1 });
  assert.equal([entry!.actor, entry!.actorKind, entry!.target, entry!.projectId, entry!.outcome, entry!.source], ['root', 'user', 'shop', made.id, 'ok', '192.0.2.10']);
});

test('POST /projects refuses a taken name with 409 and audits the failure', async () => {
  const res = await f.call('POST', '/api/v1/projects', { token: root, body: { name: 'web' } });
  assert.equal([res.statusCode, codeOf(res)], [409, 'APL_CTRL_PROJECT_EXISTS']);
  const [entry] = f.core.audit.list({ limit: 1 });
  assert.equal([entry!.action, entry!.outcome, entry!.detail.code], ['POST /api/v1/projects', 'failed', 'APL_CTRL_PROJECT_EXISTS']);
});

test('POST /projects names the field a bad name is in', async () => {
  const res = await f.call('POST', '/api/v1/projects', { token: root, body: { name: 'Not_A_Label' } });
  assert.is(res.statusCode, 400);
  assert.match(res.json<{ error: { message: string } }>().error.message, /body\/name must match pattern/);
});

test('GET /projects lists all for a cloud-admin and only their own for others', async () => {
  f.project('db');
  const all = await f.call('GET', '/api/v1/projects', { token: root });
  assert.equal(all.json<{ projects: { name: string }[] }>().projects.map((p) => p.name), ['db', 'web']);
  const own = await f.call('GET', '/api/v1/projects', { token: (await f.login('wadmin')).accessToken });
  assert.equal(own.json<{ projects: { name: string; role: string }[] }>().projects.map((p) => [p.name, p.role]), [['web', 'admin']]);
});

test('GET /projects/:project takes a name or an id', async () => {
  const id = f.core.projects.find('web')!.id;
  const token = (await f.login('zed')).accessToken;
  for (const ref of ['web', id]) {
    const res = await f.call('GET', `/api/v1/projects/${ref}`, { token });
    assert.equal([res.statusCode, res.json<{ id: string }>().id], [200, id], ref);
  }
});

test('PUT /projects/:project/members/:user grants a role; DELETE takes it and the user\'s tokens for the project', async () => {
  const admin = (await f.login('wadmin')).accessToken;
  const zed = (await f.login('zed')).accessToken;
  const grant = await f.call('PUT', '/api/v1/projects/web/members/zed', { token: admin, body: { role: 'member' } });
  assert.equal([grant.statusCode, grant.json<{ user: string; role: string }>().role], [200, 'member']);
  assert.equal(f.core.audit.list({ action: 'projects.grant', limit: 1 })[0]!.detail, { role: 'member', before: 'reader' });
  const members = await f.call('GET', '/api/v1/projects/web/members', { token: zed });
  assert.equal(members.json<{ members: { user: string; role: string }[] }>().members.map((m) => [m.user, m.role]), [['wadmin', 'admin'], ['zed', 'member']]);

  const revoke = await f.call('DELETE', '/api/v1/projects/web/members/zed', { token: admin });
  assert.is(revoke.statusCode, 200, revoke.body);
  assert.ok(revoke.json<{ revokedTokens: number }>().revokedTokens >= 2);
  assert.equal(codeOf(await f.call('GET', '/api/v1/projects/web', { token: zed })), 'APL_CTRL_TOKEN_REVOKED');
  const again = await f.call('DELETE', '/api/v1/projects/web/members/zed', { token: admin });
  assert.equal([again.statusCode, codeOf(again)], [404, 'APL_CTRL_MEMBER_NOT_FOUND']);
});

test('PUT /projects/:project/members/:user refuses an unknown user and an unknown role', async () => {
  const missing = await f.call('PUT', '/api/v1/projects/web/members/nobody', { token: root, body: { role: 'member' } });
  assert.equal([missing.statusCode, codeOf(missing)], [404, 'APL_CTRL_USER_NOT_FOUND']);
  const role = await f.call('PUT', '/api/v1/projects/web/members/zed', { token: root, body: { role: 'cloud-admin' } });
  assert.equal([role.statusCode, codeOf(role)], [400, 'APL_API_INVALID_REQUEST']);
});

test('a project admin cannot remove or demote the project\'s last admin; a cloud-admin can', async () => {
  const admin = (await f.login('wadmin')).accessToken;
  const demote = await f.call('PUT', '/api/v1/projects/web/members/wadmin', { token: admin, body: { role: 'member' } });
  assert.equal([demote.statusCode, codeOf(demote)], [409, 'APL_CTRL_LAST_ADMIN']);
  const remove = await f.call('DELETE', '/api/v1/projects/web/members/wadmin', { token: admin });
  assert.equal([remove.statusCode, codeOf(remove)], [409, 'APL_CTRL_LAST_ADMIN']);
  assert.is((await f.call('DELETE', '/api/v1/projects/web/members/wadmin', { token: root })).statusCode, 200);
});

test('DELETE /projects/:project removes it, its members\' roles and tokens', async () => {
  const zed = (await f.login('zed')).accessToken;
  const res = await f.call('DELETE', '/api/v1/projects/web', { token: root });
  assert.is(res.statusCode, 200);
  assert.is(f.core.projects.find('web'), undefined);
  assert.is((await f.call('GET', '/api/v1/auth/whoami', { token: zed })).statusCode, 401);
  const [entry] = f.core.audit.list({ action: 'projects.delete', limit: 1 });
  assert.equal([entry!.target, entry!.detail.members], ['web', 2]);
  assert.equal(codeOf(await f.call('DELETE', '/api/v1/projects/web', { token: root })), 'APL_CTRL_PROJECT_NOT_FOUND');
});

test.run();
