// The compute routes as `alliance serve` wires them (main.ts), behind the real access plugin.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { codeOf, controllerFixture, type Fixture } from '../api/_controller-fixture.ts';
import { sshKeyLine } from './_compute-harness.ts';

let f: Fixture;
let root: string;
let member: string;
let reader: string;
let outsider: string;

test.before.each(async () => {
  f = await controllerFixture({ viaModule: true });
  f.project('web');
  f.project('db');
  await f.user('root', { cloudAdmin: true });
  await f.user('mia', { roles: { web: 'member' } });
  await f.user('rex', { roles: { web: 'reader' } });
  await f.user('otto', { roles: { db: 'admin' } });
  root = (await f.login('root')).accessToken;
  member = (await f.login('mia', 'web')).accessToken;
  reader = (await f.login('rex', 'web')).accessToken;
  outsider = (await f.login('otto', 'db')).accessToken;
});

test.after.each(async () => {
  await f.close();
});

test('controllerModule wires the compute routes under /api/v1', () => {
  for (const route of ['POST /api/v1/flavors', 'POST /api/v1/projects/:project/instances', 'GET /api/v1/projects/:project/instances/:instance/why', 'PUT /api/v1/projects/:project/quotas']) {
    assert.ok(f.routes.includes(route), route);
  }
});

test('compute routes: project roles and cloud-admin are enforced', async () => {
  const key = { name: 'laptop', publicKey: sshKeyLine() };
  const cases: [string, string, string, string | undefined, unknown, number][] = [
    ['a member adds a key pair', 'POST', '/api/v1/projects/web/key-pairs', member, key, 201],
    ['a reader lists key pairs', 'GET', '/api/v1/projects/web/key-pairs', reader, undefined, 200],
    ['a reader may not add one', 'POST', '/api/v1/projects/web/key-pairs', reader, { ...key, name: 'other' }, 403],
    ['another project may not look', 'GET', '/api/v1/projects/web/instances', outsider, undefined, 403],
    ['nobody without a token', 'GET', '/api/v1/flavors', undefined, undefined, 401],
    ['a member lists flavors', 'GET', '/api/v1/flavors', member, undefined, 200],
    ['a member may not create a flavor', 'POST', '/api/v1/flavors', member, { name: 'x', vcpus: 1, memoryMiB: 512, diskGiB: 1 }, 403],
    ['a member may not set quotas', 'PUT', '/api/v1/projects/web/quotas', member, { instances: 100, vcpus: 100, memoryMiB: 100 }, 403],
    ['a cloud admin sets quotas', 'PUT', '/api/v1/projects/web/quotas', root, { instances: 5, vcpus: 10, memoryMiB: 10_240 }, 200],
    ['a reader sees them', 'GET', '/api/v1/projects/web/quotas', reader, undefined, 200],
  ];
  for (const [name, method, url, token, body, status] of cases) {
    const res = await f.call(method, url, { token, body });
    assert.is(res.statusCode, status, `${name}: ${res.body}`);
  }
  const quotas = await f.call('GET', '/api/v1/projects/web/quotas', { token: reader });
  assert.equal(quotas.json<{ limits: unknown }>().limits, { instances: 5, vcpus: 10, memoryMiB: 10_240 });
});

test('compute mutations are audited with the caller; a missing project is 404 for a cloud admin', async () => {
  await f.call('POST', '/api/v1/projects/web/server-groups', { token: member, body: { name: 'db', policy: 'affinity' } });
  const entry = f.store.database.prepare("SELECT actor, outcome FROM audit_log WHERE action = 'server-groups.create'").get();
  assert.equal(entry, { actor: 'mia', outcome: 'ok' });
  const missing = await f.call('GET', '/api/v1/projects/nope/instances', { token: root });
  assert.equal([missing.statusCode, codeOf(missing)], [404, 'APL_CTRL_PROJECT_NOT_FOUND']);
  const noInstance = await f.call('GET', '/api/v1/projects/web/instances/ghost', { token: reader });
  assert.equal([noInstance.statusCode, codeOf(noInstance)], [404, 'APL_COMPUTE_INSTANCE_NOT_FOUND']);
});

test.run();
