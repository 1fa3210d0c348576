// The network-boot path under load, ours against plain dnsmasq measured in the same run:
//  1. 100 DHCP clients at once (busybox udhcpc on 100 veths in a namespace, each
//     with its own MAC) against `dist/alliance serve` with the boot service on, and
//     against dnsmasq alone with a hand-written config (same interface and range,
//     its own lease file, no hook, no hosts dir) plus a static HTTP server giving a
//     fixed iPXE text. Per client: time to its lease, and to its lease and its iPXE
//     script (/boot/host?mac=...); all 100: wall time, and the time until every lease
//     is recorded (ours: in the appliance store through the hook; dnsmasq: its lease file).
//     The sides alternate, BOOT_BENCH_RUNS times each (default 3); medians and ratios.
//  2. Power-on to enrolled: 1, then 4 concurrent qemu machines (TCG, BIOS, e1000)
//     network-boot the host image (image/out/host) with boot.unknown_hosts=admit;
//     from qemu start to the host being `active` in `alliance hosts list`.
//     BENCH_VMS=0 skips it (it takes minutes under TCG); BENCH_VMS_TIMEOUT_S bounds it.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { cleanEnv, ROOT, runCli, startServe, tempDir, type ServingAppliance } from '../_support/appliance-process.ts';
import { startPxeVm, type PxeVm } from '../_support/pxe-vm.ts';
import type { ClientResult } from './_boot-dhcp-clients.ts';
import { bootRunDir } from '../../services/boot/boot-service.ts';

const CLIENTS = Number(process.env.BOOT_BENCH_CLIENTS ?? 100);
const RUNS = Number(process.env.BOOT_BENCH_RUNS ?? 3);
// udhcpc -t: discovers 1 s apart before giving up. With 5, most of 100 new clients get no lease from
// either side: dnsmasq's ping check before offering a new address (see the report in the output).
const TRIES = Number(process.env.BOOT_BENCH_UDHCPC_TRIES ?? 60);
const VMS = process.env.BENCH_VMS !== '0';
const DHCP = process.env.BENCH_DHCP !== '0';
/** When set, the appliance's log lines of each part are written there (for a report). */
const LOG_DIR = process.env.BOOT_BENCH_LOG_DIR;
const VM_TIMEOUT_MS = Number(process.env.BENCH_VMS_TIMEOUT_S ?? 900) * 1000;
const SUBNET = '10.97.0';
const SERVER = `${SUBNET}.1`;
const CLIENT_STATIC = `${SUBNET}.2`;
const RANGE_START = `${SUBNET}.20`;
const RANGE_END = `${SUBNET}.200`; // 181 addresses
const HTTPS_PORT = 18443;
const BOOT_HTTP_PORT = 18081;
const MAC_PREFIX = '52:54:00:b7:00';
const IMAGE_DIR = join(ROOT, 'image', 'out', 'host');
const CLIENTS_SCRIPT = resolve(import.meta.dirname, '_boot-dhcp-clients.ts');

const tag = `bb${process.pid % 100000}`;
const NS = { bridge: `${tag}-br`, server: `${tag}-srv`, clients: `${tag}-cli` };

// Everything to undo, newest first, run in the finally (and on SIGINT/SIGTERM).
const cleanups: (() => void | Promise<void>)[] = [];
async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()!();
    } catch (err) {
      console.error(`cleanup: ${(err as Error).message}`);
    }
  }
}
function forget(step: () => void | Promise<void>): void {
  const i = cleanups.indexOf(step);
  if (i >= 0) cleanups.splice(i, 1);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanUp().then(() => process.exit(130)));

