// The controller's methods for the local console, over a real bus (inproc) on
// a real store: the overview, approve/reject, the console's join code and the
// first cloud admin.
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createApiServer } from '../../../../appliance/api/index.ts';
import type { BusClient } from '../../../../appliance/bus/index.ts';
import { CONSOLE_METHODS, ENROLMENT_PATH, type ConsoleOverviewResult, type HostState, type JoinCodeRotateResult } from '../../../../appliance/contracts/index.ts';
import { createLogger } from '../../../../appliance/log/index.ts';
import { AuditLog } from '../../../../services/controller/audit/audit-log.ts';
import { controllerApi } from '../../../../services/controller/api/controller-api.ts';
import { createControllerCore } from '../../../../services/controller/api/controller-core.ts';
import { verifyPassword } from '../../../../services/controller/identity/password-hash.ts';
import { UserRepository } from '../../../../services/controller/identity/user-repository.ts';
import { HostRepository, hostsFeature, JoinTokenRepository, type HostRecord, type HostsFeature } from '../../../../services/controller/hosts/index.ts';
import { Clock, hostKeys, serveLocally, signedRequest, testContext, type LocalBus, type TestContext } from './_support/hosts-fixtures.ts';

const PASSWORD = 'a long console passphrase';
let t: TestContext;
let feature: HostsFeature;
let bus: LocalBus;
let client: BusClient;
let clock: Clock;

function record(id: string, state: HostState, options: { createdAt?: string; updatedAt?: string; enrolledAt?: string; approvedBy?: string } = {}): Omit<HostRecord, 'inventoryHash'> {
  const createdAt = options.createdAt ?? '2026-03-01T00:00:00.000Z';
  return {
    id, publicKey: 'PEM', name: `node-${id}`, state, addresses: [`192.0.2.${id.length}`], labels: {}, traits: [], inventory: null, health: null, credentialHash: null,
    certificate: null, certNotAfter: null, joinTokenId: null, approvedBy: options.approvedBy ?? null, agentVersion: '', createdAt, updatedAt: options.updatedAt ?? createdAt,
    enrolledAt: options.enrolledAt ?? null, lastHeartbeatAt: null,
  };
}

const insert = (...records: Omit<HostRecord, 'inventoryHash'>[]) => {
  const hosts = new HostRepository(t.store.database);
  t.store.transaction(() => records.forEach((r) => hosts.insert(r)));
};

const call = <R>(method: string, params: unknown = {}): Promise<R> => client.call<R>(method, params);
const overview = () => call<ConsoleOverviewResult>(CONSOLE_METHODS.overview);

async function refusal(method: string, params: unknown): Promise<{ code?: string; message?: string }> {
  try {
    await call(method, params);
  } catch (err) {
    return err as { code?: string; message?: string };
  }
  throw new Error(`${method} accepted ${JSON.stringify(params)}`);
}

const auditOf = (action: string) =>
  new AuditLog(t.store.database, clock.now).list({ action, limit: 50 }).map(({ actor, actorKind, source, target, detail }) => ({ actor, actorKind, source, target, detail }));

test.before.each(async () => {
  clock = new Clock();
  t = testContext({ now: clock.now, controller: { password_cost: 10 } });
  feature = hostsFeature(t.ctx);
  bus = await serveLocally(feature.localBusMethods, 'console');
  client = bus.client;
});

test.after.each(async () => {
  await bus.close();
  t.store.close();
  rmSync(t.dir, { recursive: true, force: true });
});

test('controller.console-overview on an empty controller: no admins, every state at zero, no join code', async () => {
  assert.equal(await overview(), {
    admins: 0,
    hosts: { counts: { pending: 0, active: 0, suspect: 0, offline: 0, retired: 0, rejected: 0 }, pending: [], pendingTotal: 0 },
    joinCode: null,
  });
});

