// The nng binding against itself: every protocol, the three transports, timeouts,
// cancellation, close, limits, errors and back-pressure.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NngError, NngSocket, nngStats, type Protocol } from '../../../appliance/bus/index.ts';
import { freePort } from '../../_support/appliance-process.ts';
import { killIfFrozen, rejectionOf, stillPendingAfter, within, withSockets, withTempDir, type OpenSocket } from '../../_support/nng.ts';

killIfFrozen();

/** Only a guard against a hung test: what never comes fails the test instead of blocking the run. */
const DEADLINE_MS = 5_000;
/** Socket options so that a dialer that started before its listener connects soon after. */
const QUICK_RECONNECT = { reconnectMinMs: 10, reconnectMaxMs: 50 } as const;

let inprocCounter = 0;
const inproc = (name: string): string => `inproc://nng-socket-${name}-${(inprocCounter += 1)}`;

async function roundTrip(makeUrl: (dir: string) => Promise<string>): Promise<void> {
  await withTempDir('nng-socket', (dir) =>
    withSockets(async (open) => {
      const url = await makeUrl(dir);
      const rep = await open('rep');
      const req = await open('req', QUICK_RECONNECT);
      rep.listen(url);
      req.dial(url);
      for (const question of ['first', 'second', '']) {
        await req.send(question);
        const got = await within(rep.recv(), DEADLINE_MS, 'the request');
        assert.is(got.toString(), question);
        await rep.send(`answer to ${question}`);
        const answer = await within(req.recv(), DEADLINE_MS, 'the reply');
        assert.is(answer.toString(), `answer to ${question}`);
      }
    }),
  );
}

test('NngSocket req/rep round trips over inproc', () => roundTrip(async () => inproc('reqrep')));
test('NngSocket req/rep round trips over ipc', () => roundTrip(async (dir) => `ipc://${join(dir, 'rep.sock')}`));
test('NngSocket req/rep round trips over tcp', () => roundTrip(async () => `tcp://127.0.0.1:${await freePort()}`));

test('NngSocket.listen() on tcp port 0 reports the bound port', () =>
  withSockets(async (open) => {
    const rep = await open('rep');
    const { port } = rep.listen('tcp://127.0.0.1:0');
    assert.ok(port > 0 && port < 65536, `port ${port}`);
    const req = await open('req');
    req.dial(`tcp://127.0.0.1:${port}`);
    await req.send('ping');
    assert.is((await within(rep.recv(), DEADLINE_MS, 'the request')).toString(), 'ping');
  }));

test('NngContext: a rep socket with 16 contexts serves 16 concurrent requests from one req socket, answers matched', () =>
  withSockets(async (open) => {
    const url = inproc('contexts');
    const rep = await open('rep');
    rep.listen(url);
    const req = await open('req');
    req.dial(url);
    const n = 16;
    const repContexts = Array.from({ length: n }, () => rep.context());
    const reqContexts = Array.from({ length: n }, () => req.context());
    // Every rep context holds its request until all 16 are in hand, so a
    // binding that served one request at a time would never get there.
    const held: { ctx: (typeof repContexts)[number]; question: string }[] = [];
    let allHeld!: () => void;
    const barrier = new Promise<void>((done) => (allHeld = done));
    const servers = repContexts.map(async (ctx) => {
      const question = (await ctx.recv()).toString();
      held.push({ ctx, question });
      if (held.length === n) allHeld();
      await barrier;
    });
    const clients = reqContexts.map(async (ctx, i) => {
      await ctx.send(`question ${i}`);
      return (await ctx.recv()).toString();
    });
    await within(barrier, DEADLINE_MS, '16 requests held at once');
    assert.equal(held.map((h) => h.question).sort(), Array.from({ length: n }, (_, i) => `question ${i}`).sort());
    // Answer in the reverse order of arrival: each reply must still reach the context that asked.
    for (const { ctx, question } of [...held].reverse()) await ctx.send(question.replace('question', 'answer'));
    const answers = await within(Promise.all(clients), DEADLINE_MS, 'all 16 answers');
    assert.equal(answers, Array.from({ length: n }, (_, i) => `answer ${i}`));
    await Promise.all(servers);
    for (const ctx of [...repContexts, ...reqContexts]) ctx.close();
  }));

