import { describeError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import { decideRestart, type RestartPolicy } from './restart-policy.ts';
import type { RunningService, ServiceDefinition, ServiceState, ServiceStatus } from './service.ts';
import { startOrder } from './start-order.ts';

export interface SupervisorOptions {
  readonly log: Logger;
  readonly policy: RestartPolicy;
  readonly stopTimeoutMs: number;
  readonly now?: () => number;
  /** Called on every state change, e.g. to journal it. Must not throw. */
  readonly onChange?: (status: ServiceStatus, previous: ServiceState) => void;
}

interface Entry {
  status: ServiceStatus;
  running?: RunningService | undefined;
  abort?: AbortController | undefined;
  failures: readonly number[];
  timer?: NodeJS.Timeout | undefined;
  /** Bumped on every start, so a late fail() from an old instance is ignored. */
  generation: number;
}

/**
 * Starts services in dependency order, keeps them running with bounded
 * restarts, and stops them in reverse order. Decisions (order, back-off) are
 * pure functions; this class only performs them.
 */
export class Supervisor {
  readonly #defs: Map<string, ServiceDefinition>;
  readonly #order: readonly string[];
  readonly #entries = new Map<string, Entry>();
  readonly #options: SupervisorOptions;
  readonly #now: () => number;
  #stopping = false;

  constructor(definitions: readonly ServiceDefinition[], options: SupervisorOptions) {
    this.#order = startOrder(definitions);
    this.#defs = new Map(definitions.map((d) => [d.name, d]));
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const since = new Date(this.#now()).toISOString();
    for (const name of this.#order) {
      this.#entries.set(name, { status: { name, state: 'pending', since, restarts: 0 }, failures: [], generation: 0 });
    }
  }

  async start(): Promise<void> {
    for (const name of this.#order) await this.#startOne(name);
  }

  statuses(): ServiceStatus[] {
    return this.#order.map((name) => this.#entry(name).status);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const name of [...this.#order].reverse()) {
      const entry = this.#entry(name);
      clearTimeout(entry.timer);
      if (entry.running) {
        this.#set(name, 'stopping');
        await this.#halt(name, entry);
      }
      this.#set(name, 'stopped', entry.status.reason);
    }
  }

  async #startOne(name: string): Promise<void> {
    const entry = this.#entry(name);
    const def = this.#defs.get(name)!;
    if (this.#stopping || entry.running) return;

    const deps = (def.after ?? []).map((dep) => this.#entry(dep).status);
    // Needing a service that is off on purpose makes this one off on purpose too, not degraded.
    const offDep = deps.find((s) => s.state === 'off');
    if (offDep) {
      this.#set(name, 'off', `needs ${offDep.name}, which is off: ${offDep.reason ?? 'no reason given'}`);
      return;
    }
    const waiting = deps.filter((s) => s.state !== 'running');
    if (waiting.length > 0) {
      this.#set(name, 'blocked', `waits for ${waiting.map((s) => `${s.name} (${s.state})`).join(', ')}`);
      return;
    }
    const offReason = def.preflight?.();
    if (offReason !== undefined) {
      this.#set(name, 'off', offReason);
      return;
    }

    this.#set(name, 'starting');
    const generation = ++entry.generation;
    const abort = new AbortController();
    entry.abort = abort;
    try {
      const running = await def.start({
        log: this.#options.log.child({ svc: name }),
        signal: abort.signal,
        fail: (err) => void this.#onFailure(name, err, generation),
      });
      if (this.#stopping || generation !== entry.generation) {
        await running.stop();
        return;
      }
      entry.running = running;
      this.#set(name, 'running');
    } catch (err) {
      await this.#onFailure(name, err, generation);
      return;
    }
    await this.#startDependents(name);
  }

  /** Re-evaluates services blocked on `name`: they start if they now can, or say what they wait for. */
  async #startDependents(name: string): Promise<void> {
    for (const other of this.#order) {
      const dependsOnThis = this.#defs.get(other)?.after?.includes(name) ?? false;
      if (dependsOnThis && this.#entry(other).status.state === 'blocked') await this.#startOne(other);
    }
  }

  async #onFailure(name: string, err: unknown, generation: number): Promise<void> {
    const entry = this.#entry(name);
    if (this.#stopping || generation !== entry.generation) return;
    entry.generation += 1;
    this.#options.log.error({ svc: name, err: describeError(err) }, 'service failed');
    if (entry.running) await this.#halt(name, entry);

    const decision = decideRestart(entry.failures, this.#now(), this.#options.policy);
    entry.failures = decision.recentFailures;
    if (decision.action === 'give-up') {
      this.#set(name, 'failed', `${describeError(err)} (gave up after ${decision.recentFailures.length} failures; see the log, fix it, restart alliance)`);
      await this.#startDependents(name); // they stay blocked, now naming the failure
      return;
    }
    this.#set(name, 'restarting', describeError(err));
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      entry.status = { ...entry.status, restarts: entry.status.restarts + 1 };
      void this.#startOne(name);
    }, decision.delayMs);
  }

  /** Stops a running instance, giving up on it after stopTimeoutMs. */
  async #halt(name: string, entry: Entry): Promise<void> {
    const running = entry.running;
    entry.running = undefined;
    entry.abort?.abort();
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#options.stopTimeoutMs);
    });
    try {
      const result = await Promise.race([running.stop().then(() => 'stopped' as const), timeout]);
      if (result === 'timeout') this.#options.log.warn({ svc: name, timeoutMs: this.#options.stopTimeoutMs }, 'service did not stop in time; leaving it');
    } catch (err) {
      this.#options.log.warn({ svc: name, err: describeError(err) }, 'service failed while stopping');
    } finally {
      clearTimeout(timer);
    }
  }

  #set(name: string, state: ServiceState, reason?: string): void {
    const entry = this.#entry(name);
    const previous = entry.status.state;
    if (previous === state && entry.status.reason === reason) return;
    entry.status = { name, state, reason, since: new Date(this.#now()).toISOString(), restarts: entry.status.restarts };
    this.#options.log.info({ svc: name, state, reason, previous }, 'service state');
    this.#options.onChange?.(entry.status, previous);
  }

  #entry(name: string): Entry {
    const entry = this.#entries.get(name);
    if (!entry) throw new Error(`supervisor invariant: no entry for service "${name}"`);
    return entry;
  }
}
