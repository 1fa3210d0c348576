// dist/alliance end to end on a namespace bridge: an appliance (`alliance serve`,
// the real controller) in one namespace, `alliance agent` in another with
// nothing but mDNS to find it and no join code. The host shows up as pending,
// an operator approves it with the CLI, and it turns active with its inventory;
// restarted, the agent reconnects from its bootstrap file without enrolling.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { binaryPath, cleanEnv, ROOT, runCli, startServe, tempDir, type ServingAppliance } from '../../_support/appliance-process.ts';
import { createTestNetwork, type TestHost } from '../../_support/netns.ts';

interface ListedHost {
  id: string;
  state: string;
  inventory: { cpu: { cores: number }; memory: { totalBytes: number }; nics: { name: string; speedMbps: number | null }[] } | null;
  lastHeartbeatAt: string | null;
}

interface RunningAgent {
  readonly child: ChildProcess;
  readonly logs: Record<string, unknown>[];
  readonly exited: Promise<number | string>;
}

const net = createTestNetwork('ag', 2, 78);
const [controllerHost, agentHost] = net.hosts as [TestHost, TestHost];
// Like most servers, the host has a spare port that is down: its speed is unknown, null in the inventory.
net.run(agentHost.ns, ['ip', 'link', 'add', 'spare0', 'type', 'veth', 'peer', 'name', 'spare1']);
const root = tempDir('agent-netns');
const home = join(root, 'home');
const env = cleanEnv({ HOME: home, PKG_NATIVE_CACHE_PATH: join(root, 'pkg-cache') });
const applianceDir = join(root, 'appliance');
const agentDir = join(root, 'agent');
const passwordFile = join(root, 'password');
const cmdline = join(root, 'cmdline');
let appliance: ServingAppliance | undefined;
let agent: RunningAgent | undefined;

function startAgent(): RunningAgent {
  // Only mDNS says where the controller is: no agent.controller, nothing on the (fake) kernel command line, no join code.
  const child = spawn('ip', ['netns', 'exec', agentHost.ns, binaryPath(), 'agent', '--data-dir', agentDir, '--set', `agent.cmdline_file=${cmdline}`, '--set', 'discovery.interfaces=eth0'], {
    env,
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: line });
    }
  });
  const exited = new Promise<number | string>((done) => child.on('exit', (code, signal) => done(code ?? signal ?? 'unknown')));
  void exited.then((code) => {
    if (stderr.trim() !== '') logs.push({ msg: `exited ${code}`, stderr });
  });
  return { child, logs, exited };
}

/** Polls until `check` holds, for at most `ms`; fails with what was last seen. */
async function until<T>(ms: number, what: string, read: () => T, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + ms;
  let last = read();
  while (!check(last)) {
    if (Date.now() > deadline) assert.unreachable(`${what} within ${ms} ms; last seen ${JSON.stringify(last).slice(0, 2000)}`);
    await sleep(250);
    last = read();
  }
  return last;
}

function listHosts(): ListedHost[] {
  const r = runCli(['hosts', 'list', '--json', '--data-dir', applianceDir], { netns: controllerHost.ns, env });
  assert.is(r.code, 0, r.stderr);
  const body = JSON.parse(r.stdout) as ListedHost[] | { hosts: ListedHost[] };
  return Array.isArray(body) ? body : body.hosts;
}

const hostIdOf = (a: RunningAgent) => a.logs.find((l) => typeof l.hostId === 'string')?.hostId as string | undefined;

test.before(async () => {
  writeFileSync(passwordFile, 'correct horse battery staple\n', { mode: 0o600 });
  writeFileSync(cmdline, 'quiet\n');
  const init = runCli(['init', '--data-dir', applianceDir, '--admin', 'admin', '--password-file', passwordFile, '--json'], { netns: controllerHost.ns, env });
  assert.is(init.code, 0, init.stderr);
  const fingerprint = (JSON.parse(init.stdout) as { certificate: { fingerprint: string } }).certificate.fingerprint;
  appliance = await startServe(['--data-dir', applianceDir, '--set', 'http.port=8443', '--set', 'appliance.name=rack-1'], { netns: controllerHost.ns, env, readyWithinMs: 30_000 });
  const login = runCli(['login', 'https://127.0.0.1:8443', '--user', 'admin', '--password-file', passwordFile, '--fingerprint', fingerprint, '--data-dir', applianceDir], { netns: controllerHost.ns, env });
  assert.is(login.code, 0, `${login.stdout}${login.stderr}`);
});

