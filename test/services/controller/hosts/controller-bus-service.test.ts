// The agent-facing bus end to end: real tls+tcp on 127.0.0.1 with cluster-CA
// certificates, hosts enrolled through the real route, liveness with short
// thresholds, states polled with a deadline. The controller's clock is the real
// one plus an offset a test can jump forward: silence without sleeping.
import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createApiServer } from '../../../../appliance/api/index.ts';
import { BusClient } from '../../../../appliance/bus/index.ts';
import { ENROLMENT_PATH, HOST_METHODS, inventoryHash, type EnrolmentAnswer, type HeartbeatResult, type HostState, type Inventory } from '../../../../appliance/contracts/index.ts';
import { makeSelfSignedCertificate } from '../../../../appliance/identity/index.ts';
import { createLogger } from '../../../../appliance/log/index.ts';
import type { RunningService } from '../../../../appliance/supervisor/index.ts';
import type { Principal } from '../../../../services/controller/access/access.ts';
import { AuditLog } from '../../../../services/controller/audit/audit-log.ts';
import { hostsFeature, type HostsFeature } from '../../../../services/controller/hosts/index.ts';
import { freePort } from '../../../_support/appliance-process.ts';
import { killIfFrozen } from '../../../_support/nng.ts';
import { rejection } from '../../../_support/refusal.ts';
import { hostKeys, sampleInventory, signedRequest, testContext, type HostKeys, type TestContext } from './_support/hosts-fixtures.ts';

killIfFrozen();

const log = createLogger('fatal');
const admin: Principal = { kind: 'user', userId: 'u1', userName: 'root', tokenId: 't1', scope: '*', roles: ['cloud-admin'], expiresAt: null };
const thresholds = { suspectAfterMs: 400, offlineAfterMs: 900 };
const health = { status: 'ok' as const, problems: [], load1: 0.2, memoryUsedBytes: 1024, uptimeSeconds: 60 };

interface Controller {
  readonly t: TestContext;
  readonly feature: HostsFeature;
  readonly app: FastifyInstance;
  running: RunningService | undefined;
  readonly failures: unknown[];
}

let c: Controller;
const clients: BusClient[] = [];
let offsetMs = 0;
const controllerNow = (): Date => new Date(Date.now() + offsetMs);

async function controller(): Promise<Controller> {
  const port = await freePort();
  const t = testContext({ now: controllerNow, controller: { listen: `tls+tcp://127.0.0.1:${port}` } });
  const feature = hostsFeature(t.ctx, { thresholds, tickMs: 25, flushEveryMs: 100 });
  const app = createApiServer({ log, bodyLimit: 64 * 1024 });
  app.decorateRequest('principal', undefined);
  await app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request) => {
        request.principal = admin;
      });
      await scope.register(feature.routes);
    },
    { prefix: '/api/v1' },
  );
  await app.ready();
  return { t, feature, app, running: undefined, failures: [] };
}

async function start(ctl: Controller): Promise<void> {
  ctl.running = await ctl.feature.service.start({ log, signal: new AbortController().signal, fail: (err) => ctl.failures.push(err) });
}

async function stop(ctl: Controller): Promise<void> {
  const running = ctl.running;
  ctl.running = undefined;
  await running?.stop();
}

test.before.each(async () => {
  offsetMs = 0;
  c = await controller();
  await start(c);
});

test.after.each(async () => {
  for (const client of clients.splice(0)) client.close();
  await stop(c);
  await c.app.close();
  c.t.store.close();
  rmSync(c.t.dir, { recursive: true, force: true });
});

async function admitted(keys: HostKeys = hostKeys(), inventory: Inventory = sampleInventory()): Promise<{ keys: HostKeys; answer: Extract<EnrolmentAnswer, { state: 'admitted' }> }> {
  const created = await c.app.inject({ method: 'POST', url: '/api/v1/join-tokens', payload: { uses: 1 } });
  const { code } = created.json<{ code: string }>();
  const res = await c.app.inject({ method: 'POST', url: ENROLMENT_PATH, payload: signedRequest(keys, { now: controllerNow(), joinCode: code, inventory }) });
  const answer = res.json<EnrolmentAnswer>();
  if (answer.state !== 'admitted') throw new Error(`not admitted: ${res.body}`);
  return { keys, answer };
}

async function agent(keys: HostKeys, answer: Extract<EnrolmentAnswer, { state: 'admitted' }>, credential = answer.credential, timeoutMs = 3000): Promise<BusClient> {
  const client = await BusClient.connect(`tls+tcp://127.0.0.1:${answer.busPort}`, {
    timeoutMs,
    credential,
    tls: { cert: answer.certificate, key: keys.tlsPrivatePem, ca: answer.clusterCa, serverName: answer.busServerName },
  });
  clients.push(client);
  return client;
}