const ip = (args: readonly string[]): void => void execFileSync('ip', [...args], { stdio: ['ignore', 'ignore', 'pipe'] });
const ipBatch = (ns: string, lines: readonly string[]): void => void execFileSync('ip', ['-n', ns, '-batch', '-'], { input: `${lines.join('\n')}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
const inNs = (ns: string, command: readonly string[]): void => void execFileSync('ip', ['netns', 'exec', ns, ...command], { stdio: ['ignore', 'ignore', 'pipe'] });
/** UDP datagrams the server's namespace dropped for a full receive buffer (dnsmasq not reading). */
function udpRcvbufErrors(): number {
  const snmp = execFileSync('ip', ['netns', 'exec', NS.server, 'cat', '/proc/net/snmp'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('Udp:'));
  const [names, values] = snmp.map((l) => l.split(/\s+/));
  const i = names?.indexOf('RcvbufErrors') ?? -1;
  return i < 0 ? NaN : Number(values?.[i]);
}
const macOf = (i: number): string => `${MAC_PREFIX}:${i.toString(16).padStart(2, '0')}`;

/** A bridge namespace; the server's eth0 and the clients' c0..c<N-1> are veths on its br0. */
function buildTopology(): void {
  for (const ns of [NS.bridge, NS.server, NS.clients]) {
    ip(['netns', 'add', ns]);
    cleanups.push(() => ip(['netns', 'del', ns]));
    inNs(ns, ['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  }
  const bridgeLines = ['link add br0 type bridge', 'link set br0 up', `link add s0 type veth peer name eth0 netns ${NS.server}`, 'link set s0 master br0 up'];
  for (let i = 0; i < CLIENTS; i += 1) bridgeLines.push(`link add v${i} type veth peer name c${i} address ${macOf(i)} netns ${NS.clients}`, `link set v${i} master br0 up`);
  ipBatch(NS.bridge, bridgeLines);
  ipBatch(NS.server, [`addr add ${SERVER}/24 dev eth0`, 'link set eth0 up', 'link set lo up']);
  // c0 also carries a static address outside the range: the HTTP fetches leave from it (udhcpc only asks, -s /bin/true configures nothing).
  ipBatch(NS.clients, ['link set lo up', ...Array.from({ length: CLIENTS }, (_, i) => `link set c${i} up`), `addr add ${CLIENT_STATIC}/24 dev c0`]);
}

type Side = 'ours' | 'dnsmasq' | 'dnsmasq no-ping';

interface RunResult {
  readonly side: Side;
  readonly clients: ClientResult[];
  /** ms from the start to the last script (NaN when some client failed). */
  readonly wallMs: number;
  /** ms from the start until every lease was recorded (NaN: not within the wait). */
  readonly recordedMs: number;
  readonly recorded: number;
  readonly notes: string[];
}

async function runClients(notes: string[]): Promise<{ start: number; results: ClientResult[] }> {
  const dropsBefore = udpRcvbufErrors();
  const outcome = await runClientsOnce();
  const drops = udpRcvbufErrors() - dropsBefore;
  if (drops > 0) notes.push(`${drops} UDP datagrams dropped at the server for a full receive buffer (UDP RcvbufErrors)`);
  return outcome;
}

function runClientsOnce(): Promise<{ start: number; results: ClientResult[] }> {
  return new Promise((done, fail) => {
    const child = spawn('ip', ['netns', 'exec', NS.clients, process.execPath, '--import', 'tsx', CLIENTS_SCRIPT, SERVER, String(BOOT_HTTP_PORT), String(CLIENTS), MAC_PREFIX, String(TRIES)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => {
      try {
        done(JSON.parse(out) as { start: number; results: ClientResult[] });
      } catch {
        fail(new Error(`the client driver exited ${code}: ${err.slice(-2000)}`));
      }
    });
  });
}

/** Waits until `target` leases (those the clients obtained) are recorded. */
async function waitRecorded(start: number, target: number, count: () => number, timeoutMs: number, pollMs: number): Promise<{ ms: number; n: number }> {
  const deadline = Date.now() + timeoutMs;
  let n = count();
  while (n < target && Date.now() < deadline) {
    await sleep(pollMs);
    n = count();
  }
  return { ms: n >= target ? Date.now() - start : NaN, n };
}

const leased = (results: ClientResult[]): number => results.filter((c) => c.ip !== null).length;

function summarise(side: Side, start: number, clients: ClientResult[], recorded: { ms: number; n: number }, notes: string[]): RunResult {
  const ok = clients.filter((c) => c.scriptMs !== null && c.error === null);
  // Over the clients that got their lease and script; the failures are counted beside.
  const wallMs = ok.length > 0 ? Math.max(...ok.map((c) => c.scriptMs!)) : NaN;
  for (const c of clients.filter((x) => x.error !== null).slice(0, 5)) notes.push(`${c.iface} ${c.mac}: ${c.error}`);
  const failed = clients.length - ok.length;
  if (failed > 0) notes.push(`${failed} of ${clients.length} clients failed`);
  void start;
  return { side, clients, wallMs, recordedMs: recorded.ms, recorded: recorded.n, notes };
}

// ---- ours

function serveSettings(policy: 'discover' | 'admit'): string[] {
  return [
    `http.port=${HTTPS_PORT}`,
    'discovery.enabled=false',
    'boot.enabled=true',
    'boot.interface=eth0',
    `boot.server_address=${SERVER}`,
    `boot.range_start=${RANGE_START}`,
    `boot.range_end=${RANGE_END}`,
    `boot.http_port=${BOOT_HTTP_PORT}`,
    `boot.image_dir=${IMAGE_DIR}`,
    `boot.unknown_hosts=${policy}`,
  ];
}

interface OurAppliance {
  readonly serving: ServingAppliance;
  readonly dataDir: string;
  readonly env: Record<string, string>;
  /** Log records with the time they arrived. */
  readonly stamped: { at: number; record: Record<string, unknown> }[];
  stop(): Promise<void>;
}

async function startOurs(policy: 'discover' | 'admit', admin?: string): Promise<OurAppliance> {
  const root = tempDir('boot-bench');
  const dataDir = join(root, 'appliance');
  const env = cleanEnv({ HOME: join(root, 'home'), PKG_NATIVE_CACHE_PATH: join(root, 'pkg-cache') });
  const made: { nodeId?: string } = {};
  let serving: ServingAppliance | undefined;
  const stop = async (): Promise<void> => {
    if (serving !== undefined && serving.child.exitCode === null && serving.child.signalCode === null) {
      serving.child.kill('SIGTERM');
      const exited = await Promise.race([serving.exited, sleep(15_000).then(() => 'timeout')]);
      if (exited === 'timeout') {
        serving.child.kill('SIGKILL');
        await serving.exited;
      }
    }
    serving = undefined;
    rmSync(root, { recursive: true, force: true });
    if (made.nodeId !== undefined) rmSync(bootRunDir(made.nodeId), { recursive: true, force: true });
  };
  cleanups.push(stop);
  const initArgs = ['init', '--data-dir', dataDir, '--json'];
  if (admin !== undefined) initArgs.push('--admin', 'admin', '--password-file', admin);
  const init = runCli(initArgs, { netns: NS.server, env });
  if (init.code !== 0) throw new Error(`alliance init failed: ${init.stderr}`);
  const facts = JSON.parse(init.stdout) as { nodeId: string; certificate: { fingerprint: string } };
  made.nodeId = facts.nodeId;
  serving = await startServe(['--data-dir', dataDir, ...serveSettings(policy).flatMap((s) => ['--set', s])], { netns: NS.server, env, readyWithinMs: 60_000 });
  const stamped: OurAppliance['stamped'] = [];
  createInterface({ input: serving.child.stdout! }).on('line', (line) => {
    try {
      stamped.push({ at: Date.now(), record: JSON.parse(line) as Record<string, unknown> });
    } catch {
      /* not JSON */
    }
  });
  const dnsmasqUp = Date.now() + 15_000;
  while (!serving.logs.some((l) => (l.dnsmasq as { state?: string } | undefined)?.state === 'running')) {
    if (Date.now() > dnsmasqUp) throw new Error('the appliance did not start dnsmasq within 15 s');
    await sleep(100);
  }
  if (admin !== undefined) {
    const login = runCli(['login', `https://127.0.0.1:${HTTPS_PORT}`, '--user', 'admin', '--password-file', admin, '--fingerprint', facts.certificate.fingerprint, '--data-dir', dataDir], { netns: NS.server, env });
    if (login.code !== 0) throw new Error(`alliance login failed: ${login.stdout}${login.stderr}`);
  }
  const s = serving;
  return { serving: s, dataDir, env, stamped, stop: () => stop().then(() => forget(stop)) };
}

