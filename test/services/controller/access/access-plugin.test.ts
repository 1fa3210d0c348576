import type { FastifyInstance } from 'fastify';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { principalOf } from '../../../../services/controller/access/access-plugin.ts';
import { auditRequest } from '../../../../services/controller/audit/request-audit.ts';
import { controllerErrors } from '../../../../services/controller/errors.ts';
import { codeOf, controllerFixture, type Fixture } from '../api/_controller-fixture.ts';

let f: Fixture;
let root: string;

/** Test routes as a feature, so they sit behind the access plugin like the hosts routes will. */
async function testRoutes(app: FastifyInstance): Promise<void> {
  app.post('/things/unaudited', { config: { access: { kind: 'token' } } }, async () => ({ ok: true }));
  app.post('/things/failing', { config: { access: { kind: 'token' } } }, async () => {
    throw controllerErrors.PROJECT_EXISTS({ project: 'x' });
  });
  app.post('/things/audited', { config: { access: { kind: 'token' } } }, async (request) => {
    f.core.write(() => auditRequest(f.core.audit, request, { action: 'things.make', outcome: 'ok' }));
    return { ok: true };
  });
  app.post('/things/open', { config: { access: { kind: 'own', how: 'nothing, for the test' } } }, async (request) => ({ principal: request.principal ?? null }));
}

test.before.each(async () => {
  f = await controllerFixture({ features: [{ routes: testRoutes }] });
  f.project('web');
  await f.user('root', { cloudAdmin: true });
  root = (await f.login('root')).accessToken;
});
test.after.each(async () => f.close());

test('accessPlugin() checks the token before the body: no token and a bad body answer 401', async () => {
  const res = await f.call('POST', '/api/v1/projects', { body: { bogus: true } });
  assert.equal([res.statusCode, codeOf(res)], [401, 'APL_CTRL_TOKEN_REQUIRED']);
});

test('accessPlugin() reads only "Authorization: Bearer <token>"', async () => {
  const basic = await f.app.inject({ method: 'GET', url: '/api/v1/auth/whoami', headers: { authorization: `Basic ${root}` } });
  assert.equal(codeOf(basic), 'APL_CTRL_TOKEN_REQUIRED');
  const lower = await f.app.inject({ method: 'GET', url: '/api/v1/auth/whoami', headers: { authorization: `bearer ${root}` } });
  assert.is(lower.statusCode, 200);
  const query = await f.call('GET', `/api/v1/auth/whoami?access_token=${root}`);
  assert.equal(codeOf(query), 'APL_CTRL_TOKEN_REQUIRED');
});

test('accessPlugin() lets an own route through without a token, with no principal', async () => {
  const res = await f.call('POST', '/api/v1/things/open');
  assert.equal([res.statusCode, res.json()], [200, { principal: null }]);
});

test('accessPlugin() audits a refusal with the route, the address and the code', async () => {
  await f.call('GET', '/api/v1/users', { ip: '203.0.113.9' });
  const [entry] = f.core.audit.list({ limit: 1 });
  assert.equal(
    [entry!.actor, entry!.actorKind, entry!.action, entry!.target, entry!.source, entry!.outcome, entry!.detail.code],
    ['anonymous', 'anonymous', 'GET /api/v1/users', '/api/v1/users', '203.0.113.9', 'denied', 'APL_CTRL_TOKEN_REQUIRED'],
  );
});

test('accessPlugin() writes at most 60 refusal entries per address a minute, and refuses all the same', async () => {
  const before = f.core.audit.list({ limit: 1000 }).length;
  for (let i = 0; i < 70; i += 1) assert.is((await f.call('GET', '/api/v1/users', { ip: '203.0.113.9' })).statusCode, 401);
  assert.is(f.core.audit.list({ limit: 1000 }).length - before, 60);
  await f.call('GET', '/api/v1/users', { ip: '203.0.113.10' });
  assert.is(f.core.audit.list({ limit: 1000 }).length - before, 61, 'another address is audited');
  f.advance(60);
  await f.call('GET', '/api/v1/users', { ip: '203.0.113.9' });
  assert.is(f.core.audit.list({ limit: 1000 }).length - before, 62, 'and the first again a minute later');
});

test('accessPlugin() records a mutation that answered without an audit entry, and logs it as a bug', async () => {
  assert.is((await f.call('POST', '/api/v1/things/unaudited', { token: root })).statusCode, 200);
  const [entry] = f.core.audit.list({ limit: 1 });
  assert.equal([entry!.action, entry!.actor, entry!.outcome], ['POST /api/v1/things/unaudited', 'root', 'ok']);
  assert.match(f.logged.join('\n'), /a mutation answered without an audit entry/);
});

test('accessPlugin() records a failed mutation with its error code', async () => {
  assert.is((await f.call('POST', '/api/v1/things/failing', { token: root })).statusCode, 409);
  const [entry] = f.core.audit.list({ limit: 1 });
  assert.equal([entry!.action, entry!.outcome, entry!.detail], ['POST /api/v1/things/failing', 'failed', { status: 409, code: 'APL_CTRL_PROJECT_EXISTS' }]);
});

test('accessPlugin() adds nothing to a mutation that audited itself', async () => {
  const before = f.core.audit.list({ limit: 1000 }).length;
  assert.is((await f.call('POST', '/api/v1/things/audited', { token: root })).statusCode, 200);
  const after = f.core.audit.list({ limit: 1000 });
  assert.is(after.length - before, 1);
  assert.is(after[0]!.action, 'things.make');
});

test('principalOf() refuses a request without a principal', () => {
  assert.throws(() => principalOf({ principal: undefined } as never), /Authentication required/);
});

test.run();
