import type { Database, Statement } from 'better-sqlite3';
import { inventoryHash, type Host, type HostHealth, type HostState, type Inventory } from '../../../appliance/contracts/index.ts';
import { sha256Hex } from '../../../appliance/identity/index.ts';

/** A hosts row as the controller keeps it: the API's Host plus what never leaves (key, credential hash, certificate). */
export interface HostRecord {
  readonly id: string;
  readonly publicKey: string;
  readonly name: string;
  readonly state: HostState;
  readonly addresses: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly traits: readonly string[];
  readonly inventory: Inventory | null;
  /** inventoryHash() of the inventory, written with it: what a heartbeat's inventoryHash is compared with. */
  readonly inventoryHash: string;
  readonly health: HostHealth | null;
  readonly credentialHash: string | null;
  readonly certificate: string | null;
  readonly certNotAfter: string | null;
  readonly joinTokenId: string | null;
  readonly approvedBy: string | null;
  readonly agentVersion: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly enrolledAt: string | null;
  readonly lastHeartbeatAt: string | null;
}

/** The columns an update may change; id and createdAt never change, updatedAt is set by update(). */
export type HostPatch = Partial<Omit<HostRecord, 'id' | 'createdAt' | 'updatedAt' | 'inventoryHash'>>;

interface Row {
  id: string;
  public_key: string;
  name: string;
  state: HostState;
  addresses: string;
  labels: string;
  traits: string;
  inventory: string | null;
  inventory_hash: string;
  health: string | null;
  credential_hash: string | null;
  certificate: string | null;
  cert_not_after: string | null;
  join_token_id: string | null;
  approved_by: string | null;
  agent_version: string;
  created_at: string;
  updated_at: string;
  enrolled_at: string | null;
  last_heartbeat_at: string | null;
}

const COLUMNS: Readonly<Record<keyof HostPatch, { column: string; json: boolean }>> = {
  publicKey: { column: 'public_key', json: false },
  name: { column: 'name', json: false },
  state: { column: 'state', json: false },
  addresses: { column: 'addresses', json: true },
  labels: { column: 'labels', json: true },
  traits: { column: 'traits', json: true },
  inventory: { column: 'inventory', json: true },
  health: { column: 'health', json: true },
  credentialHash: { column: 'credential_hash', json: false },
  certificate: { column: 'certificate', json: false },
  certNotAfter: { column: 'cert_not_after', json: false },
  joinTokenId: { column: 'join_token_id', json: false },
  approvedBy: { column: 'approved_by', json: false },
  agentVersion: { column: 'agent_version', json: false },
  enrolledAt: { column: 'enrolled_at', json: false },
  lastHeartbeatAt: { column: 'last_heartbeat_at', json: false },
};

const SELECT = 'SELECT * FROM hosts';

/**
 * The hosts table behind typed records. Writes run inside the caller's
 * store.transaction(), so a host change and its audit entry commit together.
 */
export class HostRepository {
  readonly #db: Database;
  readonly #get: Statement<[string], Row>;
  readonly #byCredential: Statement<[string], Row>;
  readonly #countState: Statement<[string], { n: number }>;
  readonly #heartbeat: Statement<[string | null, string | null, string]>;

  constructor(db: Database) {
    this.#db = db;
    this.#get = db.prepare(`${SELECT} WHERE id = ?`);
    this.#byCredential = db.prepare(`${SELECT} WHERE credential_hash = ?`);
    this.#countState = db.prepare('SELECT count(*) AS n FROM hosts WHERE state = ?');
    this.#heartbeat = db.prepare('UPDATE hosts SET last_heartbeat_at = ?, health = coalesce(?, health) WHERE id = ?');
  }

  get(id: string): HostRecord | undefined {
    const row = this.#get.get(id);
    return row === undefined ? undefined : fromRow(row);
  }

  /** The host holding this credential (by its SHA-256 hex), if any. */
  byCredentialHash(credentialHash: string): HostRecord | undefined {
    const row = this.#byCredential.get(credentialHash);
    return row === undefined ? undefined : fromRow(row);
  }

