import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IMAGE_CHUNK_BYTES, InstanceSpecSchema, type InstanceReport } from '../../../../appliance/contracts/index.ts';
import { Value } from '@sinclair/typebox/value';
import { isAllianceError } from '../../../../appliance/errors/index.ts';
import { stateAfterReport } from '../../../../services/controller/compute/compute-host-port.ts';
import { computeHarness, qcow2Bytes, sshKeyLine, type Harness } from './_compute-harness.ts';

let h: Harness;
let hostA: string;
let hostB: string;
let imageId: string;
let otherImageId: string;
let imageBytes: Buffer;

test.before.each(async () => {
  h = await computeHarness();
  hostA = h.host('node-a');
  hostB = h.host('node-b');
  await h.call('POST', '/flavors', { payload: { name: 'm1.small', vcpus: 2, memoryMiB: 2048, diskGiB: 20 } });
  imageBytes = qcow2Bytes(IMAGE_CHUNK_BYTES * 2 + 5);
  imageId = (await h.upload<{ id: string }>('/projects/demo/images?name=debian&format=qcow2', imageBytes)).body.id;
  otherImageId = (await h.upload<{ id: string }>('/images?name=alpine&format=raw', Buffer.from('alpine bytes'))).body.id;
  await h.call('POST', '/projects/demo/server-groups', { payload: { name: 'spread', policy: 'anti-affinity' } });
});

test.after.each(async () => {
  await h.close();
});

