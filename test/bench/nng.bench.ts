// The nng binding (NngSocket, appliance/bus) against zeromq.js 6 (libzmq 4.3.5)
// and against libnng itself driven from plain C (_nng-reference.c, linked with
// the same static libnng 1.5.2 as our addon), all over TCP loopback, measured
// in the same run: push/pull throughput and req/rep round-trip latency at 64 B
// and 4 KiB, and our binding's RSS over one million messages (flat = bounded
// memory). The C column says what the library can do on this machine, so the
// ratios split our gap to zeromq.js into the binding's share and the library's.
//
// Fairness: every measurement runs in a fresh pair of child processes, one per
// end (a sender and a receiver, or a requester and a replier), one library at a
// time; this orchestrating process loads neither library. Both libraries do
// their socket I/O on native threads of their own (nng's task and poller
// threads; libzmq's I/O thread) and hand results to the JS thread, so a pair of
// processes gives each library the same two JS threads and lets its native
// threads compete for the machine's cores in the same way, as two services on
// one appliance would. The same file is the child: `nng.bench.ts <role> <json>`.
// The C ends are processes of their own too; the bench compiles them at start
// (cc -O2) and fails if it cannot.
//
// Each library is used the way its documentation says is fastest and correct:
// - zeromq.js: `await sock.send(m)`; it allows one send in flight and resolves
//   synchronously while the high-water mark (1000 messages) has room, so the
//   loop never waits on a round trip; `await sock.receive()` likewise.
// - NngSocket: sends are not awaited one by one; up to SEND_WINDOW are in flight
//   (send() takes the non-blocking path when nng has room and keeps order when
//   it falls back to asynchronous I/O). Send and receive buffers are set to
//   1000 messages to match libzmq's default high-water marks.
// - libnng in C: one aio per socket whose callback starts the next operation
//   on nng's own thread (the fastest C we found; see _nng-reference.c), with
//   the same buffers. The textbook nng_sendmsg/nng_recvmsg loop is measured as
//   well for push/pull and printed below the table.
// Throughput is timed at the receiver, from message `warm` to the last (steady
// state, the sender streaming throughout); latency at the requester, per round trip.
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** nng: our binding; zmq: zeromq.js; c-aio and c-sync: _nng-reference.c in its two modes. */
type Lib = 'nng' | 'zmq' | 'c-aio' | 'c-sync';
type Role = 'pull' | 'push' | 'rep' | 'req';
interface Job {
  readonly lib: Lib;
  readonly size: number;
  readonly warm: number;
  readonly count: number;
  readonly port?: number;
  /** Message counts at which to sample RSS. */
  readonly rssAt?: readonly number[];
}
/** Bytes: resident set, V8 heap committed, and memory outside the V8 heap (buffers, addon allocations counted by Node). */
interface Memory {
  rss: number;
  heap: number;
  external: number;
}
interface Stats {
  completions: number;
  batches: number;
}
interface Report {
  port?: number;
  /** Receiver: nanoseconds from message `warm` to the last. */
  ns?: number;
  /** nng counters over the measured messages (0 for zeromq.js). */
  stats?: Stats;
  mem?: Memory[];
  p50?: number;
  p99?: number;
  outstanding?: number;
}

const SIZES = [64, 4096] as const;
const THROUGHPUT = { 64: { warm: 20_000, count: 200_000 }, 4096: { warm: 10_000, count: 100_000 } } as const;
const LATENCY = { warm: 2_000, count: 20_000 };
const RSS_AT = [0, 250_000, 500_000, 750_000, 1_000_000];
const SEND_WINDOW = 1000;
const QUEUE = 1000;
const PHASE_TIMEOUT_MS = 60_000;
const SELF = fileURLToPath(import.meta.url);
const ROOT = resolve(import.meta.dirname, '../..');
const NNG = join(ROOT, '.toolchain/nng');

