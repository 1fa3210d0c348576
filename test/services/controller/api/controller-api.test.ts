import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Access } from '../../../../services/controller/access/access.ts';
import { defaultConfig } from '../../../../appliance/config/index.ts';
import { ACCESS_EXTENSION } from '../../../../services/controller/api/controller-api.ts';
import { controllerModule } from '../../../../services/controller/main.ts';
import { codeOf, controllerFixture, type Fixture } from './_controller-fixture.ts';

interface Operation {
  readonly method: string;
  /** The path as the document has it: /api/v1/projects/{project} */
  readonly path: string;
  readonly access: Access | undefined;
  readonly security: unknown;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** Every operation of the OpenAPI document the running API serves. */
async function operations(f: Fixture, token: string): Promise<{ doc: Record<string, unknown>; ops: Operation[] }> {
  const res = await f.call('GET', '/api/v1/openapi.json', { token });
  assert.is(res.statusCode, 200, res.body);
  const doc = res.json<{ paths: Record<string, Record<string, Record<string, unknown>>> }>();
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) ops.push({ method: method.toUpperCase(), path, access: op[ACCESS_EXTENSION] as Access | undefined, security: op.security });
    }
  }
  return { doc, ops };
}

/**
 * Routes that authenticate their callers themselves (access kind "own"),
 * each with a request carrying bad credentials that must be refused. A new
 * "own" route fails the sweep until it is listed here with its check.
 */
const OWN_OPERATIONS: Record<string, { body: unknown; status: readonly number[] }> = {
  'POST /api/v1/auth/login': { body: { user: 'root', password: 'not the right password' }, status: [401] },
  'POST /api/v1/auth/refresh': { body: { refreshToken: 'alc_aaaaaaaaaaaaaaaa_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, status: [401] },
  // Host enrolment (the hosts feature): an unsigned request is refused before anything is stored.
  'POST /api/v1/enrolments': { body: {}, status: [400, 401] },
};

interface SweepWorld {
  readonly f: Fixture;
  readonly admin: string;
  readonly expired: string;
  readonly revoked: string;
  readonly otherProject: string;
  readonly keyId: string;
}

async function sweepWorld(): Promise<SweepWorld> {
  // Built as `alliance serve` builds it, so routes wired in main.ts later are swept too.
  const f = await controllerFixture({ viaModule: true });
  const { core } = f;
  f.project('web');
  f.project('db');
  const rootId = await f.user('root', { cloudAdmin: true });
  const webAdmin = await f.user('wadmin', { roles: { web: 'admin' } });
  const dbAdmin = await f.user('dadmin', { roles: { db: 'admin' } });
  const now = f.now();
  const issue = (userId: string, scope: string, roles: ('cloud-admin' | 'admin')[], expiresAt: Date | null) =>
    core.tokens.issue({ kind: 'access', userId, scope, roles, familyId: null, expiresAt }, now).secret;
  const admin = issue(rootId, '*', ['cloud-admin'], null).token;
  const expired = issue(rootId, '*', ['cloud-admin'], new Date(now.getTime() - 1000)).token;
  const revokedToken = issue(rootId, '*', ['cloud-admin'], null);
  core.tokens.revoke(revokedToken.id, now);
  const otherProject = issue(dbAdmin, core.projects.find('db')!.id, ['admin'], null).token;
  const key = core.tokens.issue({ kind: 'api-key', userId: webAdmin, scope: core.projects.find('web')!.id, roles: ['admin'], name: 'ci', expiresAt: null }, now);
  return { f, admin, expired, revoked: revokedToken.token, otherProject, keyId: key.secret.id };
}

/** A concrete URL for a documented path: existing things where the controller has them, a placeholder elsewhere. */
function concrete(path: string, world: SweepWorld): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => ({ project: 'web', user: 'wadmin', key: world.keyId })[name] ?? 'sweep-placeholder');
}

