import { createHash, X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createApiServer } from '../../../../appliance/api/index.ts';
import { controllerProofPayload, ENROLMENT_PATH, joinHmac, joinSecretKey, parseJoinCode, type EnrolmentAnswer, type EnrolmentRequest, type Host } from '../../../../appliance/contracts/index.ts';
import { caFingerprint } from '../../../../appliance/identity/index.ts';
import { createLogger } from '../../../../appliance/log/index.ts';
import type { Principal } from '../../../../services/controller/access/access.ts';
import { AuditLog } from '../../../../services/controller/audit/audit-log.ts';
import { hostsFeature, type JoinToken } from '../../../../services/controller/hosts/index.ts';
import { Clock, hostKeys, signedRequest, testContext, type TestContext } from './_support/hosts-fixtures.ts';

const admin: Principal = { kind: 'user', userId: 'u1', userName: 'root', tokenId: 't1', scope: '*', roles: ['cloud-admin'], expiresAt: null };

interface Harness {
  readonly app: FastifyInstance;
  readonly t: TestContext;
  readonly clock: Clock;
  readonly routes: RouteOptions[];
}

let h: Harness;

async function harness(controller: Parameters<typeof testContext>[0]['controller'] = {}, busCall?: Parameters<typeof testContext>[0]['call']): Promise<Harness> {
  const clock = new Clock();
  const t = testContext({ now: clock.now, controller, ...(busCall === undefined ? {} : { call: busCall }) });
  const feature = hostsFeature(t.ctx);
  const app = createApiServer({ log: createLogger('fatal'), bodyLimit: 64 * 1024 });
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  app.decorateRequest('principal', undefined);
  // A stand-in for the access plugin: a request with x-test-admin is a cloud admin, any other has no principal.
  await app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request) => {
        request.principal = request.headers['x-test-admin'] === 'yes' ? admin : undefined;
      });
      await scope.register(feature.routes);
    },
    { prefix: '/api/v1' },
  );
  await app.ready();
  return { app, t, clock, routes };
}

test.before.each(async () => {
  h = await harness();
});

test.after.each(async () => {
  await h.app.close();
  h.t.store.close();
  rmSync(h.t.dir, { recursive: true, force: true });
});

async function enrol(request: EnrolmentRequest, app = h.app): Promise<{ status: number; body: EnrolmentAnswer & { error?: { code: string; message: string } } }> {
  const res = await app.inject({ method: 'POST', url: ENROLMENT_PATH, payload: request, remoteAddress: '198.51.100.7' });
  return { status: res.statusCode, body: res.json() };
}

