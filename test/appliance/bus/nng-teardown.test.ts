// Process teardown with the nng binding loaded: child Node processes exit with
// sockets open and operations pending, drop sockets to the garbage collector,
// and close sockets under a storm of operations. The child's exit status is
// the verdict: a crash in native code shows as a signal, a hang as a deadline.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUS_MODULE, startScript, stillPendingAfter, within, withTempDir, type Child } from '../../_support/nng.ts';

/** Only a guard against a hung test; a child that needs longer than this to exit has hung. */
const DEADLINE_MS = 15_000;

/** The start of every child script: the binding, and a way to report a result as one JSON line. */
const PRELUDE = `
import { NngSocket, nngStats } from ${JSON.stringify(BUS_MODULE)};
const report = (label: string, value: unknown): void => { process.stdout.write(label + ' ' + JSON.stringify(value) + '\\n'); };
void NngSocket; void nngStats; void report;
`;

async function withScript<T>(name: string, body: string, flags: readonly string[], run: (child: Child) => Promise<T>): Promise<T> {
  return withTempDir('nng-teardown', async (dir) => {
    const child = startScript(dir, name, PRELUDE + body, flags);
    try {
      return await run(child);
    } finally {
      child.kill();
    }
  });
}

/** The JSON a child reported under `label`. */
function reported<T>(child: Child, label: string): T {
  const line = child
    .stdout()
    .split('\n')
    .find((l) => l.startsWith(`${label} `));
  if (line === undefined) throw new Error(`the child reported no ${label}; stdout ${JSON.stringify(child.stdout())}, stderr ${JSON.stringify(child.stderr())}`);
  return JSON.parse(line.slice(label.length + 1)) as T;
}

async function expectCleanExit(child: Child, code: number, what: string): Promise<void> {
  const exit = await within(child.exited, DEADLINE_MS, `${what}: the child to exit`);
  assert.equal(exit, { code, signal: null }, `${what}: stderr ${JSON.stringify(child.stderr())}`);
}

/** A child with every kind of operation pending, and traffic in flight, when it ends. */
const BUSY = `
const rep = await NngSocket.open('rep');
const { port } = rep.listen('tcp://127.0.0.1:0');
void rep.recv().catch(() => undefined);
const contexts = Array.from({ length: 8 }, () => rep.context());
for (const ctx of contexts) void ctx.recv().catch(() => undefined);

const lonelyReq = await NngSocket.open('req');
lonelyReq.dial('ipc:///nonexistent/alliance-nng-teardown.sock');
void lonelyReq.send('nobody will take this').catch(() => undefined);

const pull = await NngSocket.open('pull', { recvBuffer: 1 });
pull.listen('inproc://teardown-backpressure');
const blocked = await NngSocket.open('push', { sendBuffer: 1 });
blocked.dial('inproc://teardown-backpressure', { block: true });
for (let i = 0; i < 100; i += 1) void blocked.send('stuck ' + i).catch(() => undefined);

// A stream over tcp, so completions are being queued by nng's threads at the very moment of exit.
const sink = await NngSocket.open('pull');
const sinkPort = sink.listen('tcp://127.0.0.1:0').port;
const source = await NngSocket.open('push');
source.dial('tcp://127.0.0.1:' + sinkPort);
let received = 0;
void (async () => { for (;;) { await sink.recv(); received += 1; } })().catch(() => undefined);
void (async () => { for (;;) await source.send(Buffer.alloc(512)); })().catch(() => undefined);
const asker = await NngSocket.open('req');
asker.dial('tcp://127.0.0.1:' + port);
void asker.send('a question nobody answers').catch(() => undefined);

await new Promise<void>((done) => { const check = (): void => { if (received >= 1000) done(); else setImmediate(check); }; check(); });
report('busy', await nngStats());
`;

test('NngSocket: a process with sockets open and operations pending exits 0 promptly on process.exit()', () =>
  withScript('exit-busy', `${BUSY}\nprocess.exit(0);\n`, [], async (child) => {
    await expectCleanExit(child, 0, 'process.exit(0) with operations pending');
    const busy = reported<{ outstanding: number; socketsOpen: number }>(child, 'busy');
    assert.ok(busy.outstanding > 100, `only ${busy.outstanding} operations were pending at exit`);
    assert.is(busy.socketsOpen, 7);
    assert.is(child.stderr(), '');
  }));