function heartbeat(client: BusClient, params: Partial<{ addresses: string[]; agentVersion: string; inventoryHash: string; health: typeof health }> = {}): Promise<HeartbeatResult> {
  return client.call<HeartbeatResult>(HOST_METHODS.heartbeat, {
    health,
    addresses: ['192.0.2.10'],
    agentVersion: '0.1.0',
    inventoryHash: inventoryHash(sampleInventory()),
    ...params,
  });
}

function row(id: string): { state: HostState; updated_at: string; last_heartbeat_at: string | null; addresses: string; agent_version: string; traits: string } {
  return c.t.store.database.prepare('SELECT * FROM hosts WHERE id = ?').get(id) as never;
}

/** Polls until `check` holds; fails with `what` after the deadline (a guard, not a wait anything depends on). */
async function eventually(what: string, check: () => boolean, deadlineMs = 5000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await new Promise((done) => setTimeout(done, 10));
  }
}

test('controllerBusService() serves an enrolled agent over tls+tcp: heartbeat, inventory, desired', async () => {
  const { keys, answer } = await admitted();
  const client = await agent(keys, answer);
  assert.equal(await heartbeat(client), { state: 'active', sendInventory: false, intervalSeconds: 5 });
  assert.is((await heartbeat(client, { inventoryHash: 'other' })).sendInventory, true, 'a different inventory hash asks for the inventory');

  const bigger = sampleInventory({ pci: [{ kind: 'gpu', vendor: 'NVIDIA Corporation', model: 'A100', bus: '0000:65:00.0' }] });
  const traits = await client.call<{ traits: string[] }>(HOST_METHODS.inventory, { inventory: bigger });
  assert.ok(traits.traits.includes('gpu:nvidia'));
  assert.ok((JSON.parse(row(keys.hostId).traits) as string[]).includes('gpu:nvidia'), 'traits recomputed in the store');
  assert.is((await heartbeat(client, { inventoryHash: inventoryHash(bigger) })).sendInventory, false);

  await c.app.inject({ method: 'PATCH', url: `/api/v1/hosts/${keys.hostId}`, payload: { labels: { rack: 'r4' } } });
  const desired = await client.call<{ generation: number; state: string; labels: Record<string, string> }>(HOST_METHODS.desired, {});
  assert.equal([desired.state, desired.labels], ['active', { rack: 'r4' }]);
  assert.ok(desired.generation > 0);
});

test('controllerBusService() writes addresses and agent version when they change, not on every heartbeat', async () => {
  const { keys, answer } = await admitted();
  const client = await agent(keys, answer);
  await heartbeat(client);
  const before = row(keys.hostId).updated_at;
  await heartbeat(client, { health: { ...health, load1: 3, uptimeSeconds: 61 } });
  assert.is(row(keys.hostId).updated_at, before, 'load and uptime are not a change of the record');
  await heartbeat(client, { addresses: ['192.0.2.77'], agentVersion: '0.2.0' });
  assert.equal([JSON.parse(row(keys.hostId).addresses), row(keys.hostId).agent_version], [['192.0.2.77'], '0.2.0']);
  await eventually('the batched heartbeat time reaches the store', () => row(keys.hostId).last_heartbeat_at !== null);
});

test('controllerBusService() marks a silent host suspect then offline, and active again on its next heartbeat', async () => {
  const { keys, answer } = await admitted();
  const client = await agent(keys, answer);
  await heartbeat(client);
  await eventually('suspect', () => row(keys.hostId).state === 'suspect');
  await eventually('offline', () => row(keys.hostId).state === 'offline');
  assert.is((await heartbeat(client)).state, 'active', 'the heartbeat that ends the silence is answered as active');
  assert.is(row(keys.hostId).state, 'active');
  assert.equal(
    c.t.notes.filter((n) => n.kind !== 'host.enrolled').map((n) => n.kind),
    ['host.suspect', 'host.offline', 'host.recovered'],
  );
  assert.equal(
    c.t.announced.map((a) => (a.body as { to: string }).to),
    ['suspect', 'offline', 'active'],
  );
  assert.equal(c.failures, []);
});

test('controllerBusService() keeps a host that heartbeats active while a silent one goes suspect and offline', async () => {
  const a = await admitted();
  const b = await admitted();
  const talker = await agent(a.keys, a.answer);
  const silent = await agent(b.keys, b.answer);
  await heartbeat(talker);
  await heartbeat(silent);
  // Steps shorter than suspectAfter: the talker is never silent that long, the other one adds them up.
  for (const [steps, state] of [[2, 'suspect'], [2, 'offline']] as const) {
    for (let i = 0; i < steps; i += 1) {
      offsetMs += 300;
      await heartbeat(talker);
    }
    await eventually(`the silent host ${state}`, () => row(b.keys.hostId).state === state);
    assert.is(row(a.keys.hostId).state, 'active');
  }
  assert.equal(c.t.notes.filter((n) => n.data.hostId === a.keys.hostId && n.kind !== 'host.enrolled'), [], 'the talker never changed state');
});