function storedLeases(a: OurAppliance): number {
  const r = runCli(['bus', 'call', 'boot.leases', '--data-dir', a.dataDir], { netns: NS.server, env: a.env });
  if (r.code !== 0) return 0;
  return new Set((JSON.parse(r.stdout) as { leases: { mac: string }[] }).leases.map((l) => l.mac.toLowerCase()).filter((m) => m.startsWith(MAC_PREFIX))).size;
}

async function runOurs(): Promise<RunResult> {
  const ours = await startOurs('discover');
  try {
    const notes: string[] = [];
    const { start, results } = await runClients(notes);
    const recorded = await waitRecorded(start, leased(results), () => storedLeases(ours), 240_000, 2000);
    const problems = ours.serving.logs.filter((l) => typeof l.level === 'number' && l.level >= 40);
    for (const p of problems.slice(0, 5)) notes.push(`appliance log: ${JSON.stringify(p).slice(0, 400)}`);
    if (problems.length > 5) notes.push(`... ${problems.length} warnings/errors in the appliance log`);
    const restarts = ours.serving.logs.filter((l) => (l.dnsmasq as { state?: string } | undefined)?.state === 'running').length - 1;
    if (restarts > 0) notes.push(`dnsmasq was restarted ${restarts} time(s)`);
    if (ours.serving.child.exitCode !== null) notes.push(`the appliance exited ${ours.serving.child.exitCode}`);
    if (LOG_DIR !== undefined) writeFileSync(join(LOG_DIR, `boot-bench-dhcp-${start}.jsonl`), ours.stamped.map((l) => `${l.at} ${JSON.stringify(l.record)}`).join('\n'));
    return summarise('ours', start, results, recorded, notes);
  } finally {
    await ours.stop();
  }
}

