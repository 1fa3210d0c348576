// A rep socket listening on tcp, abused by a raw node:net client: garbage, lies
// about message sizes, truncated frames and connection churn. After each abuse
// a real req client must still be answered, and memory must stay bounded.
//
// The SP wire format (nng's tcp transport): each side first sends an 8-byte
// header 00 'S' 'P' 00, its 16-bit big-endian protocol id, 00 00; then every
// message is a 64-bit big-endian length and that many bytes. A request body
// starts with a 32-bit request id whose top bit is set.
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NngSocket, nngStats, type SocketOptions } from '../../../appliance/bus/index.ts';
import { killIfFrozen, within } from '../../_support/nng.ts';

killIfFrozen();

/** Only a guard against a hung test: what never comes fails the test instead of blocking the run. */
const DEADLINE_MS = 10_000;
const REQ = 0x30;
const REP = 0x31;

function spHeader(protocol: number): Buffer {
  return Buffer.from([0x00, 0x53, 0x50, 0x00, protocol >> 8, protocol & 0xff, 0x00, 0x00]);
}

function lengthPrefix(length: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(length);
  return out;
}

function frame(body: Buffer): Buffer {
  return Buffer.concat([lengthPrefix(BigInt(body.length)), body]);
}

function requestBody(id: number, text: string): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE((0x80000000 | id) >>> 0);
  return Buffer.concat([head, Buffer.from(text)]);
}

interface RawOutcome {
  /** Everything the server sent. */
  readonly received: Buffer;
  /** Whether the server ended the connection (FIN or RST) before we did. */
  readonly closedByServer: boolean;
}

/**
 * Connects, writes `bytes`, then either waits for the server to close (`then:
 * 'wait'`), half-closes and waits for the server's close in turn (`'end'`), or
 * resets the connection at once (`'reset'`, nothing to wait for).
 */
function rawSession(port: number, bytes: Buffer, then: 'wait' | 'end' | 'reset'): Promise<RawOutcome> {
  return new Promise((done, fail) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closedByServer = false;
    let weEnded = false;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      if (!weEnded) closedByServer = true;
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') closedByServer = true;
      else fail(err);
    });
    socket.on('close', () => done({ received: Buffer.concat(chunks), closedByServer }));
    socket.on('connect', () => {
      if (bytes.length > 0) socket.write(bytes);
      if (then === 'end') {
        weEnded = true;
        socket.end();
      } else if (then === 'reset') {
        socket.resetAndDestroy();
      }
    });
  });
}

/** Runs `task` for 0..count-1, at most `parallel` at a time. */
async function inParallel(count: number, parallel: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next;
      next += 1;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
}

interface Server {
  readonly port: number;
  /** A real req client is answered: fails the test otherwise. */
  assertServes(what: string): Promise<void>;
  close(): Promise<void>;
}

/** A rep socket on tcp that answers every request with "echo: " and the request. */
async function startServer(options: SocketOptions = {}): Promise<Server> {
  const rep = await NngSocket.open('rep', options);
  const { port } = rep.listen('tcp://127.0.0.1:0');
  const serving = (async () => {
    for await (const request of rep) await rep.send(Buffer.concat([Buffer.from('echo: '), request]));
  })();
  let checks = 0;
  return {
    port,
    async assertServes(what: string): Promise<void> {
      const req = await NngSocket.open('req');
      try {
        req.dial(`tcp://127.0.0.1:${port}`);
        checks += 1;
        const question = `check ${checks} after ${what}`;
        await within(req.send(question), DEADLINE_MS, `the request after ${what}`);
        const answer = await within(req.recv(), DEADLINE_MS, `the reply after ${what}`);
        assert.is(answer.toString(), `echo: ${question}`, what);
      } finally {
        req.close();
      }
    },
    async close(): Promise<void> {
      rep.close();
      await serving;
    },
  };
}

