// `alliance hosts` and `alliance join-tokens` against the real hosts routes,
// reached through Fastify's inject instead of HTTPS (the transport is
// ApiClient's, tested with it).
import { rmSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createApiServer } from '../../../appliance/api/index.ts';
import { parseCommandLine, resolveHostId, runHostCommand, type HostsApi } from '../../../appliance/cli/index.ts';
import { ENROLMENT_PATH, parseJoinCode, type Host } from '../../../appliance/contracts/index.ts';
import { AllianceError } from '../../../appliance/errors/index.ts';
import { createLogger } from '../../../appliance/log/index.ts';
import type { Principal } from '../../../services/controller/access/access.ts';
import { hostsFeature } from '../../../services/controller/hosts/index.ts';
import { Clock, hostKeys, signedRequest, testContext, type HostKeys, type TestContext } from '../../services/controller/hosts/_support/hosts-fixtures.ts';
import { rejection } from '../../_support/refusal.ts';

const admin: Principal = { kind: 'user', userId: 'u1', userName: 'root', tokenId: 't1', scope: '*', roles: ['cloud-admin'], expiresAt: null };

let clock: Clock;
let t: TestContext;
let app: FastifyInstance;
let client: HostsApi & { readonly calls: string[] };

test.before.each(async () => {
  clock = new Clock();
  t = testContext({ now: clock.now });
  app = createApiServer({ log: createLogger('fatal'), bodyLimit: 64 * 1024 });
  app.decorateRequest('principal', undefined);
  await app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request) => {
        request.principal = admin;
      });
      await scope.register(hostsFeature(t.ctx).routes);
    },
    { prefix: '/api/v1' },
  );
  await app.ready();
  const calls: string[] = [];
  client = {
    calls,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      calls.push(`${method} ${path}`);
      const res = await app.inject({ method: method as 'GET', url: path, ...(body === undefined ? {} : { payload: body as Record<string, unknown> }) });
      const answer = res.json<{ error?: { code: string; message: string } }>();
      if (res.statusCode >= 400) throw new AllianceError(answer.error!.code, { status: res.statusCode, exit: 1, message: answer.error!.message }, {});
      return answer as T;
    },
  };
});

test.after.each(async () => {
  await app.close();
  t.store.close();
  rmSync(t.dir, { recursive: true, force: true });
});

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runHostCommand(parseCommandLine(argv, {}), client, { out: (text) => (out += text), now: clock.now });
  return { code, out };
}

async function pendingHost(name = 'node-a'): Promise<HostKeys> {
  const keys = hostKeys();
  const res = await app.inject({ method: 'POST', url: ENROLMENT_PATH, payload: signedRequest(keys, { now: clock.now(), name }) });
  assert.is(res.json<{ state: string }>().state, 'pending');
  return keys;
}

test('runHostCommand() hosts list shows a pending host with how to approve it, and --state filters', async () => {
  const keys = await pendingHost();
  const { code, out } = await run(['hosts', 'list']);
  assert.is(code, 0);
  assert.match(out, /^ID +NAME +STATE +ADDRESS +CPU +MEMORY +TRAITS +LAST SEEN$/m);
  assert.ok(out.includes(`pending - approve with \`alliance hosts approve ${keys.hostId.slice(0, 12)}\``));
  assert.ok(out.includes('384 GiB'));
  assert.is((await run(['hosts', 'list', '--state', 'active'])).out, 'no hosts\n');
  assert.equal(client.calls.slice(-1), ['GET /api/v1/hosts?state=active']);
});

test('runHostCommand() hosts list --json prints the API data', async () => {
  const keys = await pendingHost();
  const { out } = await run(['hosts', 'list', '--json']);
  const data = JSON.parse(out) as { hosts: Host[] };
  assert.equal(data.hosts.map((h) => [h.id, h.state]), [[keys.hostId, 'pending']]);
});

test('runHostCommand() hosts list refuses an unknown --state', async () => {
  const err = await rejection(run(['hosts', 'list', '--state', 'sleepy']));
  assert.is(err.code, 'APL_CLI_USAGE');
  assert.match(err.message, /--state must be one of pending, active/);
});

test('runHostCommand() hosts show takes a unique prefix and prints the inventory', async () => {
  const keys = await pendingHost();
  const { out } = await run(['hosts', 'show', keys.hostId.slice(0, 6)]);
  assert.match(out, new RegExp(`^host +${keys.hostId}$`, 'm'));
  assert.match(out, /^cpu +Intel\(R\) Xeon\(R\) Gold 6230: 2 socket\(s\), 40 cores/m);
  assert.ok(out.includes('\nDisks\n'));
});

test('runHostCommand() hosts approve, then the host enrols; retire takes it out', async () => {
  const keys = await pendingHost();
  const short = keys.hostId.slice(0, 8);
  assert.equal(await run(['hosts', 'approve', short]), { code: 0, out: `${keys.hostId.slice(0, 12)} (node-a): pending - approved, enrols on its next request\n` });
  clock.advance(1000);
  const res = await app.inject({ method: 'POST', url: ENROLMENT_PATH, payload: signedRequest(keys, { now: clock.now() }) });
  assert.is(res.json<{ state: string }>().state, 'admitted');
  assert.equal(await run(['hosts', 'retire', keys.hostId]), { code: 0, out: `${keys.hostId.slice(0, 12)} (node-a): retired\n` });
  assert.ok(client.calls.includes(`POST /api/v1/hosts/${keys.hostId}/retire`), 'the full id was sent without a lookup');
});