test.after(async () => {
  for (const child of [agent?.child, appliance?.child]) {
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((done) => child.once('exit', done));
    }
  }
  net.destroy();
  rmSync(root, { recursive: true, force: true });
});

test('`alliance agent` finds the appliance by mDNS and waits as a pending host', async () => {
  agent = startAgent();
  const a = agent;
  const hostId = await until(15_000, 'the agent to name its host id', () => hostIdOf(a), (id) => id !== undefined);
  await until(30_000, 'the host to be pending', () => listHosts(), (hosts) => hosts.some((h) => h.id === hostId && h.state === 'pending'));
  // listHosts() blocks this process while the CLI runs: the agent's log lines may still be in the pipe.
  const found = await until(5000, 'the agent to log the appliance it found', () => a.logs.find((l) => l.msg === 'found an appliance on mDNS'), (l) => l !== undefined);
  assert.is(found?.address, `${controllerHost.v4}:8443`, JSON.stringify(a.logs.slice(0, 20)));
  await until(5000, 'the agent to say what the operator must do', () => a.logs, (logs) => logs.some((l) => l.msg === `waiting for approval: run \`alliance hosts approve ${hostId}\` on the appliance`));
});

test('`alliance hosts approve` lets it in: the host turns active with its inventory and heartbeats', async () => {
  const a = agent!;
  const hostId = hostIdOf(a)!;
  const approve = runCli(['hosts', 'approve', hostId, '--data-dir', applianceDir], { netns: controllerHost.ns, env });
  assert.is(approve.code, 0, `${approve.stdout}${approve.stderr}`);
  // Approval alone may show the host active (with the inventory it enrolled with): wait for the agent's own session.
  await until(60_000, 'the agent to be admitted and have a bus session', () => a.logs, (logs) => logs.some((l) => l.msg === 'bus session with the controller is up'));
  const hosts = await until(
    15_000,
    'the host to be active with its inventory',
    () => listHosts(),
    (list) => list.some((h) => h.id === hostId && h.state === 'active' && (h.inventory?.cpu.cores ?? 0) > 0 && (h.inventory?.memory.totalBytes ?? 0) > 0 && h.lastHeartbeatAt !== null),
  );
  const spare = hosts.find((h) => h.id === hostId)!.inventory!.nics.find((n) => n.name === 'spare0');
  assert.equal(spare?.speedMbps, null, 'the spare port is in the inventory as sent, speed unknown');
  const before = hosts.find((h) => h.id === hostId)!.lastHeartbeatAt;
  await until(20_000, 'heartbeats to keep coming', () => listHosts().find((h) => h.id === hostId)!.lastHeartbeatAt, (at) => at !== before);
  assert.ok(a.logs.some((l) => l.msg === 'inventory sent to the controller'));
});

test('a restarted agent reconnects from its bootstrap file, without enrolling again', async () => {
  const first = agent!;
  const hostId = hostIdOf(first)!;
  first.child.kill('SIGTERM');
  assert.is(await first.exited, 0, JSON.stringify(first.logs.slice(-5)));
  agent = startAgent();
  const again = agent;
  await until(30_000, 'the restarted agent to have a bus session', () => again.logs, (logs) => logs.some((l) => l.msg === 'bus session with the controller is up'));
  assert.ok(again.logs.some((l) => l.msg === 'connecting to the controller with the saved bootstrap'));
  assert.not.ok(again.logs.some((l) => l.msg === 'found an appliance on mDNS' || String(l.msg).startsWith('waiting for approval')));
  const before = listHosts().find((h) => h.id === hostId)!.lastHeartbeatAt;
  await until(15_000, 'a newer heartbeat', () => listHosts().find((h) => h.id === hostId)!.lastHeartbeatAt, (at) => at !== before);
  again.child.kill('SIGTERM');
  assert.is(await again.exited, 0);
});

test.run();