test('NngSocket pub/sub delivers only subscribed prefixes, and unsubscribe() stops a prefix', () =>
  withSockets(async (open) => {
    const url = inproc('pubsub');
    const sub = await open('sub');
    sub.listen(url);
    sub.subscribe('news.');
    sub.subscribe(Buffer.from('alerts'));
    const pub = await open('pub');
    // A blocking dial returns once the pipe is attached to the publisher, so nothing below is dropped for want of a peer.
    pub.dial(url, { block: true });
    const published = ['news.sport 1', 'weather 1', 'alerts.fire', 'new 1', 'news.politics', 'xnews.1', 'alertsX', 'end'];
    sub.subscribe('end');
    for (const message of published) await pub.send(message);
    const received: string[] = [];
    for (;;) {
      const message = (await within(sub.recv(), DEADLINE_MS, 'the next published message')).toString();
      received.push(message);
      if (message === 'end') break;
    }
    assert.equal(received, ['news.sport 1', 'alerts.fire', 'news.politics', 'alertsX', 'end']);

    sub.unsubscribe('news.');
    for (const message of ['news.after', 'alerts.after']) await pub.send(message);
    // In order on one pipe: had news.after not been filtered, it would come first.
    assert.is((await within(sub.recv(), DEADLINE_MS, 'alerts.after')).toString(), 'alerts.after');
  }));

test('NngSocket push/pull delivers 10,000 messages in order, through both the immediate and the asynchronous path', () =>
  withSockets(async (open) => {
    const url = `tcp://127.0.0.1:${await freePort()}`;
    const pull = await open('pull');
    pull.listen(url);
    const push = await open('push', QUICK_RECONNECT);
    push.dial(url);
    const n = 10_000;
    const before = await nngStats();
    const sends: Promise<void>[] = [];
    const receiving = (async () => {
      const got: number[] = [];
      for (let i = 0; i < n; i += 1) got.push((await pull.recv()).readUInt32BE(0));
      return got;
    })();
    for (let i = 0; i < n; i += 1) {
      const message = Buffer.alloc(4);
      message.writeUInt32BE(i);
      sends.push(push.send(message));
      // Now and then let the queue drain, so that later sends take the immediate path again.
      if (i % 97 === 0) await sends[i];
    }
    await within(Promise.all(sends), 20_000, '10,000 sends');
    const got = await within(receiving, 20_000, '10,000 receives');
    const firstWrong = got.findIndex((v, i) => v !== i);
    assert.is(firstWrong, -1, `message ${firstWrong} was ${got[firstWrong]}`);
    const after = await nngStats();
    const asynchronous = after.completions - before.completions;
    // 2n operations in all: some must have completed at once (no completion) and some asynchronously.
    assert.ok(asynchronous > 0, 'no operation went the asynchronous way');
    assert.ok(asynchronous < 2 * n, `all ${asynchronous} operations went the asynchronous way`);
    assert.is(after.outstanding, 0);
  }));

test('NngSocket surveyor/respondent: two respondents answer, then the survey ends with ETIMEDOUT after surveyTimeMs', () =>
  withSockets(async (open) => {
    const surveyTimeMs = 300;
    const surveyor = await open('surveyor', { surveyTimeMs });
    const respondents = await Promise.all([open('respondent'), open('respondent')]);
    respondents.forEach((r, i) => {
      const url = inproc(`respondent-${i}`);
      r.listen(url);
      surveyor.dial(url, { block: true });
    });
    const started = Date.now();
    await surveyor.send('who is there?');
    await Promise.all(
      respondents.map(async (r, i) => {
        const question = await within(r.recv(), DEADLINE_MS, `the survey at respondent ${i}`);
        assert.is(question.toString(), 'who is there?');
        await r.send(`respondent ${i}`);
      }),
    );
    const answers = [await surveyor.recv(), await surveyor.recv()].map(String).sort();
    assert.equal(answers, ['respondent 0', 'respondent 1']);
    const end = await rejectionOf(surveyor.recv(), DEADLINE_MS, 'the third receive of the survey');
    const elapsed = Date.now() - started;
    assert.instance(end, NngError);
    assert.is(end.code, 'ETIMEDOUT');
    // nng's timers have millisecond resolution; allow a little slack below, none that hides an early end.
    assert.ok(elapsed >= surveyTimeMs - 5, `the survey ended after ${elapsed} ms, before its ${surveyTimeMs} ms`);
  }));

