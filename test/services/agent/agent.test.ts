// runAgent() against ControllerDouble, a named test double of the controller
// (see _controller-double.ts): enrolment over HTTPS, heartbeats over the real
// nng bus with cluster-CA certificates, the bootstrap file on disk.
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultConfig, type Config } from '../../../appliance/config/index.ts';
import { InventorySchema } from '../../../appliance/contracts/index.ts';
import { dataDirLayout } from '../../../appliance/data-dir/index.ts';
import { createLogger } from '../../../appliance/log/index.ts';
import { runAgent } from '../../../services/agent/agent.ts';
import { toInventory, type RawInventory } from '../../../services/agent/to-inventory.ts';
import { tempDir } from '../../_support/appliance-process.ts';
import { killIfFrozen, within } from '../../_support/nng.ts';
import { BUS_SERVER_NAME, ControllerDouble } from './_controller-double.ts';

killIfFrozen();

const inventory = toInventory(JSON.parse(readFileSync(join(import.meta.dirname, 'testdata', 'raw-inventory-server.json'), 'utf8')) as RawInventory);
const FAST = { minMs: 20, maxMs: 200 };
const root = tempDir('agent');
let double: ControllerDouble;
/** Agents a test started; stopped after each test, so a failing test leaves none behind. */
const started = new Set<RunningAgent>();

type Log = Record<string, unknown> & { msg: string };

interface RunningAgent {
  readonly dir: string;
  readonly logs: Log[];
  readonly exited: Promise<number>;
  stop(): Promise<number>;
  untilLog(check: (log: Log) => boolean): Promise<Log>;
}

function startAgent(name: string, agent: Partial<Config['agent']> = {}): RunningAgent {
  const dir = join(root, name);
  const base = defaultConfig('agent-test-host');
  writeFileSync(join(root, `${name}.cmdline`), 'quiet\n');
  const config: Config = {
    ...base,
    discovery: { ...base.discovery, enabled: false },
    agent: { ...base.agent, controller: double.controller, cmdline_file: join(root, `${name}.cmdline`), ...agent },
  };
  const logs: Log[] = [];
  let waiters: { check: (log: Log) => boolean; done: (log: Log) => void }[] = [];
  const log = createLogger('debug', {
    write(line: string) {
      const record = JSON.parse(line) as Log;
      logs.push(record);
      waiters = waiters.filter((w) => (w.check(record) ? (w.done(record), false) : true));
    },
  });
  let stop: (reason: string) => void = () => undefined;
  const stopRequested = new Promise<string>((resolve) => (stop = resolve));
  const exited = runAgent(
    { config, layout: dataDirLayout(dir), log, hostname: 'agent-test-host.lab', stopRequested },
    { collect: async () => inventory, enrolBackoff: FAST, sessionBackoff: FAST },
  );
  const running: RunningAgent = {
    dir,
    logs,
    exited,
    stop: () => {
      stop('test');
      return within(exited, 10_000, 'the agent to stop');
    },
    untilLog: (check) => {
      const seen = logs.find(check);
      return seen !== undefined ? Promise.resolve(seen) : new Promise((done) => waiters.push({ check, done }));
    },
  };
  started.add(running);
  return running;
}

const hostIdOf = async (agent: RunningAgent): Promise<string> => (await agent.untilLog((l) => typeof l.hostId === 'string')).hostId as string;
const bootstrapOf = (agent: RunningAgent) => JSON.parse(readFileSync(join(agent.dir, 'agent', 'bootstrap.json'), 'utf8')) as Record<string, unknown>;

test.before(async () => {
  double = await ControllerDouble.start();
});

test.after.each(async () => {
  for (const agent of started) await agent.stop().catch(() => undefined);
  started.clear();
});

test.after(async () => {
  await double.close();
  rmSync(root, { recursive: true, force: true });
});