test('the sweep: every /api/v1 operation refuses a missing, expired, revoked or foreign token, except the listed "own" routes, which refuse bad credentials', async () => {
  const world = await sweepWorld();
  const { f } = world;
  try {
    const { ops } = await operations(f, world.admin);
    assert.ok(ops.length >= 19, `the document lists only ${ops.length} operations`);
    let ip = 0;
    const auditBefore = f.core.audit.list({ limit: 1000 }).length;
    let refusals = 0;
    for (const op of ops) {
      const name = `${op.method} ${op.path}`;
      assert.ok(op.access, `${name} carries no ${ACCESS_EXTENSION}`);
      const url = concrete(op.path, world);
      // One address per operation keeps the refusal audit under its per-address limit.
      ip += 1;
      const from = { ip: `198.51.100.${ip}` };
      if (op.access.kind === 'own') {
        const own = OWN_OPERATIONS[`${op.method} ${op.path}`];
        assert.ok(own, `${name} authenticates its callers itself: list it in OWN_OPERATIONS with a bad-credentials request`);
        assert.equal(op.security, [], `${name} is documented as needing no bearer token`);
        const res = await f.call(op.method, url, { ...from, body: own.body });
        assert.ok(own.status.includes(res.statusCode), `${name} with bad credentials answered ${res.statusCode}: ${res.body}`);
        continue;
      }
      assert.equal(op.security, undefined, `${name} keeps the document's bearer requirement`);
      const body = ['POST', 'PUT', 'PATCH'].includes(op.method) ? {} : undefined;
      const cases: [string, string | undefined, number, string][] = [
        ['no token', undefined, 401, 'APL_CTRL_TOKEN_REQUIRED'],
        ['a malformed token', 'not-a-token', 401, 'APL_CTRL_TOKEN_INVALID'],
        ['an expired token', world.expired, 401, 'APL_CTRL_TOKEN_EXPIRED'],
        ['a revoked token', world.revoked, 401, 'APL_CTRL_TOKEN_REVOKED'],
      ];
      if (op.access.kind === 'project' || op.access.kind === 'cloud-admin') cases.push(['a token for another project', world.otherProject, 403, 'APL_CTRL_FORBIDDEN']);
      if (op.access.kind === 'project') assert.ok(op.path.includes('{project}'), `${name} has project access but no {project} in its path`);
      for (const [what, token, status, code] of cases) {
        const res = await f.call(op.method, url, { ...from, token, body });
        assert.is(res.statusCode, status, `${name} with ${what}: ${res.statusCode} ${res.body}`);
        assert.is(codeOf(res), code, `${name} with ${what}`);
        assert.not.match(res.body, /at .*\.ts:\d+/, 'no stack trace leaves the server');
        refusals += 1;
      }
    }
    const audited = f.core.audit.list({ limit: 5000 }).length - auditBefore;
    assert.ok(audited >= refusals, `${refusals} refusals but ${audited} audit entries`);
  } finally {
    await f.close();
  }
});

test('the sweep: every route registered under /api/v1 is in the OpenAPI document', async () => {
  const world = await sweepWorld();
  try {
    const { ops } = await operations(world.f, world.admin);
    const documented = new Set(ops.map((op) => `${op.method} ${op.path.replace(/\{(\w+)\}/g, ':$1')}`));
    const registered = world.f.routes.filter((r) => r.split(' ')[1]!.startsWith('/api/v1/'));
    assert.ok(registered.length >= 19);
    assert.equal(registered.filter((r) => !documented.has(r)), [], 'registered but not documented (hidden routes escape the sweep)');
  } finally {
    await world.f.close();
  }
});

test('controllerApi() refuses to start when a route declares no access', async () => {
  try {
    const f = await controllerFixture({ features: [{ routes: async (app) => void app.get('/open', async () => ({ open: true })) }] });
    await f.close();
    assert.unreachable('the API started with an undeclared route');
  } catch (err) {
    assert.match((err as Error).message, /GET \/api\/v1\/open: it declares no config\.access/);
  }
});

test('controllerApi() refuses project access on a route without :project', async () => {
  try {
    const f = await controllerFixture({ features: [{ routes: async (app) => void app.get('/things', { config: { access: { kind: 'project', role: 'reader' } } }, async () => ({})) }] });
    await f.close();
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /access "project" needs a :project parameter/);
  }
});