test('NngSocket bus: three sockets in a mesh each receive the messages of the other two', () =>
  withSockets(async (open) => {
    const [a, b, c] = await Promise.all([open('bus'), open('bus'), open('bus')]);
    const urls = [inproc('bus-a'), inproc('bus-b')];
    a.listen(urls[0]!);
    b.listen(urls[1]!);
    // A dialer's end of a pipe is attached when a blocking dial returns; a listener's end
    // once something has arrived over it. So each dialer says hello right after dialing,
    // while the hello can reach only peers it has dialed: no stray message is left behind.
    b.dial(urls[0]!, { block: true });
    await b.send('hello from b');
    assert.is((await within(a.recv(), DEADLINE_MS, 'the hello from b at a')).toString(), 'hello from b');
    c.dial(urls[0]!, { block: true });
    c.dial(urls[1]!, { block: true });
    await c.send('hello from c');
    assert.is((await within(a.recv(), DEADLINE_MS, 'the hello from c at a')).toString(), 'hello from c');
    assert.is((await within(b.recv(), DEADLINE_MS, 'the hello from c at b')).toString(), 'hello from c');

    const nodes = { a, b, c };
    for (const [name, socket] of Object.entries(nodes)) await socket.send(`from ${name}`);
    for (const [name, socket] of Object.entries(nodes)) {
      const got = [await within(socket.recv(), DEADLINE_MS, `a message at ${name}`), await within(socket.recv(), DEADLINE_MS, `a message at ${name}`)].map(String).sort();
      assert.equal(
        got,
        Object.keys(nodes)
          .filter((other) => other !== name)
          .map((other) => `from ${other}`),
        `at ${name}`,
      );
    }
    // A bus never echoes a message back to its sender.
    assert.is((await rejectionOf(a.recv({ timeoutMs: 100 }))).code, 'ETIMEDOUT');
  }));

test('NngSocket pair1 carries messages both ways', () =>
  withSockets(async (open) => {
    const url = inproc('pair1');
    const left = await open('pair1');
    const right = await open('pair1');
    left.listen(url);
    right.dial(url);
    await right.send('right to left');
    assert.is((await within(left.recv(), DEADLINE_MS, 'at left')).toString(), 'right to left');
    await left.send('left to right');
    assert.is((await within(right.recv(), DEADLINE_MS, 'at right')).toString(), 'left to right');
  }));

test('NngSocket.send() rejects with ETIMEDOUT after sendTimeoutMs on a push socket with no peer', () =>
  withSockets(async (open) => {
    const push = await open('push', { sendTimeoutMs: 100 });
    const started = Date.now();
    const err = await rejectionOf(push.send('nobody listens'), DEADLINE_MS, 'send');
    assert.instance(err, NngError);
    assert.is(err.code, 'ETIMEDOUT');
    assert.ok(Date.now() - started >= 95, `timed out after ${Date.now() - started} ms`);
    assert.is((await nngStats()).outstanding, 0);
  }));

test('NngSocket.recv() rejects with ETIMEDOUT after recvTimeoutMs, and after a per-call timeoutMs', () =>
  withSockets(async (open) => {
    const pull = await open('pull', { recvTimeoutMs: 100 });
    let started = Date.now();
    const bySocket = await rejectionOf(pull.recv(), DEADLINE_MS, 'recv');
    assert.is(bySocket.code, 'ETIMEDOUT');
    assert.ok(Date.now() - started >= 95, `timed out after ${Date.now() - started} ms`);
    // A per-call timeout overrides the socket's (here 10 s, far beyond the deadline).
    const patient = await open('pull', { recvTimeoutMs: 10_000 });
    started = Date.now();
    const byCall = await rejectionOf(patient.recv({ timeoutMs: 50 }), DEADLINE_MS, 'recv');
    assert.is(byCall.code, 'ETIMEDOUT');
    assert.ok(Date.now() - started >= 45, `a 50 ms receive timed out after ${Date.now() - started} ms`);
  }));

test('NngSocket.recv() with an AbortSignal rejects with AbortError when aborted, and nngStats().outstanding returns to 0', () =>
  withSockets(async (open) => {
    const pull = await open('pull');
    const before = await nngStats();
    const controller = new AbortController();
    const pending = pull.recv({ signal: controller.signal });
    const whileWaiting = await nngStats();
    assert.is(whileWaiting.outstanding, before.outstanding + 1);
    assert.ok(await stillPendingAfter(pending, 20), 'the receive settled before it was aborted');
    controller.abort();
    const err = await rejectionOf(pending, DEADLINE_MS, 'the aborted receive');
    assert.is(err.name, 'AbortError');
    const after = await nngStats();
    assert.is(after.outstanding, before.outstanding);
    assert.is(after.pendingPromises, before.pendingPromises);

    const already = AbortSignal.abort(new Error('given up already'));
    const early = await rejectionOf(pull.recv({ signal: already }), DEADLINE_MS, 'a receive with an aborted signal');
    assert.is(early.message, 'given up already');
    assert.is((await nngStats()).outstanding, before.outstanding);
  }));