test('runAgent() waits as pending, says how to approve it, and once approved saves the bootstrap and heartbeats with its inventory', async () => {
  const agent = startAgent('pending');
  const hostId = await hostIdOf(agent);
  await within(double.until(() => double.count('enrolment', hostId) >= 2), 10_000, 'two pending enrolment attempts');
  const waiting = await agent.untilLog((l) => l.msg.startsWith('waiting for approval'));
  assert.is(waiting.msg, `waiting for approval: run \`alliance hosts approve ${hostId}\` on the appliance`);
  assert.ok(double.events.every((e) => e.kind !== 'enrolment' || e.valid), 'every request matched the EnrolmentRequest schema');

  double.approve(hostId);
  await within(double.until(() => double.count('heartbeat', hostId) >= 2), 15_000, 'two heartbeats after approval');
  const sent = double.events.find((e) => e.kind === 'inventory' && e.hostId === hostId);
  assert.ok(sent !== undefined && sent.kind === 'inventory' && Value.Check(InventorySchema, sent.inventory));
  assert.is(double.count('inventory', hostId), 1, 'the inventory is sent once while it does not change');
  assert.ok(double.count('desired', hostId) >= 1, 'desired state fetched after connecting');
  const beat = double.events.find((e) => e.kind === 'heartbeat' && e.hostId === hostId);
  assert.ok(beat?.kind === 'heartbeat' && beat.params.inventoryHash.length === 64 && beat.params.health.memoryUsedBytes > 0);

  const file = join(agent.dir, 'agent', 'bootstrap.json');
  assert.is(statSync(file).mode & 0o777, 0o600);
  const saved = bootstrapOf(agent);
  assert.is(saved.hostId, hostId);
  assert.is(saved.controller, double.controller);
  assert.is(saved.busPort, double.busPort);
  assert.is(saved.busServerName, BUS_SERVER_NAME);
  assert.is(saved.controllerFingerprint, double.fingerprint, 'trusted on first use and recorded');
  assert.ok(typeof saved.credential === 'string');
  assert.ok(agent.logs.some((l) => l.msg.startsWith('no fingerprint pinned for the controller') && l.fingerprint === double.fingerprint));
  assert.not.match(JSON.stringify(agent.logs), String(saved.credential));
  assert.is(await agent.stop(), 0);
});

test('runAgent() restarts from the bootstrap file alone: no enrolment API, no mDNS', async () => {
  const agent = startAgent('pending');
  const hostId = await hostIdOf(agent);
  const enrolments = double.count('enrolment', hostId);
  const beats = double.count('heartbeat', hostId);
  await double.stopHttps();
  try {
    await within(double.until(() => double.count('heartbeat', hostId) >= beats + 1), 10_000, 'a heartbeat from the restarted agent');
    assert.is(double.count('enrolment', hostId), enrolments, 'no enrolment request');
    assert.is(await agent.stop(), 0);
  } finally {
    await double.startHttps();
  }
});

test('runAgent() with a join code is admitted at once, having checked the controller proof', async () => {
  const code = double.addToken();
  writeFileSync(join(root, 'join-code'), `${code}\n`);
  const agent = startAgent('joined', { join_code_file: join(root, 'join-code'), fingerprint: double.fingerprint });
  const hostId = await hostIdOf(agent);
  await within(double.until(() => double.count('heartbeat', hostId) >= 1), 10_000, 'a heartbeat');
  const answers = double.events.filter((e) => e.kind === 'enrolment' && e.hostId === hostId).map((e) => e.kind === 'enrolment' && e.answer);
  assert.equal(answers, ['admitted']);
  assert.not.ok(agent.logs.some((l) => l.msg.startsWith('no fingerprint pinned')), 'the configured pin is used, not trust on first use');
  assert.not.match(JSON.stringify(agent.logs), code.split('.')[1]!);
  assert.is(await agent.stop(), 0);
});

test('runAgent() refuses a controller that cannot prove it holds the join token, and saves nothing', async () => {
  const code = double.addToken();
  writeFileSync(join(root, 'join-code-2'), code);
  double.lie = true;
  try {
    const agent = startAgent('lied-to', { join_code_file: join(root, 'join-code-2') });
    const hostId = await hostIdOf(agent);
    const err = await within(agent.exited.then(() => undefined, (e: unknown) => e), 10_000, 'the agent to give up');
    assert.is((err as { code?: string } | undefined)?.code, 'APL_AGENT_CONTROLLER_PROOF_MISMATCH');
    assert.is(double.count('enrolment', hostId), 1, 'admitted once, by the double');
    assert.throws(() => statSync(join(agent.dir, 'agent', 'bootstrap.json')), /ENOENT/);
    assert.is(double.count('heartbeat', hostId), 0);
  } finally {
    double.lie = false;
  }
});

