import { setTimeout as sleep } from 'node:timers/promises';
import type { MdnsTransport, ReceivedPacket } from './mdns-transport.ts';
import type { MdnsInterface } from './network-interfaces.ts';
import { allRecords, instanceFqdn, sameName, uniqueRecords, withdrawnRecords, type Advertisement, type MdnsRecord } from './records.ts';
import { conflicts, nextInstanceName, probeTieBreak, replyTo } from './responder-decisions.ts';

// Publishes one instance (RFC 6762 §8): probe the name three times 250 ms apart,
// take the next name on a conflict, announce twice a second apart, answer
// queries, announce again when addresses change, and say goodbye (TTL 0) on stop.

export interface AdvertiserOptions {
  readonly transport: MdnsTransport;
  readonly advertisement: Advertisement;
  /** TTL of every record, seconds (RFC 6762 suggests 120 for host and SRV records). */
  readonly ttl: number;
  readonly onRenamed?: (from: string, to: string) => void;
}

const PROBES = 3;
const PROBE_INTERVAL_MS = 250;
const ANNOUNCEMENTS = 2;
/** §8.1: after 15 conflicts in ten seconds, wait five seconds before probing again. */
const CONFLICT_BURST = 15;

type Phase = 'probing' | 'announced' | 'stopped';

export class Advertiser {
  readonly #o: AdvertiserOptions;
  #instance: string;
  #phase: Phase = 'probing';
  /** Once announced, peers may hold our records: stop() owes them goodbyes even mid re-probe. */
  #everAnnounced = false;
  #conflict = false;
  #conflictTimes: number[] = [];
  #work: Promise<void> = Promise.resolve();
  readonly #stopping = new AbortController();

  constructor(options: AdvertiserOptions) {
    this.#o = options;
    this.#instance = options.advertisement.instance;
  }

  /** The name in use now (after any renames). */
  get instance(): string {
    return this.#instance;
  }

  get announced(): boolean {
    return this.#phase === 'announced';
  }

  /** Probes until a name is ours, then announces; resolves once announced. */
  start(): Promise<void> {
    this.#work = this.#probeAndAnnounce(this.#o.transport.interfaces);
    return this.#work;
  }