test('NngSocket.close() rejects every pending receive with ECLOSED', () =>
  withSockets(async (open) => {
    const rep = await open('rep');
    rep.listen(inproc('close'));
    const pull = await open('pull');
    const before = (await nngStats()).outstanding;
    const pendings = [...Array.from({ length: 5 }, () => pull.recv()), pull.recv({ timeoutMs: -1 })];
    const ctx = rep.context();
    const ctxRecv = ctx.recv();
    // A pull socket's receives wait in line in JS: one waits in the addon, beside the context's.
    assert.is((await nngStats()).outstanding, before + 2);
    pull.close();
    rep.close();
    for (const p of [...pendings, ctxRecv]) {
      const err = await rejectionOf(p, DEADLINE_MS, 'a receive pending at close');
      assert.instance(err, NngError);
      assert.is(err.code, 'ECLOSED');
    }
    assert.is((await nngStats()).outstanding, before);
    ctx.close();
  }));

test('NngSocket.send() and recv() after close() reject with ECLOSED and never throw', () =>
  withSockets(async (open) => {
    const push = await open('push');
    const pull = await open('pull');
    const rep = await open('rep');
    const ctx = rep.context();
    push.close();
    pull.close();
    rep.close();
    push.close(); // twice is harmless
    assert.ok(push.closed);
    const calls: [string, () => Promise<unknown>][] = [
      ['send', () => push.send('late')],
      ['send with a timeout', () => push.send('late', { timeoutMs: 10 })],
      ['send with a signal', () => push.send('late', { signal: new AbortController().signal })],
      ['recv', () => pull.recv()],
      ['recv with a signal', () => pull.recv({ signal: new AbortController().signal })],
      ['context send', () => ctx.send('late')],
      ['context recv', () => ctx.recv()],
    ];
    for (const [what, call] of calls) {
      let promise: Promise<unknown> | undefined;
      assert.not.throws(() => (promise = call()), `${what} threw synchronously`);
      const err = await rejectionOf(promise!, DEADLINE_MS, what);
      assert.instance(err, NngError, what);
      assert.is(err.code, 'ECLOSED', what);
    }
    assert.is((await nngStats()).outstanding, 0);
  }));

function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (err) {
    return err;
  }
  return undefined;
}

test('NngSocket.subscribe() throws an NngError: ECLOSED on a closed socket, ENOTSUP on a socket that is not sub', () =>
  withSockets(async (open) => {
    const pub = await open('pub');
    const wrongProtocol = thrownBy(() => pub.subscribe('x'));
    assert.instance(wrongProtocol, NngError);
    assert.is((wrongProtocol as NngError).code, 'ENOTSUP');
    const sub = await open('sub');
    sub.close();
    for (const call of [() => sub.subscribe('x'), () => sub.unsubscribe('x')]) {
      const closed = thrownBy(call);
      assert.instance(closed, NngError);
      assert.is((closed as NngError).code, 'ECLOSED');
    }
  }));

test('NngSocket recvMaxSize: a larger message is not delivered, and smaller ones still are', () =>
  withSockets(async (open) => {
    const url = `tcp://127.0.0.1:${await freePort()}`;
    const pull = await open('pull', { recvMaxSize: 1024 });
    pull.listen(url);
    const big = await open('push', QUICK_RECONNECT);
    const small = await open('push', QUICK_RECONNECT);
    big.dial(url);
    small.dial(url);
    // nng drops the connection that carried the oversized message. A second sender's
    // messages must still arrive, and the big one never.
    await big.send(Buffer.alloc(4096, 0x42));
    await small.send('small 1');
    await small.send(Buffer.alloc(1024, 0x61)); // exactly at the limit
    assert.is((await within(pull.recv(), DEADLINE_MS, 'the first small message')).toString(), 'small 1');
    assert.is((await within(pull.recv(), DEADLINE_MS, 'the message at the limit')).length, 1024);
    const nothingElse = await rejectionOf(pull.recv({ timeoutMs: 300 }), DEADLINE_MS, 'a receive after the small ones');
    assert.is(nothingElse.code, 'ETIMEDOUT');
  }));