test('controller.console-overview counts hosts by state and lists pending ones oldest first, with when they asked', async () => {
  insert(
    record('a1', 'active'),
    record('a2', 'active'),
    record('s', 'suspect'),
    record('o', 'offline'),
    record('rt', 'retired'),
    record('rj', 'rejected'),
    record('p-new', 'pending', { createdAt: '2026-03-01T10:00:00.000Z' }),
    record('p-old', 'pending', { createdAt: '2026-03-01T09:00:00.000Z', approvedBy: 'root', updatedAt: '2026-03-01T11:00:00.000Z' }),
    // Enrolled once, retired, asked again at 09:30: its record is older than the others, its request is not.
    record('p-back', 'pending', { createdAt: '2026-02-01T00:00:00.000Z', enrolledAt: '2026-02-01T00:00:00.000Z', updatedAt: '2026-03-01T09:30:00.000Z' }),
  );
  const { hosts } = await overview();
  assert.equal(hosts.counts, { pending: 3, active: 2, suspect: 1, offline: 1, retired: 1, rejected: 1 });
  assert.is(hosts.pendingTotal, 3);
  assert.equal(hosts.pending, [
    { id: 'p-old', name: 'node-p-old', addresses: ['192.0.2.5'], since: '2026-03-01T09:00:00.000Z', approvedBy: 'root' },
    { id: 'p-back', name: 'node-p-back', addresses: ['192.0.2.6'], since: '2026-03-01T09:30:00.000Z', approvedBy: null },
    { id: 'p-new', name: 'node-p-new', addresses: ['192.0.2.5'], since: '2026-03-01T10:00:00.000Z', approvedBy: null },
  ]);
});

test('controller.console-overview lists at most 20 pending hosts and counts them all', async () => {
  insert(...Array.from({ length: 23 }, (_, i) => record(`p${String(i).padStart(2, '0')}`, 'pending', { createdAt: new Date(Date.UTC(2026, 2, 1, 0, i)).toISOString() })));
  const { hosts } = await overview();
  assert.is(hosts.pendingTotal, 23);
  assert.equal(hosts.pending.map((h) => h.id), Array.from({ length: 20 }, (_, i) => `p${String(i).padStart(2, '0')}`));
});

const decisions: Record<string, { decision: 'approve' | 'reject'; state: HostState; approvedBy: string | null; action: string; note: string }> = {
  'approve marks a pending host approved by the console (it enrols on its next request)': { decision: 'approve', state: 'pending', approvedBy: 'console', action: 'hosts.approve', note: 'host.approved' },
  'reject turns a pending host away': { decision: 'reject', state: 'rejected', approvedBy: null, action: 'hosts.reject', note: 'host.rejected' },
};
for (const [behaviour, expected] of Object.entries(decisions)) {
  test(`controller.host-decide: ${behaviour}; overview, audit log and journal show it`, async () => {
    insert(record('p', 'pending'));
    const answer = await call<{ host: unknown }>(CONSOLE_METHODS.hostDecide, { hostId: 'p', decision: expected.decision });
    assert.equal(answer.host, { id: 'p', name: 'node-p', state: expected.state, approvedBy: expected.approvedBy });

    const { hosts } = await overview();
    assert.is(hosts.counts[expected.state], 1);
    assert.equal(hosts.pending.map((h) => h.approvedBy), expected.state === 'pending' ? ['console'] : []);
    assert.equal(auditOf(expected.action), [{ actor: 'console', actorKind: 'system', source: 'console', target: 'p', detail: { from: 'pending', name: 'node-p' } }]);
    assert.equal(t.notes.map((n) => [n.kind, n.data.by]), [[expected.note, 'console']]);
  });
}

test('controller.host-decide refuses an unknown host with the hosts catalogue\'s not-found error', async () => {
  const err = await refusal(CONSOLE_METHODS.hostDecide, { hostId: 'nope', decision: 'approve' });
  assert.is(err.code, 'APL_HOSTS_NOT_FOUND');
  assert.match(err.message ?? '', /alliance hosts list/);
});

test('controller.host-decide refuses to reject an active host, changing nothing', async () => {
  insert(record('a', 'active'));
  assert.is((await refusal(CONSOLE_METHODS.hostDecide, { hostId: 'a', decision: 'reject' })).code, 'APL_HOSTS_WRONG_STATE');
  assert.is((await overview()).hosts.counts.active, 1);
  assert.equal(auditOf('hosts.reject'), []);
});

