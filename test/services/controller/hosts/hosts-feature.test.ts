import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createApiServer } from '../../../../appliance/api/index.ts';
import { ENROLMENT_PATH } from '../../../../appliance/contracts/index.ts';
import { createLogger } from '../../../../appliance/log/index.ts';
import { controllerApi } from '../../../../services/controller/api/controller-api.ts';
import { createControllerCore } from '../../../../services/controller/api/controller-core.ts';
import { hashPassword } from '../../../../services/controller/identity/password-hash.ts';
import { busPortOf, hostsFeature } from '../../../../services/controller/hosts/index.ts';
import { Clock, hostKeys, signedRequest, testContext } from './_support/hosts-fixtures.ts';

const ports: Record<string, { listen: string; expected: number }> = {
  'reads the port of an IPv4 wildcard': { listen: 'tls+tcp://0.0.0.0:8444', expected: 8444 },
  'reads the port of a bracketed IPv6 address': { listen: 'tls+tcp://[::]:9000', expected: 9000 },
  'reads the port of a host name': { listen: 'tls+tcp://controller.example:1', expected: 1 },
  'reads the highest port': { listen: 'tls+tcp://0.0.0.0:65535', expected: 65_535 },
};

for (const [behaviour, { listen, expected }] of Object.entries(ports)) {
  test(`busPortOf() ${behaviour}`, () => {
    assert.is(busPortOf(listen), expected);
  });
}

for (const listen of ['tls+tcp://0.0.0.0', 'tls+tcp://0.0.0.0:0', 'tls+tcp://0.0.0.0:70000']) {
  test(`busPortOf() refuses ${listen}`, () => {
    assert.throws(() => busPortOf(listen), /Cannot read a port/);
  });
}

test('hostsFeature() routes inside the controller API: access enforced, enrolment open, all in the OpenAPI document', async () => {
  const clock = new Clock();
  const t = testContext({ now: clock.now, controller: { password_cost: 10 } });
  const log = createLogger('fatal');
  const core = createControllerCore({ store: t.store, config: t.ctx.config.controller, log, now: clock.now });
  const app = createApiServer({ log, bodyLimit: 1024 * 1024 });
  await app.register(controllerApi(core, { features: [hostsFeature(t.ctx)] }));
  await app.ready();
  try {
    const passwordHash = await hashPassword('correct horse battery staple', { cost: 10 });
    const root = core.users.create({ name: 'root', passwordHash }, clock.now());
    core.users.bind(root.id, { scope: '*', role: 'cloud-admin' }, clock.now());
    core.users.create({ name: 'plain', passwordHash }, clock.now());
    const login = async (user: string): Promise<string> => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { user, password: 'correct horse battery staple' } });
      assert.is(res.statusCode, 200, res.body);
      return res.json<{ accessToken: string }>().accessToken;
    };
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    const anonymous = await app.inject({ method: 'GET', url: '/api/v1/hosts' });
    assert.is(anonymous.statusCode, 401);
    const plain = await app.inject({ method: 'GET', url: '/api/v1/hosts', headers: bearer(await login('plain')) });
    assert.is(plain.statusCode, 403);

    const keys = hostKeys();
    const enrolled = await app.inject({ method: 'POST', url: ENROLMENT_PATH, payload: signedRequest(keys, { now: clock.now() }) });
    assert.equal([enrolled.statusCode, enrolled.json<{ state: string }>().state], [200, 'pending'], 'enrolment needs no token');

    const token = await login('root');
    const approved = await app.inject({ method: 'POST', url: `/api/v1/hosts/${keys.hostId}/approve`, headers: bearer(token) });
    assert.is(approved.statusCode, 200);
    assert.is(approved.json<{ host: { approvedBy: string } }>().host.approvedBy, 'root');

    const openapi = await app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: bearer(token) });
    const paths = openapi.json<{ paths: Record<string, Record<string, { security?: unknown[] }>> }>().paths;
    for (const path of ['/api/v1/hosts', '/api/v1/hosts/{host}', '/api/v1/hosts/{host}/approve', '/api/v1/join-tokens', '/api/v1/join-tokens/{token}', '/api/v1/enrolments']) {
      assert.ok(path in paths, `${path} is in the OpenAPI document`);
    }
    assert.equal(paths['/api/v1/enrolments']!.post!.security, [], 'enrolment is documented as needing no token');
  } finally {
    await app.close();
    t.store.close();
    rmSync(t.dir, { recursive: true, force: true });
  }
});

test.run();