async function create(name: string, extra: Record<string, unknown> = {}): Promise<{ id: string; hostId: string }> {
  const res = await h.call<{ id: string; hostId: string }>('POST', '/projects/demo/instances', { payload: { name, flavor: 'm1.small', image: imageId, ...extra } });
  assert.is(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

function report(id: string, state: InstanceReport['state'], more: Partial<InstanceReport> = {}): InstanceReport {
  return { id, state, error: null, rebootGeneration: 0, consoleTail: null, ...more };
}

test('desired() lists exactly the instances placed on the host, as valid specs with image and metadata', async () => {
  await h.call('POST', '/projects/demo/key-pairs', { payload: { name: 'laptop', publicKey: sshKeyLine('me@there') } });
  const one = await create('web-1', { serverGroup: 'spread', keyName: 'laptop', userData: '#!/bin/sh\necho hi\n' });
  const two = await create('web-2', { serverGroup: 'spread' });
  assert.equal([one.hostId, two.hostId].sort(), [hostA, hostB].sort(), 'anti-affinity spreads them');
  const onA = h.feature.port.desired(one.hostId);
  assert.equal(onA.instances.map((i) => i.id), [one.id]);
  const spec = onA.instances[0]!;
  assert.ok(Value.Check(InstanceSpecSchema, spec), JSON.stringify([...Value.Errors(InstanceSpecSchema, spec)]));
  assert.equal(spec.metadata, { hostname: 'web-1', sshKeys: [spec.metadata.sshKeys[0]!], userData: '#!/bin/sh\necho hi\n', projectId: h.projectId });
  assert.match(spec.metadata.sshKeys[0]!, /^ssh-ed25519 \S+ me@there$/);
  assert.equal([spec.vcpus, spec.memoryMiB, spec.diskGiB, spec.image.id, spec.image.sizeBytes], [2, 2048, 20, imageId, imageBytes.length]);
  assert.is(onA.generation, h.clock.now().getTime());
  assert.equal(h.feature.port.desired('no-such-host'), { instances: [], generation: 0 });
});

test("report() updates the observed columns and the state, with an instance event per change only", async () => {
  const one = await create('web-1');
  h.clock.advance(1000);
  assert.is(h.feature.port.report(one.hostId, { instances: [report(one.id, 'building')], removed: [] }), 1);
  assert.is(h.feature.port.report(one.hostId, { instances: [report(one.id, 'running', { consoleTail: 'login:' })], removed: [] }), 1);
  assert.is(h.feature.port.report(one.hostId, { instances: [report(one.id, 'running', { consoleTail: 'login: again' })], removed: [] }), 1);
  const shown = await h.call<{ instance: { state: string; observedState: string; observedAt: string }; events: { kind: string; message: string }[] }>('GET', `/projects/demo/instances/${one.id}`);
  assert.equal([shown.body.instance.state, shown.body.instance.observedState, shown.body.instance.observedAt], ['running', 'running', h.clock.now().toISOString()]);
  assert.equal(shown.body.events.map((e) => e.kind), ['created', 'placed', 'observed', 'observed']);
  assert.match(shown.body.events[3]!.message, 'building -> running');
  const log = await h.call<{ consoleTail: string }>('GET', `/projects/demo/instances/${one.id}/console-log`);
  assert.is(log.body.consoleTail, 'login: again');

  assert.is(h.feature.port.report(one.hostId, { instances: [report(one.id, 'error', { error: 'qemu died' })], removed: [] }), 1);
  const failed = await h.call<{ instance: { state: string; error: string } }>('GET', `/projects/demo/instances/${one.id}`);
  assert.equal([failed.body.instance.state, failed.body.instance.error], ['error', 'qemu died']);
});

test('report() ignores instances of other hosts and unknown ids, and does not move the generation', async () => {
  const one = await create('web-1');
  const other = one.hostId === hostA ? hostB : hostA;
  const before = h.feature.port.desired(one.hostId).generation;
  h.clock.advance(5000);
  assert.is(h.feature.port.report(other, { instances: [report(one.id, 'running'), report('00000000-0000-4000-8000-000000000000', 'running')], removed: [one.id] }), 0);
  assert.is(h.feature.port.report(one.hostId, { instances: [report(one.id, 'running')], removed: [] }), 1);
  assert.is(h.feature.port.desired(one.hostId).generation, before, 'a report is not a change the host must apply');
});

test('delete: the instance leaves its host\'s desired state at once and its row when the host reports it removed', async () => {
  const one = await create('web-1');
  const before = h.feature.port.desired(one.hostId);
  const res = await h.call<{ state: string }>('DELETE', `/projects/demo/instances/${one.id}`);
  assert.is(res.body.state, 'deleting');
  const after = h.feature.port.desired(one.hostId);
  assert.equal(after.instances, []);
  assert.ok(after.generation > before.generation);
  assert.is(h.feature.port.report(one.hostId, { instances: [report(one.id, 'running')], removed: [] }), 1);
  assert.is((await h.call<{ instance: { state: string } }>('GET', `/projects/demo/instances/${one.id}`)).body.instance.state, 'deleting', 'a late report does not bring it back');
  assert.is(h.feature.port.report(one.hostId, { instances: [], removed: [one.id] }), 1);
  assert.is(h.count('instances'), 0);
  const kinds = h.t.store.database.prepare('SELECT kind FROM instance_events WHERE instance_id = ? ORDER BY id').pluck().all(one.id);
  assert.equal(kinds, ['created', 'placed', 'deleting', 'observed', 'deleted']);
});

test('imageChunk() gives 1 MiB pieces of an image the host uses, and refuses any other image', async () => {
  const one = await create('web-1');
  const first = await h.feature.port.imageChunk(one.hostId, imageId, 0);
  assert.equal([first.data.length, first.sizeBytes], [IMAGE_CHUNK_BYTES, imageBytes.length]);
  assert.ok(Buffer.from(first.data).equals(imageBytes.subarray(0, IMAGE_CHUNK_BYTES)));
  const last = await h.feature.port.imageChunk(one.hostId, imageId, IMAGE_CHUNK_BYTES * 2);
  assert.ok(Buffer.from(last.data).equals(imageBytes.subarray(IMAGE_CHUNK_BYTES * 2)));
  assert.is((await h.feature.port.imageChunk(one.hostId, imageId, imageBytes.length)).data.length, 0, 'empty at the end');

  const other = one.hostId === hostA ? hostB : hostA;
  const refusals: [string, string, number, string][] = [
    ['a host with no instance using it', other, 0, 'APL_COMPUTE_IMAGE_NOT_ON_HOST'],
    ['an image no instance of the host uses', one.hostId, 0, 'APL_COMPUTE_IMAGE_NOT_ON_HOST'],
    ['past the end', one.hostId, imageBytes.length + 1, 'APL_COMPUTE_IMAGE_OFFSET_PAST_END'],
  ];
  for (const [name, host, offset, code] of refusals) {
    const image = name.startsWith('an image') ? otherImageId : imageId;
    try {
      await h.feature.port.imageChunk(host, image, offset);
      assert.unreachable(name);
    } catch (err) {
      assert.ok(isAllianceError(err, code), `${name}: ${String(err)}`);
    }
  }
});

test('stateAfterReport() follows the host, keeps deleting, and treats missing as building again', () => {
  const cases: [Parameters<typeof stateAfterReport>[0], Parameters<typeof stateAfterReport>[1], string][] = [
    ['building', 'running', 'running'],
    ['running', 'stopped', 'stopped'],
    ['running', 'error', 'error'],
    ['running', 'missing', 'building'],
    ['deleting', 'running', 'deleting'],
  ];
  for (const [current, observed, expected] of cases) assert.is(stateAfterReport(current, observed), expected, `${current} + ${observed}`);
});

test.run();