test('GET /api/v1/openapi.json is OpenAPI 3.1 with a bearer scheme, every response schema, and each access declared', async () => {
  const world = await sweepWorld();
  try {
    const { doc, ops } = await operations(world.f, world.admin);
    assert.is(doc.openapi, '3.1.0');
    assert.equal((doc.components as { securitySchemes: unknown }).securitySchemes, { bearer: { type: 'http', scheme: 'bearer', description: 'alc_<id>_<secret>: an access token or an API key' } });
    assert.equal(doc.security, [{ bearer: [] }]);
    const paths = doc.paths as Record<string, Record<string, { responses: Record<string, { content?: unknown }> }>>;
    for (const op of ops) {
      const responses = paths[op.path]![op.method.toLowerCase()]!.responses;
      const success = Object.keys(responses).filter((s) => s.startsWith('2'));
      assert.ok(success.length > 0 && success.every((s) => responses[s]!.content !== undefined), `${op.method} ${op.path} documents its success body`);
    }
    const byName = Object.fromEntries(ops.map((op) => [`${op.method} ${op.path}`, op.access]));
    assert.equal(byName['POST /api/v1/projects'], { kind: 'cloud-admin' });
    assert.equal(byName['PUT /api/v1/projects/{project}/members/{user}'], { kind: 'project', role: 'admin' });
    assert.equal(byName['GET /api/v1/auth/whoami'], { kind: 'token' });
  } finally {
    await world.f.close();
  }
});

test('controllerModule.plugin() serves no routes and reports the service off when controller.enabled is false', async () => {
  const f = await controllerFixture({ viaModule: true, config: { enabled: false } });
  try {
    assert.equal(f.routes.filter((r) => r.includes('/api/v1')), []);
    assert.is((await f.call('POST', '/api/v1/auth/login', { body: { user: 'x', password: 'y' } })).statusCode, 404);
    const plugin = controllerModule.plugin!({ config: { ...defaultConfig('t'), controller: { ...defaultConfig('t').controller, enabled: false } } } as never);
    assert.is(plugin.publicRoutes, undefined);
    assert.is(plugin.service?.preflight?.(), 'controller.enabled is false');
  } finally {
    await f.close();
  }
});

test('controllerModule.plugin() journals how to create the first admin when there is none', async () => {
  const f = await controllerFixture({ viaModule: true });
  try {
    const [event] = f.store.events.list({ kind: 'controller.no-admin', limit: 5 });
    assert.is(event?.severity, 'warning');
    assert.match(event?.message ?? '', /alliance init --admin NAME/);
  } finally {
    await f.close();
  }
});

// ---- RBAC matrix: who may call what, by role -------------------------------

type Caller = 'cloudAdmin' | 'webAdmin' | 'webMember' | 'webReader' | 'dbAdmin' | 'webKey' | 'personal';
const CALLERS: readonly Caller[] = ['cloudAdmin', 'webAdmin', 'webMember', 'webReader', 'dbAdmin', 'webKey', 'personal'];
const WEB: readonly Caller[] = ['cloudAdmin', 'webAdmin', 'webMember', 'webReader', 'webKey'];

/** [method, url, body, callers allowed]; everyone else gets 403. Each row runs on a fresh controller. */
const RBAC: readonly [string, string, unknown, readonly Caller[]][] = [
  ['GET', '/api/v1/projects', undefined, CALLERS],
  ['GET', '/api/v1/auth/whoami', undefined, CALLERS],
  ['POST', '/api/v1/projects', { name: 'newproject' }, ['cloudAdmin']],
  ['GET', '/api/v1/projects/web', undefined, WEB],
  ['DELETE', '/api/v1/projects/web', undefined, ['cloudAdmin']],
  ['GET', '/api/v1/projects/web/members', undefined, WEB],
  ['PUT', '/api/v1/projects/web/members/zed', { role: 'reader' }, ['cloudAdmin', 'webAdmin']],
  ['DELETE', '/api/v1/projects/web/members/zed', undefined, ['cloudAdmin', 'webAdmin']],
  ['GET', '/api/v1/projects/web/api-keys', undefined, WEB],
  ['POST', '/api/v1/projects/web/api-keys', { name: 'k', role: 'reader' }, WEB],
  ['GET', '/api/v1/projects/web/audit', undefined, ['cloudAdmin', 'webAdmin']],
  ['GET', '/api/v1/projects/web/usage', undefined, WEB],
  ['GET', '/api/v1/users', undefined, ['cloudAdmin']],
  ['POST', '/api/v1/users', { name: 'newuser', password: 'a long enough password' }, ['cloudAdmin']],
  ['GET', '/api/v1/users/zed', undefined, ['cloudAdmin']],
  ['DELETE', '/api/v1/users/zed', undefined, ['cloudAdmin']],
  ['POST', '/api/v1/users/zed/password', { password: 'a long enough password' }, ['cloudAdmin']],
  ['GET', '/api/v1/audit', undefined, ['cloudAdmin']],
  ['GET', '/api/v1/events', undefined, ['cloudAdmin']],
  ['GET', '/api/v1/openapi.json', undefined, CALLERS],
];

