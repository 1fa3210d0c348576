import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createApiServer, requireBearer } from '../../../appliance/api/index.ts';
import { createLogger } from '../../../appliance/log/index.ts';
import { controlRoutes, createJournal, NewEventBody, type ApplianceStatus } from '../../../appliance/serve/index.ts';
import { openStore, storeErrors, type Store } from '../../../appliance/store/index.ts';

const BODY_LIMIT = 1024;
const TOKEN = 'scrape-token-0123456789';
const SECRET = 'database password is hunter2';

interface ErrorAnswer {
  error: { code: string; message: string };
}

/** Log lines the server wrote, parsed. */
let logged: Record<string, unknown>[] = [];

function server(bodyLimit = BODY_LIMIT): FastifyInstance {
  const log = createLogger('error', { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
  return createApiServer({ log, bodyLimit });
}

/** A server with a few routes exercising the conventions. */
async function testServer(): Promise<FastifyInstance> {
  const app = server();
  await app.register(async (routes) => {
    routes.post<{ Body: { name: string; count: number } }>(
      '/things',
      { schema: { body: Type.Object({ name: Type.String({ minLength: 1 }), count: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }) } },
      async (request, reply) => reply.code(201).send({ made: request.body }),
    );
    routes.get('/explode', async () => {
      throw new Error(SECRET);
    });
    routes.get('/conflict', async () => {
      throw storeErrors.DUPLICATE_KEY({ key: 'req-7' });
    });
    routes.get('/metrics', { preHandler: requireBearer(() => TOKEN) }, async () => ({ ok: true }));
    routes.get('/locked', { preHandler: requireBearer(() => '') }, async () => ({ ok: true }));
  });
  return app;
}

test.before.each(() => {
  logged = [];
});

test('createApiServer() never coerces a JSON body, but does coerce the query string', async () => {
  const app = server();
  await app.register(async (routes) => {
    routes.post(
      '/typed',
      { schema: { body: Type.Object({ speed: Type.Union([Type.Integer(), Type.Null()]), count: Type.Integer() }, { additionalProperties: false }) } },
      async (request) => ({ got: request.body }),
    );
    routes.get<{ Querystring: { limit: number } }>('/paged', { schema: { querystring: Type.Object({ limit: Type.Integer() }) } }, async (request) => ({ limit: request.query.limit, type: typeof request.query.limit }));
  });
  const kept = await app.inject({ method: 'POST', url: '/typed', payload: { speed: null, count: 3 } });
  assert.is(kept.statusCode, 200);
  assert.equal(kept.json(), { got: { speed: null, count: 3 } }, 'null stays null: a signed body must reach the handler as it was sent');
  const text = await app.inject({ method: 'POST', url: '/typed', payload: { speed: 5, count: '3' } });
  assert.is(text.statusCode, 400, 'a string where the body needs an integer is refused, not converted');
  assert.is(text.json<ErrorAnswer>().error.code, 'APL_API_INVALID_REQUEST');
  const paged = await app.inject({ method: 'GET', url: '/paged?limit=20' });
  assert.equal(paged.json(), { limit: 20, type: 'number' });
  await app.close();
});

test('createApiServer() answers an unknown route with 404 APL_API_NOT_FOUND, without the query', async () => {
  const app = await testServer();
  const res = await app.inject({ method: 'GET', url: '/nowhere?token=abc' });
  assert.is(res.statusCode, 404);
  assert.match(res.headers['content-type'] as string, /^application\/json/);
  const body = res.json<ErrorAnswer>();
  assert.is(body.error.code, 'APL_API_NOT_FOUND');
  assert.match(body.error.message, /^No route GET \/nowhere;/);
  assert.not.match(res.body, /token=abc/);
  await app.close();
});

test('createApiServer() answers a body that fails its schema with 400 APL_API_INVALID_REQUEST naming the field', async () => {
  const app = await testServer();
  const res = await app.inject({ method: 'POST', url: '/things', payload: { name: 'widget', count: 'many' } });
  assert.is(res.statusCode, 400);
  const body = res.json<ErrorAnswer>();
  assert.is(body.error.code, 'APL_API_INVALID_REQUEST');
  assert.match(body.error.message, /^Invalid request: body\/count must be integer$/);
  await app.close();
});

test('createApiServer() names a missing field in a 400', async () => {
  const app = await testServer();
  const res = await app.inject({ method: 'POST', url: '/things', payload: { count: 2 } });
  assert.is(res.statusCode, 400);
  assert.is(res.json<ErrorAnswer>().error.code, 'APL_API_INVALID_REQUEST');
  assert.match(res.json<ErrorAnswer>().error.message, /name/);
  await app.close();
});

test('createApiServer() names a property the schema does not allow in a 400', async () => {
  const app = await testServer();
  const res = await app.inject({ method: 'POST', url: '/things', payload: { name: 'widget', count: 2, colour: 'red' } });
  assert.is(res.statusCode, 400);
  assert.equal(res.json(), { error: { code: 'APL_API_INVALID_REQUEST', message: 'Invalid request: body must NOT have additional properties ("colour")' } });
  await app.close();
});

test('createApiServer() passes a valid body to the handler', async () => {
  const app = await testServer();
  const res = await app.inject({ method: 'POST', url: '/things', payload: { name: 'widget', count: 2 } });
  assert.is(res.statusCode, 201);
  assert.equal(res.json(), { made: { name: 'widget', count: 2 } });
  await app.close();
});

test('createApiServer() answers invalid JSON with 400 APL_API_INVALID_REQUEST', async () => {
  const app = await testServer();
  const res = await app.inject({ method: 'POST', url: '/things', headers: { 'content-type': 'application/json' }, payload: '{"name": "widget",' });
  assert.is(res.statusCode, 400);
  assert.equal(res.json(), { error: { code: 'APL_API_INVALID_REQUEST', message: 'Invalid request: body is not valid JSON' } });
  await app.close();
});

test('createApiServer() answers a body over bodyLimit with 413 APL_API_TOO_LARGE', async () => {
  const app = await testServer();
  const res = await app.inject({ method: 'POST', url: '/things', payload: { name: 'x'.repeat(BODY_LIMIT * 2), count: 1 } });
  assert.is(res.statusCode, 413);
  assert.equal(res.json(), { error: { code: 'APL_API_TOO_LARGE', message: `Request body is larger than ${BODY_LIMIT} bytes` } });
  await app.close();
});

test('createApiServer() answers a body that is not JSON with 415 APL_API_UNSUPPORTED_MEDIA', async () => {
  const app = await testServer();
  const res = await app.inject({ method: 'POST', url: '/things', headers: { 'content-type': 'application/xml' }, payload: '<thing/>' });
  assert.is(res.statusCode, 415);
  assert.is(res.json<ErrorAnswer>().error.code, 'APL_API_UNSUPPORTED_MEDIA');
  await app.close();
});

test('createApiServer() turns a plain Error into 500 APL_API_INTERNAL without its message or stack', async () => {
  const app = await testServer();
  const res = await app.inject({ method: 'GET', url: '/explode' });
  assert.is(res.statusCode, 500);
  const body = res.json<ErrorAnswer>();
  assert.equal(Object.keys(body), ['error']);
  assert.equal(Object.keys(body.error).sort(), ['code', 'message']);
  assert.is(body.error.code, 'APL_API_INTERNAL');
  assert.match(body.error.message, /^Internal error \(request [^)]+\); the appliance log has the details$/);
  assert.not.ok(res.body.includes('hunter2'), 'the error message leaked');
  assert.not.match(res.body, /\bat \S+ \(|\.ts:\d+|stack/i);
  // ... and the log does have the details, under the request id the answer names.
  const requestId = /request ([^)]+)\)/.exec(body.error.message)![1];
  const line = logged.find((l) => l.msg === 'unhandled error in request');
  assert.ok(line, 'the error was not logged');
  assert.is(line.reqId, requestId);
  assert.match(JSON.stringify(line.err), /hunter2/);
  await app.close();
});

