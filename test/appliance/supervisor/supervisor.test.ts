import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../../appliance/log/index.ts';
import {
  overallHealth,
  Supervisor,
  type RestartPolicy,
  type RunningService,
  type ServiceContext,
  type ServiceDefinition,
  type ServiceStatus,
} from '../../../appliance/supervisor/index.ts';

const log = createLogger('fatal', { write: () => undefined });
const policy: RestartPolicy = { limit: 5, windowMs: 60_000, baseDelayMs: 1, maxDelayMs: 4 };
/** Only a guard against a hung test: a state that never comes fails the test instead of blocking the run. */
const DEADLINE_MS = 5_000;

interface Instance {
  readonly n: number;
  readonly ctx: ServiceContext;
  stops: number;
}

interface FakeSpec {
  readonly after?: string[];
  readonly preflight?: () => string | undefined;
  /** The first this-many starts throw. */
  readonly failStarts?: number;
  /** 'hang': stop() never resolves; 'throw': stop() rejects. */
  readonly stop?: 'hang' | 'throw';
}

interface Fake extends ServiceDefinition {
  readonly instances: Instance[];
  attempts: number;
}

/** A test-double service that writes what happens to it into trace. */
function fake(name: string, spec: FakeSpec, trace: string[]): Fake {
  const self: Fake = {
    name,
    after: spec.after,
    preflight: spec.preflight,
    instances: [],
    attempts: 0,
    async start(ctx: ServiceContext): Promise<RunningService> {
      self.attempts += 1;
      trace.push(`start ${name}`);
      await Promise.resolve();
      if (self.attempts <= (spec.failStarts ?? 0)) {
        trace.push(`start failed ${name}`);
        throw new Error(`${name} could not bind (attempt ${self.attempts})`);
      }
      const instance: Instance = { n: self.instances.length + 1, ctx, stops: 0 };
      self.instances.push(instance);
      trace.push(`up ${name}`);
      return {
        async stop() {
          instance.stops += 1;
          trace.push(`stop ${name}`);
          if (spec.stop === 'hang') return new Promise<void>(() => undefined);
          await Promise.resolve();
          if (spec.stop === 'throw') throw new Error(`${name} stop failed`);
          trace.push(`down ${name}`);
        },
      };
    },
  };
  return self;
}

/** A supervisor whose state changes are recorded and can be awaited. */
function supervise(defs: readonly ServiceDefinition[], options: { policy?: RestartPolicy; stopTimeoutMs?: number } = {}) {
  const changes: ServiceStatus[] = [];
  const waiters = new Set<(s: ServiceStatus) => void>();
  const supervisor = new Supervisor(defs, {
    log,
    policy: options.policy ?? policy,
    stopTimeoutMs: options.stopTimeoutMs ?? 1_000,
    onChange: (status) => {
      changes.push(status);
      for (const waiter of [...waiters]) waiter(status);
    },
  });
  const status = (name: string): ServiceStatus => {
    const found = supervisor.statuses().find((s) => s.name === name);
    if (!found) throw new Error(`no service ${name}`);
    return found;
  };
  /** Resolves with the status of `name` once it satisfies `wanted` (now or at a later change). */
  const until = (name: string, wanted: (s: ServiceStatus) => boolean, what: string): Promise<ServiceStatus> => {
    const now = status(name);
    if (wanted(now)) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const deadline = setTimeout(() => {
        waiters.delete(waiter);
        const seen = changes.filter((c) => c.name === name).map((c) => c.state);
        reject(new Error(`${name} never became ${what}; it went ${seen.join(' -> ')}`));
      }, DEADLINE_MS);
      const waiter = (s: ServiceStatus): void => {
        if (s.name !== name || !wanted(s)) return;
        clearTimeout(deadline);
        waiters.delete(waiter);
        resolve(s);
      };
      waiters.add(waiter);
    });
  };
  const statesOf = (name: string): string[] => changes.filter((c) => c.name === name).map((c) => c.state);
  return { supervisor, changes, status, until, statesOf };
}

test('Supervisor starts services in dependency order, each after its dependencies are up', async () => {
  const trace: string[] = [];
  const defs = [fake('console', { after: ['https'] }, trace), fake('https', { after: ['store'] }, trace), fake('store', {}, trace)];
  const { supervisor } = supervise(defs);
  await supervisor.start();
  assert.equal(trace, ['start store', 'up store', 'start https', 'up https', 'start console', 'up console']);
  assert.equal(
    supervisor.statuses().map((s) => [s.name, s.state, s.restarts]),
    [['store', 'running', 0], ['https', 'running', 0], ['console', 'running', 0]],
  );
  assert.is(overallHealth(supervisor.statuses()), 'ok');
  await supervisor.stop();
});

