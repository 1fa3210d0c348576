import type { PluginContext } from '../../../../appliance/serve/index.ts';
import type { Store } from '../../../../appliance/store/index.ts';
import type { HostRecord, HostRepository } from '../../hosts/host-repository.ts';
import type { StoredPlacement } from '../compute-admin.ts';
import type { ComputeRepository, InstanceRecord } from '../compute-repository.ts';
import { allocationsOf, placementHosts, placementRequestOf } from '../host-capacity.ts';
import type { place, PlacementPolicy } from '../placement/index.ts';
import { rejectionSummary } from '../rejection-summary.ts';
import type { EvacuationRepository } from './evacuation-repository.ts';
import { evacuationStep, nextEvacuationAction, type Evacuation, type EvacuationEvent, type FenceOutcome } from './evacuation-step.ts';
import { fenceOutcomeOfAnswer, fenceOutcomeOfError } from './fence-outcome.ts';

export interface EvacuatorOptions {
  readonly store: Store;
  readonly repo: ComputeRepository;
  readonly evacuations: EvacuationRepository;
  readonly hosts: HostRepository;
  /** PluginContext.call: boot.power goes over the appliance's local bus. */
  readonly call: PluginContext['call'];
  readonly note: PluginContext['note'];
  readonly place: typeof place;
  readonly policy: PlacementPolicy;
  readonly now: () => Date;
  /** How long the boot service may take to power the host off; the bus call gets 5 s more. Default 20 000 ms. */
  readonly fenceTimeoutMs?: number;
  /** Told a run's failure (a bug or a broken store): it is logged, the next tick tries again. */
  readonly onError?: (err: unknown) => void;
}


/**
 * The I/O around evacuationStep(): reads the store, calls boot.power over the
 * bus, writes each step's result in one transaction per instance, and notes
 * what the operator must know. Runs for one host never overlap.
 */
export class Evacuator {
  readonly #o: EvacuatorOptions;
  readonly #runs = new Map<string, Promise<void>>();

  constructor(options: EvacuatorOptions) {
    this.#o = options;
  }

  /**
   * A liveness transition: offline starts (or resumes) the evacuation of the
   * host's instances, active abandons what has not moved yet. The first
   * events are on disk when this returns; fencing and moves follow (idle()).
   */
  onLivenessTransition(t: { readonly hostId: string; readonly to: string }): void {
    if (t.to === 'offline') {
      this.#startOffline(t.hostId);
      void this.run(t.hostId);
    } else if (t.to === 'active') {
      void this.run(t.hostId);
    }
  }