/** Compiles _nng-reference.c against the static libnng our addon links; throws with cc's output if it fails. */
function compileReference(dir: string): string {
  const out = join(dir, 'nng-reference');
  const args = ['-O2', '-DNNG_STATIC_LIB', `-I${NNG}/include`, join(import.meta.dirname, '_nng-reference.c'), '-o', out];
  const r = spawnSync('cc', [...args, `${NNG}/lib/libnng.a`, '-lmbedtls', '-lmbedx509', '-lmbedcrypto', '-lpthread'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`cannot compile the libnng C reference (test/bench/_nng-reference.c; needs cc and ${NNG}, made by scripts/nng.sh): ${r.error?.message ?? r.stderr}`);
  }
  return out;
}
/** The compiled reference, set by main(). */
let reference = '';

// ---------------------------------------------------------------- the children

/** One end of a connection, library-neutral, so each role is written once. */
interface End {
  send(m: Buffer): Promise<void>;
  recv(): Promise<Buffer>;
  /** What the library's idiom needs before the next send: zeromq.js allows one in flight. */
  readonly serialSends: boolean;
  stats(): Promise<Stats>;
  outstanding(): Promise<number>;
  close(): void;
}

async function openEnd(lib: Lib, role: Role, port: number | undefined): Promise<{ end: End; port: number }> {
  const url = `tcp://127.0.0.1:${port ?? 0}`;
  if (lib === 'nng') {
    const { NngSocket, nngStats } = await import('../../appliance/bus/index.ts');
    const sock = await NngSocket.open(role, role === 'push' || role === 'pull' ? { sendBuffer: QUEUE, recvBuffer: QUEUE } : {});
    let bound = 0;
    if (port === undefined) bound = sock.listen(url).port;
    else sock.dial(url, { block: true });
    // The replier answers through a context, as BusServer does. Replying on the
    // socket itself is not safe yet: when the previous reply is still being
    // written, nng's non-blocking send consumes the request's routing state and
    // says EAGAIN, and send()'s asynchronous retry then fails with ESTATE.
    const channel = role === 'rep' ? sock.context() : sock;
    const end: End = {
      send: (m) => channel.send(m),
      recv: () => channel.recv({ timeoutMs: -1 }),
      serialSends: false,
      stats: async () => nngStats(),
      outstanding: async () => (await nngStats()).outstanding,
      close: () => sock.close(),
    };
    return { end, port: bound };
  }
  const zmq = await import('zeromq');
  const sock = role === 'push' ? new zmq.Push() : role === 'pull' ? new zmq.Pull() : role === 'req' ? new zmq.Request() : new zmq.Reply();
  sock.linger = 0;
  let bound = 0;
  if (port === undefined) {
    await sock.bind('tcp://127.0.0.1:*');
    bound = Number(/:(\d+)$/.exec(sock.lastEndpoint ?? '')?.[1]);
  } else {
    sock.connect(url);
  }
  const writable = sock as unknown as { send(m: Buffer): Promise<void> };
  const readable = sock as unknown as { receive(): Promise<Buffer[]> };
  const end: End = {
    send: (m) => writable.send(m),
    recv: async () => (await readable.receive())[0]!,
    serialSends: true,
    stats: async () => ({ completions: 0, batches: 0 }),
    outstanding: async () => 0,
    close: () => sock.close(),
  };
  return { end, port: bound };
}

const delta = (a: Stats, b: Stats): Stats => ({ completions: b.completions - a.completions, batches: b.batches - a.batches });
const memory = (): Memory => {
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapTotal, external: m.external };
};

