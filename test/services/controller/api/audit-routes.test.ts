import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { codeOf, controllerFixture, type Fixture } from './_controller-fixture.ts';

let f: Fixture;
let root: string;

interface Entries {
  entries: { action: string; projectId: string | null; actor: string; outcome: string }[];
}

test.before.each(async () => {
  f = await controllerFixture();
  f.project('web');
  f.project('db');
  await f.user('root', { cloudAdmin: true });
  await f.user('wadmin', { roles: { web: 'admin' } });
  await f.user('wreader', { roles: { web: 'reader' } });
  root = (await f.login('root')).accessToken;
});
test.after.each(async () => f.close());

test('GET /audit lists entries newest first, filtered by project, action and after', async () => {
  await f.call('POST', '/api/v1/projects', { token: root, body: { name: 'shop' } });
  await f.call('PUT', '/api/v1/projects/web/members/wreader', { token: root, body: { role: 'member' } });
  const all = (await f.call('GET', '/api/v1/audit', { token: root })).json<Entries>().entries;
  assert.equal(all.slice(0, 2).map((e) => e.action), ['projects.grant', 'projects.create']);
  const web = (await f.call('GET', '/api/v1/audit?project=web', { token: root })).json<Entries>().entries;
  assert.equal(web.map((e) => e.action), ['projects.grant']);
  const creates = (await f.call('GET', '/api/v1/audit?action=projects.create&limit=1', { token: root })).json<Entries>().entries;
  assert.equal(creates.map((e) => e.actor), ['root']);
  const bad = await f.call('GET', '/api/v1/audit?limit=0', { token: root });
  assert.equal([bad.statusCode, codeOf(bad)], [400, 'APL_API_INVALID_REQUEST']);
  const unknown = await f.call('GET', '/api/v1/audit?colour=red', { token: root });
  assert.is(unknown.statusCode, 400);
});

test('GET /projects/:project/audit shows a project admin only that project\'s entries', async () => {
  await f.call('PUT', '/api/v1/projects/db/members/wreader', { token: root, body: { role: 'reader' } });
  await f.call('PUT', '/api/v1/projects/web/members/wreader', { token: root, body: { role: 'member' } });
  const admin = (await f.login('wadmin')).accessToken;
  const res = await f.call('GET', '/api/v1/projects/web/audit', { token: admin });
  const webId = f.core.projects.find('web')!.id;
  const entries = res.json<Entries>().entries;
  assert.ok(entries.length >= 1);
  assert.ok(entries.every((e) => e.projectId === webId));
});

test('denied requests are in the audit log with the route, caller and address', async () => {
  const reader = (await f.login('wreader')).accessToken;
  await f.call('DELETE', '/api/v1/projects/web/members/wadmin', { token: reader, ip: '203.0.113.5' });
  const [entry] = (await f.call('GET', '/api/v1/audit?limit=1', { token: root })).json<{ entries: Record<string, unknown>[] }>().entries;
  assert.equal(
    [entry!.actor, entry!.action, entry!.outcome, entry!.source, entry!.projectId],
    ['wreader', 'DELETE /api/v1/projects/:project/members/:user', 'denied', '203.0.113.5', f.core.projects.find('web')!.id],
  );
});

test('GET /projects/:project/usage lists what the project used', async () => {
  const reader = (await f.login('wreader')).accessToken;
  await f.call('POST', '/api/v1/projects/web/api-keys', { token: reader, body: { name: 'ci' } });
  const res = await f.call('GET', '/api/v1/projects/web/usage', { token: reader });
  assert.equal(res.json<{ usage: { kind: string }[] }>().usage.map((u) => u.kind), ['api-key.created']);
  const db = await f.call('GET', '/api/v1/projects/db/usage', { token: root });
  assert.equal(db.json<{ usage: unknown[] }>().usage, []);
});

test('GET /events shows the appliance journal to cloud-admins', async () => {
  f.store.events.record({ source: 'test', kind: 'operator.note', severity: 'info', message: 'hello' }, f.now());
  const res = await f.call('GET', '/api/v1/events?kind=operator.note', { token: root });
  assert.equal(res.json<{ events: { message: string }[] }>().events.map((e) => e.message), ['hello']);
});

test.run();