// ---- the reference: dnsmasq alone and a static HTTP server

const STATIC_SERVER = `
const http = require('node:http');
const body = '#!ipxe\\nkernel http://${SERVER}:${BOOT_HTTP_PORT}/boot/image/x86_64/vmlinuz\\ninitrd http://${SERVER}:${BOOT_HTTP_PORT}/boot/image/x86_64/initrd.img\\nboot\\n';
http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }); res.end(body); })
  .listen(${BOOT_HTTP_PORT}, '${SERVER}', () => console.log('listening'));
`;

function referenceConfig(leaseFile: string, noPing: boolean): string {
  return [
    ...(noPing ? ['no-ping'] : []),
    'keep-in-foreground',
    'log-facility=-',
    'pid-file=',
    'port=0',
    'no-hosts',
    'no-resolv',
    'interface=eth0',
    'bind-interfaces',
    `dhcp-leasefile=${leaseFile}`,
    `dhcp-range=${RANGE_START},${RANGE_END},255.255.255.0,3600`,
    'dhcp-authoritative',
    'dhcp-option=3',
    'dhcp-option=6',
    'dhcp-vendorclass=set:pxe,PXEClient',
    'dhcp-match=set:bios,option:client-arch,0',
    'dhcp-match=set:efi-x64,option:client-arch,7',
    'dhcp-match=set:efi-x64,option:client-arch,9',
    'dhcp-match=set:efi-arm64,option:client-arch,11',
    'dhcp-match=set:ipxe,175',
    'dhcp-userclass=set:ipxe,iPXE',
    'enable-tftp',
    'tftp-root=/usr/lib/ipxe',
    `dhcp-boot=tag:ipxe,http://${SERVER}:${BOOT_HTTP_PORT}/boot/ipxe`,
    'dhcp-boot=tag:pxe,tag:!ipxe,tag:bios,undionly.kpxe',
    'dhcp-boot=tag:pxe,tag:!ipxe,tag:efi-x64,snponly.efi',
    '',
  ].join('\n');
}