test('Supervisor stops services in reverse start order, waiting for each', async () => {
  const trace: string[] = [];
  const defs = [fake('console', { after: ['https'] }, trace), fake('https', { after: ['store'] }, trace), fake('store', {}, trace)];
  const { supervisor, changes } = supervise(defs);
  await supervisor.start();
  trace.length = 0;
  changes.length = 0;
  await supervisor.stop();
  assert.equal(trace, ['stop console', 'down console', 'stop https', 'down https', 'stop store', 'down store']);
  assert.equal(
    changes.map((c) => `${c.name} ${c.state}`),
    ['console stopping', 'console stopped', 'https stopping', 'https stopped', 'store stopping', 'store stopped'],
  );
  for (const def of defs) assert.ok(def.instances[0]!.ctx.signal.aborted, `${def.name} was not told to stop`);
  assert.is(overallHealth(supervisor.statuses()), 'stopping');
});

test('Supervisor leaves a service off with its preflight reason and still reports health ok', async () => {
  const trace: string[] = [];
  const tun = fake('tun', { preflight: () => 'needs root for /dev/net/tun' }, trace);
  const store = fake('store', {}, trace);
  const { supervisor, status } = supervise([store, tun]);
  await supervisor.start();
  assert.is(tun.attempts, 0);
  assert.is(status('tun').state, 'off');
  assert.is(status('tun').reason, 'needs root for /dev/net/tun');
  assert.is(status('store').state, 'running');
  assert.is(overallHealth(supervisor.statuses()), 'ok');
  await supervisor.stop();
  assert.is(status('tun').state, 'stopped');
  assert.is(status('tun').reason, 'needs root for /dev/net/tun');
});

test('Supervisor leaves a dependent of an off service off too, naming why, and health stays ok', async () => {
  const trace: string[] = [];
  const tun = fake('tun', { preflight: () => 'needs root' }, trace);
  const vpn = fake('vpn', { after: ['tun'] }, trace);
  const { supervisor, status } = supervise([vpn, tun]);
  await supervisor.start();
  assert.is(vpn.attempts, 0);
  assert.is(status('vpn').state, 'off');
  assert.is(status('vpn').reason, 'needs tun, which is off: needs root');
  assert.is(overallHealth(supervisor.statuses()), 'ok');
  await supervisor.stop();
});

test('Supervisor keeps a blocked dependent naming its dependency as failed once it gives up', async () => {
  const trace: string[] = [];
  const db = fake('db', { failStarts: Number.POSITIVE_INFINITY }, trace);
  const api = fake('api', { after: ['db'] }, trace);
  const { supervisor, status, until } = supervise([api, db], { policy: { ...policy, limit: 1 } });
  await supervisor.start();
  await until('db', (s) => s.state === 'failed', 'failed');
  assert.is(status('api').state, 'blocked');
  assert.is(status('api').reason, 'waits for db (failed)');
  assert.is(api.attempts, 0);
  assert.is(overallHealth(supervisor.statuses()), 'degraded');
  await supervisor.stop();
});

test('Supervisor restarts a service whose start throws until it runs, counting the restarts', async () => {
  const trace: string[] = [];
  const flaky = fake('flaky', { failStarts: 2 }, trace);
  const { supervisor, until, statesOf } = supervise([flaky]);
  await supervisor.start();
  const running = await until('flaky', (s) => s.state === 'running', 'running');
  assert.is(flaky.attempts, 3);
  assert.is(running.restarts, 2);
  assert.equal(statesOf('flaky'), ['starting', 'restarting', 'starting', 'restarting', 'starting', 'running']);
  assert.is(overallHealth(supervisor.statuses()), 'ok');
  await supervisor.stop();
});

test('Supervisor records the start error as the reason while restarting', async () => {
  const trace: string[] = [];
  const flaky = fake('flaky', { failStarts: 1 }, trace);
  const { supervisor, changes, until } = supervise([flaky]);
  await supervisor.start();
  await until('flaky', (s) => s.state === 'running', 'running');
  const restarting = changes.find((c) => c.state === 'restarting');
  assert.is(restarting?.reason, 'flaky could not bind (attempt 1)');
  await supervisor.stop();
});

test('Supervisor starts a blocked dependent once its dependency recovers', async () => {
  const trace: string[] = [];
  const db = fake('db', { failStarts: 1 }, trace);
  const api = fake('api', { after: ['db'] }, trace);
  const { supervisor, status, until } = supervise([api, db]);
  await supervisor.start();
  assert.is(status('api').state, 'blocked');
  assert.is(status('api').reason, 'waits for db (restarting)');
  await until('api', (s) => s.state === 'running', 'running');
  assert.is(status('db').state, 'running');
  assert.is(api.attempts, 1);
  await supervisor.stop();
});

