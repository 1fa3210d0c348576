import { randomBytes } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { formatJoinCode, joinSecretKey } from '../../../appliance/contracts/index.ts';
import { base32 } from '../../../appliance/identity/index.ts';

export interface JoinTokenRecord {
  readonly id: string;
  /** joinSecretKey(secret) as hex: the HMAC key of join proofs; the secret itself is never stored. */
  readonly secretHash: string;
  readonly description: string;
  readonly maxUses: number;
  readonly uses: number;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
}

interface Row {
  id: string;
  secret_hash: string;
  description: string;
  max_uses: number;
  uses: number;
  created_by: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

/** A new join code: a 16-character id and a 32-character secret, both lower-case base32 (parseJoinCode() reads it back). */
export function mintJoinCode(): { id: string; secret: string; secretHash: string; code: string } {
  const id = base32(randomBytes(10));
  const secret = base32(randomBytes(20));
  return { id, secret, secretHash: joinSecretKey(secret).toString('hex'), code: formatJoinCode(id, secret) };
}

/** The join_tokens table. Writes run inside the caller's store.transaction(). */
export class JoinTokenRepository {
  readonly #get: Statement<[string], Row>;
  readonly #list: Statement<[], Row>;
  readonly #insert: Statement<[string, string, string, number, string, string, string]>;
  readonly #revoke: Statement<[string, string]>;
  readonly #use: Statement<[string, string]>;

  constructor(db: Database) {
    this.#get = db.prepare('SELECT * FROM join_tokens WHERE id = ?');
    this.#list = db.prepare('SELECT * FROM join_tokens ORDER BY created_at, id');
    this.#insert = db.prepare('INSERT INTO join_tokens (id, secret_hash, description, max_uses, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.#revoke = db.prepare('UPDATE join_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
    // One use, only while the token can still admit: a race between two hosts cannot overspend it.
    this.#use = db.prepare('UPDATE join_tokens SET uses = uses + 1 WHERE id = ? AND revoked_at IS NULL AND uses < max_uses AND expires_at > ?');
  }

  create(token: Omit<JoinTokenRecord, 'uses' | 'revokedAt'>): JoinTokenRecord {
    this.#insert.run(token.id, token.secretHash, token.description, token.maxUses, token.createdBy, token.createdAt, token.expiresAt);
    return { ...token, uses: 0, revokedAt: null };
  }

  get(id: string): JoinTokenRecord | undefined {
    const row = this.#get.get(id);
    return row === undefined ? undefined : fromRow(row);
  }

  /** Oldest first. */
  list(): JoinTokenRecord[] {
    return this.#list.all().map(fromRow);
  }

  /** Marks the token revoked at `at`; false when it was revoked already (the first time is kept). */
  revoke(id: string, at: string): boolean {
    return this.#revoke.run(at, id).changes === 1;
  }

  /** Counts one use at `at`; false when the token cannot admit any more (revoked, expired, used up). */
  use(id: string, at: string): boolean {
    return this.#use.run(id, at).changes === 1;
  }
}

function fromRow(row: Row): JoinTokenRecord {
  return {
    id: row.id,
    secretHash: row.secret_hash,
    description: row.description,
    maxUses: row.max_uses,
    uses: row.uses,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}
