import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeFeature } from '../../../../services/controller/compute/index.ts';
import { computeHarness, qcow2Bytes, sha256, smallInventory, sshKeyLine, type Harness } from './_compute-harness.ts';

interface Instance {
  id: string;
  name: string;
  state: string;
  hostId: string | null;
  power: string;
  rebootGeneration: number;
  error: string | null;
}

let h: Harness;

test.before.each(async () => {
  h = await computeHarness();
});

test.after.each(async () => {
  await h.close();
});

async function flavor(name = 'm1.small', body: Record<string, unknown> = {}): Promise<void> {
  const res = await h.call('POST', '/flavors', { payload: { name, vcpus: 2, memoryMiB: 2048, diskGiB: 20, ...body } });
  assert.is(res.status, 201, JSON.stringify(res.body));
}

async function image(): Promise<string> {
  const res = await h.upload<{ id: string }>('/projects/demo/images?name=debian&format=qcow2', qcow2Bytes());
  assert.is(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}

async function create(name: string, imageId: string, extra: Record<string, unknown> = {}) {
  return h.call<Instance>('POST', '/projects/demo/instances', { payload: { name, flavor: 'm1.small', image: imageId, ...extra }, who: 'member' });
}

test('every compute route declares its access: cloud admins manage flavors, public images and quotas; project roles the rest', () => {
  const declared = h.routes
    .filter((r) => r.method !== 'HEAD')
    .map((r) => `${String(r.method)} ${r.url} ${JSON.stringify((r.config as { access?: { kind: string; role?: string } }).access)}`)
    .sort();
  assert.equal(declared, [
    'DELETE /api/v1/flavors/:flavor {"kind":"cloud-admin"}',
    'DELETE /api/v1/images/:image {"kind":"cloud-admin"}',
    'DELETE /api/v1/projects/:project/images/:image {"kind":"project","role":"member"}',
    'DELETE /api/v1/projects/:project/instances/:instance {"kind":"project","role":"member"}',
    'DELETE /api/v1/projects/:project/key-pairs/:name {"kind":"project","role":"member"}',
    'DELETE /api/v1/projects/:project/server-groups/:group {"kind":"project","role":"member"}',
    'GET /api/v1/flavors {"kind":"token"}',
    'GET /api/v1/images {"kind":"token"}',
    'GET /api/v1/projects/:project/images {"kind":"project","role":"reader"}',
    'GET /api/v1/projects/:project/instances {"kind":"project","role":"reader"}',
    'GET /api/v1/projects/:project/instances/:instance {"kind":"project","role":"reader"}',
    'GET /api/v1/projects/:project/instances/:instance/console-log {"kind":"project","role":"member"}',
    'GET /api/v1/projects/:project/instances/:instance/why {"kind":"project","role":"reader"}',
    'GET /api/v1/projects/:project/key-pairs {"kind":"project","role":"reader"}',
    'GET /api/v1/projects/:project/quotas {"kind":"project","role":"reader"}',
    'GET /api/v1/projects/:project/server-groups {"kind":"project","role":"reader"}',
    'POST /api/v1/flavors {"kind":"cloud-admin"}',
    'POST /api/v1/images {"kind":"cloud-admin"}',
    'POST /api/v1/projects/:project/images {"kind":"project","role":"member"}',
    'POST /api/v1/projects/:project/instances {"kind":"project","role":"member"}',
    'POST /api/v1/projects/:project/instances/:instance/reboot {"kind":"project","role":"member"}',
    'POST /api/v1/projects/:project/instances/:instance/start {"kind":"project","role":"member"}',
    'POST /api/v1/projects/:project/instances/:instance/stop {"kind":"project","role":"member"}',
    'POST /api/v1/projects/:project/key-pairs {"kind":"project","role":"member"}',
    'POST /api/v1/projects/:project/server-groups {"kind":"project","role":"member"}',
    'PUT /api/v1/projects/:project/quotas {"kind":"cloud-admin"}',
  ]);
});

test('POST /flavors stores a flavor with trait extra specs; a duplicate name is 409', async () => {
  await flavor('g1.large', { extraSpecs: { 'trait:gpu': 'required' }, public: false });
  const list = await h.call<{ flavors: { name: string; extraSpecs: Record<string, string>; public: boolean }[] }>('GET', '/flavors');
  assert.equal(list.body.flavors.map((f) => [f.name, f.extraSpecs, f.public]), [['g1.large', { 'trait:gpu': 'required' }, false]]);
  const again = await h.call('POST', '/flavors', { payload: { name: 'g1.large', vcpus: 1, memoryMiB: 512, diskGiB: 1 } });
  assert.is(again.status, 409);
  assert.is(again.body.error?.code, 'APL_COMPUTE_FLAVOR_EXISTS');
  const member = await h.call<{ flavors: unknown[] }>('GET', '/flavors', { who: 'member' });
  assert.equal(member.body.flavors, [], 'a private flavor is listed to cloud admins only');
});

test('bad input is a typed 400 and stores nothing', async () => {
  const cases: [string, 'POST' | 'PUT', string, unknown, string][] = [
    ['flavor without vcpus', 'POST', '/flavors', { name: 'x', memoryMiB: 512, diskGiB: 1 }, 'APL_API_INVALID_REQUEST'],
    ['flavor with an unknown field', 'POST', '/flavors', { name: 'x', vcpus: 1, memoryMiB: 512, diskGiB: 1, gpu: true }, 'APL_API_INVALID_REQUEST'],
    ['flavor with an unknown extra spec', 'POST', '/flavors', { name: 'x', vcpus: 1, memoryMiB: 512, diskGiB: 1, extraSpecs: { 'hw:cpu_policy': 'dedicated' } }, 'APL_COMPUTE_BAD_EXTRA_SPEC'],
    ['key pair that is not a key', 'POST', '/projects/demo/key-pairs', { name: 'k', publicKey: 'ssh-ed25519 not-base64!' }, 'APL_COMPUTE_BAD_PUBLIC_KEY'],
    ['key pair of another type than it says', 'POST', '/projects/demo/key-pairs', { name: 'k', publicKey: sshKeyLine().replace('ssh-ed25519', 'ssh-rsa') }, 'APL_COMPUTE_BAD_PUBLIC_KEY'],
    ['server group with an unknown policy', 'POST', '/projects/demo/server-groups', { name: 'g', policy: 'soft-affinity' }, 'APL_API_INVALID_REQUEST'],
    ['instance with a name that is no host name', 'POST', '/projects/demo/instances', { name: 'Web_1', flavor: 'm1.small', image: '00000000-0000-4000-8000-000000000000' }, 'APL_API_INVALID_REQUEST'],
    ['instance with too much user data', 'POST', '/projects/demo/instances', { name: 'web', flavor: 'm1.small', image: '00000000-0000-4000-8000-000000000000', userData: 'x'.repeat(65_537) }, 'APL_API_INVALID_REQUEST'],
    ['negative quota', 'PUT', '/projects/demo/quotas', { instances: -1, vcpus: 1, memoryMiB: 1 }, 'APL_API_INVALID_REQUEST'],
  ];
  for (const [name, method, url, payload, code] of cases) {
    const res = await h.call(method, url, { payload });
    assert.is(res.status, 400, name);
    assert.is(res.body.error?.code, code, name);
  }
  for (const table of ['flavors', 'key_pairs', 'server_groups', 'instances', 'quotas', 'images']) assert.is(h.count(table), 0, table);
});

test('POST /projects/:project/images streams the body to <data-dir>/images/<id> with its SHA-256 checked', async () => {
  const bytes = qcow2Bytes();
  const res = await h.upload<{ id: string; sha256: string; sizeBytes: number; status: string; projectId: string }>('/projects/demo/images?name=debian&format=qcow2', bytes, { 'x-image-sha256': sha256(bytes) });
  assert.is(res.status, 201, JSON.stringify(res.body));
  assert.equal([res.body.sha256, res.body.sizeBytes, res.body.status, res.body.projectId], [sha256(bytes), bytes.length, 'active', h.projectId]);
  assert.ok(readFileSync(join(h.t.dir, 'images', res.body.id)).equals(bytes));
  const list = await h.call<{ images: { id: string }[] }>('GET', '/projects/demo/images', { who: 'member' });
  assert.equal(list.body.images.map((i) => i.id), [res.body.id]);
  const publicOnly = await h.call<{ images: unknown[] }>('GET', '/images');
  assert.equal(publicOnly.body.images, [], 'a project image is not public');
});

test('POST /images refuses a body whose SHA-256 differs from x-image-sha256, and keeps neither row nor file', async () => {
  const res = await h.upload('/images?name=debian&format=raw', Buffer.from('not what was promised'), { 'x-image-sha256': 'a'.repeat(64) });
  assert.is(res.status, 400);
  assert.is(res.body.error?.code, 'APL_COMPUTE_IMAGE_CHECKSUM_MISMATCH');
  assert.match(res.body.error!.message, sha256(Buffer.from('not what was promised')));
  assert.is(h.count('images'), 0);
  assert.equal(existsSync(join(h.t.dir, 'images')) ? readdirSync(join(h.t.dir, 'images')) : [], []);
});

test('POST /images refuses an empty body and a "qcow2" that is not one', async () => {
  const empty = await h.upload('/images?name=x&format=raw', Buffer.alloc(0));
  assert.is(empty.body.error?.code, 'APL_COMPUTE_IMAGE_EMPTY');
  const raw = await h.upload('/images?name=x&format=qcow2', Buffer.from('raw bytes'));
  assert.is(raw.body.error?.code, 'APL_COMPUTE_IMAGE_FORMAT_MISMATCH');
  assert.is(h.count('images'), 0);
});

test('computeFeature() forgets uploads a restart interrupted, row and partial file', async () => {
  const id = '11111111-2222-4333-8444-555555555555';
  h.t.store.database.prepare("INSERT INTO images (id, project_id, name, format, status, created_at) VALUES (?, NULL, 'half', 'raw', 'uploading', '2026-03-01T00:00:00.000Z')").run(id);
  mkdirSync(join(h.t.dir, 'images'), { recursive: true });
  writeFileSync(join(h.t.dir, 'images', `${id}.part`), 'half');
  computeFeature(h.t.ctx);
  assert.is(h.count('images'), 0);
  assert.not.ok(existsSync(join(h.t.dir, 'images', `${id}.part`)));
});

test('POST /projects/:project/instances places the instance: building, on a host, with its events and the why', async () => {
  const a = h.host('node-a');
  await flavor();
  const imageId = await image();
  const key = await h.call<{ fingerprint: string }>('POST', '/projects/demo/key-pairs', { payload: { name: 'laptop', publicKey: sshKeyLine() }, who: 'member' });
  assert.is(key.status, 201);
  assert.match(key.body.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
  const res = await create('web-1', imageId, { keyName: 'laptop', userData: '#cloud-config\n' });
  assert.is(res.status, 201, JSON.stringify(res.body));
  assert.equal([res.body.state, res.body.hostId, res.body.power], ['building', a, 'running']);
  const shown = await h.call<{ events: { kind: string }[] }>('GET', '/projects/demo/instances/web-1');
  assert.equal(shown.body.events.map((e) => e.kind), ['created', 'placed']);
  const why = await h.call<{ decision: { kind: string; hostId: string }; explanation: string }>('GET', `/projects/demo/instances/${res.body.id}/why`);
  assert.equal([why.body.decision.kind, why.body.decision.hostId], ['placed', a]);
  assert.match(why.body.explanation, '1 host considered');
});

test('POST /projects/:project/instances with no host able to take it answers 409 and keeps the instance in error with the reasons', async () => {
  h.host('node-a', { labels: { 'alliance/maintenance': 'disk swap' } });
  h.host('node-b', { inventory: smallInventory() });
  await flavor('m1.huge', { vcpus: 64, memoryMiB: 65_536 });
  const imageId = await image();
  await h.call('PUT', '/projects/demo/quotas', { payload: { instances: 10, vcpus: 100, memoryMiB: 100_000 } });
  const res = await h.call<Instance>('POST', '/projects/demo/instances', { payload: { name: 'big', flavor: 'm1.huge', image: imageId }, who: 'member' });
  assert.is(res.status, 409);
  assert.is(res.body.error?.code, 'APL_COMPUTE_NO_VALID_HOST');
  assert.match(res.body.error.message, '2 hosts considered');
  const list = await h.call<{ instances: Instance[] }>('GET', '/projects/demo/instances');
  assert.equal(list.body.instances.map((i) => [i.name, i.state, i.hostId]), [['big', 'error', null]]);
  assert.match(list.body.instances[0]!.error!, 'maintenance');
  const why = await h.call<{ decision: { kind: string; rejected: { filter: string }[] } }>('GET', '/projects/demo/instances/big/why');
  assert.is(why.body.decision.kind, 'impossible');
  assert.equal(why.body.decision.rejected.map((r) => r.filter).sort(), ['maintenance', 'vcpus']);
  const start = await h.call('POST', '/projects/demo/instances/big/start', { who: 'member' });
  assert.is(start.body.error?.code, 'APL_COMPUTE_INSTANCE_WRONG_STATE');
  const gone = await h.call<Instance>('DELETE', '/projects/demo/instances/big', { who: 'member' });
  assert.is(gone.status, 200);
  assert.is(h.count('instances'), 0, 'an instance without a host is deleted at once');
});

test('quotas: reaching a limit exactly is allowed, one over is refused with the quota and the numbers', async () => {
  h.host('node-a');
  await flavor();
  const imageId = await image();
  const set = await h.call<{ limits: Record<string, number>; isDefault: boolean }>('PUT', '/projects/demo/quotas', { payload: { instances: 10, vcpus: 4, memoryMiB: 100_000 } });
  assert.equal([set.status, set.body.isDefault], [200, false]);
  assert.is((await create('a', imageId)).status, 201);
  assert.is((await create('b', imageId)).status, 201, 'exactly at the vCPU limit');
  const over = await create('c', imageId);
  assert.is(over.status, 403);
  assert.is(over.body.error?.code, 'APL_COMPUTE_OVER_QUOTA');
  assert.match(over.body.error.message, 'quota vcpus of project');
  assert.match(over.body.error.message, '(4 used + 2 asked > 4 allowed)');
  const shown = await h.call<{ used: Record<string, number> }>('GET', '/projects/demo/quotas', { who: 'member' });
  assert.equal(shown.body.used, { instances: 2, vcpus: 4, memoryMiB: 4096 });
  assert.is(h.count('instances'), 2, 'the refused one is not stored');
});

test('quotas: two concurrent creates for the last room cannot both succeed', async () => {
  h.host('node-a');
  await flavor();
  const imageId = await image();
  await h.call('PUT', '/projects/demo/quotas', { payload: { instances: 1, vcpus: 100, memoryMiB: 100_000 } });
  const answers = await Promise.all([create('x', imageId), create('y', imageId)]);
  assert.equal(answers.map((a) => a.status).sort(), [201, 403]);
  assert.is(h.count('instances'), 1);
});

test('DELETE of an image, flavor or server group in use is refused; unused they go, the image file with them', async () => {
  h.host('node-a');
  await flavor();
  const imageId = await image();
  await h.call('POST', '/projects/demo/server-groups', { payload: { name: 'web', policy: 'anti-affinity' }, who: 'member' });
  assert.is((await create('web-1', imageId, { serverGroup: 'web' })).status, 201);
  const refusals = [
    [await h.call('DELETE', `/projects/demo/images/${imageId}`, { who: 'member' }), 'APL_COMPUTE_IMAGE_IN_USE'],
    [await h.call('DELETE', '/flavors/m1.small'), 'APL_COMPUTE_FLAVOR_IN_USE'],
    [await h.call('DELETE', '/projects/demo/server-groups/web', { who: 'member' }), 'APL_COMPUTE_SERVER_GROUP_IN_USE'],
  ] as const;
  for (const [res, code] of refusals) assert.equal([res.status, res.body.error?.code], [409, code]);
  const other = await h.upload<{ id: string }>('/projects/demo/images?name=spare&format=raw', Buffer.from('spare'));
  const deleted = await h.call('DELETE', `/projects/demo/images/${other.body.id}`, { who: 'member' });
  assert.is(deleted.status, 200);
  assert.not.ok(existsSync(join(h.t.dir, 'images', other.body.id)));
  assert.ok(existsSync(join(h.t.dir, 'images', imageId)));
});

test('start, stop and reboot change what the host is told and raise its generation', async () => {
  const a = h.host('node-a');
  await flavor();
  const imageId = await image();
  const made = await create('web-1', imageId);
  const desired = () => h.feature.port.desired(a);
  const first = desired();
  assert.equal(first.instances.map((i) => [i.power, i.rebootGeneration]), [['running', 0]]);

  const steps: ['stop' | 'start' | 'reboot', string, number][] = [
    ['stop', 'stopped', 0],
    ['start', 'running', 0],
    ['reboot', 'running', 1],
  ];
  let generation = first.generation;
  for (const [action, power, reboots] of steps) {
    const res = await h.call<Instance>('POST', `/projects/demo/instances/${made.body.id}/${action}`, { who: 'member' });
    assert.is(res.status, 200, action);
    const now = desired();
    assert.equal(now.instances.map((i) => [i.power, i.rebootGeneration]), [[power, reboots]], action);
    assert.ok(now.generation > generation, `${action} raises the generation`);
    generation = now.generation;
  }
  await h.call('POST', `/projects/demo/instances/${made.body.id}/stop`, { who: 'member' });
  const reboot = await h.call('POST', `/projects/demo/instances/${made.body.id}/reboot`, { who: 'member' });
  assert.is(reboot.body.error?.code, 'APL_COMPUTE_INSTANCE_WRONG_STATE', 'a stopped instance is started, not rebooted');
});

test.run();
