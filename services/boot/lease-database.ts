import type { Database, Statement } from 'better-sqlite3';
import type { LeaseHookEvent } from './lease-hook.ts';

// The appliance's copy of dnsmasq's lease database (dnsmasq runs with
// leasefile-ro): the lease hook applies every add/old/del, and at dnsmasq's
// start the hook's `init` prints formatLeaseFile() so no lease is lost.

export interface Lease {
  readonly ip: string;
  readonly mac: string;
  readonly hostname: string | null;
  readonly clientId: string | null;
  /** Epoch seconds; 0 = never. */
  readonly expiresAt: number;
  readonly interface: string | null;
  readonly updatedAt: string;
}

export type LeaseApplyResult = 'stored' | 'removed' | 'unchanged';

interface Row {
  ip: string;
  mac: string;
  hostname: string | null;
  client_id: string | null;
  expires_at: number;
  interface: string | null;
  updated_at: string;
}

function toLease(row: Row): Lease {
  return { ip: row.ip, mac: row.mac, hostname: row.hostname, clientId: row.client_id, expiresAt: row.expires_at, interface: row.interface, updatedAt: row.updated_at };
}

/** The leases table. Writes run inside the caller's store.transaction(). */
export class LeaseDatabase {
  readonly #upsert: Statement<[string, string, string | null, string | null, number, string | null, string]>;
  readonly #delete: Statement<[string, string]>;
  readonly #list: Statement<[], Row>;
  readonly #byMac: Statement<[string], Row>;

  constructor(db: Database) {
    // One lease per address, as in dnsmasq: a new lease of an address replaces whoever held it.
    this.#upsert = db.prepare(`
      INSERT INTO leases (ip, mac, hostname, client_id, expires_at, interface, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (ip) DO UPDATE SET mac = excluded.mac, hostname = excluded.hostname, client_id = excluded.client_id,
        expires_at = excluded.expires_at, interface = coalesce(excluded.interface, leases.interface), updated_at = excluded.updated_at`);
    // Only the holder's lease: a late del for an address since leased to another MAC removes nothing.
    this.#delete = db.prepare('DELETE FROM leases WHERE ip = ? AND mac = ?');
    this.#list = db.prepare('SELECT * FROM leases ORDER BY ip');
    this.#byMac = db.prepare('SELECT * FROM leases WHERE mac = ? ORDER BY ip');
  }

  /**
   * Applies one hook event: add and old store the lease, del removes it;
   * both are idempotent. tftp and init change nothing. `now` turns a
   * DNSMASQ_TIME_REMAINING into an expiry.
   */
  apply(event: LeaseHookEvent, options: { readonly now: Date }): LeaseApplyResult {
    if (event.action === 'tftp' || event.action === 'init') return 'unchanged';
    if (event.action === 'del') return this.#delete.run(event.ip, event.mac).changes > 0 ? 'removed' : 'unchanged';
    const nowSeconds = Math.floor(options.now.getTime() / 1000);
    const expiresAt = event.expiresAt ?? (event.timeRemaining === null ? 0 : nowSeconds + event.timeRemaining);
    this.#upsert.run(event.ip, event.mac, event.hostname, event.clientId, expiresAt, event.interface, options.now.toISOString());
    return 'stored';
  }

  list(): Lease[] {
    return this.#list.all().map(toLease);
  }

  byMac(mac: string): Lease[] {
    return this.#byMac.all(mac.toLowerCase()).map(toLease);
  }
}

/**
 * dnsmasq's lease file for the hook's `init`: one line per lease still valid
 * at `now`, `<expiry> <mac> <ip> <hostname or *> <client-id or *>`. Pure.
 */
export function formatLeaseFile(leases: readonly Lease[], now: Date): string {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  return leases
    .filter((l) => l.expiresAt === 0 || l.expiresAt > nowSeconds)
    .map((l) => `${l.expiresAt} ${l.mac} ${l.ip} ${l.hostname ?? '*'} ${l.clientId ?? '*'}\n`)
    .join('');
}