  /** Oldest first, optionally of one state. */
  list(options: { state?: HostState | undefined } = {}): HostRecord[] {
    const rows =
      options.state === undefined
        ? (this.#db.prepare(`${SELECT} ORDER BY created_at, id`).all() as Row[])
        : (this.#db.prepare(`${SELECT} WHERE state = ? ORDER BY created_at, id`).all(options.state) as Row[]);
    return rows.map(fromRow);
  }

  count(state: HostState): number {
    return this.#countState.get(state)?.n ?? 0;
  }

  insert(record: Omit<HostRecord, 'inventoryHash'>): void {
    const patch: HostPatch = { ...record };
    delete (patch as { id?: string }).id;
    delete (patch as { createdAt?: string }).createdAt;
    delete (patch as { updatedAt?: string }).updatedAt;
    const assigned = assignments(patch);
    const columns = ['id', 'created_at', 'updated_at', ...assigned.map(([column]) => column)];
    const values = [record.id, record.createdAt, record.updatedAt, ...assigned.map(([, value]) => value)];
    this.#db.prepare(`INSERT INTO hosts (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`).run(...values);
  }

  /**
   * Changes the given columns and updatedAt. With `onlyIf`, only while the
   * host is in one of those states. Returns whether a row changed.
   */
  update(id: string, patch: HostPatch, options: { at: string; onlyIf?: readonly HostState[] }): boolean {
    const assigned = assignments(patch);
    const sets = [...assigned.map(([column]) => `${column} = ?`), 'updated_at = ?'];
    const args = [...assigned.map(([, value]) => value), options.at, id];
    let where = 'id = ?';
    if (options.onlyIf !== undefined) {
      where += ` AND state IN (${options.onlyIf.map(() => '?').join(', ')})`;
      args.push(...options.onlyIf);
    }
    return this.#db.prepare(`UPDATE hosts SET ${sets.join(', ')} WHERE ${where}`).run(...args).changes === 1;
  }

  /** Records a heartbeat time (and the latest health) without touching updatedAt: being alive is not a change. */
  recordHeartbeat(id: string, at: string, health: HostHealth | undefined): void {
    this.#heartbeat.run(at, health === undefined ? null : JSON.stringify(health), id);
  }
}

/** SHA-256 (hex) of a bus credential: what credential_hash stores and byCredentialHash() looks up. */
export function hashCredential(credential: string): string {
  return sha256Hex(credential);
}

/** The API view of a record: nothing secret, nothing internal. */
export function toHost(record: HostRecord): Host {
  return {
    id: record.id,
    name: record.name,
    state: record.state,
    addresses: [...record.addresses],
    labels: { ...record.labels },
    traits: [...record.traits],
    inventory: record.inventory,
    health: record.health,
    agentVersion: record.agentVersion,
    certificateNotAfter: record.certNotAfter,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    enrolledAt: record.enrolledAt,
    approvedBy: record.approvedBy,
    lastHeartbeatAt: record.lastHeartbeatAt,
  };
}

/**
 * Column = value pairs of a patch (undefined fields left out). The inventory
 * carries its hash along, computed once here rather than at every read.
 */
function assignments(patch: HostPatch): [string, unknown][] {
  const entries = (Object.entries(patch) as [keyof HostPatch, unknown][]).filter(([, v]) => v !== undefined);
  const pairs: [string, unknown][] = entries.map(([k, v]) => [COLUMNS[k].column, toColumn(k, v)]);
  if (patch.inventory !== undefined) pairs.push(['inventory_hash', patch.inventory === null ? '' : inventoryHash(patch.inventory)]);
  return pairs;
}

function fromRow(row: Row): HostRecord {
  return {
    id: row.id,
    publicKey: row.public_key,
    name: row.name,
    state: row.state,
    addresses: JSON.parse(row.addresses) as string[],
    labels: JSON.parse(row.labels) as Record<string, string>,
    traits: JSON.parse(row.traits) as string[],
    inventory: row.inventory === null ? null : (JSON.parse(row.inventory) as Inventory),
    inventoryHash: row.inventory_hash,
    health: row.health === null ? null : (JSON.parse(row.health) as HostHealth),
    credentialHash: row.credential_hash,
    certificate: row.certificate,
    certNotAfter: row.cert_not_after,
    joinTokenId: row.join_token_id,
    approvedBy: row.approved_by,
    agentVersion: row.agent_version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    enrolledAt: row.enrolled_at,
    lastHeartbeatAt: row.last_heartbeat_at,
  };
}

function toColumn(key: keyof HostPatch, value: unknown): unknown {
  if (!COLUMNS[key].json) return value;
  return value === null ? null : JSON.stringify(value);
}