async function call<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown): Promise<{ status: number; body: T & { error?: { code: string } } }> {
  const res = await h.app.inject({ method, url: `/api/v1${url}`, headers: { 'x-test-admin': 'yes' }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  return { status: res.statusCode, body: res.json() };
}

async function joinCode(body: Record<string, unknown> = {}): Promise<{ code: string; joinToken: JoinToken }> {
  const res = await call<{ code: string; joinToken: JoinToken }>('POST', '/join-tokens', body);
  assert.is(res.status, 201);
  return res.body;
}

function audit(): ReturnType<AuditLog['list']> {
  return new AuditLog(h.t.store.database, h.clock.now).list({ limit: 100 }).reverse();
}

function hostRow(id: string): Record<string, unknown> | undefined {
  return h.t.store.database.prepare('SELECT * FROM hosts WHERE id = ?').get(id) as Record<string, unknown> | undefined;
}

test('every hosts route declares its access: enrolment authenticates itself, the rest need a cloud admin', () => {
  const declared = h.routes.filter((r) => r.method !== 'HEAD').map((r) => `${String(r.method)} ${r.url} ${JSON.stringify((r.config as { access?: unknown } | undefined)?.access)}`).sort();
  assert.equal(declared, [
    'DELETE /api/v1/join-tokens/:token {"kind":"cloud-admin"}',
    'GET /api/v1/hosts {"kind":"cloud-admin"}',
    'GET /api/v1/hosts/:host {"kind":"cloud-admin"}',
    'GET /api/v1/join-tokens {"kind":"cloud-admin"}',
    'GET /api/v1/machines {"kind":"cloud-admin"}',
    'PATCH /api/v1/hosts/:host {"kind":"cloud-admin"}',
    'POST /api/v1/enrolments {"kind":"own","how":"host key signature (+ join token proof)"}',
    'POST /api/v1/hosts/:host/approve {"kind":"cloud-admin"}',
    'POST /api/v1/hosts/:host/reject {"kind":"cloud-admin"}',
    'POST /api/v1/hosts/:host/retire {"kind":"cloud-admin"}',
    'POST /api/v1/join-tokens {"kind":"cloud-admin"}',
  ]);
});

test('POST /enrolments admits a host with a join token: certificate, CA, credential, bus port and controller proof', async () => {
  const { code, joinToken } = await joinCode({ uses: 1, description: 'rack 4' });
  const keys = hostKeys();
  const { status, body } = await enrol(signedRequest(keys, { now: h.clock.now(), joinCode: code }));
  assert.is(status, 200);
  assert.is(body.state, 'admitted');
  if (body.state !== 'admitted') return;
  assert.is(body.hostId, keys.hostId);
  const cert = new X509Certificate(body.certificate);
  const ca = new X509Certificate(body.clusterCa);
  assert.ok(cert.verify(ca.publicKey), 'the certificate is signed by the cluster CA');
  assert.is(cert.publicKey.export({ format: 'pem', type: 'spki' }).toString(), keys.tlsPublicPem, 'for the TLS key of the request');
  assert.match(cert.subject, new RegExp(`CN=${keys.hostId}`));
  assert.is(body.busPort, 8444);
  assert.is(body.busServerName, h.t.ctx.identity.nodeId);
  const secret = parseJoinCode(code)!.secret;
  assert.is(body.controllerProof, joinHmac(joinSecretKey(secret), controllerProofPayload(keys.hostId, caFingerprint(body.clusterCa))));
  assert.ok(Buffer.from(body.credential, 'base64url').length === 32);

  const row = hostRow(keys.hostId)!;
  assert.is(row.state, 'active');
  assert.is(row.credential_hash, createHash('sha256').update(body.credential).digest('hex'), 'only the hash of the credential is stored');
  assert.is(row.join_token_id, joinToken.id);
  assert.equal(JSON.parse(row.traits as string), ['arch:x64', 'cpu:intel', 'cpu:virtualization', 'disk:nvme', 'disk:ssd', 'memory:large', 'net:10g']);
  const tokens = await call<{ joinTokens: JoinToken[] }>('GET', '/join-tokens');
  assert.equal(tokens.body.joinTokens.map((t) => [t.uses, t.state]), [[1, 'exhausted']]);
  const entry = audit().find((a) => a.action === 'hosts.enrol')!;
  assert.equal([entry.actor, entry.actorKind, entry.outcome, entry.source, entry.detail.result], [keys.hostId, 'host', 'ok', '198.51.100.7', 'admitted']);
  assert.ok(h.t.notes.some((n) => n.kind === 'host.enrolled' && n.data.hostId === keys.hostId));
});

test('POST /enrolments re-issues to an enrolled host retrying with its used-up token, without a second use, and revokes the old credential', async () => {
  const { code } = await joinCode({ uses: 1 });
  const keys = hostKeys();
  const first = await enrol(signedRequest(keys, { now: h.clock.now(), joinCode: code }));
  h.clock.advance(1000);
  const second = await enrol(signedRequest(keys, { now: h.clock.now(), joinCode: code }));
  assert.is(second.status, 200);
  assert.is(second.body.state, 'admitted');
  if (first.body.state !== 'admitted' || second.body.state !== 'admitted') return;
  assert.is.not(second.body.credential, first.body.credential);
  assert.ok(second.body.controllerProof !== null, 'the agent can still check the controller');
  assert.is(hostRow(keys.hostId)!.credential_hash, createHash('sha256').update(second.body.credential).digest('hex'));
  const tokens = await call<{ joinTokens: JoinToken[] }>('GET', '/join-tokens');
  assert.is(tokens.body.joinTokens[0]!.uses, 1);
});

test('POST /enrolments refuses the same signed request twice (replay) and audits it', async () => {
  const { code } = await joinCode({ uses: 5 });
  const request = signedRequest(hostKeys(), { now: h.clock.now(), joinCode: code });
  assert.is((await enrol(request)).status, 200);
  const again = await enrol(request);
  assert.is(again.status, 401);
  assert.is(again.body.error?.code, 'APL_HOSTS_REPLAYED');
  assert.ok(audit().some((a) => a.outcome === 'denied' && a.detail.code === 'APL_HOSTS_REPLAYED'));
});

test('POST /enrolments refuses a forged request (changed after signing), as an anonymous caller', async () => {
  const { code } = await joinCode();
  const keys = hostKeys();
  const { status, body } = await enrol(signedRequest(keys, { now: h.clock.now(), joinCode: code, tamper: (r) => ({ ...r, name: 'evil' }) }));
  assert.is(status, 401);
  assert.is(body.error?.code, 'APL_HOSTS_BAD_SIGNATURE');
  assert.is(hostRow(keys.hostId), undefined);
  const entry = audit().find((a) => a.outcome === 'denied')!;
  assert.equal([entry.actor, entry.actorKind, entry.detail.code], [keys.hostId, 'anonymous', 'APL_HOSTS_BAD_SIGNATURE']);
});

test('POST /enrolments refuses a request signed by another key than the one it carries', async () => {
  const keys = hostKeys();
  const other = hostKeys();
  const { status, body } = await enrol(signedRequest({ ...keys, hostKey: other.hostKey }, { now: h.clock.now() }));
  assert.is(status, 401);
  assert.is(body.error?.code, 'APL_HOSTS_BAD_SIGNATURE');
});

test('POST /enrolments refuses a timestamp beyond the allowed clock skew, naming the skew', async () => {
  const request = signedRequest(hostKeys(), { now: new Date(h.clock.now().getTime() - 6 * 60_000) });
  const { status, body } = await enrol(request);
  assert.is(status, 401);
  assert.is(body.error?.code, 'APL_HOSTS_STALE_REQUEST');
  assert.match(body.error?.message ?? '', /360 s away/);
});

test('POST /enrolments refuses a join proof made with the wrong secret, an unknown token, and a revoked token', async () => {
  const { code, joinToken } = await joinCode({ uses: 5 });
  const badProof = await enrol(signedRequest(hostKeys(), { now: h.clock.now(), joinCode: code, proofSecret: 'a'.repeat(32) }));
  assert.equal([badProof.status, badProof.body.error?.code], [401, 'APL_HOSTS_BAD_JOIN_PROOF']);
  const unknown = await enrol(signedRequest(hostKeys(), { now: h.clock.now(), joinCode: `zzzzzzzz.${'b'.repeat(32)}` }));
  assert.equal([unknown.status, unknown.body.error?.code], [401, 'APL_HOSTS_UNKNOWN_JOIN_TOKEN']);
  assert.is((await call('DELETE', `/join-tokens/${joinToken.id}`)).status, 200);
  const revoked = await enrol(signedRequest(hostKeys(), { now: h.clock.now(), joinCode: code }));
  assert.equal([revoked.status, revoked.body.error?.code], [403, 'APL_HOSTS_JOIN_TOKEN_REVOKED']);
  assert.equal((await call<{ joinTokens: JoinToken[] }>('GET', '/join-tokens')).body.joinTokens.map((t) => t.uses), [0]);
});

test('POST /enrolments refuses an expired join token', async () => {
  const { code } = await joinCode({ ttlSeconds: 60 });
  h.clock.advance(61_000);
  const { status, body } = await enrol(signedRequest(hostKeys(), { now: h.clock.now(), joinCode: code }));
  assert.equal([status, body.error?.code], [403, 'APL_HOSTS_JOIN_TOKEN_EXPIRED']);
});

test('POST /enrolments keeps a host without a token pending; approval admits it on its next request', async () => {
  const keys = hostKeys();
  const first = await enrol(signedRequest(keys, { now: h.clock.now() }));
  assert.equal([first.status, first.body.state], [200, 'pending']);
  assert.match((first.body as { message: string }).message, /alliance hosts approve/);
  assert.ok(h.t.notes.some((n) => n.kind === 'host.pending'));
  const pending = await call<{ hosts: Host[] }>('GET', '/hosts?state=pending');
  assert.equal(pending.body.hosts.map((x) => [x.id, x.state, x.approvedBy]), [[keys.hostId, 'pending', null]]);

  h.clock.advance(1000);
  const waiting = await enrol(signedRequest(keys, { now: h.clock.now(), addresses: ['192.0.2.99'] }));
  assert.is(waiting.body.state, 'pending');
  assert.equal((await call<{ host: Host }>('GET', `/hosts/${keys.hostId}`)).body.host.addresses, ['192.0.2.99'], 'a waiting host keeps its record current');

  const approved = await call<{ host: Host }>('POST', `/hosts/${keys.hostId}/approve`);
  assert.equal([approved.status, approved.body.host.state, approved.body.host.approvedBy], [200, 'pending', 'root']);
  assert.ok(h.t.notes.some((n) => n.kind === 'host.approved'));
  h.clock.advance(1000);
  const admitted = await enrol(signedRequest(keys, { now: h.clock.now() }));
  assert.is(admitted.body.state, 'admitted');
  if (admitted.body.state === 'admitted') assert.is(admitted.body.controllerProof, null, 'no token, no controller proof');
  assert.is(hostRow(keys.hostId)!.state, 'active');
  assert.equal(
    audit().map((a) => [a.action, a.outcome, a.actor]),
    [
      ['hosts.enrol', 'ok', keys.hostId],
      ['hosts.approve', 'ok', 'root'],
      ['hosts.enrol', 'ok', keys.hostId],
    ],
    'a host that asks again while it waits is not audited each time',
  );
});

test('POST /enrolments refuses a rejected host; approving it after all lets it in', async () => {
  const keys = hostKeys();
  await enrol(signedRequest(keys, { now: h.clock.now() }));
  const rejected = await call<{ host: Host }>('POST', `/hosts/${keys.hostId}/reject`);
  assert.is(rejected.body.host.state, 'rejected');
  h.clock.advance(1000);
  const refused = await enrol(signedRequest(keys, { now: h.clock.now() }));
  assert.equal([refused.status, refused.body.error?.code], [403, 'APL_HOSTS_REJECTED']);
  await call('POST', `/hosts/${keys.hostId}/approve`);
  h.clock.advance(1000);
  assert.is((await enrol(signedRequest(keys, { now: h.clock.now() }))).body.state, 'admitted');
});

test('POST /hosts/:host/retire revokes the credential; the host must enrol and be approved again', async () => {
  const { code } = await joinCode({ uses: 5 });
  const keys = hostKeys();
  await enrol(signedRequest(keys, { now: h.clock.now(), joinCode: code }));
  const retired = await call<{ host: Host }>('POST', `/hosts/${keys.hostId}/retire`);
  assert.is(retired.body.host.state, 'retired');
  assert.is(hostRow(keys.hostId)!.credential_hash, null);
  assert.ok(h.t.notes.some((n) => n.kind === 'host.retired'));
  h.clock.advance(1000);
  const back = await enrol(signedRequest(keys, { now: h.clock.now(), joinCode: code }));
  assert.is(back.body.state, 'pending', 'a token does not undo a retirement');
  await call('POST', `/hosts/${keys.hostId}/approve`);
  h.clock.advance(1000);
  assert.is((await enrol(signedRequest(keys, { now: h.clock.now(), joinCode: code }))).body.state, 'admitted');
  assert.equal((await call<{ joinTokens: JoinToken[] }>('GET', '/join-tokens')).body.joinTokens.map((t) => t.uses), [1], 'coming back used no token');
});

test('POST /enrolments refuses a host without a token when unknown_hosts is "refuse", and past max_pending_hosts', async () => {
  await h.app.close();
  h.t.store.close();
  rmSync(h.t.dir, { recursive: true, force: true });
  h = await harness({ unknown_hosts: 'refuse' });
  const refused = await enrol(signedRequest(hostKeys(), { now: h.clock.now() }));
  assert.equal([refused.status, refused.body.error?.code], [403, 'APL_HOSTS_UNKNOWN_HOST_REFUSED']);

  await h.app.close();
  h.t.store.close();
  rmSync(h.t.dir, { recursive: true, force: true });
  h = await harness({ max_pending_hosts: 1 });
  assert.is((await enrol(signedRequest(hostKeys(), { now: h.clock.now() }))).body.state, 'pending');
  const full = await enrol(signedRequest(hostKeys(), { now: h.clock.now() }));
  assert.equal([full.status, full.body.error?.code], [403, 'APL_HOSTS_TOO_MANY_PENDING']);
});

test('POST /enrolments answers 400 for keys of the wrong kind and for a body that breaks the schema', async () => {
  const keys = hostKeys();
  const rsaLike = hostKeys();
  const badTls = await enrol(signedRequest({ ...keys, tlsPublicPem: rsaLike.hostKeyPem }, { now: h.clock.now() }));
  assert.equal([badTls.status, badTls.body.error?.code], [400, 'APL_HOSTS_BAD_TLS_KEY']);
  const badHost = await enrol(signedRequest({ ...keys, hostKeyPem: keys.tlsPublicPem }, { now: h.clock.now() }));
  assert.equal([badHost.status, badHost.body.error?.code], [400, 'APL_HOSTS_BAD_HOST_KEY']);
  const garbage = await enrol(signedRequest(keys, { now: h.clock.now(), tamper: (r) => ({ ...r, hostKey: 'not a key' }) }));
  assert.equal([garbage.status, garbage.body.error?.code], [400, 'APL_HOSTS_BAD_HOST_KEY']);
  const extra = await enrol({ ...signedRequest(keys, { now: h.clock.now() }), admin: true } as unknown as EnrolmentRequest);
  assert.equal([extra.status, extra.body.error?.code], [400, 'APL_API_INVALID_REQUEST']);
  assert.is(hostRow(keys.hostId), undefined);
});

test('POST /enrolments writes nothing when its transaction fails: no host, no token use, no replay row', async () => {
  const { code } = await joinCode({ uses: 1 });
  h.t.store.database.exec('DROP TABLE audit_log');
  const keys = hostKeys();
  const { status } = await enrol(signedRequest(keys, { now: h.clock.now(), joinCode: code }));
  assert.is(status, 500);
  assert.is(hostRow(keys.hostId), undefined);
  assert.is(h.t.store.database.prepare('SELECT uses FROM join_tokens').pluck().get(), 0);
  assert.is(h.t.store.database.prepare('SELECT count(*) FROM enrolment_replays').pluck().get(), 0);
});

test('POST /join-tokens shows the code once; GET lists tokens without secrets; DELETE revokes', async () => {
  const created = await joinCode({ uses: 3, ttlSeconds: 3600, description: 'rack 4' });
  const parsed = parseJoinCode(created.code);
  assert.ok(parsed);
  assert.equal(
    { ...created.joinToken, createdAt: '', expiresAt: '' },
    { id: parsed.id, description: 'rack 4', maxUses: 3, uses: 0, state: 'usable', createdBy: 'root', createdAt: '', expiresAt: '', revokedAt: null },
  );
  assert.is(created.joinToken.expiresAt, new Date(h.clock.now().getTime() + 3_600_000).toISOString());
  const listed = await call('GET', '/join-tokens');
  assert.not.ok(JSON.stringify(listed.body).includes(parsed.secret));
  const revoked = await call<{ joinToken: JoinToken }>('DELETE', `/join-tokens/${parsed.id}`);
  assert.equal([revoked.status, revoked.body.joinToken.state], [200, 'revoked']);
  const missing = await call('DELETE', '/join-tokens/nosuchtoken');
  assert.equal([missing.status, missing.body.error?.code], [404, 'APL_HOSTS_JOIN_TOKEN_NOT_FOUND']);
  assert.equal(
    audit().map((a) => a.action),
    ['join-tokens.create', 'join-tokens.revoke'],
  );
  assert.not.ok(JSON.stringify(audit()).includes(parsed.secret), 'the audit log never holds the secret');
});

test('POST /join-tokens refuses out-of-range uses and ttl', async () => {
  assert.is((await call('POST', '/join-tokens', { uses: 0 })).status, 400);
  assert.is((await call('POST', '/join-tokens', { ttlSeconds: 5 })).status, 400);
});

test('PATCH /hosts/:host sets and removes labels, and refuses more than 64', async () => {
  const keys = hostKeys();
  await enrol(signedRequest(keys, { now: h.clock.now() }));
  const set = await call<{ host: Host }>('PATCH', `/hosts/${keys.hostId}`, { labels: { rack: 'r4', 'zone.example/a': 'x' } });
  assert.equal(set.body.host.labels, { rack: 'r4', 'zone.example/a': 'x' });
  const removed = await call<{ host: Host }>('PATCH', `/hosts/${keys.hostId}`, { labels: { rack: null } });
  assert.equal(removed.body.host.labels, { 'zone.example/a': 'x' });
  const many = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`l${i}`, 'v']));
  const tooMany = await call('PATCH', `/hosts/${keys.hostId}`, { labels: many });
  assert.equal([tooMany.status, tooMany.body.error?.code], [400, 'APL_HOSTS_TOO_MANY_LABELS']);
  const badName = await call('PATCH', `/hosts/${keys.hostId}`, { labels: { 'Bad Name': 'x' } });
  assert.is(badName.status, 400);
  assert.equal(audit().filter((a) => a.action === 'hosts.label').length, 2);
});