test('NngSocket.open() with an unknown protocol rejects with NngError ENOTSUP', async () => {
  const err = await rejectionOf(NngSocket.open('carrier-pigeon' as Protocol));
  assert.instance(err, NngError);
  assert.is(err.code, 'ENOTSUP');
  assert.match(err.message, /carrier-pigeon/);
});

test('NngSocket.open() with an option the protocol lacks rejects with NngError ENOTSUP and leaves no socket open', async () => {
  const before = (await nngStats()).socketsOpen;
  const err = await rejectionOf(NngSocket.open('req', { surveyTimeMs: 10 }));
  assert.instance(err, NngError);
  assert.is(err.code, 'ENOTSUP');
  assert.is((await nngStats()).socketsOpen, before);
});

test('NngSocket.listen() and dial() refuse bad URLs with an NngError naming the URL', () =>
  withSockets(async (open) => {
    const rep = await open('rep');
    const cases: [string, string][] = [
      ['nope://somewhere', 'ENOTSUP'],
      ['tcp://127.0.0.1:notaport', 'EADDRINVAL'],
      ['tcp://999.1.1.1:5000', 'EADDRINVAL'],
      ['ipc://', 'EADDRINVAL'],
      ['not a url', 'EINVAL'],
    ];
    for (const [url, code] of cases) {
      for (const action of ['listen', 'dial'] as const) {
        // A dial parses the host and port later, in the background, and keeps retrying.
        if (action === 'dial' && url.startsWith('tcp://')) continue;
        const err = thrownBy(() => rep[action](url));
        assert.instance(err, NngError, `${action} ${url}`);
        assert.is((err as NngError).code, code, `${action} ${url}`);
        assert.ok((err as NngError).message.includes(url), (err as NngError).message);
      }
    }
  }));

test('NngSocket.listen() twice on the same address throws NngError EADDRINUSE', () =>
  withSockets(async (open) => {
    const url = `tcp://127.0.0.1:${await freePort()}`;
    const first = await open('rep');
    const second = await open('rep');
    first.listen(url);
    for (const socket of [first, second]) {
      const err = thrownBy(() => socket.listen(url));
      assert.instance(err, NngError);
      assert.is((err as NngError).code, 'EADDRINUSE');
    }
    const path = inproc('twice');
    first.listen(path);
    assert.throws(() => second.listen(path), (e: unknown) => e instanceof NngError && e.code === 'EADDRINUSE');
  }));

test('NngSocket.send() waits under back-pressure (small buffers, no reader) and completes once the receiver reads', () =>
  withSockets(async (open) => {
    const url = inproc('backpressure');
    const pull = await open('pull', { recvBuffer: 1 });
    pull.listen(url);
    const push = await open('push', { sendBuffer: 1 });
    push.dial(url, { block: true });
    const n = 20;
    const settled = new Array<boolean>(n).fill(false);
    const sends = Array.from({ length: n }, (_, i) =>
      push.send(`message ${i}`).then(() => {
        settled[i] = true;
      }),
    );
    // Nobody reads: after a generous moment most sends must still be waiting, none failed.
    assert.ok(await stillPendingAfter(Promise.all(sends), 200), 'every send completed with no reader');
    const completedEarly = settled.filter(Boolean).length;
    assert.ok(completedEarly < n / 2, `${completedEarly} of ${n} sends completed with buffers of 1 and no reader`);
    assert.ok(settled.slice(0, completedEarly).every(Boolean), 'sends completed out of order');
    const received: string[] = [];
    for (let i = 0; i < n; i += 1) received.push((await within(pull.recv(), DEADLINE_MS, `message ${i}`)).toString());
    await within(Promise.all(sends), DEADLINE_MS, 'the waiting sends once the reader read');
    assert.equal(received, Array.from({ length: n }, (_, i) => `message ${i}`));
  }));

/**
 * A pull socket whose reader takes one message and then pauses while a push
 * socket sends `messages`: how many sends completed in the pause (what the
 * pump read ahead, plus nng's own buffers), and the rest for the test to read.
 */
