import type { HostHealth, HostState } from '../../../appliance/contracts/index.ts';
import type { Store } from '../../../appliance/store/index.ts';
import type { HostRecord, HostRepository } from './host-repository.ts';
import { graceLastSeen, livenessStep, type LivenessThresholds } from './liveness-step.ts';

/** A change of liveness state, persisted before it is reported. */
export interface LivenessTransition {
  readonly hostId: string;
  readonly name: string;
  readonly from: HostState;
  readonly to: HostState;
  /** ISO time of the step. */
  readonly at: string;
}

export interface HostLivenessOptions {
  readonly store: Store;
  readonly hosts: HostRepository;
  readonly thresholds: LivenessThresholds;
  /** Told each transition after it is on disk: journal it, announce it. */
  readonly onTransition: (transition: LivenessTransition) => void;
}

interface Entry {
  state: HostState;
  name: string;
  lastSeenMs: number;
  /** The last heartbeat not yet written (ISO), with the health it brought. */
  unsaved: { at: string; health: HostHealth | undefined } | undefined;
  lastHeartbeatAt: string | undefined;
  health: HostHealth | undefined;
}

const LIVE: readonly HostState[] = ['active', 'suspect', 'offline'];

/**
 * Who was heard from when, in memory: a heartbeat is not a disk write. The
 * time of the last heartbeat reaches the store in batches (flush()), state
 * changes at once (tick(), heartbeat()), each in one transaction.
 */
export class HostLiveness {
  readonly #options: HostLivenessOptions;
  readonly #entries = new Map<string, Entry>();

  constructor(options: HostLivenessOptions) {
    this.#options = options;
  }

  /**
   * Takes in the enrolled hosts when the bus (re)starts at `restartMs`, each
   * with the grace of graceLastSeen(): while the bus was down nobody could be
   * heard, so silence before the start never counts. Hosts no longer enrolled
   * are dropped; a heartbeat not yet written is kept.
   */
  load(records: readonly HostRecord[], restartMs: number): void {
    const before = new Map(this.#entries);
    this.#entries.clear();
    for (const record of records) {
      if (!LIVE.includes(record.state) || record.credentialHash === null) continue;
      const known = before.get(record.id);
      this.#entries.set(record.id, {
        state: record.state,
        name: record.name,
        lastSeenMs: graceLastSeen(record.state, restartMs, this.#options.thresholds),
        unsaved: known?.unsaved,
        lastHeartbeatAt: known?.lastHeartbeatAt ?? record.lastHeartbeatAt ?? undefined,
        health: known?.health ?? record.health ?? undefined,
      });
    }
  }

  /** A host just admitted (enrolled or re-enrolled): active, as if heard from now. */
  track(record: Pick<HostRecord, 'id' | 'name'>, nowMs: number): void {
    const entry = this.#entries.get(record.id);
    this.#entries.set(record.id, {
      state: 'active',
      name: record.name,
      lastSeenMs: nowMs,
      unsaved: entry?.unsaved,
      lastHeartbeatAt: entry?.lastHeartbeatAt,
      health: entry?.health,
    });
  }

  /** A host that left liveness (retired): no more steps for it; an unsaved heartbeat is dropped. */
  forget(hostId: string): void {
    this.#entries.delete(hostId);
  }

  /**
   * A heartbeat from an enrolled host at `now`. A suspect or offline host is
   * active again at once (persisted and reported). Returns the host's state.
   */
  heartbeat(record: Pick<HostRecord, 'id' | 'name' | 'state'>, now: Date, health: HostHealth): HostState {
    const at = now.toISOString();
    let entry = this.#entries.get(record.id);
    if (entry === undefined) {
      entry = { state: record.state, name: record.name, lastSeenMs: now.getTime(), unsaved: undefined, lastHeartbeatAt: undefined, health: undefined };
      this.#entries.set(record.id, entry);
    }
    entry.name = record.name;
    entry.lastSeenMs = now.getTime();
    entry.unsaved = { at, health };
    entry.lastHeartbeatAt = at;
    entry.health = health;
    if (entry.state === 'suspect' || entry.state === 'offline') this.#apply([{ hostId: record.id, name: entry.name, from: entry.state, to: 'active', at }]);
    return this.#entries.get(record.id)?.state ?? record.state;
  }

  /** Applies livenessStep() to every tracked host at `now`; returns the transitions made. */
  tick(now: Date): LivenessTransition[] {
    const at = now.toISOString();
    const transitions: LivenessTransition[] = [];
    for (const [hostId, entry] of this.#entries) {
      const next = livenessStep(entry, now.getTime(), this.#options.thresholds);
      if (next !== undefined) transitions.push({ hostId, name: entry.name, from: entry.state, to: next, at });
    }
    return this.#apply(transitions);
  }

  /** Writes at most `limit` of the heartbeats not yet on disk, in one transaction; returns how many. */
  flush(limit = Infinity): number {
    const batch: [string, Entry][] = [];
    for (const item of this.#entries) {
      if (batch.length >= limit) break;
      if (item[1].unsaved !== undefined) batch.push(item);
    }
    if (batch.length === 0) return 0;
    const { store, hosts } = this.#options;
    store.transaction(() => {
      for (const [hostId, entry] of batch) hosts.recordHeartbeat(hostId, entry.unsaved!.at, entry.unsaved!.health);
    });
    for (const [, entry] of batch) entry.unsaved = undefined;
    return batch.length;
  }

  /** What memory knows ahead of the store: the latest heartbeat and health. */
  latest(hostId: string): { lastHeartbeatAt: string | undefined; health: HostHealth | undefined; state: HostState } | undefined {
    const entry = this.#entries.get(hostId);
    return entry === undefined ? undefined : { lastHeartbeatAt: entry.lastHeartbeatAt, health: entry.health, state: entry.state };
  }

  /** Persists transitions in one transaction, then reports those that held. */
  #apply(transitions: readonly LivenessTransition[]): LivenessTransition[] {
    if (transitions.length === 0) return [];
    const { store, hosts } = this.#options;
    const applied: LivenessTransition[] = [];
    store.transaction(() => {
      for (const t of transitions) {
        // Only from the state memory believes in: an operator's retire in the meantime wins.
        if (hosts.update(t.hostId, { state: t.to }, { at: t.at, onlyIf: [t.from] })) applied.push(t);
      }
    });
    for (const t of transitions) {
      const entry = this.#entries.get(t.hostId);
      if (entry === undefined) continue;
      if (applied.includes(t)) {
        entry.state = t.to;
        continue;
      }
      // The store says otherwise: follow it, or stop tracking a host that left liveness.
      const record = hosts.get(t.hostId);
      if (record === undefined || !LIVE.includes(record.state) || record.credentialHash === null) this.#entries.delete(t.hostId);
      else entry.state = record.state;
    }
    for (const t of applied) this.#options.onTransition(t);
    return applied;
  }
}
