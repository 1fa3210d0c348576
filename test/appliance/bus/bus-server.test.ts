import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '@msgpack/msgpack';
import { Type } from '@sinclair/typebox';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BusClient, BusServer, decodeEnvelope, defineMethod, EventPublisher, EventSubscriber, type ResponseEnvelope } from '../../../appliance/bus/index.ts';
import { defineErrors } from '../../../appliance/errors/index.ts';
import { makeSelfSignedCertificate } from '../../../appliance/identity/index.ts';
import { createLogger } from '../../../appliance/log/index.ts';
import { rejection } from '../../_support/refusal.ts';

const log = createLogger('fatal');
const testErrors = defineErrors('BUSTEST', { NO_SUCH_THING: { status: 404, exit: 1, message: 'No thing {name}' } });
let url = 0;
const inproc = (): string => `inproc://bus-server-test-${process.pid}-${++url}`;

function fixture() {
  const calls = { add: 0, slow: 0, aborted: 0, slowOnce: 0 };
  const methods = {
    'math.add': defineMethod({
      description: 'a + b',
      params: Type.Object({ a: Type.Integer(), b: Type.Integer() }, { additionalProperties: false }),
      result: Type.Object({ sum: Type.Integer() }),
      handler: ({ a, b }) => {
        calls.add += 1;
        return { sum: a + b, secret: 'must not leave' } as { sum: number };
      },
    }),
    'thing.get': defineMethod({
      description: 'always missing',
      params: Type.Object({ name: Type.String() }),
      result: Type.Object({}),
      handler: ({ name }) => {
        throw testErrors.NO_SUCH_THING({ name });
      },
    }),
    'thing.explode': defineMethod({
      description: 'a bug',
      params: Type.Object({}),
      result: Type.Object({}),
      handler: () => {
        throw new Error('database password is hunter2');
      },
    }),
    'thing.slowOnce': defineMethod({
      description: 'misses its first deadline, answers after that',
      params: Type.Object({}),
      result: Type.Object({ attempt: Type.Integer() }),
      handler: (_p, ctx) => {
        calls.slowOnce += 1;
        const attempt = calls.slowOnce;
        if (attempt > 1) return { attempt };
        return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({ attempt })));
      },
    }),
    'thing.slow': defineMethod({
      description: 'waits for its deadline',
      params: Type.Object({}),
      result: Type.Object({}),
      handler: (_p, ctx) =>
        new Promise((resolve) => {
          calls.slow += 1;
          ctx.signal.addEventListener('abort', () => {
            calls.aborted += 1;
            resolve({});
          });
        }),
    }),
  };
  return { calls, methods };
}

async function serving<T>(fn: (client: BusClient, server: BusServer, calls: ReturnType<typeof fixture>['calls']) => Promise<T>): Promise<T> {
  const { calls, methods } = fixture();
  const server = await BusServer.open(methods, { log, workers: 4 });
  const address = inproc();
  server.listen(address);
  const client = await BusClient.connect(address, { timeoutMs: 2000 });
  try {
    return await fn(client, server, calls);
  } finally {
    client.close();
    await server.close();
  }
}

test('BusClient.call() returns the result, without fields the result schema does not declare', async () => {
  await serving(async (client) => {
    assert.equal(await client.call('math.add', { a: 2, b: 3 }), { sum: 5 });
  });
});

test('BusClient.call() of an unknown method rejects with APL_BUS_UNKNOWN_METHOD', async () => {
  await serving(async (client) => {
    const err = await rejection(client.call('math.divide', {}));
    assert.is(err.code, 'APL_BUS_UNKNOWN_METHOD');
  });
});

test('BusClient.call() with parameters that fail the schema rejects naming the field, and the handler never runs', async () => {
  await serving(async (client, _server, calls) => {
    const err = await rejection(client.call('math.add', { a: 2, b: 'three' }));
    assert.is(err.code, 'APL_BUS_INVALID_PARAMS');
    assert.match(err.message, /math\.add: b: expected integer/);
    const extra = await rejection(client.call('math.add', { a: 1, b: 1, c: 1 }));
    assert.is(extra.code, 'APL_BUS_INVALID_PARAMS');
    assert.is(calls.add, 0);
  });
});

test('BusClient.call() carries a coded error across the wire with its code and message', async () => {
  await serving(async (client) => {
    const err = await rejection(client.call('thing.get', { name: 'widget' }));
    assert.is(err.code, 'APL_BUSTEST_NO_SUCH_THING');
    assert.is(err.message, 'No thing widget');
  });
});