test('NngSocket: a process exits 0 when process.exit() is called from a completion handler while others complete', () =>
  withScript('exit-in-handler', `${BUSY}\nvoid sink.recv().then(() => process.exit(0));\n`, [], async (child) => {
    await expectCleanExit(child, 0, 'process.exit(0) inside a completion');
    assert.is(child.stderr(), '');
  }));

test('NngSocket: a process with operations pending that throws an uncaught error exits 1, not by a signal', () =>
  withScript('throw-busy', `${BUSY}\nsetImmediate(() => { throw new Error('deliberate'); });\n`, [], async (child) => {
    await expectCleanExit(child, 1, 'an uncaught error with operations pending');
    assert.match(child.stderr(), /deliberate/);
  }));

test('NngSocket: a process with sockets open but nothing pending ends naturally, exit 0', () =>
  withScript(
    'natural-end',
    `
const rep = await NngSocket.open('rep');
const { port } = rep.listen('tcp://127.0.0.1:0');
const req = await NngSocket.open('req');
req.dial('tcp://127.0.0.1:' + port);
await req.send('hello');
await rep.recv();
await rep.send('hi');
await req.recv();
const pub = await NngSocket.open('pub');
pub.listen('inproc://natural-end');
const sub = await NngSocket.open('sub');
sub.dial('inproc://natural-end');
const ctx = rep.context();
void ctx;
// A signal listener must not be what keeps a process alive (the next test relies on one).
process.once('SIGUSR2', () => undefined);
report('open', await nngStats());
`,
    [],
    async (child) => {
      await expectCleanExit(child, 0, 'the natural end with sockets open');
      assert.equal(reported<{ outstanding: number; socketsOpen: number }>(child, 'open').socketsOpen, 4);
      assert.is(child.stderr(), '');
    },
  ));

test('NngSocket.recv() pending keeps a process alive like a listening server, and close() lets it end', () =>
  withScript(
    'pending-receive',
    `
const rep = await NngSocket.open('rep');
rep.listen('tcp://127.0.0.1:0');
process.once('SIGUSR2', () => rep.close());
rep.recv().then(
  () => report('receive', 'resolved'),
  (err: { code?: string }) => report('receive', err.code),
);
report('waiting', await nngStats());
`,
    [],
    async (child) => {
      await within(child.printed('waiting '), DEADLINE_MS, 'the child to start waiting');
      assert.is(reported<{ outstanding: number }>(child, 'waiting').outstanding, 1);
      // Nothing but the pending receive holds the child: it must still be there after a while.
      assert.ok(await stillPendingAfter(child.exited, 500), `the child ended with a receive pending: ${child.stdout()}`);
      child.process.kill('SIGUSR2');
      await expectCleanExit(child, 0, 'the end after close()');
      assert.is(reported<string>(child, 'receive'), 'ECLOSED');
      assert.is(child.stderr(), '');
    },
  ));