test('controller.join-code-rotate mints a console code with the defaults, shown by the overview without its secret', async () => {
  const rotated = await call<JoinCodeRotateResult>(CONSOLE_METHODS.joinCodeRotate, {});
  assert.match(rotated.code, new RegExp(`^${rotated.tokenId}\\.[a-z2-7]+$`));
  assert.is(rotated.maxUses, 50);
  assert.is(Date.parse(rotated.expiresAt) - clock.now().getTime(), 24 * 3600_000);
  const { joinCode } = await overview();
  assert.equal(joinCode, { tokenId: rotated.tokenId, expiresAt: rotated.expiresAt, uses: 0, maxUses: 50 });
  assert.equal(auditOf('join-tokens.create').map((e) => [e.actor, e.source, e.target]), [['console', 'console', rotated.tokenId]]);
  assert.not.match(JSON.stringify(t.store.database.prepare('SELECT * FROM join_tokens').all()), rotated.code.split('.')[1]!);
});

test('controller.join-code-rotate revokes the previous console code (it no longer admits) and leaves other tokens alone', async () => {
  const log = createLogger('fatal');
  const core = createControllerCore({ store: t.store, config: t.ctx.config.controller, log, now: clock.now });
  const app = createApiServer({ log, bodyLimit: 1024 * 1024 });
  await app.register(controllerApi(core, { features: [feature] }));
  await app.ready();
  try {
    const boot = await call<{ tokenId: string }>('controller.boot-join-code', { mac: '3c:ec:ef:00:00:09', address: '10.0.0.9' });
    const first = await call<JoinCodeRotateResult>(CONSOLE_METHODS.joinCodeRotate, { ttlHours: 2, maxUses: 3 });
    clock.advance(1000);
    const second = await call<JoinCodeRotateResult>(CONSOLE_METHODS.joinCodeRotate, { ttlHours: 720, maxUses: 1000 });
    assert.is(Date.parse(second.expiresAt) - clock.now().getTime(), 720 * 3600_000);

    const tokens = new JoinTokenRepository(t.store.database);
    assert.ok(tokens.get(first.tokenId)!.revokedAt !== null, 'the previous console code is revoked');
    assert.is(tokens.get(second.tokenId)!.revokedAt, null);
    assert.is(tokens.get(boot.tokenId)!.revokedAt, null, 'the boot service\'s code is not the console\'s');
    assert.equal(auditOf('join-tokens.revoke').map((e) => [e.actor, e.target]), [['console', first.tokenId]]);
    assert.is((await overview()).joinCode?.tokenId, second.tokenId);

    const enrol = (code: string) => app.inject({ method: 'POST', url: ENROLMENT_PATH, payload: signedRequest(hostKeys(), { now: clock.now(), joinCode: code }) });
    const old = await enrol(first.code);
    assert.is(old.statusCode, 403, old.body);
    assert.match(old.body, /APL_HOSTS_JOIN_TOKEN_REVOKED/);
    const fresh = await enrol(second.code);
    assert.is(fresh.statusCode, 200, fresh.body);
    assert.is(fresh.json<{ state: string }>().state, 'admitted');
    assert.is((await overview()).joinCode?.uses, 1);
  } finally {
    await app.close();
  }
});

test('controller.first-admin creates the first cloud admin like `alliance init --admin`, audited as the console, and notes it', async () => {
  assert.equal(await call(CONSOLE_METHODS.firstAdmin, { name: 'root', password: PASSWORD }), { name: 'root' });
  const users = new UserRepository(t.store.database);
  const root = users.find('root')!;
  assert.is(users.role(root.id, '*'), 'cloud-admin');
  const hash = users.passwordHash('root')!.hash!;
  assert.match(hash, /^scrypt\$ln=10,/, 'hashed at controller.password_cost');
  assert.ok(await verifyPassword(PASSWORD, hash));
  assert.equal(auditOf('users.create'), [{ actor: 'console', actorKind: 'system', source: 'console', target: 'root', detail: { role: 'cloud-admin', scope: '*' } }]);
  assert.equal(t.notes.map((n) => [n.kind, n.severity, n.data]), [['controller.admin-created', 'info', { name: 'root', by: 'console' }]]);
  assert.is((await overview()).admins, 1);
  const everything = JSON.stringify([t.notes, t.store.database.prepare('SELECT * FROM audit_log').all(), t.store.database.prepare('SELECT * FROM events').all()]);
  assert.not.ok(everything.includes(PASSWORD), 'the password is in no note, audit record or journal event');
});