test('runHostCommand() hosts reject of an enrolled host passes on the controller error', async () => {
  const keys = await pendingHost();
  await run(['hosts', 'approve', keys.hostId]);
  clock.advance(1000);
  await app.inject({ method: 'POST', url: ENROLMENT_PATH, payload: signedRequest(keys, { now: clock.now() }) });
  assert.is((await rejection(run(['hosts', 'reject', keys.hostId]))).code, 'APL_HOSTS_WRONG_STATE');
});

test('runHostCommand() refuses a short or unknown host id prefix', async () => {
  await pendingHost();
  assert.match((await rejection(run(['hosts', 'show', 'abcde']))).message, /too short: give at least 6 characters/);
  assert.match((await rejection(run(['hosts', 'show', 'aaaaaaaaaa']))).message, /No host id starts with "aaaaaaaaaa"/);
  assert.match((await rejection(run(['hosts', 'show', 'NOT-AN-ID']))).message, /is not a host id/);
});

test('resolveHostId() refuses a prefix that matches several hosts, naming them', async () => {
  const listed = { hosts: [{ id: `abcdef${'a'.repeat(46)}`, name: 'one' }, { id: `abcdef${'b'.repeat(46)}`, name: 'two' }] };
  const canned: HostsApi = { request: async <T>() => listed as T };
  const err = await rejection(resolveHostId(canned, 'abcdef'));
  assert.is(err.code, 'APL_CLI_USAGE');
  assert.match(err.message, /matches 2 hosts \(abcdefaaaaaa one, abcdefbbbbbb two\); give more characters/);
  assert.is(await resolveHostId(canned, 'abcdefb'), `abcdef${'b'.repeat(46)}`);
});

test('runHostCommand() lists the machines that network-booted, enrolled or not', async () => {
  const machines = [
    { mac: '52:54:00:00:00:09', address: '10.9.0.102', hostname: null, seenAt: clock.now().toISOString(), host: null },
    { mac: '3c:ec:ef:00:00:01', address: '10.9.0.101', hostname: 'node-a', seenAt: new Date(clock.now().getTime() - 120_000).toISOString(), host: { id: `abcdef${'a'.repeat(46)}`, name: 'node-a', state: 'active' } },
  ];
  const asked: string[] = [];
  const canned: HostsApi = {
    request: async <T>(method: string, path: string) => {
      asked.push(`${method} ${path}`);
      return { machines } as T;
    },
  };
  let out = '';
  assert.is(await runHostCommand(parseCommandLine(['hosts', 'machines'], {}), canned, { out: (text) => (out += text), now: clock.now }), 0);
  assert.equal(asked, ['GET /api/v1/machines']);
  const lines = out.trimEnd().split('\n');
  assert.is(lines.length, 3);
  assert.match(lines[1]!, /^52:54:00:00:00:09\s+10\.9\.0\.102\s+-\s+-\s+not enrolled\s+/);
  assert.match(lines[2]!, /^3c:ec:ef:00:00:01\s+10\.9\.0\.101\s+node-a\s+abcdefaaaaaa node-a\s+active\s+2m ago/);
});

test('runHostCommand() refuses unknown subcommands and extra arguments', async () => {
  assert.match((await rejection(run(['hosts', 'frobnicate']))).message, /takes list, show, machines, approve, reject or retire, not "frobnicate"/);
  assert.match((await rejection(run(['hosts', 'list', 'extra']))).message, /takes no more arguments/);
  assert.match((await rejection(run(['join-tokens', 'show', 'x']))).message, /takes create, list or revoke/);
});

test('runHostCommand() join-tokens create, list and revoke', async () => {
  const created = await run(['join-tokens', 'create', '--uses', '3', '--ttl', '600', '--description', 'rack 4']);
  const code = /^ {2}(\S+)$/m.exec(created.out)?.[1];
  const parsed = parseJoinCode(code ?? '');
  assert.ok(parsed, `a join code is printed: ${created.out}`);
  assert.match(created.out, /3 use\(s\), expires in 10m/);
  const listed = await run(['join-tokens', 'list']);
  assert.match(listed.out, new RegExp(`^${parsed.id} +usable +0/3 +in 10m +root +rack 4$`, 'm'));
  assert.not.ok(listed.out.includes(parsed.secret), 'the list never shows a secret');
  assert.equal(await run(['join-tokens', 'revoke', parsed.id]), { code: 0, out: `join token ${parsed.id}: revoked\n` });
  assert.is((await rejection(run(['join-tokens', 'revoke', 'nosuchtoken']))).code, 'APL_HOSTS_JOIN_TOKEN_NOT_FOUND');
});

test('runHostCommand() join-tokens create checks --uses and --ttl before asking the controller', async () => {
  for (const argv of [['--uses', '0'], ['--uses', 'many'], ['--ttl', '-5'], ['--ttl', '1.5']]) {
    const err = await rejection(run(['join-tokens', 'create', ...argv]));
    assert.is(err.code, 'APL_CLI_USAGE', argv.join(' '));
  }
  assert.equal(client.calls, []);
});

test('runHostCommand() join-tokens create --json prints the code in the API data', async () => {
  const { out } = await run(['join-tokens', 'create', '--json']);
  const data = JSON.parse(out) as { code: string; joinToken: { maxUses: number; state: string } };
  assert.ok(parseJoinCode(data.code));
  assert.equal([data.joinToken.maxUses, data.joinToken.state], [1, 'usable']);
});

test.run();