test('runAgent() whose credential is refused (a retired host) forgets it, enrols again and waits for a new approval', async () => {
  const agent = startAgent('retired');
  const hostId = await hostIdOf(agent);
  await within(double.until(() => double.count('enrolment', hostId) >= 1), 10_000, 'a pending enrolment');
  double.approve(hostId);
  await within(double.until(() => double.count('heartbeat', hostId) >= 1), 10_000, 'a heartbeat');
  const before = double.count('enrolment', hostId);
  double.retire(hostId);
  await within(double.until(() => double.count('enrolment', hostId) > before), 10_000, 'enrolment after the refusal');
  await agent.untilLog((l) => l.code === 'APL_AGENT_CREDENTIAL_REFUSED');
  assert.is(bootstrapOf(agent).credential, null, 'the dead credential is dropped from the bootstrap');
  const last = double.events.filter((e) => e.kind === 'enrolment' && e.hostId === hostId).at(-1);
  assert.is(last?.kind === 'enrolment' ? last.answer : undefined, 'pending', 'a retired host waits for approval again');
  const beats = double.count('heartbeat', hostId);
  double.approve(hostId);
  await within(double.until(() => double.count('heartbeat', hostId) > beats), 10_000, 'heartbeats with the new credential');
  assert.ok(typeof bootstrapOf(agent).credential === 'string');
  assert.is(await agent.stop(), 0);
});

test('runAgent() rides out a controller that fails heartbeats: logs the lost session, keeps its credential, carries on', async () => {
  const code = double.addToken();
  writeFileSync(join(root, 'join-code-3'), code);
  const agent = startAgent('troubled', { join_code_file: join(root, 'join-code-3') });
  const hostId = await hostIdOf(agent);
  await within(double.until(() => double.count('heartbeat', hostId) >= 1), 10_000, 'a heartbeat');
  double.failHeartbeats = 'APL_STORE_BUSY';
  try {
    await within(double.until(() => double.count('failed-heartbeat', hostId) >= 2), 10_000, 'two failed heartbeats');
  } finally {
    double.failHeartbeats = undefined;
  }
  const beats = double.count('heartbeat', hostId);
  await within(double.until(() => double.count('heartbeat', hostId) > beats), 10_000, 'heartbeats again');
  const lost = agent.logs.filter((l) => l.code === 'APL_AGENT_SESSION_LOST');
  assert.ok(lost.length >= 1 && lost[0]!.cause === 'APL_STORE_BUSY' && lost[0]!.level === 'warn', JSON.stringify(lost));
  assert.is(double.count('enrolment', hostId), 1, 'no new enrolment: the credential still holds');
  const upAgain = (l: Log) => l.msg === 'bus session with the controller is up' && agent.logs.indexOf(l) > agent.logs.indexOf(lost[0]!);
  await within(agent.untilLog(upAgain), 5000, 'the agent to say the session is up again');
  assert.is(await agent.stop(), 0);
});

test('runAgent() with a wrong pinned fingerprint sends nothing to that server and keeps trying', async () => {
  const wrong = Array(32).fill('AB').join(':');
  const agent = startAgent('wrong-pin', { fingerprint: wrong });
  await within(agent.untilLog((l) => l.code === 'APL_API_FINGERPRINT_MISMATCH'), 10_000, 'a fingerprint mismatch');
  await within(agent.untilLog((l) => l.code === 'APL_API_FINGERPRINT_MISMATCH' && l !== agent.logs.find((x) => x.code === 'APL_API_FINGERPRINT_MISMATCH')), 10_000, 'a second attempt');
  const hostId = await hostIdOf(agent);
  assert.is(double.count('enrolment', hostId), 0);
  assert.is(await agent.stop(), 0);
});

const configErrors: Record<string, [Partial<Config['agent']>, string, number]> = {
  'a malformed agent.controller': [{ controller: 'appliance:99999' }, 'APL_AGENT_CONTROLLER_INVALID', 2],
  'an unreadable join code file': [{ join_code_file: '/nonexistent/join' }, 'APL_AGENT_JOIN_CODE_UNREADABLE', 2],
  'no controller anywhere and mDNS off': [{ controller: '' }, 'APL_AGENT_NO_CONTROLLER', 2],
};
for (const [name, [agentConfig, code, exit]] of Object.entries(configErrors)) {
  test(`runAgent() stops at once with ${code} for ${name}`, async () => {
    const agent = startAgent(`config-${code}`, agentConfig);
    const err = (await within(agent.exited.then(() => undefined, (e: unknown) => e), 5000, 'the agent to fail')) as { code?: string; exitCode?: number } | undefined;
    assert.is(err?.code, code);
    assert.is(err?.exitCode, exit);
  });
}

test.run();