test('createApiServer() answers an AllianceError with its own code, status and message', async () => {
  const app = await testServer();
  const res = await app.inject({ method: 'GET', url: '/conflict' });
  assert.is(res.statusCode, 409);
  assert.equal(res.json(), { error: { code: 'APL_STORE_DUPLICATE_KEY', message: storeErrors.DUPLICATE_KEY({ key: 'req-7' }).message } });
  await app.close();
});

const bearers: Record<string, { headers: Record<string, string>; status: number }> = {
  'refuses a request without a token': { headers: {}, status: 401 },
  'refuses a wrong token of the same length': { headers: { authorization: `Bearer ${'x'.repeat(TOKEN.length)}` }, status: 401 },
  'refuses a wrong token of another length': { headers: { authorization: 'Bearer short' }, status: 401 },
  'refuses the right token with extra characters': { headers: { authorization: `Bearer ${TOKEN}x` }, status: 401 },
  'refuses the right token under another scheme': { headers: { authorization: `Basic ${TOKEN}` }, status: 401 },
  'refuses the bare token without a scheme': { headers: { authorization: TOKEN }, status: 401 },
  'admits the right token': { headers: { authorization: `Bearer ${TOKEN}` }, status: 200 },
  'admits the right token with a lower-case scheme': { headers: { authorization: `bearer ${TOKEN}` }, status: 200 },
};

