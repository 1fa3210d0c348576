import type { Database } from 'better-sqlite3';
import { type BmcSettings } from './bmc-settings.ts';

// The boot_bmcs table (store migration 5): one BMC per host, its password only
// ever sealed. Callers check settings with checkBmcSettings() first and wrap
// writes in Store.transaction().

export interface StoredBmc {
  readonly hostId: string;
  readonly settings: BmcSettings;
  /** sealSecret() output, with the host id as its context. */
  readonly sealedPassword: string;
  readonly updatedAt: string;
}

interface Row {
  host_id: string;
  driver: 'ipmi' | 'redfish';
  address: string;
  port: number | null;
  username: string;
  sealed_password: string;
  cipher_suite: number | null;
  system_id: string | null;
  tls_fingerprint: string | null;
  tls_ca_pem: string | null;
  updated_at: string;
}

export class BmcRecords {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  get(hostId: string): StoredBmc | undefined {
    const row = this.#db.prepare('SELECT * FROM boot_bmcs WHERE host_id = ?').get(hostId) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  put(record: StoredBmc): void {
    const s = record.settings;
    this.#db
      .prepare(
        `INSERT INTO boot_bmcs (host_id, driver, address, port, username, sealed_password, cipher_suite, system_id, tls_fingerprint, tls_ca_pem, updated_at)
         VALUES (@host_id, @driver, @address, @port, @username, @sealed_password, @cipher_suite, @system_id, @tls_fingerprint, @tls_ca_pem, @updated_at)
         ON CONFLICT (host_id) DO UPDATE SET driver = excluded.driver, address = excluded.address, port = excluded.port, username = excluded.username,
           sealed_password = excluded.sealed_password, cipher_suite = excluded.cipher_suite, system_id = excluded.system_id,
           tls_fingerprint = excluded.tls_fingerprint, tls_ca_pem = excluded.tls_ca_pem, updated_at = excluded.updated_at`,
      )
      .run({
        host_id: record.hostId,
        driver: s.driver,
        address: s.address,
        port: s.driver === 'ipmi' ? (s.port ?? null) : null,
        username: s.username,
        sealed_password: record.sealedPassword,
        cipher_suite: s.driver === 'ipmi' ? (s.cipherSuite ?? null) : null,
        system_id: s.driver === 'redfish' ? s.systemId : null,
        tls_fingerprint: s.driver === 'redfish' ? (s.tlsFingerprint ?? null) : null,
        tls_ca_pem: s.driver === 'redfish' ? (s.tlsCaPem ?? null) : null,
        updated_at: record.updatedAt,
      });
  }

  /** True if there was a record to delete. */
  delete(hostId: string): boolean {
    return this.#db.prepare('DELETE FROM boot_bmcs WHERE host_id = ?').run(hostId).changes > 0;
  }
}

function fromRow(row: Row): StoredBmc {
  const settings: BmcSettings =
    row.driver === 'ipmi'
      ? { driver: 'ipmi', address: row.address, username: row.username, ...(row.port === null ? {} : { port: row.port }), ...(row.cipher_suite === null ? {} : { cipherSuite: row.cipher_suite }) }
      : {
          driver: 'redfish',
          address: row.address,
          username: row.username,
          systemId: row.system_id ?? '',
          ...(row.tls_fingerprint === null ? {} : { tlsFingerprint: row.tls_fingerprint }),
          ...(row.tls_ca_pem === null ? {} : { tlsCaPem: row.tls_ca_pem }),
        };
  return { hostId: row.host_id, settings, sealedPassword: row.sealed_password, updatedAt: row.updated_at };
}