test('controllerBusService() refuses an unknown credential, and a retired host, with a coded error and a throttled audit entry', async () => {
  const { keys, answer } = await admitted();
  const stranger = await agent(keys, answer, 'not-a-credential');
  for (let i = 0; i < 8; i += 1) assert.is((await rejection(heartbeat(stranger))).code, 'APL_HOSTS_UNKNOWN_CREDENTIAL');
  const entries = new AuditLog(c.t.store.database, () => new Date()).list({ action: 'host.unknown-credential', limit: 100 });
  assert.is(entries.length, 5, 'a flood is cut down to a few entries a minute');
  assert.not.ok(JSON.stringify(entries).includes('not-a-credential'), 'the credential itself is never logged');

  const client = await agent(keys, answer);
  await heartbeat(client);
  const retired = await c.app.inject({ method: 'POST', url: `/api/v1/hosts/${keys.hostId}/retire` });
  assert.is(retired.statusCode, 200);
  assert.is((await rejection(heartbeat(client))).code, 'APL_HOSTS_UNKNOWN_CREDENTIAL');
  assert.is((await rejection(client.call(HOST_METHODS.desired, {}))).code, 'APL_HOSTS_UNKNOWN_CREDENTIAL');
});

test('controllerBusService() refuses a client certificate that is not from the cluster CA', async () => {
  const { keys, answer } = await admitted();
  await makeSelfSignedCertificate(`${c.t.dir}/x.crt`, `${c.t.dir}/x.key`, { commonName: 'stranger', dnsNames: [], ipAddresses: [], now: new Date(), days: 1, usages: ['clientAuth'] });
  const stranger = await BusClient.connect(`tls+tcp://127.0.0.1:${answer.busPort}`, {
    timeoutMs: 800,
    credential: answer.credential,
    tls: { cert: readFileSync(`${c.t.dir}/x.crt`, 'utf8'), key: readFileSync(`${c.t.dir}/x.key`, 'utf8'), ca: answer.clusterCa, serverName: answer.busServerName },
  });
  clients.push(stranger);
  assert.is((await rejection(heartbeat(stranger))).code, 'APL_BUS_DEADLINE');
  assert.ok(keys.hostId.length > 0);
});

test('controllerBusService() presents a controller certificate from the cluster CA named by the node id, kept across restarts', async () => {
  const { answer } = await admitted();
  const cert = new X509Certificate(readFileSync(c.t.ctx.layout.controllerCert));
  assert.ok(cert.verify(new X509Certificate(answer.clusterCa).publicKey));
  assert.match(cert.subjectAltName ?? '', new RegExp(`DNS:${c.t.ctx.identity.nodeId}`));
  assert.is(answer.busServerName, c.t.ctx.identity.nodeId);
  const fingerprint = cert.fingerprint256;
  await stop(c);
  await start(c);
  assert.is(new X509Certificate(readFileSync(c.t.ctx.layout.controllerCert)).fingerprint256, fingerprint);
});

test('controllerBusService() writes the heartbeats still in memory when it stops, and gives hosts the grace period when it starts again', async () => {
  const { keys, answer } = await admitted();
  const client = await agent(keys, answer);
  await stop(c);
  // Stop with a heartbeat not yet flushed: start, beat once, stop at once.
  c.t.store.database.prepare('UPDATE hosts SET last_heartbeat_at = NULL').run();
  await start(c);
  await heartbeat(client);
  await stop(c);
  assert.ok(row(keys.hostId).last_heartbeat_at !== null, 'written at stop');

  // Down for longer than offlineAfter: after the restart the host is still active, and only silence from now on counts.
  offsetMs += 10 * thresholds.offlineAfterMs;
  const restarted = controllerNow().getTime();
  // On a slow machine the host may have gone offline before the first stop (it had not beaten yet; its
  // heartbeat since brought it back): only what follows the restart counts.
  const notesBefore = c.t.notes.length;
  await start(c);
  await eventually('suspect after the grace', () => row(keys.hostId).state === 'suspect');
  assert.ok(controllerNow().getTime() - restarted >= thresholds.suspectAfterMs, 'not before the grace period ended');
  assert.equal(c.t.notes.slice(notesBefore).filter((n) => n.kind === 'host.offline'), [], 'never offline for the time the controller was down');
});

test.run();