async function child(role: Role, job: Job): Promise<void> {
  const report = (r: Report): void => void process.send!(r);
  const { end, port } = await openEnd(job.lib, role, job.port);
  // Stay up until told to stop: the peer may still be reading what we queued.
  process.once('message', () => {
    end.close();
    process.exit(0);
  });
  const total = job.warm + job.count;
  const rssAt = new Set(job.rssAt ?? []);
  const samples: Memory[] = [];
  const payload = Buffer.alloc(job.size, 0x61);

  if (role === 'pull' || role === 'rep') report({ port });
  if (role === 'pull') {
    let start = 0n;
    let before = await end.stats();
    for (let i = 0; i < total; i += 1) {
      if (rssAt.has(i)) samples.push(memory());
      if (i === job.warm) {
        start = process.hrtime.bigint();
        before = await end.stats();
      }
      const m = await end.recv();
      if (m.length !== job.size) throw new Error(`message ${i}: ${m.length} bytes, expected ${job.size}`);
    }
    const ns = Number(process.hrtime.bigint() - start);
    if (rssAt.has(total)) samples.push(memory());
    report({ ns, stats: delta(before, await end.stats()), mem: samples, outstanding: await end.outstanding() });
  } else if (role === 'push') {
    let before = await end.stats();
    if (end.serialSends) {
      for (let i = 0; i < total; i += 1) {
        if (rssAt.has(i)) samples.push(memory());
        if (i === job.warm) before = await end.stats();
        await end.send(payload);
      }
    } else {
      // A window of sends in flight: wait only when SEND_WINDOW are unsettled.
      let inFlight = 0;
      let failure: Error | undefined;
      let wake: (() => void) | undefined;
      const settled = (): void => {
        inFlight -= 1;
        const w = wake;
        wake = undefined;
        w?.();
      };
      const failed = (err: unknown): void => {
        failure ??= err instanceof Error ? err : new Error('send failed', { cause: err });
        settled();
      };
      for (let i = 0; i < total; i += 1) {
        if (rssAt.has(i)) samples.push(memory());
        if (i === job.warm) before = await end.stats();
        while (inFlight >= SEND_WINDOW) await new Promise<void>((r) => (wake = r));
        if (failure) throw failure;
        inFlight += 1;
        end.send(payload).then(settled, failed);
      }
      while (inFlight > 0) await new Promise<void>((r) => (wake = r));
      if (failure) throw failure;
    }
    if (rssAt.has(total)) samples.push(memory());
    report({ stats: delta(before, await end.stats()), mem: samples, outstanding: await end.outstanding() });
  } else if (role === 'rep') {
    for (;;) await end.send(await end.recv());
  } else {
    const times = new Float64Array(job.count);
    for (let i = 0; i < total; i += 1) {
      const t = process.hrtime.bigint();
      await end.send(payload);
      const m = await end.recv();
      if (i >= job.warm) times[i - job.warm] = Number(process.hrtime.bigint() - t) / 1000;
      if (m.length !== job.size) throw new Error(`reply ${i}: ${m.length} bytes, expected ${job.size}`);
    }
    times.sort();
    report({ p50: times[Math.floor(times.length * 0.5)]!, p99: times[Math.floor(times.length * 0.99)]! });
  }
}

// ---------------------------------------------------------------- the orchestrator

interface Running {
  readonly proc: ChildProcess;
  /** The next report. */
  next(): Promise<Report>;
  /** Asks the end to close and exit. */
  halt(): void;
}

/** The C end's arguments (see _nng-reference.c). */
function referenceArgs(role: Role, job: Job): string[] {
  const mode = job.lib === 'c-aio' ? 'aio' : 'sync';
  const n = (x: number): string => String(x);
  if (role === 'pull') return [mode, role, n(job.size), n(job.warm), n(job.count)];
  if (role === 'push') return [mode, role, n(job.size), n(job.warm + job.count), n(job.port!)];
  if (role === 'rep') return [mode, role, n(job.size)];
  return [mode, role, n(job.size), n(job.warm), n(job.count), n(job.port!)];
}