async function rbacWorld(): Promise<{ f: Fixture; tokens: Record<Caller, string> }> {
  const f = await controllerFixture();
  f.project('web');
  f.project('db');
  await f.user('root', { cloudAdmin: true });
  await f.user('wadmin', { roles: { web: 'admin' } });
  await f.user('wmember', { roles: { web: 'member' } });
  await f.user('wreader', { roles: { web: 'reader' } });
  await f.user('dadmin', { roles: { db: 'admin' } });
  await f.user('both', { roles: { web: 'reader', db: 'reader' } });
  await f.user('zed', { roles: { web: 'reader' } });
  const t = async (user: string, project?: string): Promise<string> => (await f.login(user, project)).accessToken;
  const member = await t('wmember');
  const key = await f.call('POST', '/api/v1/projects/web/api-keys', { token: member, body: { name: 'ci' } });
  assert.is(key.statusCode, 201, key.body);
  return {
    f,
    tokens: {
      cloudAdmin: await t('root'),
      webAdmin: await t('wadmin'),
      webMember: member,
      webReader: await t('wreader'),
      dbAdmin: await t('dadmin'),
      webKey: key.json<{ token: string }>().token,
      personal: await t('both'),
    },
  };
}

for (const [method, url, body, allowed] of RBAC) {
  test(`RBAC ${method} ${url}: ${allowed.length === CALLERS.length ? 'everyone' : allowed.join(', ')}`, async () => {
    const { f, tokens } = await rbacWorld();
    try {
      // Refused callers first: a refusal changes nothing, so the allowed calls find the world intact.
      for (const caller of [...CALLERS].sort((a, b) => Number(allowed.includes(a)) - Number(allowed.includes(b)))) {
        const res = await f.call(method, url, { token: tokens[caller], body });
        if (allowed.includes(caller)) {
          assert.ok(res.statusCode < 400 || ![401, 403].includes(res.statusCode), `${caller}: ${res.statusCode} ${res.body}`);
          assert.ok(res.statusCode < 500, `${caller}: ${res.statusCode} ${res.body}`);
        } else {
          assert.is(res.statusCode, 403, `${caller} should be refused: ${res.statusCode} ${res.body}`);
          assert.is(codeOf(res), 'APL_CTRL_FORBIDDEN');
        }
      }
    } finally {
      await f.close();
    }
  });
}

test('RBAC: a cloud-admin reaches every project; others cannot probe which projects exist', async () => {
  const { f, tokens } = await rbacWorld();
  try {
    const res = await f.call('GET', '/api/v1/projects/db/members', { token: tokens.cloudAdmin });
    assert.is(res.statusCode, 200);
    const missing = await f.call('GET', '/api/v1/projects/nowhere', { token: tokens.cloudAdmin });
    assert.equal([missing.statusCode, codeOf(missing)], [404, 'APL_CTRL_PROJECT_NOT_FOUND']);
    const hidden = await f.call('GET', '/api/v1/projects/nowhere', { token: tokens.webAdmin });
    assert.equal([hidden.statusCode, codeOf(hidden)], [403, 'APL_CTRL_FORBIDDEN'], 'others cannot probe which projects exist');
  } finally {
    await f.close();
  }
});

test.run();