test('host routes answer 404 for an unknown host and 409 for a change its state does not allow', async () => {
  const missing = await call('GET', `/hosts/${'a'.repeat(52)}`);
  assert.equal([missing.status, missing.body.error?.code], [404, 'APL_HOSTS_NOT_FOUND']);
  const { code } = await joinCode();
  const keys = hostKeys();
  await enrol(signedRequest(keys, { now: h.clock.now(), joinCode: code }));
  const reject = await call('POST', `/hosts/${keys.hostId}/reject`);
  assert.equal([reject.status, reject.body.error?.code], [409, 'APL_HOSTS_WRONG_STATE']);
  const approve = await call<{ host: Host }>('POST', `/hosts/${keys.hostId}/approve`);
  assert.equal([approve.status, approve.body.host.state], [200, 'active'], 'approving an enrolled host changes nothing');
  await call('POST', `/hosts/${keys.hostId}/retire`);
  const retireAgain = await call<{ host: Host }>('POST', `/hosts/${keys.hostId}/retire`);
  assert.equal([retireAgain.status, retireAgain.body.host.state], [200, 'retired']);
  assert.equal(audit().filter((a) => a.action === 'hosts.retire').length, 1, 'a no-op is not audited');
});

test('host mutations refuse a caller without a principal (should the access plugin ever let one through)', async () => {
  const res = await h.app.inject({ method: 'POST', url: '/api/v1/join-tokens', payload: {} });
  assert.is(res.statusCode, 401);
  assert.equal(audit(), []);
});