  /**
   * Every host that is offline or has an evacuation under way gets a run:
   * after a restart this resumes what was interrupted; on a timer it retries
   * fences whose back-off has passed.
   */
  async tick(): Promise<void> {
    // async: a store error in the reads below rejects the promise instead of throwing out of a timer callback.
    const hostIds = new Set(this.#o.evacuations.hostsUnderWay());
    for (const host of this.#o.hosts.list({ state: 'offline' })) {
      this.#startOffline(host.id);
      hostIds.add(host.id);
    }
    await Promise.all([...hostIds].map((id) => this.run(id)));
  }

  /** One pass over the host's evacuations, after any pass still running for it. */
  run(hostId: string): Promise<void> {
    const previous = this.#runs.get(hostId) ?? Promise.resolve();
    const next = previous.then(() => this.#pass(hostId)).catch((err: unknown) => this.#o.onError?.(err));
    this.#runs.set(hostId, next);
    void next.then(() => {
      if (this.#runs.get(hostId) === next) this.#runs.delete(hostId);
    });
    return next;
  }

  /** Resolves once no pass is running. */
  async idle(): Promise<void> {
    while (this.#runs.size > 0) await Promise.all([...this.#runs.values()]);
  }

  #startOffline(hostId: string): void {
    const { store, repo, hosts, evacuations } = this.#o;
    const atMs = this.#o.now().getTime();
    store.transaction(() => {
      const host = hosts.get(hostId);
      if (host === undefined || host.state !== 'offline') return;
      for (const instance of repo.instancesOnHost(hostId)) this.#apply(instance, evacuations.get(instance.id), { kind: 'host-offline', hostId, hostName: host.name, atMs });
    });
  }

  async #pass(hostId: string): Promise<void> {
    const { hosts, evacuations, repo, store } = this.#o;
    const host = hosts.get(hostId);
    const nowMs = this.#o.now().getTime();
    const actions = evacuations.ofHost(hostId).map((e) => ({ e, action: nextEvacuationAction(e, { instanceHostId: repo.instance(e.instanceId)?.hostId ?? null, hostState: host?.state, nowMs }) }));

    if (actions.some((a) => a.action === 'abandon')) {
      store.transaction(() => {
        for (const { e } of actions) this.#applyFresh(e.instanceId, { kind: 'host-back', hostName: host?.name ?? hostId, atMs: nowMs }, 'abandon');
      });
      this.#o.note('compute.evacuation.abandoned', 'info', `Host ${host?.name ?? hostId} is heard from again: its instances that had not moved stay on it`, { hostId });
      return;
    }
    if (host === undefined) return;
    if (actions.some((a) => a.action === 'fence')) {
      const outcome = await this.#fence(hostId);
      const atMs = this.#o.now().getTime();
      const before = evacuations.ofHost(hostId);
      store.transaction(() => {
        for (const e of before) this.#applyFresh(e.instanceId, { kind: 'fence', outcome, hostName: host.name, atMs }, 'fence');
      });
      this.#noteFence(host, outcome, before);
      if (outcome.kind !== 'off') return;
    }
    this.#placeAll(host);
  }

  async #fence(hostId: string): Promise<FenceOutcome> {
    const timeoutMs = this.#o.fenceTimeoutMs ?? 20_000;
    try {
      const answer = await this.#o.call('boot.power', { hostId, action: 'off', timeoutMs }, { timeoutMs: timeoutMs + 5000 });
      return fenceOutcomeOfAnswer(hostId, answer);
    } catch (err) {
      return fenceOutcomeOfError(err);
    }
  }

  /** The host's fenced instances, highest priority first, then oldest: one transaction each. */
  #placeAll(host: HostRecord): void {
    const { repo, evacuations, store } = this.#o;
    const waiting = evacuations
      .ofHost(host.id)
      .filter((e) => e.phase === 'fenced')
      .map((e) => repo.instance(e.instanceId))
      .filter((i): i is InstanceRecord => i !== undefined)
      .sort((a, b) => b.priority - a.priority || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    const moved: string[] = [];
    const stuck: string[] = [];
    for (const candidate of waiting) {
      store.transaction(() => {
        // Read again inside the transaction: whatever ran before (another pass, a restart) decides.
        const instance = repo.instance(candidate.id);
        const evacuation = evacuations.get(candidate.id);
        const now = this.#o.hosts.get(host.id);
        if (instance === undefined || nextEvacuationAction(evacuation, { instanceHostId: instance.hostId, hostState: now?.state, nowMs: this.#o.now().getTime() }) !== 'place') return;
        const { event, placement } = this.#placement(instance, host);
        const result = this.#apply(instance, evacuation, event, placement);
        if (result?.phase === 'evacuated') moved.push(`${instance.name} to ${event.kind === 'placed' ? event.hostName : '?'}`);
        else if (result?.phase === 'unplaceable') stuck.push(`${instance.name} (${result.reason ?? ''})`);
      });
    }
    if (moved.length > 0) {
      this.#o.note('compute.evacuation.moved', 'info', `Host ${host.name} is fenced; ${moved.length} instance(s) evacuated: ${moved.join(', ')}`, { hostId: host.id, moved });
    }
    if (stuck.length > 0) {
      this.#o.note(
        'compute.evacuation.unplaceable',
        'error',
        `Host ${host.name} is fenced, but no host can take ${stuck.length} of its instance(s): ${stuck.join('; ')}. Free capacity or take hosts out of maintenance, then recreate them, or restart ${host.name}`,
        { hostId: host.id, stuck },
      );
    }
  }

  #placement(instance: InstanceRecord, failed: HostRecord): { event: EvacuationEvent; placement: StoredPlacement | undefined } {
    const { repo, hosts, policy } = this.#o;
    const atMs = this.#o.now().getTime();
    const flavor = repo.flavor(instance.flavorId);
    if (flavor === undefined) return { event: { kind: 'no-host', summary: `its flavor ${instance.flavorId} is gone`, atMs }, placement: undefined };
    const group = instance.serverGroupId === null ? undefined : repo.serverGroup(instance.projectId, instance.serverGroupId);
    const request = placementRequestOf(instance.id, flavor, group, 'evacuate', [failed.id]);
    const all = hosts.list();
    const capacities = placementHosts(all);
    const allocations = allocationsOf(repo.sized({ placed: true }).filter((i) => i.id !== instance.id));
    const decision = this.#o.place(request, capacities, allocations, policy);
    const placement: StoredPlacement = { decidedAt: new Date(atMs).toISOString(), request, decision };
    if (decision.kind === 'impossible') return { event: { kind: 'no-host', summary: rejectionSummary(decision), atMs }, placement };
    const target = all.find((h) => h.id === decision.hostId);
    return { event: { kind: 'placed', hostId: decision.hostId, hostName: target?.name ?? decision.hostId, fromName: failed.name, atMs }, placement };
  }

  /** Steps one instance read again from the store, when the action still is `expected`. */
  #applyFresh(instanceId: string, event: EvacuationEvent, expected: 'fence' | 'abandon'): void {
    const { repo, evacuations, hosts } = this.#o;
    const instance = repo.instance(instanceId);
    const evacuation = evacuations.get(instanceId);
    if (instance === undefined || evacuation === undefined) return;
    const action = nextEvacuationAction(evacuation, { instanceHostId: instance.hostId, hostState: hosts.get(evacuation.failedHostId)?.state, nowMs: event.atMs });
    // A fence answer counts for every evacuation still waiting for one, due or not.
    if (expected === 'fence' ? action !== 'fence' && action !== 'wait' : action !== 'abandon') return;
    this.#apply(instance, evacuation, event);
  }

  /** Runs one step and writes its result (inside the caller's transaction); answers the evacuation after it. */
  #apply(instance: InstanceRecord, current: Evacuation | undefined, event: EvacuationEvent, placement?: StoredPlacement): Evacuation | undefined {
    const { repo, evacuations } = this.#o;
    const result = evacuationStep(current, instance, event);
    if (result.evacuation === current) return current;
    const at = new Date(event.atMs).toISOString();
    if (result.evacuation !== undefined) evacuations.put(result.evacuation, at);
    if (result.instance !== undefined) {
      const { hostId, state, error } = result.instance;
      if (hostId === undefined) {
        repo.updateInstance(instance.id, { state, error }, {});
      } else {
        // Its new host must see a generation later than any it has seen.
        const touch = repo.touchTime(hostId, event.atMs);
        repo.updateInstance(instance.id, { hostId, state, error, observedState: null, observedAt: null, ...(placement === undefined ? {} : { placement }) }, { touch });
      }
    } else if (placement !== undefined && result.evacuation?.phase === 'unplaceable') {
      repo.updateInstance(instance.id, { placement }, {});
    }
    for (const e of result.events) repo.recordEvent(instance.id, at, e);
    return result.evacuation;
  }

  #noteFence(host: HostRecord, outcome: FenceOutcome, before: readonly Evacuation[]): void {
    const data = { hostId: host.id, name: host.name };
    if (outcome.kind === 'off') {
      this.#o.note('compute.evacuation.fenced', 'info', `Host ${host.name} is fenced (its BMC confirmed power off); evacuating its instances`, data);
      return;
    }
    // Once per new reason: the retries of the same failure stay quiet.
    if (before.some((e) => e.phase === 'fencing' || (e.phase === 'unfenced' && e.reason !== outcome.reason))) {
      this.#o.note(
        'compute.evacuation.unfenced',
        'error',
        `Host ${host.name} is offline and could not be fenced: ${outcome.reason}. Nothing was restarted elsewhere and its instances are marked error. ` +
          `Restart the host, or power it off by hand or fix its BMC (boot.bmc.set); the controller retries the fence and then evacuates`,
        { ...data, reason: outcome.reason },
      );
    }
  }
}