test('NngSocket objects dropped to the garbage collector are closed (socketsOpen goes down) while other sockets keep working', () =>
  withScript(
    'gc-drop',
    `
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const rep = await NngSocket.open('rep');
const { port } = rep.listen('tcp://127.0.0.1:0');
const req = await NngSocket.open('req');
req.dial('tcp://127.0.0.1:' + port);
const pull = await NngSocket.open('pull');
pull.listen('inproc://gc-drop-stream');
const push = await NngSocket.open('push');
push.dial('inproc://gc-drop-stream');
const kept = 4;
const protocols = ['pub', 'sub', 'push', 'pull', 'bus', 'pair1', 'surveyor', 'respondent', 'req', 'rep'] as const;

let litterId = 0;
async function litter(count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const s = await NngSocket.open(protocols[i % protocols.length]!);
    litterId += 1;
    if (i % 3 === 0) s.listen('inproc://gc-drop-litter-' + litterId);
    else if (i % 3 === 1) s.listen('tcp://127.0.0.1:0');
    else s.dial('tcp://127.0.0.1:' + port); // a connection to the working rep (refused unless req)
  }
}

let peak = 0;
for (let round = 0; round < 10; round += 1) {
  await litter(30);
  peak = Math.max(peak, (await nngStats()).socketsOpen);
  gc();
  // The working sockets carry on between collections.
  await req.send('round ' + round);
  const question = await rep.recv();
  await rep.send(question);
  if ((await req.recv()).toString() !== 'round ' + round) throw new Error('wrong answer in round ' + round);
  const sends = Array.from({ length: 200 }, (_, i) => push.send(String(i)));
  for (let i = 0; i < 200; i += 1) if ((await pull.recv()).toString() !== String(i)) throw new Error('out of order');
  await Promise.all(sends);
}
// Finalizers run after a collection, on the event loop: collect and yield until they have.
const deadline = Date.now() + 10_000;
while ((await nngStats()).socketsOpen > kept && Date.now() < deadline) {
  gc();
  await new Promise((done) => setImmediate(done));
}
report('sockets', { peak, final: (await nngStats()).socketsOpen, kept });
for (const s of [rep, req, pull, push]) s.close();
`,
    ['--expose-gc'],
    async (child) => {
      await expectCleanExit(child, 0, 'collecting dropped sockets');
      const sockets = reported<{ peak: number; final: number; kept: number }>(child, 'sockets');
      assert.ok(sockets.peak > sockets.kept + 20, `peak ${sockets.peak}`);
      assert.is(sockets.final, sockets.kept, 'dropped sockets were not closed by the collector');
      assert.is(child.stderr(), '');
    },
  ));

test('NngContext keeps its socket open when only the context is referenced and the collector runs', () =>
  withScript(
    'gc-context',
    `
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
async function contextOnly() {
  const rep = await NngSocket.open('rep');
  rep.listen('inproc://gc-context');
  return rep.context();
}
const ctx = await contextOnly(); // the NngSocket itself is unreachable from here on
const req = await NngSocket.open('req');
req.dial('inproc://gc-context');
for (let i = 0; i < 5; i += 1) {
  gc();
  await new Promise((done) => setImmediate(done));
}
report('after gc', await nngStats());
const question = ctx.recv();
void req.send('still there?').catch(() => undefined); // pends forever if the rep socket is gone
const outcome = await question.then(
  async (q) => { await ctx.send('yes: ' + q.toString()); return (await req.recv()).toString(); },
  (err: { code?: string }) => 'failed: ' + err.code,
);
report('outcome', outcome);
ctx.close();
req.close();
`,
    ['--expose-gc'],
    async (child) => {
      await expectCleanExit(child, 0, 'a context outliving its socket object');
      assert.is(reported<string>(child, 'outcome'), 'yes: still there?');
      assert.is(reported<{ socketsOpen: number }>(child, 'after gc').socketsOpen, 2);
    },
  ));