test('controller.first-admin refuses once a cloud admin exists, with a coded error that says what to do', async () => {
  await call(CONSOLE_METHODS.firstAdmin, { name: 'root', password: PASSWORD });
  const err = await refusal(CONSOLE_METHODS.firstAdmin, { name: 'second', password: PASSWORD });
  assert.is(err.code, 'APL_CTRL_ADMIN_EXISTS');
  assert.match(err.message ?? '', /a cloud admin exists already.*alliance users/);
  assert.is(new UserRepository(t.store.database).find('second'), undefined);
  assert.is(t.notes.length, 1);
});

test('controller.first-admin called twice at once creates one admin', async () => {
  const results = await Promise.allSettled([
    call(CONSOLE_METHODS.firstAdmin, { name: 'alice', password: PASSWORD }),
    call(CONSOLE_METHODS.firstAdmin, { name: 'bob', password: PASSWORD }),
  ]);
  assert.equal(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  assert.is((refused.reason as { code?: string }).code, 'APL_CTRL_ADMIN_EXISTS');
  assert.is(new UserRepository(t.store.database).countWithRole('*', 'cloud-admin'), 1);
  assert.is(auditOf('users.create').length, 1);
});

const badAdmins: Record<string, [{ name: string; password: string }, string]> = {
  'a password shorter than 12 characters': [{ name: 'root', password: 'short' }, 'APL_CTRL_WEAK_PASSWORD'],
  'an empty password': [{ name: 'root', password: '' }, 'APL_CTRL_WEAK_PASSWORD'],
  'a name with upper case and a space': [{ name: 'Root Admin', password: PASSWORD }, 'APL_CTRL_USER_NAME_INVALID'],
  'a name of 65 characters': [{ name: 'r'.repeat(65), password: PASSWORD }, 'APL_CTRL_USER_NAME_INVALID'],
};
for (const [name, [params, code]] of Object.entries(badAdmins)) {
  test(`controller.first-admin refuses ${name} with ${code}, creating nobody`, async () => {
    const err = await refusal(CONSOLE_METHODS.firstAdmin, params);
    assert.is(err.code, code);
    assert.not.ok((err.message ?? '').includes(PASSWORD));
    assert.equal(new UserRepository(t.store.database).list(), []);
    assert.equal(t.notes, []);
  });
}

test('controller.first-admin refuses a name another user has, even with no admin yet', async () => {
  const users = new UserRepository(t.store.database);
  t.store.transaction(() => users.create({ name: 'root', passwordHash: 'x' }, clock.now()));
  assert.is((await refusal(CONSOLE_METHODS.firstAdmin, { name: 'root', password: PASSWORD })).code, 'APL_CTRL_USER_EXISTS');
  assert.is(users.countWithRole('*', 'cloud-admin'), 0);
});

const badParams: Record<string, [string, unknown]> = {
  'an unknown field in the overview': [CONSOLE_METHODS.overview, { all: true }],
  'a decision that is neither approve nor reject': [CONSOLE_METHODS.hostDecide, { hostId: 'p', decision: 'retire' }],
  'no host id': [CONSOLE_METHODS.hostDecide, { decision: 'approve' }],
  'an empty host id': [CONSOLE_METHODS.hostDecide, { hostId: '', decision: 'approve' }],
  'a TTL of 0 hours': [CONSOLE_METHODS.joinCodeRotate, { ttlHours: 0 }],
  'a TTL over 30 days': [CONSOLE_METHODS.joinCodeRotate, { ttlHours: 721 }],
  'a fractional TTL': [CONSOLE_METHODS.joinCodeRotate, { ttlHours: 1.5 }],
  '1001 uses': [CONSOLE_METHODS.joinCodeRotate, { maxUses: 1001 }],
  'uses as a string': [CONSOLE_METHODS.joinCodeRotate, { maxUses: '5' }],
  'a first admin without a password': [CONSOLE_METHODS.firstAdmin, { name: 'root' }],
  'a first admin with a 2000-character password': [CONSOLE_METHODS.firstAdmin, { name: 'root', password: 'x'.repeat(2000) }],
};
for (const [name, [method, params]] of Object.entries(badParams)) {
  test(`${method} refuses ${name} with a typed error and changes nothing`, async () => {
    insert(record('p', 'pending'));
    assert.is((await refusal(method, params)).code, 'APL_BUS_INVALID_PARAMS');
    assert.is(new JoinTokenRepository(t.store.database).list().length, 0);
    assert.equal(new UserRepository(t.store.database).list(), []);
    assert.is(new HostRepository(t.store.database).get('p')!.state, 'pending');
  });
}

test.run();
