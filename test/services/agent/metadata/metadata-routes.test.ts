// The metadata endpoint in process (Fastify inject): the instance is found by
// the caller's address, every path cloud-init reads answers from its spec, a
// stranger gets the same 404 as a bad path, and IMDSv2 tokens are optional
// but checked when sent.
import type { FastifyInstance, InjectOptions } from 'fastify';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createApiServer } from '../../../../appliance/api/index.ts';
import type { InstanceSpec } from '../../../../appliance/contracts/index.ts';
import { createLogger } from '../../../../appliance/log/index.ts';
import { metadataRoutes } from '../../../../services/agent/metadata/metadata-routes.ts';
import { ED25519, INSTANCE_ID, RSA, instance } from './_instance.ts';

const OURS = '10.0.0.5';
const BARE = '10.0.0.6';
const STRANGER = '10.0.0.99';
const USER_DATA = '#!/bin/sh\necho hi\n';

let app: FastifyInstance;
let nowMs: number;
let looked: string[];

const specs: Record<string, InstanceSpec> = {
  [OURS]: instance({ sshKeys: [ED25519, RSA], userData: USER_DATA }),
  [BARE]: { ...instance({ sshKeys: [], userData: null }), id: '11111111-2222-4333-8444-555555555555', name: 'bare' },
};

test.before.each(async () => {
  nowMs = 1_000_000;
  looked = [];
  app = createApiServer({ log: createLogger('fatal'), bodyLimit: 1024 });
  await app.register(
    metadataRoutes({
      lookup: (address) => {
        looked.push(address);
        return specs[address];
      },
      now: () => nowMs,
    }),
  );
});

test.after.each(async () => {
  await app.close();
});

const get = (url: string, remoteAddress: string, headers: InjectOptions['headers'] = {}) => app.inject({ method: 'GET', url, remoteAddress, headers });
const putToken = (remoteAddress: string, headers: InjectOptions['headers'] = { 'x-aws-ec2-metadata-token-ttl-seconds': '60' }) =>
  app.inject({ method: 'PUT', url: '/latest/api/token', remoteAddress, headers });

const paths: Record<string, string> = {
  '/latest/meta-data/': 'hostname\ninstance-id\nlocal-hostname\npublic-keys/',
  '/latest/meta-data/instance-id': INSTANCE_ID,
  '/latest/meta-data/local-hostname': 'web-1',
  '/latest/meta-data/hostname': 'web-1',
  '/latest/meta-data/public-keys/': '0=key-0\n1=key-1',
  '/latest/meta-data/public-keys/0/': 'openssh-key',
  '/latest/meta-data/public-keys/0/openssh-key': ED25519,
  '/latest/meta-data/public-keys/1/openssh-key': RSA,
  '/latest/user-data': USER_DATA,
  '/2021-03-23/meta-data/instance-id': INSTANCE_ID,
  '/openstack/latest/user_data': USER_DATA,
};

for (const [path, body] of Object.entries(paths)) {
  test(`GET ${path} answers the caller's instance as text`, async () => {
    const answer = await get(path, OURS);
    assert.is(answer.statusCode, 200);
    assert.is(answer.body, body);
    assert.match(answer.headers['content-type'] as string, /^text\/plain/);
    assert.is(answer.headers['cache-control'], 'no-store');
    assert.equal(looked, [OURS]);
  });
}

test('GET /openstack/latest/meta_data.json answers uuid, name, hostname, public_keys and project_id as JSON', async () => {
  const answer = await get('/openstack/latest/meta_data.json', OURS);
  assert.is(answer.statusCode, 200);
  assert.match(answer.headers['content-type'] as string, /^application\/json/);
  assert.equal(answer.json(), {
    uuid: INSTANCE_ID,
    name: 'web-1',
    hostname: 'web-1',
    project_id: 'p-42',
    public_keys: { 'key-0': ED25519, 'key-1': RSA },
    launch_index: 0,
  });
});

test('GET with a query string answers the path without it', async () => {
  assert.is((await get('/latest/meta-data/instance-id?x=1', OURS)).body, INSTANCE_ID);
});

test('an IPv4-mapped IPv6 caller is looked up by its IPv4 address', async () => {
  const answer = await get('/latest/meta-data/instance-id', `::ffff:${OURS}`);
  assert.is(answer.body, INSTANCE_ID);
  assert.equal(looked, [OURS]);
});

test('user data absent: GET /latest/user-data and /openstack/latest/user_data are 404', async () => {
  for (const path of ['/latest/user-data', '/openstack/latest/user_data', '/latest/meta-data/public-keys/']) {
    const answer = await get(path, BARE);
    assert.is(answer.statusCode, 404, path);
    assert.is(answer.json<{ error: { code: string } }>().error.code, 'APL_API_NOT_FOUND');
  }
  assert.is((await get('/latest/meta-data/instance-id', BARE)).body, '11111111-2222-4333-8444-555555555555');
});

