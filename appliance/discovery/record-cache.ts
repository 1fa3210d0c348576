import { sameName, sameRecord, type MdnsRecord } from './records.ts';

// What a browser has heard, per interface, with expiry (RFC 6762 §5.2, §10).
// Time is passed in, so tests drive it by hand.

export interface CachedRecord {
  readonly record: MdnsRecord;
  readonly iface: string;
  /** The address it came from. */
  readonly from: string;
  readonly receivedAt: number;
  readonly expiresAt: number;
}

/** Records kept at most, over all interfaces: some thousands of nodes' worth. */
export const MAX_ENTRIES = 8192;

/** A goodbye (TTL 0) keeps the record for one more second (§10.1). */
const GOODBYE_GRACE_MS = 1000;

export class RecordCache {
  readonly #entries: CachedRecord[] = [];

  /** Adds or refreshes records from one packet. A cache-flush record replaces older ones of its name and type (§10.2). */
  add(records: readonly MdnsRecord[], iface: string, from: string, now: number): void {
    for (const r of records) {
      if (r.flush && r.ttl > 0) {
        for (let i = this.#entries.length - 1; i >= 0; i -= 1) {
          const e = this.#entries[i]!;
          // Records older than one second go; those from the same burst stay (§10.2).
          if (e.iface === iface && e.record.type === r.type && sameName(e.record.name, r.name) && !sameRecord(e.record, r) && now - e.receivedAt > 1000) {
            this.#entries.splice(i, 1);
          }
        }
      }
      const at = this.#entries.findIndex((e) => e.iface === iface && sameRecord(e.record, r));
      const expiresAt = r.ttl === 0 ? now + GOODBYE_GRACE_MS : now + r.ttl * 1000;
      const entry: CachedRecord = { record: r, iface, from, receivedAt: now, expiresAt };
      if (at >= 0) this.#entries[at] = entry;
      else if (r.ttl > 0) {
        // A link flooded with records must not grow the cache without end: the one nearest expiry makes room.
        if (this.#entries.length >= MAX_ENTRIES) this.#entries.splice(this.#soonestToExpire(), 1);
        this.#entries.push(entry);
      }
    }
  }

  #soonestToExpire(): number {
    let soonest = 0;
    for (let i = 1; i < this.#entries.length; i += 1) if (this.#entries[i]!.expiresAt < this.#entries[soonest]!.expiresAt) soonest = i;
    return soonest;
  }

  /** Drops what has expired and returns it. */
  expire(now: number): CachedRecord[] {
    const gone: CachedRecord[] = [];
    for (let i = this.#entries.length - 1; i >= 0; i -= 1) {
      if (this.#entries[i]!.expiresAt <= now) gone.push(...this.#entries.splice(i, 1));
    }
    return gone;
  }

  /** Forgets everything heard on an interface that went away. */
  dropInterface(iface: string): void {
    for (let i = this.#entries.length - 1; i >= 0; i -= 1) if (this.#entries[i]!.iface === iface) this.#entries.splice(i, 1);
  }

  /** Live records, optionally of one name and type. */
  find(name?: string, type?: MdnsRecord['type']): CachedRecord[] {
    return this.#entries.filter((e) => (name === undefined || sameName(e.record.name, name)) && (type === undefined || e.record.type === type));
  }

  /** Answers to list in a query so responders skip them: those with more than half their TTL left (§7.1), TTL as remaining. */
  knownAnswers(name: string, type: MdnsRecord['type'], iface: string, now: number): MdnsRecord[] {
    return this.#entries
      .filter((e) => e.iface === iface && e.record.type === type && sameName(e.record.name, name) && e.expiresAt - now > (e.record.ttl * 1000) / 2)
      .map((e) => ({ ...e.record, ttl: Math.floor((e.expiresAt - now) / 1000) }));
  }

  /** Earliest expiry, for scheduling the next sweep. */
  nextExpiry(): number | undefined {
    let min: number | undefined;
    for (const e of this.#entries) if (min === undefined || e.expiresAt < min) min = e.expiresAt;
    return min;
  }

  get size(): number {
    return this.#entries.length;
  }
}