for (const [behaviour, { headers, status }] of Object.entries(bearers)) {
  test(`requireBearer() ${behaviour}`, async () => {
    const app = await testServer();
    const res = await app.inject({ method: 'GET', url: '/metrics', headers });
    assert.is(res.statusCode, status);
    if (status === 401) assert.is(res.json<ErrorAnswer>().error.code, 'APL_API_UNAUTHENTICATED');
    else assert.equal(res.json(), { ok: true });
    await app.close();
  });
}

test('requireBearer() refuses everyone when the expected token is empty', async () => {
  const app = await testServer();
  for (const authorization of ['', 'Bearer ', 'Bearer x']) {
    const res = await app.inject({ method: 'GET', url: '/locked', headers: { authorization } });
    assert.is(res.statusCode, 401, `"${authorization}" was let in`);
  }
  await app.close();
});

// The control socket's routes, on an in-memory store.

const status: ApplianceStatus = {
  name: 'gw-01',
  nodeId: 'a'.repeat(52),
  health: 'ok',
  build: { version: '0.1.0', commit: 'abc', builtAt: 'now', node: 'v24.21.0' },
  pid: 1,
  startedAt: '2026-01-01T00:00:00.000Z',
  uptimeSeconds: 5,
  dataDir: '/var/lib/alliance',
  configFile: null,
  https: { listen: '0.0.0.0', port: 8443, urls: ['https://localhost:8443/'], fingerprint: 'AA', notAfter: '2027-01-01T00:00:00.000Z' },
  bus: { socket: 'ipc:///tmp/bus.sock', events: 'ipc:///tmp/events.sock', listen: null, fingerprint: 'AB:CD' },
  store: { path: ':memory:', schemaVersion: 1, events: 0 },
  services: [{ name: 'control', state: 'running', since: '2026-01-01T00:00:00.000Z', restarts: 0 }],
};

async function controlServer(): Promise<{ app: FastifyInstance; store: Store }> {
  const store = openStore(':memory:', { create: true });
  const app = server(64 * 1024);
  await app.register(controlRoutes({ status: () => status, journal: createJournal(store, { now: () => new Date('2026-05-06T07:08:09.000Z'), onRecorded: () => undefined }), metrics: new Registry() }));
  return { app, store };
}

interface EventAnswer {
  event: { id: number; kind: string; message: string; source: string; severity: string; at: string; idempotencyKey: string | null };
}

test('POST /v1/events records an event with 201, and the same idempotency key again answers 200 with the same event', async () => {
  const { app, store } = await controlServer();
  const payload = { kind: 'operator.note', message: 'swapped disk 2', idempotencyKey: 'ticket-42' };
  const first = await app.inject({ method: 'POST', url: '/v1/events', payload });
  assert.is(first.statusCode, 201);
  const made = first.json<EventAnswer>().event;
  assert.equal(made, { id: made.id, at: '2026-05-06T07:08:09.000Z', source: 'operator', kind: 'operator.note', severity: 'info', message: 'swapped disk 2', data: {}, idempotencyKey: 'ticket-42' });

  const again = await app.inject({ method: 'POST', url: '/v1/events', payload });
  assert.is(again.statusCode, 200);
  assert.equal(again.json<EventAnswer>().event, made);
  assert.is(store.events.count(), 1);
  await app.close();
  store.close();
});

test('POST /v1/events answers 409 APL_STORE_DUPLICATE_KEY for a key reused for another event', async () => {
  const { app, store } = await controlServer();
  await app.inject({ method: 'POST', url: '/v1/events', payload: { kind: 'operator.note', message: 'one', idempotencyKey: 'k' } });
  const res = await app.inject({ method: 'POST', url: '/v1/events', payload: { kind: 'operator.note', message: 'two', idempotencyKey: 'k' } });
  assert.is(res.statusCode, 409);
  assert.is(res.json<ErrorAnswer>().error.code, 'APL_STORE_DUPLICATE_KEY');
  assert.is(store.events.count(), 1);
  await app.close();
  store.close();
});

const badEvents: Record<string, { payload: Record<string, unknown>; names: RegExp }> = {
  'a kind that does not match its pattern': { payload: { kind: 'Operator Note', message: 'hi' }, names: /kind/ },
  'a property it does not know, naming it': { payload: { kind: 'operator.note', message: 'hi', colour: 'red' }, names: /^Invalid request: body must NOT have additional properties \("colour"\)$/ },
  'an empty message': { payload: { kind: 'operator.note', message: '' }, names: /message/ },
  'an unknown severity': { payload: { kind: 'operator.note', message: 'hi', severity: 'fatal' }, names: /severity/ },
  'a missing kind': { payload: { message: 'hi' }, names: /kind/ },
};