test('GET /hosts answers hosts without keys, credentials or certificates', async () => {
  const { code } = await joinCode();
  await enrol(signedRequest(hostKeys(), { now: h.clock.now(), joinCode: code }));
  const text = JSON.stringify((await call('GET', '/hosts')).body);
  assert.not.ok(text.includes('BEGIN'), 'no PEM leaves');
  assert.not.ok(/credential/i.test(text));
});

const LEASES = [
  { ip: '10.9.0.101', mac: '3c:ec:ef:00:00:01', hostname: 'node-a', clientId: null, expiresAt: 1_800_000_000, interface: 'eth0', updatedAt: '2026-03-01T11:00:00.000Z' },
  { ip: '10.9.0.102', mac: '52:54:00:00:00:09', hostname: null, clientId: null, expiresAt: 0, interface: 'eth0', updatedAt: '2026-03-01T11:30:00.000Z' },
];

test('GET /machines joins the boot service leases with the hosts owning their MACs, newest first', async () => {
  await h.app.close();
  h.t.store.close();
  rmSync(h.t.dir, { recursive: true, force: true });
  const asked: string[] = [];
  h = await harness({}, (method) => {
    asked.push(method);
    return Promise.resolve({ leases: LEASES, file: '' } as never);
  });
  const keys = hostKeys();
  const enrolled = await enrol(signedRequest(keys, { now: h.clock.now() }));
  assert.is(enrolled.status, 200, JSON.stringify(enrolled.body));
  const { status, body } = await call<{ machines: { mac: string; address: string; leaseExpiresAt: string; host: { state: string } | null }[] }>('GET', '/machines');
  assert.is(status, 200);
  assert.equal(asked, ['boot.leases']);
  assert.equal(
    body.machines.map((m) => [m.mac, m.address, m.leaseExpiresAt, m.host?.state ?? null]),
    [
      ['52:54:00:00:00:09', '10.9.0.102', 'never', null],
      ['3c:ec:ef:00:00:01', '10.9.0.101', '2027-01-15T08:00:00.000Z', 'pending'],
    ],
  );
});

test('GET /machines is a 503 that says to check the boot service when it does not answer', async () => {
  await h.app.close();
  h.t.store.close();
  rmSync(h.t.dir, { recursive: true, force: true });
  h = await harness({}, () => Promise.reject(new Error('Bus call boot.leases timed out')));
  const { status, body } = await call('GET', '/machines');
  assert.is(status, 503);
  assert.is(body.error?.code, 'APL_HOSTS_BOOT_UNAVAILABLE');
});

test.run();