test('BusClient.call() of a handler with a bug gets APL_BUS_HANDLER_FAILED and none of its message', async () => {
  await serving(async (client) => {
    const err = await rejection(client.call('thing.explode', {}));
    assert.is(err.code, 'APL_BUS_HANDLER_FAILED');
    assert.not.match(err.message, /hunter2/);
  });
});

test('BusClient.call() past its timeout rejects with APL_BUS_DEADLINE and the handler sees its signal abort', async () => {
  await serving(async (client, _server, calls) => {
    const err = await rejection(client.call('thing.slow', {}, { timeoutMs: 150 }));
    assert.is(err.code, 'APL_BUS_DEADLINE');
    assert.is(calls.slow, 1);
    // The server's deadline is the client's: the handler is released, not left running.
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (calls.aborted === 1) {
          clearInterval(check);
          resolve();
        }
      }, 10);
    });
  });
});

test('BusClient.call() with the same idempotency key runs the handler once and answers both', async () => {
  await serving(async (client, _server, calls) => {
    const first = await client.call('math.add', { a: 1, b: 1 }, { idempotencyKey: 'once' });
    const second = await client.call('math.add', { a: 1, b: 1 }, { idempotencyKey: 'once' });
    assert.equal(first, { sum: 2 });
    assert.equal(second, { sum: 2 });
    assert.is(calls.add, 1);
    const conflict = await rejection(client.call('math.add', { a: 5, b: 5 }, { idempotencyKey: 'once' }));
    assert.is(conflict.code, 'APL_BUS_IDEMPOTENCY_CONFLICT');
  });
});

test('BusClient.call() retried with the same idempotency key after a missed deadline runs again and answers', async () => {
  await serving(async (client, _server, calls) => {
    const missed = await rejection(client.call('thing.slowOnce', {}, { idempotencyKey: 'retry-me', timeoutMs: 150 }));
    assert.is(missed.code, 'APL_BUS_DEADLINE');
    assert.equal(await client.call('thing.slowOnce', {}, { idempotencyKey: 'retry-me', timeoutMs: 2000 }), { attempt: 2 });
    assert.equal(await client.call('thing.slowOnce', {}, { idempotencyKey: 'retry-me', timeoutMs: 2000 }), { attempt: 2 }, 'the success is what repeats');
    assert.is(calls.slowOnce, 2);
  });
});

test('BusClient.call() runs concurrent calls concurrently on one connection', async () => {
  await serving(async (client, _server, calls) => {
    const slow = Array.from({ length: 3 }, () => rejection(client.call('thing.slow', {}, { timeoutMs: 300 })));
    const fast = await client.call('math.add', { a: 4, b: 4 });
    assert.equal(fast, { sum: 8 }, 'answered while three slow calls hold workers');
    for (const err of await Promise.all(slow)) assert.is(err.code, 'APL_BUS_DEADLINE');
    assert.is(calls.slow, 3);
  });
});

const answers: Record<string, { raw: Uint8Array; code: string }> = {
  garbage: { raw: Buffer.from('GET / HTTP/1.1\r\n\r\n'), code: 'APL_BUS_BAD_ENVELOPE' },
  'an answer instead of a request': { raw: encode({ v: 1, t: 'res', id: 'x', ok: true, result: 1 }), code: 'APL_BUS_BAD_ENVELOPE' },
  'a request already past its deadline': { raw: encode({ v: 1, t: 'req', id: 'x', method: 'math.add', deadline: 1, params: { a: 1, b: 1 } }), code: 'APL_BUS_DEADLINE' },
  'a future envelope version': { raw: encode({ v: 9, t: 'req' }), code: 'APL_BUS_UNSUPPORTED_VERSION' },
};

for (const [name, { raw, code }] of Object.entries(answers)) {
  test(`BusServer.handle() answers ${name} with ${code}`, async () => {
    const { methods, calls } = fixture();
    const server = await BusServer.open(methods, { log, workers: 1 });
    try {
      const answer = decodeEnvelope(await server.handle(raw)) as ResponseEnvelope;
      assert.is(answer.t, 'res');
      assert.is(answer.ok, false);
      assert.is(answer.ok === false && answer.error.code, code);
      assert.is(calls.add, 0);
    } finally {
      await server.close();
    }
  });
}

test('BusServer reports every answer to onAnswer, with unknown method names collapsed to "unknown"', async () => {
  const { methods } = fixture();
  const answered: [string, string][] = [];
  const server = await BusServer.open(methods, { log, workers: 2, onAnswer: (method, outcome, seconds) => {
    assert.ok(seconds >= 0 && seconds < 5);
    answered.push([method, outcome]);
  } });
  const address = inproc();
  server.listen(address);
  const client = await BusClient.connect(address, { timeoutMs: 2000 });
  try {
    await client.call('math.add', { a: 1, b: 1 });
    await rejection(client.call('math.add', { a: 'x' }));
    await rejection(client.call('made.up.by.a.peer', {}));
    await server.handle(Buffer.from('garbage'));
    assert.equal(answered, [
      ['math.add', 'ok'],
      ['math.add', 'APL_BUS_INVALID_PARAMS'],
      ['unknown', 'APL_BUS_UNKNOWN_METHOD'],
      ['unknown', 'APL_BUS_BAD_ENVELOPE'],
    ]);
  } finally {
    client.close();
    await server.close();
  }
});