for (const [what, { payload, names }] of Object.entries(badEvents)) {
  test(`POST /v1/events refuses ${what} with 400 APL_API_INVALID_REQUEST`, async () => {
    const { app, store } = await controlServer();
    const res = await app.inject({ method: 'POST', url: '/v1/events', payload });
    assert.is(res.statusCode, 400);
    const body = res.json<ErrorAnswer>();
    assert.is(body.error.code, 'APL_API_INVALID_REQUEST');
    assert.match(body.error.message, names);
    assert.is(store.events.count(), 0);
    await app.close();
    store.close();
  });
}

test('NewEventBody is the schema POST /v1/events checks', () => {
  assert.equal(Object.keys(NewEventBody.properties).sort(), ['data', 'idempotencyKey', 'kind', 'message', 'severity', 'source']);
  assert.equal([...(NewEventBody.required ?? [])].sort(), ['kind', 'message']);
  assert.is(NewEventBody.additionalProperties, false);
});

const badQueries: Record<string, { url: string; names: RegExp }> = {
  'a limit of 0': { url: '/v1/events?limit=0', names: /^Invalid request: querystring\/limit must be >= 1$/ },
  'a limit over 1000': { url: '/v1/events?limit=1001', names: /querystring\/limit/ },
  'a limit that is not a number': { url: '/v1/events?limit=ten', names: /querystring\/limit/ },
  'a negative after': { url: '/v1/events?after=-1', names: /querystring\/after/ },
  'a kind that does not match its pattern': { url: '/v1/events?kind=Service%20Failed', names: /querystring\/kind/ },
  'an unknown parameter, naming it': { url: '/v1/events?colour=red', names: /querystring must NOT have additional properties \("colour"\)/ },
};

for (const [what, { url, names }] of Object.entries(badQueries)) {
  test(`GET /v1/events refuses ${what} with 400 APL_API_INVALID_REQUEST`, async () => {
    const { app, store } = await controlServer();
    const res = await app.inject({ method: 'GET', url });
    assert.is(res.statusCode, 400);
    assert.is(res.json<ErrorAnswer>().error.code, 'APL_API_INVALID_REQUEST');
    assert.match(res.json<ErrorAnswer>().error.message, names);
    await app.close();
    store.close();
  });
}

test('GET /v1/events?limit=2 returns the two newest events, newest first', async () => {
  const { app, store } = await controlServer();
  const ids: number[] = [];
  for (const message of ['first', 'second', 'third']) {
    const res = await app.inject({ method: 'POST', url: '/v1/events', payload: { kind: 'operator.note', message } });
    ids.push(res.json<EventAnswer>().event.id);
  }
  const res = await app.inject({ method: 'GET', url: '/v1/events?limit=2' });
  assert.is(res.statusCode, 200);
  const events = res.json<{ events: EventAnswer['event'][] }>().events;
  assert.equal(events.map((e) => [e.id, e.message]), [[ids[2], 'third'], [ids[1], 'second']]);
  await app.close();
  store.close();
});

test('GET /v1/events filters by kind and after, with a default limit', async () => {
  const { app, store } = await controlServer();
  for (const kind of ['operator.note', 'service.failed', 'operator.note']) {
    await app.inject({ method: 'POST', url: '/v1/events', payload: { kind, message: kind } });
  }
  const all = (await app.inject({ method: 'GET', url: '/v1/events' })).json<{ events: EventAnswer['event'][] }>().events;
  assert.is(all.length, 3);
  const notes = (await app.inject({ method: 'GET', url: '/v1/events?kind=operator.note' })).json<{ events: EventAnswer['event'][] }>().events;
  assert.equal(notes.map((e) => e.kind), ['operator.note', 'operator.note']);
  const later = (await app.inject({ method: 'GET', url: `/v1/events?after=${all[1]!.id}` })).json<{ events: EventAnswer['event'][] }>().events;
  assert.equal(later.map((e) => e.id), [all[0]!.id]);
  await app.close();
  store.close();
});

test('GET /v1/status answers the status it is given', async () => {
  const { app, store } = await controlServer();
  const res = await app.inject({ method: 'GET', url: '/v1/status' });
  assert.is(res.statusCode, 200);
  assert.equal(res.json(), status);
  await app.close();
  store.close();
});

test.run();