test('NngSocket.close() with 1,000 sends and 1,000 receives in flight settles every promise, no crash', () =>
  withScript(
    'close-storm',
    `
// This script lies in a temporary directory of its own: the ipc sockets go there too.
const transports = ['inproc://close-storm-', 'ipc://' + import.meta.dirname + '/storm-', 'tcp://127.0.0.1:0'];
const results: { url: string; fulfilled: number; closed: number; other: string[]; pendingBeforeClose: number }[] = [];
for (let iteration = 0; iteration < 9; iteration += 1) {
  const base = transports[iteration % 3]!;
  const near = await NngSocket.open('pair1', { sendBuffer: 4, recvBuffer: 4 });
  const url = base.startsWith('tcp') ? 'tcp://127.0.0.1:' + near.listen(base).port : base + iteration;
  if (!base.startsWith('tcp')) near.listen(url);
  // The peer is connected but silent: sends fill the buffers and wait, receives wait.
  const far = await NngSocket.open('pair1', { sendBuffer: 4, recvBuffer: 4 });
  far.dial(url, { block: true });
  const ops: Promise<unknown>[] = [];
  for (let i = 0; i < 1000; i += 1) {
    ops.push(near.send('from near ' + i));
    ops.push(near.recv());
  }
  const pendingBeforeClose = (await nngStats()).outstanding;
  near.close();
  const settled = await Promise.allSettled(ops);
  far.close();
  const other: string[] = [];
  let fulfilled = 0;
  let closed = 0;
  for (const s of settled) {
    if (s.status === 'fulfilled') fulfilled += 1;
    else if ((s.reason as { code?: string }).code === 'ECLOSED') closed += 1;
    else other.push(String(s.reason));
  }
  results.push({ url, fulfilled, closed, other, pendingBeforeClose });
}
report('storm', { results, after: await nngStats() });
`,
    [],
    async (child) => {
      await expectCleanExit(child, 0, 'closing under a storm of operations');
      const { results, after } = reported<{
        results: { url: string; fulfilled: number; closed: number; other: string[]; pendingBeforeClose: number }[];
        after: { outstanding: number; pendingPromises: number; socketsOpen: number };
      }>(child, 'storm');
      assert.is(results.length, 9);
      for (const r of results) {
        assert.is(r.fulfilled + r.closed, 2000, `${r.url}: ${JSON.stringify(r)}`);
        assert.equal(r.other, [], r.url);
        // The close must have caught operations in flight, or this test proved nothing.
        assert.ok(r.closed >= 1000 && r.pendingBeforeClose >= 1000, `${r.url}: too little was in flight at close: ${JSON.stringify(r)}`);
      }
      assert.equal({ outstanding: after.outstanding, pendingPromises: after.pendingPromises, socketsOpen: after.socketsOpen }, { outstanding: 0, pendingPromises: 0, socketsOpen: 0 });
      assert.is(child.stderr(), '');
    },
  ));

// Unpatched libnng 1.5.2 deadlocks here within a few rounds: a transport resubmits
// a partial read after its pipe was closed, libnng drops that operation without a
// callback, and nng_close() waits for the pipe for ever (nanomsg/nng#1543). Our
// patch (appliance/bus/native/nng-patches/) completes such an operation with
// NNG_ECLOSED. nng_close() runs on the JS thread, so a hang stops the whole child.
test('NngSocket.close() returns while the peer is still sending and receiving', () =>
  withScript(
    'close-under-traffic',
    `
const transports = ['ipc://' + import.meta.dirname + '/traffic-', 'tcp://127.0.0.1:0'];
for (let iteration = 0; iteration < 80; iteration += 1) {
  const base = transports[iteration % 2]!;
  const near = await NngSocket.open('pair1');
  const url = base.startsWith('tcp') ? 'tcp://127.0.0.1:' + near.listen(base).port : base + iteration;
  if (!base.startsWith('tcp')) near.listen(url);
  const far = await NngSocket.open('pair1');
  far.dial(url, { block: true });
  let stop = false;
  let received = 0;
  let flowing!: () => void;
  const traffic = new Promise<void>((done) => (flowing = done));
  const loops = [
    (async () => { while (!stop) await far.send('from far'); })().catch(() => undefined),
    (async () => { while (!stop) await far.recv(); })().catch(() => undefined),
    (async () => { while (!stop) { await near.recv(); received += 1; if (received === 100) flowing(); } })().catch(() => undefined),
  ];
  await traffic; // close in the middle of the exchange, not before it starts
  // And with plenty in flight on the closing side, as a busy node would have.
  for (let i = 0; i < 500; i += 1) {
    loops.push(near.send('from near ' + i).catch(() => undefined));
    loops.push(near.recv().catch(() => undefined));
  }
  report('closing', { iteration, url });
  near.close();
  report('closed', { iteration });
  stop = true;
  far.close();
  await Promise.all(loops);
}
report('done', await nngStats());
`,
    [],
    async (child) => {
      const exit = await within(child.exited, 15_000, 'the child to exit').catch(() => undefined);
      const lines = child.stdout().trim().split('\n');
      assert.ok(exit !== undefined, `the child hung after ${JSON.stringify(lines.at(-1))}: nng_close() did not return (libnng's close deadlock)`);
      assert.equal(exit, { code: 0, signal: null }, child.stderr());
      assert.is(reported<{ outstanding: number; socketsOpen: number }>(child, 'done').socketsOpen, 0);
    },
  ));

test.run();