async function withServer(body: (server: Server) => Promise<void>, options: SocketOptions = {}): Promise<void> {
  const server = await startServer(options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

async function closedByServer(port: number, bytes: Buffer, what: string): Promise<RawOutcome> {
  const outcome = await within(rawSession(port, bytes, 'wait'), DEADLINE_MS, `the server to close the connection after ${what}`);
  assert.ok(outcome.closedByServer, `${what}: the connection was not closed by the server`);
  return outcome;
}

test('NngSocket rep answers a raw client that speaks SP correctly (the control for the abuse below)', () =>
  withServer(async (server) => {
    const socket = connect(server.port, '127.0.0.1');
    try {
      const reply = new Promise<Buffer>((done, fail) => {
        let got = Buffer.alloc(0);
        socket.on('error', fail);
        socket.on('data', (chunk: Buffer) => {
          got = Buffer.concat([got, chunk]);
          const want = 8 + 8 + 4 + 'echo: hello'.length;
          if (got.length >= want) done(got);
        });
      });
      socket.write(Buffer.concat([spHeader(REQ), frame(requestBody(7, 'hello'))]));
      const got = await within(reply, DEADLINE_MS, 'the reply over the raw connection');
      assert.equal([...got.subarray(0, 8)], [...spHeader(REP)], 'the server announces rep');
      assert.is(got.readBigUInt64BE(8), BigInt(4 + 'echo: hello'.length));
      assert.is(got.readUInt32BE(16), (0x80000000 | 7) >>> 0, 'the reply carries the request id');
      assert.is(got.subarray(20).toString(), 'echo: hello');
    } finally {
      socket.destroy();
    }
  }));

test('NngSocket rep closes a connection that sends garbage instead of the SP header, and keeps answering', () =>
  withServer(async (server) => {
    const garbage: [string, Buffer][] = [
      ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
      ['random bytes', Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff))],
      ['a header with a bad signature', Buffer.from([0x00, 0x53, 0x51, 0x00, 0x00, REQ, 0x00, 0x00])],
      ['a header from an incompatible protocol (pub)', spHeader(0x20)],
      ['a header with non-zero reserved bytes', Buffer.from([0x00, 0x53, 0x50, 0x00, 0x00, REQ, 0xff, 0xff])],
    ];
    for (const [what, bytes] of garbage) {
      await closedByServer(server.port, bytes, what);
      await server.assertServes(what);
    }
  }));

test('NngSocket rep closes a connection that announces an oversized message, and keeps answering', async () => {
  const lengths: [string, bigint][] = [
    ['2^40 bytes', 2n ** 40n],
    ['2^63 bytes', 2n ** 63n],
    ['2^64 - 1 bytes', 2n ** 64n - 1n],
    ['one byte over recvMaxSize', 64n * 1024n + 1n],
  ];
  // With a limit (as the appliance sets one) and with nng's own default (1 MiB).
  for (const options of [{ recvMaxSize: 64 * 1024 }, {}] as SocketOptions[]) {
    await withServer(async (server) => {
      for (const [what, length] of lengths) {
        if (options.recvMaxSize === undefined && length < 2n ** 20n) continue;
        const outcome = await closedByServer(server.port, Buffer.concat([spHeader(REQ), lengthPrefix(length), Buffer.from('a little payload')]), what);
        assert.equal([...outcome.received], [...spHeader(REP)], `${what}: the server said more than its header`);
        await server.assertServes(`a length prefix of ${what} (${JSON.stringify(options)})`);
      }
    }, options);
  }
});

test('NngSocket rep survives truncated headers and frames, and a stalled connection does not hold up others', () =>
  withServer(async (server) => {
    const truncated: [string, Buffer][] = [
      ['half an SP header', spHeader(REQ).subarray(0, 3)],
      ['a header and half a length prefix', Buffer.concat([spHeader(REQ), lengthPrefix(100n).subarray(0, 5)])],
      ['a header, a length of 100 and 50 bytes', Buffer.concat([spHeader(REQ), lengthPrefix(100n), Buffer.alloc(50, 1)])],
      ['a frame cut inside the request id', Buffer.concat([spHeader(REQ), lengthPrefix(10n), Buffer.from([0x80, 0x00])])],
    ];
    for (const [what, bytes] of truncated) {
      // We half-close after the fragment; the server must notice the end and close too.
      const outcome = await within(rawSession(server.port, bytes, 'end'), DEADLINE_MS, `the server to close after ${what}`);
      assert.ok(outcome.received.length <= 8, `${what}: the server answered a fragment`);
      await server.assertServes(what);
    }
    // A client that stops mid-frame and stays connected must not block anyone else.
    const stalled = connect(server.port, '127.0.0.1');
    try {
      await new Promise<void>((done, fail) => {
        stalled.once('error', fail);
        stalled.once('connect', () => done());
      });
      stalled.write(Buffer.concat([spHeader(REQ), lengthPrefix(1000n), Buffer.alloc(10)]));
      await server.assertServes('a connection stalled mid-frame');
      await server.assertServes('a connection stalled mid-frame, again');
    } finally {
      stalled.destroy();
    }
  }));

