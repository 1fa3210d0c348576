import { encode } from '@msgpack/msgpack';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeEnvelope, encodeEnvelope, frameEvent, unframeEvent, type Envelope } from '../../../appliance/bus/index.ts';

const roundTrips: Record<string, Envelope> = {
  'a request with an idempotency key': { v: 1, t: 'req', id: 'r1', method: 'events.list', deadline: 1_800_000_000_000, key: 'k', params: { limit: 2 } },
  'a successful answer': { v: 1, t: 'res', id: 'r1', ok: true, result: { events: [] } },
  'an error answer': { v: 1, t: 'res', id: 'r1', ok: false, error: { code: 'APL_BUS_UNKNOWN_METHOD', message: 'No bus method x' } },
  'an event': { v: 1, t: 'evt', topic: 'service.state', at: '2026-11-22T10:00:00.000Z', body: { name: 'bus', state: 'running' } },
};

for (const [name, envelope] of Object.entries(roundTrips)) {
  test(`decodeEnvelope() reads back ${name}`, () => {
    assert.equal(decodeEnvelope(encodeEnvelope(envelope)), envelope);
  });
}

const bad: Record<string, { bytes: Uint8Array; code: string; message: RegExp }> = {
  'bytes that are not msgpack': { bytes: Buffer.from([0xc1, 0xff, 0x00]), code: 'APL_BUS_BAD_ENVELOPE', message: /not msgpack/ },
  'a msgpack array': { bytes: encode([1, 2, 3]), code: 'APL_BUS_BAD_ENVELOPE', message: /not a map/ },
  'a newer envelope version': { bytes: encode({ v: 2, t: 'req' }), code: 'APL_BUS_UNSUPPORTED_VERSION', message: /version 2 is not supported \(this side speaks 1\)/ },
  'no version at all': { bytes: encode({ t: 'req' }), code: 'APL_BUS_UNSUPPORTED_VERSION', message: /version undefined/ },
  'a request without a method': { bytes: encode({ v: 1, t: 'req', id: 'x', deadline: 1 }), code: 'APL_BUS_BAD_ENVELOPE', message: /field method must be a string/ },
  'a request with a string deadline': { bytes: encode({ v: 1, t: 'req', id: 'x', method: 'm', deadline: 'soon' }), code: 'APL_BUS_BAD_ENVELOPE', message: /field deadline must be a number/ },
  'an error answer without a code': { bytes: encode({ v: 1, t: 'res', id: 'x', ok: false, error: { message: 'm' } }), code: 'APL_BUS_BAD_ENVELOPE', message: /error\.code/ },
  'an unknown kind': { bytes: encode({ v: 1, t: 'gossip' }), code: 'APL_BUS_BAD_ENVELOPE', message: /unknown kind "gossip"/ },
  'a message over the limit': { bytes: Buffer.alloc(2 * 1024 * 1024), code: 'APL_BUS_TOO_LARGE', message: /over the limit of 1048576/ },
  'a string length beyond the bytes present': { bytes: Buffer.from([0xdb, 0xff, 0xff, 0xff, 0xff, 0x41]), code: 'APL_BUS_BAD_ENVELOPE', message: /not msgpack/ },
};

for (const [name, { bytes, code, message }] of Object.entries(bad)) {
  test(`decodeEnvelope() refuses ${name} with ${code}`, () => {
    try {
      decodeEnvelope(bytes);
      assert.unreachable('decoded');
    } catch (err) {
      assert.is((err as { code?: string }).code, code);
      assert.match((err as Error).message, message);
    }
  });
}

test('encodeEnvelope() refuses a message over the limit', () => {
  assert.throws(() => encodeEnvelope({ v: 1, t: 'evt', topic: 't', at: '', body: 'x'.repeat(2000) }, 1000), /over the limit of 1000/);
});

test('frameEvent() puts the topic first so nng can filter by prefix, and unframeEvent() reads it back', () => {
  const event = { v: 1, t: 'evt', topic: 'journal.operator.note', at: '2026-11-22T10:00:00.000Z', body: { id: 1 } } as const;
  const frame = frameEvent(event);
  assert.ok(frame.subarray(0, 'journal.'.length).equals(Buffer.from('journal.')));
  assert.equal(unframeEvent(frame), event);
});

test('frameEvent() refuses a topic outside the pattern', () => {
  assert.throws(() => frameEvent({ v: 1, t: 'evt', topic: 'Bad Topic', at: '', body: null }), /topic "Bad Topic" must match/);
});

test('unframeEvent() refuses a frame whose topic disagrees with its envelope', () => {
  const frame = frameEvent({ v: 1, t: 'evt', topic: 'a.b', at: '', body: null });
  const forged = Buffer.concat([Buffer.from('c.d'), frame.subarray(3)]);
  assert.throws(() => unframeEvent(forged), /disagree/);
  assert.throws(() => unframeEvent(Buffer.from('no-separator')), /without a topic/);
});

test.run();