  /** Call with every packet the transport receives. */
  handle(packet: ReceivedPacket): void {
    if (this.#phase === 'stopped') return;
    const iface = this.#o.transport.interfaces.find((i) => i.name === packet.iface);
    if (iface === undefined) return;
    const mine = this.#records(iface);
    const unique = mine.filter((r) => r.flush);
    if (packet.kind === 'response') {
      if (conflicts(unique, packet.answers)) this.#onConflict();
      return;
    }
    const fqdn = this.#fqdn();
    if (this.#phase === 'probing') {
      // Another host probing for the same name at the same time (§8.2).
      const theirs = packet.authorities.filter((r) => sameName(r.name, fqdn));
      const ours = unique.filter((r) => sameName(r.name, fqdn));
      if (theirs.length > 0 && probeTieBreak(ours, theirs) === 'lose') this.#onConflict();
      return;
    }
    const reply = replyTo(packet.questions, packet.answers, mine);
    if (reply.answers.length === 0) return;
    // §6: answers with only unique records go at once; shared ones wait 20-120 ms
    // so that answers from many responders spread out.
    const shared = reply.answers.some((r) => !r.flush);
    const delay = shared ? 20 + Math.floor(Math.random() * 100) : 0;
    void sleep(delay, undefined, { signal: this.#stopping.signal })
      .then(() => this.#o.transport.send(iface, { kind: 'response', answers: reply.answers, additionals: reply.additionals }))
      .catch(() => undefined);
  }

  /**
   * Interfaces came or changed addresses: announce there (§8.3: probe first on
   * a new link). An address that went is withdrawn at once with a goodbye, over
   * whatever the link still has (IPv6 when the IPv4 address went), so peers do
   * not keep dialling it for a whole TTL. `before` is the previous interface list.
   */
  interfacesChanged(changed: readonly MdnsInterface[], before: readonly MdnsInterface[] = []): void {
    if (this.#phase === 'stopped' || changed.length === 0) return;
    // Even mid re-probe of an earlier change: peers may hold what we announced before it.
    if (this.#everAnnounced) {
      for (const iface of changed) {
        const old = before.find((b) => b.name === iface.name);
        const gone = old === undefined ? [] : withdrawnRecords(this.#records(old), this.#records(iface));
        if (gone.length > 0) void this.#o.transport.send(iface, { kind: 'response', answers: gone });
      }
    }
    this.#work = this.#work.then(() => (this.#phase === 'stopped' ? undefined : this.#probeAndAnnounce(changed)));
  }

  /** Sends goodbyes (TTL 0) on every interface and stops answering. */
  async stop(): Promise<void> {
    if (this.#phase === 'stopped') return;
    this.#phase = 'stopped';
    this.#stopping.abort();
    await this.#work.catch(() => undefined);
    if (!this.#everAnnounced) return;
    await Promise.all(
      this.#o.transport.interfaces.map((iface) =>
        this.#o.transport.send(iface, { kind: 'response', answers: this.#records(iface).map((r) => ({ ...r, ttl: 0 })) }),
      ),
    );
  }

  #fqdn(): string {
    return instanceFqdn(this.#instance, this.#o.advertisement.node.role);
  }

  // Every received packet needs them; they change only with the name or the
  // interface (a changed interface is a new object from the watcher).
  readonly #recordsOf = new WeakMap<MdnsInterface, { instance: string; records: MdnsRecord[] }>();

  #records(iface: MdnsInterface): MdnsRecord[] {
    const known = this.#recordsOf.get(iface);
    if (known?.instance === this.#instance) return known.records;
    const addresses = { v4: iface.v4.map((a) => a.address), v6: iface.v6.map((a) => a.address) };
    const records = allRecords({ ...this.#o.advertisement, instance: this.#instance }, addresses, this.#o.ttl);
    this.#recordsOf.set(iface, { instance: this.#instance, records });
    return records;
  }

  #onConflict(): void {
    this.#conflict = true;
    // A conflict after announcing means someone else holds the name now: probe again (§9).
    if (this.#phase === 'announced') {
      this.#phase = 'probing';
      this.#work = this.#work.then(() => this.#probeAndAnnounce(this.#o.transport.interfaces));
    }
  }

  async #probeAndAnnounce(interfaces: readonly MdnsInterface[]): Promise<void> {
    const signal = this.#stopping.signal;
    try {
      this.#phase = 'probing';
      let renamed = false;
      await sleep(Math.floor(Math.random() * 250), undefined, { signal });
      for (;;) {
        this.#conflict = false;
        for (let i = 0; i < PROBES && !this.#conflict; i += 1) {
          const fqdn = this.#fqdn();
          await Promise.all(
            interfaces.map((iface) =>
              this.#o.transport.send(iface, {
                kind: 'query',
                questions: [{ name: fqdn, type: 'ANY' }],
                authorities: uniqueRecords({ ...this.#o.advertisement, instance: this.#instance }, { v4: [], v6: [] }, this.#o.ttl),
              }),
            ),
          );
          await sleep(PROBE_INTERVAL_MS, undefined, { signal });
        }
        if (!this.#conflict) break;
        // A new name is news on every link, not only on those being probed.
        renamed = true;
        const before = this.#instance;
        this.#instance = nextInstanceName(before);
        this.#o.onRenamed?.(before, this.#instance);
        const now = Date.now();
        this.#conflictTimes = [...this.#conflictTimes.filter((t) => now - t < 10_000), now];
        if (this.#conflictTimes.length >= CONFLICT_BURST) await sleep(5000, undefined, { signal });
      }
      this.#phase = 'announced';
      this.#everAnnounced = true;
      for (let i = 0; i < ANNOUNCEMENTS; i += 1) {
        if (i > 0) await sleep(1000 * 2 ** (i - 1), undefined, { signal });
        // The links as they are at each announcement: an address may come or go
        // in between, and a stale one announced again would undo its goodbye.
        const current = this.#o.transport.interfaces;
        const links = renamed ? current : current.filter((link) => interfaces.some((p) => p.name === link.name));
        await Promise.all(links.map((iface) => this.#o.transport.send(iface, { kind: 'response', answers: this.#records(iface) })));
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    }
  }
}