test('NngSocket rep survives thousands of connect/disconnect cycles, and keeps answering', () =>
  withServer(async (server) => {
    const before = await nngStats();
    const cycles = 3_000;
    await within(
      inParallel(cycles, 50, async (i) => {
        // Alternately: a reset straight after connecting, a polite close with nothing said,
        // a reset right after a valid header, and a polite close right after it.
        const bytes = i % 4 >= 2 ? spHeader(REQ) : Buffer.alloc(0);
        await rawSession(server.port, bytes, i % 2 === 0 ? 'reset' : 'end');
      }),
      30_000,
      `${cycles} connect/disconnect cycles`,
    );
    await server.assertServes(`${cycles} connect/disconnect cycles`);
    const after = await nngStats();
    // The server's one pending receive, nothing left over from the churn.
    assert.is(after.outstanding, before.outstanding);
    assert.is(after.socketsOpen, before.socketsOpen);
  }));

/** Open file descriptors of this process: a leaked connection keeps its descriptor. */
function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

test('NngSocket rep: memory and descriptors stay bounded over 2,000 abusive connections', () =>
  withServer(async (server) => {
    const abuse = (i: number): Promise<RawOutcome> => {
      switch (i % 4) {
        case 0:
          return rawSession(server.port, Buffer.from('garbage garbage garbage'), 'wait');
        case 1:
          return rawSession(server.port, Buffer.concat([spHeader(REQ), lengthPrefix(2n ** 40n)]), 'wait');
        case 2:
          return rawSession(server.port, Buffer.concat([spHeader(REQ), lengthPrefix(4096n), Buffer.alloc(2048, 7)]), 'end');
        default:
          return rawSession(server.port, spHeader(REQ), 'end');
      }
    };
    const round = async (count: number): Promise<void> => {
      await within(
        inParallel(count, 50, async (i) => {
          await abuse(i);
        }),
        30_000,
        `${count} abusive connections`,
      );
    };
    // Warm up first, so that what is allocated once (nng's threads and pools, malloc
    // arenas, V8's code and heap for this loop, Node's socket machinery) is in the baseline.
    await round(400);
    await server.assertServes('the warm-up');
    const before = { rss: process.memoryUsage().rss, fds: openDescriptors(), stats: await nngStats() };

    const count = 2_000;
    await round(count);
    await server.assertServes(`${count} abusive connections`);
    const after = { rss: process.memoryUsage().rss, fds: openDescriptors(), stats: await nngStats() };

    // Every connection above ended with the server's close (we waited for it), so the
    // server's descriptors must be back: a pipe that nng failed to release keeps its socket.
    // A few of slack for descriptors Node or nng open lazily.
    assert.ok(after.fds - before.fds <= 8, `descriptors grew from ${before.fds} to ${after.fds} over ${count} connections`);
    assert.is(after.stats.outstanding, before.stats.outstanding);
    assert.is(after.stats.socketsOpen, before.stats.socketsOpen);
    // RSS is noisy (V8's heap grows and is collected when it likes, malloc keeps freed
    // memory in its arenas), so the bound is generous: 64 MiB over 2,000 connections is
    // 32 KiB per connection. It catches any leak of message-sized memory — one retained
    // 64 KiB read buffer or a claimed-size allocation per connection would blow it —
    // while small per-connection leaks show in the descriptor count above.
    const growth = after.rss - before.rss;
    assert.ok(growth < 64 * 1024 * 1024, `RSS grew by ${(growth / 1024 / 1024).toFixed(1)} MiB over ${count} abusive connections`);
  }));

test.run();
