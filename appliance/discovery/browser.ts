import { instancesInCache, type DiscoveredNode } from './instances.ts';
import type { MdnsTransport, ReceivedPacket } from './mdns-transport.ts';
import type { MdnsInterface } from './network-interfaces.ts';
import { RecordCache, type CachedRecord } from './record-cache.ts';
import { SERVICE_TYPES, type MdnsRecord } from './records.ts';
import type { NodeRole } from './txt.ts';

// Finds instances (RFC 6762 §5.2): queries each service type with what it already
// knows listed (known-answer suppression), at intervals that double from one
// second, re-asks for records at 80, 85, 90 and 95% of their TTL, and drops what expires.

export interface BrowserOptions {
  readonly transport: MdnsTransport;
  readonly roles: readonly NodeRole[];
  /** Called when the set of visible nodes changes. */
  readonly onChange?: (nodes: readonly DiscoveredNode[]) => void;
  readonly now?: () => number;
  /** Longest pause between two rounds of queries. */
  readonly maxIntervalMs?: number;
}

/** §5.2: ask again at 80%, 85%, 90% and 95% of a TTL, each plus up to 2% at random, so one lost answer is not an expiry. */
const REFRESH_AT = [0.8, 0.85, 0.9, 0.95] as const;
const REFRESH_JITTER = 0.02;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Room for known answers in one query, well under the 9000-byte packet limit. */
const KNOWN_ANSWER_BYTES = 7000;

export class Browser {
  readonly #o: BrowserOptions;
  readonly #cache = new RecordCache();
  readonly #now: () => number;
  #visible: DiscoveredNode[] = [];
  #interval = 1000;
  #queryTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  /** How many times each cached record was asked for again in its TTL, and its jitter; by cache identity. */
  readonly #refreshed = new WeakMap<MdnsRecord, { asked: number; jitter: number }>();
  #stopped = false;

  constructor(options: BrowserOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    this.#queryRound();
  }

  get nodes(): readonly DiscoveredNode[] {
    return this.#visible;
  }

  handle(packet: ReceivedPacket): void {
    if (this.#stopped || packet.kind !== 'response' || packet.answers.length === 0) return;
    this.#cache.add(packet.answers, packet.iface, packet.from, this.#now());
    this.#update();
  }

  /** New interfaces are asked at once; what was heard on removed ones is forgotten. */
  interfacesChanged(added: readonly MdnsInterface[], removed: readonly string[]): void {
    for (const name of removed) this.#cache.dropInterface(name);
    if (removed.length > 0) this.#update();
    for (const iface of added) this.#query(iface);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#queryTimer);
    clearTimeout(this.#sweepTimer);
  }

  #queryRound(): void {
    if (this.#stopped) return;
    for (const iface of this.#o.transport.interfaces) this.#query(iface);
    this.#queryTimer = setTimeout(() => this.#queryRound(), this.#interval);
    this.#interval = Math.min(this.#interval * 2, this.#o.maxIntervalMs ?? 300_000);
  }

  #query(iface: MdnsInterface): void {
    const now = this.#now();
    const questions = this.#o.roles.map((role) => ({ name: SERVICE_TYPES[role], type: 'PTR' as const }));
    // A query must stay under the 9000-byte limit (§17) or responders drop it; past
    // the budget, the rest are left out and simply get answered again (§7.2 would
    // split them over packets instead).
    let budget = KNOWN_ANSWER_BYTES;
    const known = questions
      .flatMap((q) => this.#cache.knownAnswers(q.name, 'PTR', iface.name, now))
      .filter((r) => (budget -= r.name.length + (r.type === 'PTR' ? r.data.length : 64) + 16) >= 0);
    void this.#o.transport.send(iface, { kind: 'query', questions, answers: known });
  }

  #update(): void {
    const now = this.#now();
    this.#cache.expire(now);
    const next = this.#o.roles.flatMap((role) => instancesInCache(this.#cache, role));
    if (JSON.stringify(next) !== JSON.stringify(this.#visible)) {
      this.#visible = next;
      this.#o.onChange?.(next);
    }
    this.#scheduleSweep(now);
  }

  // One timer for both expiry and the 80% refresh of whatever comes first.
  #scheduleSweep(now: number): void {
    clearTimeout(this.#sweepTimer);
    if (this.#stopped) return;
    let due: number | undefined;
    for (const e of this.#cache.find()) {
      const at = this.#refreshAt(e) ?? e.expiresAt;
      if (due === undefined || at < due) due = at;
    }
    if (due === undefined) return;
    // setTimeout fires at once for delays past 2^31-1 ms; a far sweep is just a later look.
    this.#sweepTimer = setTimeout(() => this.#sweep(), Math.min(Math.max(0, due - now) + 5, MAX_TIMER_MS));
  }

  /** When to ask again for a record next, or undefined for a goodbye or once all four asks went unanswered. */
  #refreshAt(e: CachedRecord): number | undefined {
    if (e.record.ttl === 0) return undefined;
    let state = this.#refreshed.get(e.record);
    if (state === undefined) {
      state = { asked: 0, jitter: Math.random() * REFRESH_JITTER };
      this.#refreshed.set(e.record, state);
    }
    const at = REFRESH_AT[state.asked];
    return at === undefined ? undefined : e.receivedAt + (e.expiresAt - e.receivedAt) * (at + state.jitter);
  }

  #sweep(): void {
    const now = this.#now();
    for (const e of this.#cache.find()) {
      const at = this.#refreshAt(e);
      if (at !== undefined && now >= at) {
        this.#refreshed.get(e.record)!.asked += 1;
        const iface = this.#o.transport.interfaces.find((i) => i.name === e.iface);
        if (iface !== undefined) void this.#o.transport.send(iface, { kind: 'query', questions: [{ name: e.record.name, type: e.record.type }] });
      }
    }
    this.#update();
  }
}