test('BusServer keeps serving after a burst of garbage on the wire', async () => {
  await serving(async (client, server) => {
    for (let i = 0; i < 200; i += 1) await server.handle(Buffer.from([i & 0xff, 0xc1, 0x00]));
    assert.equal(await client.call('math.add', { a: 20, b: 22 }), { sum: 42 });
  });
});

test('EventSubscriber receives only the topics it subscribed to, in order', async () => {
  const publisher = await EventPublisher.open();
  const address = inproc();
  publisher.listen(address);
  const subscriber = await EventSubscriber.connect(address, ['service.']);
  try {
    const seen: string[] = [];
    const reading = (async () => {
      for await (const event of subscriber) {
        const n = (event.body as { n: number }).n;
        seen.push(`${event.topic}:${String(n)}`);
        // Stray n = 0 messages of the connection loop below may still arrive first.
        if (n === 3) return;
      }
    })();
    // pub/sub drops messages sent before the subscription is connected; publish until the first arrives.
    let n = 0;
    while (seen.length === 0) {
      await publisher.publish('service.state', { n: 0 });
      await new Promise((r) => setImmediate(r));
      if (++n > 10_000) throw new Error('subscriber never connected');
    }
    await publisher.publish('journal.note', { n: 1 });
    await publisher.publish('service.state', { n: 2 });
    await publisher.publish('service.state', { n: 3 });
    await reading;
    assert.ok(seen.every((s) => s.startsWith('service.state')), seen.join(' '));
    assert.equal(seen.slice(-2), ['service.state:2', 'service.state:3']);
    assert.is(subscriber.rejected, 0);
  } finally {
    subscriber.close();
    publisher.close();
  }
});

test('BusServer over tls+tcp serves a client with a trusted certificate and refuses one without', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'alliance-bus-tls-'));
  try {
    const now = new Date();
    const usages = ['serverAuth', 'clientAuth'] as const;
    await makeSelfSignedCertificate(join(dir, 's.crt'), join(dir, 's.key'), { commonName: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], now, days: 1, usages });
    await makeSelfSignedCertificate(join(dir, 'c.crt'), join(dir, 'c.key'), { commonName: 'client', dnsNames: ['client'], ipAddresses: [], now, days: 1, usages });
    await makeSelfSignedCertificate(join(dir, 'x.crt'), join(dir, 'x.key'), { commonName: 'stranger', dnsNames: ['stranger'], ipAddresses: [], now, days: 1, usages });
    const { readFileSync } = await import('node:fs');
    const pem = (f: string): string => readFileSync(join(dir, f), 'utf8');

    const { methods, calls } = fixture();
    const server = await BusServer.open(methods, { log, workers: 2 });
    const endpoint = server.listen('tls+tcp://127.0.0.1:0', { tls: { cert: pem('s.crt'), key: pem('s.key'), ca: pem('c.crt'), authMode: 'required' } });
    const address = `tls+tcp://127.0.0.1:${endpoint.port}`;
    const trusted = await BusClient.connect(address, { timeoutMs: 3000, tls: { cert: pem('c.crt'), key: pem('c.key'), ca: pem('s.crt'), serverName: 'localhost' } });
    const stranger = await BusClient.connect(address, { timeoutMs: 800, tls: { cert: pem('x.crt'), key: pem('x.key'), ca: pem('s.crt'), serverName: 'localhost' } });
    const anonymous = await BusClient.connect(address, { timeoutMs: 800, tls: { ca: pem('s.crt'), serverName: 'localhost' } });
    try {
      assert.equal(await trusted.call('math.add', { a: 1, b: 2 }), { sum: 3 });
      assert.is((await rejection(stranger.call('math.add', { a: 1, b: 2 }))).code, 'APL_BUS_DEADLINE');
      assert.is((await rejection(anonymous.call('math.add', { a: 1, b: 2 }))).code, 'APL_BUS_DEADLINE');
      assert.is(calls.add, 1, 'only the trusted client reached the handler');
      assert.equal(await trusted.call('math.add', { a: 2, b: 2 }), { sum: 4 });
    } finally {
      trusted.close();
      stranger.close();
      anonymous.close();
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
