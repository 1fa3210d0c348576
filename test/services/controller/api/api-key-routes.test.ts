import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseToken } from '../../../../services/controller/identity/token-secret.ts';
import { codeOf, controllerFixture, type Fixture } from './_controller-fixture.ts';

let f: Fixture;
let member: string;
let admin: string;

interface Made {
  apiKey: { id: string; role: string; user: string; expiresAt: string | null };
  token: string;
}

test.before.each(async () => {
  f = await controllerFixture();
  f.project('web');
  await f.user('wadmin', { roles: { web: 'admin' } });
  await f.user('wmember', { roles: { web: 'member' } });
  member = (await f.login('wmember')).accessToken;
  admin = (await f.login('wadmin')).accessToken;
});
test.after.each(async () => f.close());

async function create(token: string, body: Record<string, unknown>): Promise<Made> {
  const res = await f.call('POST', '/api/v1/projects/web/api-keys', { token, body });
  assert.is(res.statusCode, 201, res.body);
  return res.json<Made>();
}

test('POST /projects/:project/api-keys makes a key with the caller\'s role that works as a bearer token, shown once', async () => {
  const made = await create(member, { name: 'ci' });
  assert.equal([made.apiKey.role, made.apiKey.user], ['member', 'wmember']);
  const me = await f.call('GET', '/api/v1/auth/whoami', { token: made.token });
  assert.equal([me.json<{ kind: string; roles: string[] }>().kind, me.json<{ roles: string[] }>().roles], ['api-key', ['member']]);
  const list = await f.call('GET', '/api/v1/projects/web/api-keys', { token: member });
  assert.not.ok(list.body.includes(parseToken(made.token)!.secret), 'the secret is never listed');
  const [usage] = f.core.usage.list(f.core.projects.find('web')!.id, { limit: 1 });
  assert.equal([usage!.kind, usage!.quantity, usage!.unit, usage!.subject], ['api-key.created', 1, 'key', made.apiKey.id]);
  const [entry] = f.core.audit.list({ action: 'api-keys.create', limit: 1 });
  assert.equal([entry!.actor, entry!.target], ['wmember', made.apiKey.id]);
});

test('POST /projects/:project/api-keys refuses a role above the caller\'s', async () => {
  const res = await f.call('POST', '/api/v1/projects/web/api-keys', { token: member, body: { name: 'ci', role: 'admin' } });
  assert.equal([res.statusCode, codeOf(res)], [403, 'APL_CTRL_ROLE_TOO_HIGH']);
  assert.is((await create(member, { name: 'ro', role: 'reader' })).apiKey.role, 'reader');
});

test('POST /projects/:project/api-keys takes an expiry in the future, and a key cannot mint one outliving itself', async () => {
  const past = await f.call('POST', '/api/v1/projects/web/api-keys', { token: member, body: { name: 'x', expiresAt: '2020-01-01T00:00:00Z' } });
  assert.equal([past.statusCode, codeOf(past)], [400, 'APL_CTRL_EXPIRY_INVALID']);
  const bad = await f.call('POST', '/api/v1/projects/web/api-keys', { token: member, body: { name: 'x', expiresAt: 'tomorrow' } });
  assert.equal([bad.statusCode, codeOf(bad)], [400, 'APL_API_INVALID_REQUEST']);
  const short = await create(member, { name: 'short', expiresAt: '2026-03-02T00:00:00.000Z' });
  assert.is(short.apiKey.expiresAt, '2026-03-02T00:00:00.000Z');
  const child = await create(short.token, { name: 'child' });
  assert.is(child.apiKey.expiresAt, '2026-03-02T00:00:00.000Z');
  f.advance(86_400);
  assert.equal(codeOf(await f.call('GET', '/api/v1/auth/whoami', { token: child.token })), 'APL_CTRL_TOKEN_EXPIRED');
});

test('GET /projects/:project/api-keys shows admins every key and others their own', async () => {
  await create(member, { name: 'mine' });
  await create(admin, { name: 'theirs' });
  const asMember = await f.call('GET', '/api/v1/projects/web/api-keys', { token: member });
  assert.equal(asMember.json<{ apiKeys: { name: string }[] }>().apiKeys.map((k) => k.name), ['mine']);
  const asAdmin = await f.call('GET', '/api/v1/projects/web/api-keys', { token: admin });
  assert.equal(asAdmin.json<{ apiKeys: { name: string }[] }>().apiKeys.map((k) => k.name).sort(), ['mine', 'theirs']);
});

test('DELETE /projects/:project/api-keys/:key revokes one\'s own key or, for admins, any; others get 404', async () => {
  const mine = await create(member, { name: 'mine' });
  const theirs = await create(admin, { name: 'theirs' });
  const refused = await f.call('DELETE', `/api/v1/projects/web/api-keys/${theirs.apiKey.id}`, { token: member });
  assert.equal([refused.statusCode, codeOf(refused)], [404, 'APL_CTRL_API_KEY_NOT_FOUND']);
  assert.is((await f.call('DELETE', `/api/v1/projects/web/api-keys/${mine.apiKey.id}`, { token: member })).statusCode, 200);
  assert.equal(codeOf(await f.call('GET', '/api/v1/auth/whoami', { token: mine.token })), 'APL_CTRL_TOKEN_REVOKED');
  assert.is((await f.call('DELETE', `/api/v1/projects/web/api-keys/${theirs.apiKey.id}`, { token: admin })).statusCode, 200);
  assert.equal(f.core.audit.list({ action: 'api-keys.revoke', limit: 5 }).map((e) => e.actor), ['wadmin', 'wmember']);
});

test('an API key stops working when its owner loses the role', async () => {
  const made = await create(member, { name: 'ci' });
  assert.is((await f.call('DELETE', '/api/v1/projects/web/members/wmember', { token: admin })).statusCode, 200);
  assert.equal(codeOf(await f.call('GET', '/api/v1/projects/web', { token: made.token })), 'APL_CTRL_TOKEN_REVOKED');
});

test.run();