async function pausedReader(open: OpenSocket, name: string, sendBuffer: number, messages: readonly Buffer[]) {
  const url = inproc(name);
  const pull = await open('pull');
  pull.listen(url);
  const push = await open('push', { sendBuffer });
  push.dial(url, { block: true });
  let settled = 0;
  const sends = messages.map((m) => push.send(m).then(() => void (settled += 1)));
  // One receive starts the pump; then the reader pauses.
  const first = await within(pull.recv(), DEADLINE_MS, 'the first message');
  assert.ok(await stillPendingAfter(Promise.all(sends), 300), 'every send completed while the reader paused');
  return { pull, sends, first, settledInPause: settled };
}

test('NngSocket pull: the receive pump holds at most its ring (1024), so a reader that pauses still holds back the sender; order is kept', () =>
  withSockets(async (open) => {
    const n = 3000;
    const messages = Array.from({ length: n }, (_, i) => {
      const message = Buffer.alloc(4);
      message.writeUInt32BE(i);
      return message;
    });
    const { pull, sends, first, settledInPause } = await pausedReader(open, 'pump', 8, messages);
    assert.is(first.readUInt32BE(0), 0);
    assert.ok(settledInPause < 1024 + 8 + 64, `${settledInPause} of ${n} sends completed while the reader paused: the pump must stop at its ring`);
    // Without the pump, libnng's pull holds one message and the sender's 8-message buffer fills.
    assert.ok(settledInPause > 512, `only ${settledInPause} sends completed while the reader paused: the pump did not read ahead`);
    const got = [0];
    for (let i = 1; i < n; i += 1) got.push((await within(pull.recv(), DEADLINE_MS, `message ${i}`)).readUInt32BE(0));
    await within(Promise.all(sends), DEADLINE_MS, 'the sends once the reader read');
    const firstWrong = got.findIndex((v, i) => v !== i);
    assert.is(firstWrong, -1, `message ${firstWrong} was ${got[firstWrong]}`);
    assert.is((await nngStats()).outstanding, 0);
  }));

test('NngSocket pull: receives after a timed-out one still get messages (the pump must not stop on a timeout)', () =>
  withSockets(async (open) => {
    const url = inproc('pump-timeout');
    const pull = await open('pull', { recvTimeoutMs: 100 });
    pull.listen(url);
    const push = await open('push');
    push.dial(url, { block: true });
    assert.is((await rejectionOf(pull.recv(), DEADLINE_MS, 'the first receive')).code, 'ETIMEDOUT');
    await sleep(150); // past the socket's recv-timeout once more, with nothing to read
    await push.send('after the timeout');
    assert.is((await within(pull.recv({ timeoutMs: 2000 }), DEADLINE_MS, 'the later message')).toString(), 'after the timeout');
  }));

test('NngSocket pull: concurrent receives are served in call order, and a later one times out while an earlier one waits', () =>
  withSockets(async (open) => {
    const url = inproc('pump-order');
    const pull = await open('pull');
    pull.listen(url);
    const push = await open('push');
    push.dial(url, { block: true });
    const first = pull.recv({ timeoutMs: -1 });
    const impatient = pull.recv({ timeoutMs: 100 });
    const started = Date.now();
    assert.is((await rejectionOf(impatient, DEADLINE_MS, 'the impatient receive')).code, 'ETIMEDOUT');
    assert.ok(Date.now() - started < 1000, `it waited ${Date.now() - started} ms for its turn`);
    const rest = [pull.recv(), pull.recv(), pull.recv()];
    for (let i = 0; i < 4; i += 1) await push.send(`m${i}`);
    const got = await within(Promise.all([first, ...rest]), DEADLINE_MS, 'four receives');
    assert.equal(got.map(String), ['m0', 'm1', 'm2', 'm3']);
    assert.is((await nngStats()).outstanding, 0);
  }));

test('NngSocket pull: the pump also stops at 4 MiB, so a paused reader of large messages holds back the sender', () =>
  withSockets(async (open) => {
    const n = 64;
    const big = Buffer.alloc(256 * 1024, 7);
    const { pull, sends, settledInPause } = await pausedReader(open, 'pump-bytes', 2, Array.from({ length: n }, () => big));
    // 4 MiB is 16 of them; with nng's own buffers a few more, far from all 64.
    assert.ok(settledInPause < 32, `${settledInPause} of ${n} large sends completed while the reader paused`);
    for (let i = 1; i < n; i += 1) await within(pull.recv(), DEADLINE_MS, `large message ${i}`);
    await within(Promise.all(sends), DEADLINE_MS, 'the large sends once the reader read');
  }));

test.run();