test('a stranger gets the same 404 as a bad path, and nothing of any instance', async () => {
  const routeless = createApiServer({ log: createLogger('fatal'), bodyLimit: 1024 });
  try {
    for (const path of Object.keys(paths)) {
      const stranger = await get(path, STRANGER);
      const nothing = await routeless.inject({ method: 'GET', url: path, remoteAddress: STRANGER });
      assert.is(stranger.statusCode, 404, path);
      assert.is(stranger.body, nothing.body, path);
      for (const secret of [INSTANCE_ID, 'web-1', ED25519, RSA, USER_DATA, 'p-42']) assert.not.ok(stranger.body.includes(secret), `${path} told ${secret}`);
    }
  } finally {
    await routeless.close();
  }
});

test('a stranger cannot get a token either', async () => {
  const answer = await putToken(STRANGER);
  assert.is(answer.statusCode, 404);
  assert.is(answer.json<{ error: { code: string } }>().error.code, 'APL_API_NOT_FOUND');
});

test('bad paths and other methods are 404 for a known caller', async () => {
  for (const path of ['/latest/meta-data/iam/security-credentials/', '/latest/meta-data/instance-id/x', '/latest/meta-data/instance-id%00', '/openstack/latest/network_data.json', '/metadata/v1/']) {
    assert.is((await get(path, OURS)).statusCode, 404, path);
  }
  assert.is((await app.inject({ method: 'POST', url: '/latest/meta-data/instance-id', remoteAddress: OURS })).statusCode, 404);
  assert.is((await app.inject({ method: 'GET', url: '/latest/api/token', remoteAddress: OURS })).statusCode, 404);
});

test('IMDSv2: PUT /latest/api/token gives a token for the TTL asked, and GET with it answers', async () => {
  const put = await putToken(OURS, { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' });
  assert.is(put.statusCode, 200);
  assert.is(put.headers['x-aws-ec2-metadata-token-ttl-seconds'], '21600');
  const token = put.body;
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  const answer = await get('/latest/meta-data/instance-id', OURS, { 'x-aws-ec2-metadata-token': token });
  assert.is(answer.statusCode, 200);
  assert.is(answer.body, INSTANCE_ID);
});

test('IMDSv2: a token expires after its TTL', async () => {
  const token = (await putToken(OURS)).body;
  nowMs += 59_999;
  assert.is((await get('/latest/meta-data/instance-id', OURS, { 'x-aws-ec2-metadata-token': token })).statusCode, 200);
  nowMs += 1;
  const late = await get('/latest/meta-data/instance-id', OURS, { 'x-aws-ec2-metadata-token': token });
  assert.is(late.statusCode, 401);
  assert.is(late.json<{ error: { code: string } }>().error.code, 'APL_METADATA_TOKEN_INVALID');
});

test('IMDSv2: a token is bound to the address it was issued to', async () => {
  const token = (await putToken(OURS)).body;
  const other = await get('/latest/meta-data/instance-id', BARE, { 'x-aws-ec2-metadata-token': token });
  assert.is(other.statusCode, 401);
  assert.not.match(other.body, /bare|1111/);
});

test('IMDSv2: an invented token is refused, while no token at all (IMDSv1) is answered', async () => {
  assert.is((await get('/latest/meta-data/instance-id', OURS, { 'x-aws-ec2-metadata-token': 'guess' })).statusCode, 401);
  assert.is((await get('/latest/meta-data/instance-id', OURS)).statusCode, 200);
});

const badTtls: Record<string, [InjectOptions['headers'], number, string]> = {
  'no TTL header': [{}, 400, 'APL_METADATA_TOKEN_TTL_INVALID'],
  'a TTL of 0': [{ 'x-aws-ec2-metadata-token-ttl-seconds': '0' }, 400, 'APL_METADATA_TOKEN_TTL_INVALID'],
  'a TTL over six hours': [{ 'x-aws-ec2-metadata-token-ttl-seconds': '21601' }, 400, 'APL_METADATA_TOKEN_TTL_INVALID'],
  'a TTL that is not a number': [{ 'x-aws-ec2-metadata-token-ttl-seconds': 'soon' }, 400, 'APL_METADATA_TOKEN_TTL_INVALID'],
  'X-Forwarded-For (a proxy asking)': [{ 'x-aws-ec2-metadata-token-ttl-seconds': '60', 'x-forwarded-for': '192.0.2.1' }, 403, 'APL_METADATA_TOKEN_FORWARDED'],
};

for (const [name, [headers, status, code]] of Object.entries(badTtls)) {
  test(`IMDSv2: PUT /latest/api/token with ${name} is ${status} ${code}`, async () => {
    const answer = await putToken(OURS, headers);
    assert.is(answer.statusCode, status);
    assert.is(answer.json<{ error: { code: string } }>().error.code, code);
  });
}

test.run();