test('Supervisor gives up on a service that keeps failing and marks it failed', async () => {
  const trace: string[] = [];
  const broken = fake('broken', { failStarts: Number.POSITIVE_INFINITY }, trace);
  const { supervisor, until } = supervise([broken], { policy: { ...policy, limit: 2 } });
  await supervisor.start();
  const failed = await until('broken', (s) => s.state === 'failed', 'failed');
  assert.is(broken.attempts, 3);
  assert.is(failed.restarts, 2);
  assert.match(failed.reason ?? '', /^broken could not bind \(attempt 3\) \(gave up after 3 failures;/);
  assert.is(overallHealth(supervisor.statuses()), 'degraded');
  await supervisor.stop();
  assert.is(broken.attempts, 3);
});

test('Supervisor stops and restarts a service that reports ctx.fail() after starting', async () => {
  const trace: string[] = [];
  const link = fake('link', {}, trace);
  const { supervisor, until, statesOf } = supervise([link]);
  await supervisor.start();
  const first = link.instances[0]!;
  first.ctx.fail(new Error('listener closed'));
  assert.ok(first.ctx.signal.aborted, 'the failed instance was not told to stop');
  const again = await until('link', (s) => s.state === 'running' && s.restarts === 1, 'running again');
  assert.is(again.restarts, 1);
  assert.is(first.stops, 1);
  assert.is(link.instances.length, 2);
  assert.not.ok(link.instances[1]!.ctx.signal.aborted);
  assert.equal(statesOf('link'), ['starting', 'running', 'restarting', 'starting', 'running']);
  await supervisor.stop();
});

test('Supervisor ignores a late fail() from an instance it already replaced', async () => {
  const trace: string[] = [];
  const link = fake('link', {}, trace);
  const { supervisor, changes, status, until } = supervise([link]);
  await supervisor.start();
  const first = link.instances[0]!;
  first.ctx.fail(new Error('first failure'));
  await until('link', (s) => s.state === 'running' && s.restarts === 1, 'running again');
  const second = link.instances[1]!;
  const seen = changes.length;

  first.ctx.fail(new Error('late news from the old instance'));

  // Everything fail() would set in motion (abort, stop, state change) starts synchronously.
  assert.is(changes.length, seen);
  assert.is(status('link').state, 'running');
  assert.is(status('link').restarts, 1);
  assert.not.ok(second.ctx.signal.aborted);
  assert.is(second.stops, 0);
  assert.is(first.stops, 1);
  await supervisor.stop();
  assert.is(second.stops, 1);
  assert.is(link.instances.length, 2);
  assert.not.ok(changes.some((c) => c.reason === 'late news from the old instance'));
});

test('Supervisor.stop() gives up on a service whose stop() never resolves after stopTimeoutMs', async () => {
  const trace: string[] = [];
  const store = fake('store', {}, trace);
  const stuck = fake('stuck', { after: ['store'], stop: 'hang' }, trace);
  const { supervisor, status } = supervise([store, stuck], { stopTimeoutMs: 20 });
  await supervisor.start();
  const started = performance.now();
  await supervisor.stop();
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 19, `stop() returned after ${elapsed.toFixed(1)} ms, before the 20 ms timeout`);
  assert.is(status('stuck').state, 'stopped');
  assert.is(status('store').state, 'stopped');
  assert.ok(stuck.instances[0]!.ctx.signal.aborted);
  assert.equal(trace.slice(-3), ['stop stuck', 'stop store', 'down store']);
});

test('Supervisor.stop() marks a service stopped even when its stop() throws', async () => {
  const trace: string[] = [];
  const grumpy = fake('grumpy', { stop: 'throw' }, trace);
  const { supervisor, status } = supervise([grumpy]);
  await supervisor.start();
  await supervisor.stop();
  assert.is(grumpy.instances[0]!.stops, 1);
  assert.is(status('grumpy').state, 'stopped');
});

test('Supervisor.stop() cancels a pending restart', async () => {
  const trace: string[] = [];
  const broken = fake('broken', { failStarts: Number.POSITIVE_INFINITY }, trace);
  // A long back-off: the restart is still pending when stop() runs.
  const { supervisor, status } = supervise([broken], { policy: { ...policy, baseDelayMs: 60_000, maxDelayMs: 60_000 } });
  await supervisor.start();
  assert.is(status('broken').state, 'restarting');
  await supervisor.stop();
  assert.is(status('broken').state, 'stopped');
  assert.is(broken.attempts, 1);
});

test.run();