function start(role: Role, job: Job): Running {
  const queue: Report[] = [];
  const waiting: { ok(r: Report): void; fail(e: Error): void }[] = [];
  let gone: Error | undefined;
  const deliver = (r: Report): void => {
    const w = waiting.shift();
    if (w) w.ok(r);
    else queue.push(r);
  };
  let proc: ChildProcess;
  let halt: () => void;
  if (job.lib === 'c-aio' || job.lib === 'c-sync') {
    // Reports are JSON lines on stdout; closing stdin says stop (rep serves until killed).
    proc = spawn(reference, referenceArgs(role, job), { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: proc.stdout! }).on('line', (line) => deliver(JSON.parse(line) as Report));
    proc.stdin!.on('error', () => undefined); // a reference that already exited: its exit says so
    halt = () => (role === 'rep' ? proc.kill('SIGTERM') : proc.stdin!.end());
  } else {
    proc = fork(SELF, [role, JSON.stringify(job)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    proc.on('message', deliver);
    halt = () => proc.send('stop');
  }
  proc.on('exit', (code, signal) => {
    gone = new Error(`${job.lib} ${role} exited (${code ?? signal}) before reporting`);
    for (const w of waiting.splice(0)) w.fail(gone);
  });
  return {
    proc,
    halt,
    next: () =>
      new Promise<Report>((ok, fail) => {
        const r = queue.shift();
        if (r) ok(r);
        else if (gone) fail(gone);
        else waiting.push({ ok, fail });
      }),
  };
}

async function stop(...ends: Running[]): Promise<void> {
  await Promise.all(
    ends.map(async (e) => {
      if (e.proc.exitCode !== null || e.proc.signalCode !== null) return;
      const exited = new Promise((r) => e.proc.once('exit', r));
      e.halt();
      const timer = setTimeout(() => e.proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

/** Runs body with a deadline; whatever it started (pushed onto `ends`) is gone afterwards. */
async function phase<T>(what: string, ends: Running[], body: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what}: no result within ${PHASE_TIMEOUT_MS / 1000} s`)), PHASE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([body(), deadline]);
  } finally {
    clearTimeout(timer);
    for (const e of ends) if (e.proc.exitCode === null) e.proc.kill('SIGKILL');
    await Promise.all(ends.map((e) => (e.proc.exitCode === null && e.proc.signalCode === null ? new Promise((r) => e.proc.once('exit', r)) : Promise.resolve())));
  }
}

async function pushPull(job: Job): Promise<{ receiver: Report; sender: Report }> {
  const receiver = start('pull', job);
  const ends = [receiver];
  return phase(`${job.lib} push/pull ${job.size} B`, ends, async () => {
    const { port } = await receiver.next();
    const sender = start('push', { ...job, port: port! });
    ends.push(sender);
    try {
      const [r, s] = await Promise.all([receiver.next(), sender.next()]);
      return { receiver: r, sender: s };
    } finally {
      await stop(receiver, sender);
    }
  });
}

async function reqRep(job: Job): Promise<Report> {
  const replier = start('rep', job);
  const ends = [replier];
  return phase(`${job.lib} req/rep ${job.size} B`, ends, async () => {
    const { port } = await replier.next();
    const requester = start('req', { ...job, port: port! });
    ends.push(requester);
    try {
      return await requester.next();
    } finally {
      await stop(requester, replier);
    }
  });
}

async function main(): Promise<void> {
  const began = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'nng-bench-'));
  try {
    reference = compileReference(dir);
    await measure(began);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(began: number): Promise<void> {
  const rows: string[][] = [['figure', 'alliance-nng', 'zeromq.js', 'libnng C', 'ours/zmq', 'ours/C', 'better']];
  const notes: string[] = [];
  const syncC: string[] = [];
  const size = (n: number): string => (n >= 1024 ? `${n / 1024} KiB` : `${n} B`);
  const perBatch = (s: Stats): string => `${s.completions} async completions in ${s.batches} batches (${s.batches ? (s.completions / s.batches).toFixed(1) : '-'} per batch)`;
  const x = (ratio: number): string => `${ratio.toFixed(2)}x`;
  const row = (figure: string, ours: number, zmq: number, c: number, digits: number, better: string): string[] => [
    figure,
    ours.toFixed(digits),
    zmq.toFixed(digits),
    c.toFixed(digits),
    x(ours / zmq),
    x(ours / c),
    better,
  ];

  for (const bytes of SIZES) {
    const { warm, count } = THROUGHPUT[bytes];
    const rate = async (lib: Lib): Promise<{ perS: number; sender: Report; receiver: Report }> => {
      const r = await pushPull({ lib, size: bytes, warm, count });
      return { ...r, perS: count / (r.receiver.ns! / 1e9) };
    };
    const nng = await rate('nng');
    const zmq = await rate('zmq');
    const c = await rate('c-aio');
    const cSync = await rate('c-sync');
    rows.push(row(`push/pull ${size(bytes)} (msg/s)`, nng.perS, zmq.perS, c.perS, 0, 'higher'));
    notes.push(`push/pull ${size(bytes)}, ${count} msgs: sender ${perBatch(nng.sender.stats!)}; receiver ${perBatch(nng.receiver.stats!)}`);
    syncC.push(`push/pull ${size(bytes)}: ${cSync.perS.toFixed(0)} msg/s (ours ${x(nng.perS / cSync.perS)} of it)`);
  }
  for (const bytes of SIZES) {
    const nng = await reqRep({ lib: 'nng', size: bytes, ...LATENCY });
    const zmq = await reqRep({ lib: 'zmq', size: bytes, ...LATENCY });
    const c = await reqRep({ lib: 'c-aio', size: bytes, ...LATENCY });
    rows.push(row(`req/rep ${size(bytes)} p50 (µs)`, nng.p50!, zmq.p50!, c.p50!, 1, 'lower'));
    rows.push(row(`req/rep ${size(bytes)} p99 (µs)`, nng.p99!, zmq.p99!, c.p99!, 1, 'lower'));
  }
  const last = RSS_AT[RSS_AT.length - 1]!;
  const mem = await pushPull({ lib: 'nng', size: 64, warm: 0, count: last, rssAt: RSS_AT });
  const mib = (b: number): string => (b / 1048576).toFixed(1);
  const signed = (b: number): string => `${b >= 0 ? '+' : ''}${mib(b)}`;
  const growth = (xs: number[]): string => `${signed(xs[xs.length - 1]! - xs[0]!)} MiB from 0, ${signed(xs[xs.length - 1]! - xs[1]!)} MiB from ${RSS_AT[1]! / 1000}k`;
  const ratePerS = last / (mem.receiver.ns! / 1e9);
  rows.push([`push/pull 64 B x ${last / 1e6}M (msg/s)`, ratePerS.toFixed(0), '-', '-', '-', '-', 'higher']);

  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
  console.log('\nratios: alliance-nng / zeromq.js and alliance-nng / libnng C (throughput above 1 = ours faster; latency below 1 = ours faster)');
  console.log('libnng C: _nng-reference.c, aio callbacks on nng\'s threads; the binding\'s share of the gap is ours/C, the library\'s is C/zmq');
  console.log('\nlibnng C with the sync API (nng_sendmsg/nng_recvmsg loops, one thread hand-off per message):');
  for (const n of syncC) console.log(`  ${n}`);
  console.log('\nnng completions (asynchronous operations; the rest took the synchronous path):');
  for (const n of notes) console.log(`  ${n}`);
  console.log(`\nRSS of our binding over ${last / 1e6}M 64 B push/pull messages (MiB at ${RSS_AT.map((n) => `${n / 1000}k`).join(', ')}):`);
  for (const [side, samples] of [['receiver', mem.receiver.mem!], ['sender', mem.sender.mem!]] as const) {
    const rssSeries = samples.map((m) => m.rss);
    console.log(`  ${side.padEnd(8)} RSS      ${rssSeries.map(mib).join(', ')}  (${growth(rssSeries)})`);
    console.log(`  ${''.padEnd(8)} V8 heap  ${samples.map((m) => mib(m.heap)).join(', ')}; external ${samples.map((m) => mib(m.external)).join(', ')}`);
  }
  console.log(`  operations outstanding at the end: receiver ${mem.receiver.outstanding}, sender ${mem.sender.outstanding}`);
  console.log(`\n${((performance.now() - began) / 1000).toFixed(0)} s`);
}

const role = process.argv[2] as Role | undefined;
if (role !== undefined) {
  child(role, JSON.parse(process.argv[3]!) as Job).catch((err: unknown) => {
    console.error(`${role}:`, err);
    process.exit(1);
  });
} else {
  await main();
}