function startWatched(command: string[], ready: RegExp, what: string): Promise<{ child: ChildProcess; output: () => string; stop: () => Promise<void> }> {
  const child = spawn('ip', ['netns', 'exec', NS.server, ...command], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  cleanups.push(stop);
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${what} not ready within 10 s: ${output}`)), 10_000);
    const onData = (c: Buffer): void => {
      output += c.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        done({ child, output: () => output, stop: () => stop().then(() => forget(stop)) });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => fail(new Error(`${what} exited: ${output}`)));
  });
}

async function runReference(noPing: boolean): Promise<RunResult> {
  const dir = tempDir('boot-bench-ref');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const leaseFile = join(dir, 'dnsmasq.leases');
  writeFileSync(join(dir, 'dnsmasq.conf'), referenceConfig(leaseFile, noPing));
  const http = await startWatched([process.execPath, '-e', STATIC_SERVER], /listening/, 'the static HTTP server');
  const dnsmasq = await startWatched(['dnsmasq', `--conf-file=${join(dir, 'dnsmasq.conf')}`], /DHCP, IP range/, 'dnsmasq');
  try {
    const notes: string[] = [];
    const { start, results } = await runClients(notes);
    const count = (): number => (existsSync(leaseFile) ? readFileSync(leaseFile, 'utf8').split('\n').filter((l) => l.includes(MAC_PREFIX)).length : 0);
    const recorded = await waitRecorded(start, leased(results), count, 10_000, 100);
    return summarise(noPing ? 'dnsmasq no-ping' : 'dnsmasq', start, results, recorded, notes);
  } finally {
    await dnsmasq.stop();
    await http.stop();
  }
}

// ---- figures

const percentile = (values: number[], p: number): number => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const median = (values: number[]): number => percentile(values, 50);
const fmt = (ms: number): string => (Number.isFinite(ms) ? `${Math.round(ms)}` : 'n/a');
const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

interface Figures {
  leaseP50: number;
  leaseP99: number;
  scriptP50: number;
  scriptP99: number;
  wall: number;
  recorded: number;
}

function figures(run: RunResult): Figures {
  const lease = run.clients.map((c) => c.leaseMs ?? NaN);
  const script = run.clients.map((c) => c.scriptMs ?? NaN);
  return { leaseP50: percentile(lease, 50), leaseP99: percentile(lease, 99), scriptP50: percentile(script, 50), scriptP99: percentile(script, 99), wall: run.wallMs, recorded: run.recordedMs };
}

function dhcpTable(runs: RunResult[]): void {
  const bySide = (side: RunResult['side']) => runs.filter((r) => r.side === side).map(figures);
  const ours = bySide('ours');
  const ref = bySide('dnsmasq');
  const noPing = bySide('dnsmasq no-ping');
  console.log(`\n${CLIENTS} DHCP clients at once, per run (ms from the start of the udhcpc processes):`);
  console.log(`${'run'.padEnd(19)}${'lease p50'.padStart(10)}${'lease p99'.padStart(10)}${'script p50'.padStart(11)}${'script p99'.padStart(11)}${'all scripts*'.padStart(13)}${'all recorded'.padStart(14)}  ok`);
  runs.forEach((r, i) => {
    const f = figures(r);
    const ok = r.clients.filter((c) => c.scriptMs !== null && c.error === null).length;
    console.log(`${`${r.side} #${Math.floor(i / 3) + 1}`.padEnd(19)}${fmt(f.leaseP50).padStart(10)}${fmt(f.leaseP99).padStart(10)}${fmt(f.scriptP50).padStart(11)}${fmt(f.scriptP99).padStart(11)}${fmt(f.wall).padStart(13)}${fmt(f.recorded).padStart(14)}  ${ok}/${r.clients.length} (${r.recorded} recorded)`);
    for (const note of r.notes) console.log(`                    ! ${note}`);
  });
  console.log(`\nmedians over ${RUNS} runs each         ours   dnsmasq+static  ratio ours/ref   dnsmasq no-ping+static`);
  const keys: [keyof Figures, string][] = [
    ['leaseP50', 'lease p50 per client'],
    ['leaseP99', 'lease p99 per client'],
    ['scriptP50', 'lease+script p50 per client'],
    ['scriptP99', 'lease+script p99 per client'],
    ['wall', `all ${CLIENTS} leases+scripts (wall)`],
    ['recorded', `all ${CLIENTS} leases recorded`],
  ];
  for (const [key, label] of keys) {
    const o = median(ours.map((f) => f[key]));
    const r = median(ref.map((f) => f[key]));
    const n = median(noPing.map((f) => f[key]));
    console.log(`${label.padEnd(34)}${`${fmt(o)} ms`.padStart(9)}${`${fmt(r)} ms`.padStart(17)}${ratio(o, r).padStart(16)}${`${fmt(n)} ms`.padStart(25)}`);
  }
  console.log(`* over the clients that succeeded (ok column); udhcpc -t ${TRIES} -T 1`);
  console.log('(recorded: ours = in the appliance store via the dnsmasq hook, polled every 2 s with `alliance bus call boot.leases`, for up to 240 s; reference = in dnsmasq\'s lease file)');
}

// ---- part 2: power-on to enrolled

interface VmTiming {
  mac: string;
  /** ms from qemu start to each milestone (NaN: not reached). */
  firstAck: number;
  /** The first DHCPACK at least 5 s after the first: the host image's initramfs asking (kernel and initrd fetched, booted). */
  initramfsAck: number;
  active: number;
  error?: string;
}

function listHosts(a: OurAppliance): { state: string; inventory: { nics: { mac: string }[] } | null }[] {
  const r = runCli(['hosts', 'list', '--json', '--data-dir', a.dataDir], { netns: NS.server, env: a.env });
  if (r.code !== 0) return [];
  const body = JSON.parse(r.stdout) as { state: string; inventory: { nics: { mac: string }[] } | null }[] | { hosts: { state: string; inventory: { nics: { mac: string }[] } | null }[] };
  return Array.isArray(body) ? body : body.hosts;
}

async function bootVms(a: OurAppliance, macs: string[], root: string): Promise<VmTiming[]> {
  const vms: PxeVm[] = [];
  const destroyAll = async (): Promise<void> => void (await Promise.all(vms.map((vm) => vm.destroy())));
  cleanups.push(destroyAll);
  const logFrom = a.stamped.length;
  const starts = new Map<string, number>();
  try {
    for (const [i, mac] of macs.entries()) {
      starts.set(mac, Date.now());
      vms.push(startPxeVm({ ns: NS.bridge, bridge: 'br0', tap: `tap${macs.length}x${i}`, mac, firmware: 'bios', dir: root }));
    }
    const active = new Map<string, number>();
    const deadline = Date.now() + VM_TIMEOUT_MS;
    while (active.size < macs.length && Date.now() < deadline && vms.every((vm) => vm.child.exitCode === null)) {
      await sleep(1000);
      const hosts = listHosts(a);
      const now = Date.now();
      for (const mac of macs) {
        if (!active.has(mac) && hosts.some((h) => h.state === 'active' && h.inventory?.nics.some((n) => n.mac.toLowerCase() === mac))) active.set(mac, now);
      }
    }
    const lines = a.stamped.slice(logFrom).map((l) => ({ at: l.at, text: JSON.stringify(l.record) }));
    if (LOG_DIR !== undefined) writeFileSync(join(LOG_DIR, `boot-bench-vms-${macs.length}.jsonl`), lines.map((l) => `${l.at} ${l.text}`).join('\n'));
    return macs.map((mac, i) => {
      const t0 = starts.get(mac)!;
      const acks = lines.filter((l) => l.text.includes('DHCPACK') && l.text.includes(mac)).map((l) => l.at);
      const first = acks[0] ?? NaN;
      const vm = vms[i]!;
      return {
        mac,
        firstAck: first - t0,
        initramfsAck: (acks.find((at) => at >= first + 5000) ?? NaN) - t0,
        active: (active.get(mac) ?? NaN) - t0,
        ...(active.has(mac) ? {} : { error: `not active; serial tail: ${vm.serial().slice(-600).replace(/\s+/g, ' ')}` }),
      };
    });
  } finally {
    await destroyAll();
    forget(destroyAll);
  }
}

async function vmPart(): Promise<void> {
  for (const file of ['x86_64/vmlinuz', 'x86_64/initrd.img']) {
    // Missing is a failure, as in the tests: BENCH_VMS=0 is the way to leave this part out.
    if (!existsSync(join(IMAGE_DIR, file))) throw new Error(`power-on to enrolled: the host image is missing (${join(IMAGE_DIR, file)}); build it with \`make -C image host\`, or set BENCH_VMS=0`);
  }
  const root = tempDir('boot-bench-vm');
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const password = join(root, 'password');
  writeFileSync(password, 'correct horse battery staple\n', { mode: 0o600 });
  const ours = await startOurs('admit', password);
  try {
    const one = await bootVms(ours, ['52:54:00:b7:01:01'], root);
    const four = await bootVms(ours, ['52:54:00:b7:01:11', '52:54:00:b7:01:12', '52:54:00:b7:01:13', '52:54:00:b7:01:14'], root);
    const s = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'n/a');
    console.log(`\npower-on to enrolled (qemu TCG, BIOS/e1000, boot.unknown_hosts=admit), seconds from qemu start:`);
    console.log(`${'machine'.padEnd(30)}${'iPXE DHCPACK'.padStart(13)}${'initramfs DHCPACK'.padStart(18)}${'active'.padStart(10)}`);
    const rows: [string, VmTiming[]][] = [
      ['alone', one],
      ['4 at once', four],
    ];
    for (const [label, timings] of rows) {
      for (const t of timings) {
        console.log(`${`${label} ${t.mac}`.padEnd(30)}${s(t.firstAck).padStart(13)}${s(t.initramfsAck).padStart(18)}${s(t.active).padStart(10)}`);
        if (t.error !== undefined) console.log(`    ! ${t.error}`);
      }
    }
    const wall4 = Math.max(...four.map((t) => t.active));
    console.log(`1 machine: ${s(one[0]!.active)} | 4 machines at once: wall ${s(wall4)}, median ${s(median(four.map((t) => t.active)))} | ratio 4/1 (wall) ${ratio(wall4, one[0]!.active)}`);
    console.log(`(the host has ${(await import('node:os')).cpus().length} CPUs; under TCG each machine wants one)`);
  } finally {
    await ours.stop();
  }
}

// ---- main

const benchStart = Date.now();
try {
  if (spawnSync('busybox', ['udhcpc', '--help']).error !== undefined) throw new Error('busybox is missing');
  buildTopology();
  if (DHCP) {
    const runs: RunResult[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      runs.push(await runOurs());
      runs.push(await runReference(false));
      runs.push(await runReference(true));
    }
    dhcpTable(runs);
  } else console.log('\nDHCP clients: skipped (BENCH_DHCP=0)');
  if (VMS) await vmPart();
  else console.log('\npower-on to enrolled: skipped (BENCH_VMS=0)');
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await cleanUp();
  console.log(`\nboot bench took ${((Date.now() - benchStart) / 1000).toFixed(0)} s`);
}
