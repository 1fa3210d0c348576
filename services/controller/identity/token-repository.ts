import type { Database } from 'better-sqlite3';
import { effectiveRoles, type Principal, type Role } from '../access/access.ts';
import { newTokenSecret, parseToken, secretMatches, type TokenSecret } from './token-secret.ts';

export type TokenKind = 'access' | 'refresh' | 'api-key';

export interface TokenRecord {
  readonly id: string;
  readonly kind: TokenKind;
  readonly userId: string;
  readonly userName: string;
  /** A project id, '*' for the cloud, '' for a personal token. */
  readonly scope: string;
  readonly roles: readonly Role[];
  readonly name: string;
  /** The session (family) a login token belongs to: the id of its first refresh token. */
  readonly familyId: string | null;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
}

export interface NewToken {
  readonly kind: TokenKind;
  readonly userId: string;
  readonly scope: string;
  readonly roles: readonly Role[];
  readonly name?: string;
  /** The session family (a refresh token id); 'self' makes this token the root of a new one. */
  readonly familyId?: string | null;
  readonly expiresAt: Date | null;
}

/** Why a presented token is refused. */
export type TokenProblem = 'invalid' | 'expired' | 'revoked';

export type Resolution =
  | { readonly ok: true; readonly principal: Principal; readonly record: TokenRecord }
  | { readonly ok: false; readonly problem: TokenProblem; readonly record?: TokenRecord };

interface JoinedRow {
  id: string;
  secret_hash: string;
  kind: TokenKind;
  user_id: string;
  scope: string;
  roles: string;
  name: string;
  parent_id: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  user_name: string;
  disabled: number;
  scope_role: Role | null;
  cloud_role: Role | null;
}

/**
 * Access, refresh and API-key tokens. Only the SHA-256 of each secret is kept;
 * the whole token exists only in the answer that creates it.
 */
export class TokenRepository {
  readonly #db: Database;
  readonly #lookup;
  readonly #insert;

  constructor(db: Database) {
    this.#db = db;
    // One statement per request: the token by primary key, its user, and the
    // user's bindings today (both by primary key), so access follows role changes.
    this.#lookup = db.prepare<[string], JoinedRow>(`
      SELECT t.*, u.name AS user_name, u.disabled,
        (SELECT role FROM role_bindings b WHERE b.user_id = t.user_id AND b.scope = t.scope) AS scope_role,
        (SELECT role FROM role_bindings b WHERE b.user_id = t.user_id AND b.scope = '*') AS cloud_role
      FROM tokens t JOIN users u ON u.id = t.user_id
      WHERE t.id = ?`);
    this.#insert = db.prepare(
      'INSERT INTO tokens (id, secret_hash, kind, user_id, scope, roles, name, parent_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /** Stores a new token; the returned secret is the only copy of the token string. */
  issue(input: NewToken, now: Date): { secret: TokenSecret; record: TokenRecord } {
    const secret = newTokenSecret();
    const familyId = input.familyId === 'self' ? secret.id : (input.familyId ?? null);
    const createdAt = now.toISOString();
    const expiresAt = input.expiresAt?.toISOString() ?? null;
    this.#insert.run(secret.id, secret.secretHash, input.kind, input.userId, input.scope, JSON.stringify(input.roles), input.name ?? '', familyId, createdAt, expiresAt);
    return {
      secret,
      record: { id: secret.id, kind: input.kind, userId: input.userId, userName: '', scope: input.scope, roles: input.roles, name: input.name ?? '', familyId, createdAt, expiresAt, revokedAt: null },
    };
  }

  /**
   * The stored token a presented string stands for, if the secret matches;
   * undefined for anything else (malformed, unknown id, wrong secret), so a
   * guesser learns nothing about which ids exist.
   */
  find(token: string): (TokenRecord & { disabled: boolean; scopeRole: Role | undefined; cloudRole: Role | undefined }) | undefined {
    const parsed = parseToken(token);
    if (parsed === undefined) return undefined;
    const row = this.#lookup.get(parsed.id);
    if (row === undefined || !secretMatches(parsed.secret, row.secret_hash)) return undefined;
    return { ...toRecord(row), disabled: row.disabled === 1, scopeRole: row.scope_role ?? undefined, cloudRole: row.cloud_role ?? undefined };
  }

  /** The caller behind a bearer token (access or API key), or why it is refused. */
  resolve(token: string, now: Date): Resolution {
    const found = this.find(token);
    if (found === undefined || found.kind === 'refresh') return { ok: false, problem: 'invalid' };
    const { disabled, scopeRole, cloudRole, ...record } = found;
    if (record.revokedAt !== null) return { ok: false, problem: 'revoked', record };
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime()) return { ok: false, problem: 'expired', record };
    const roles = disabled ? undefined : effectiveRoles({ scope: record.scope, tokenRoles: record.roles, scopeRole, cloudRole });
    if (roles === undefined) return { ok: false, problem: 'revoked', record };
    return {
      ok: true,
      record,
      principal: { kind: record.kind === 'api-key' ? 'api-key' : 'user', userId: record.userId, userName: record.userName, tokenId: record.id, scope: record.scope, roles, expiresAt: record.expiresAt },
    };
  }

  get(id: string): TokenRecord | undefined {
    const row = this.#lookup.get(id);
    return row ? toRecord(row) : undefined;
  }

  revoke(id: string, now: Date): boolean {
    return this.#db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now.toISOString(), id).changes > 0;
  }

  /** Revokes every token of a login session; kinds narrows it (e.g. only the access tokens). */
  revokeFamily(session: { userId: string; familyId: string }, options: { now: Date; kinds?: readonly TokenKind[] }): number {
    const kinds = options.kinds ?? ['access', 'refresh'];
    const marks = kinds.map(() => '?').join(', ');
    return this.#db
      .prepare(`UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND parent_id = ? AND kind IN (${marks}) AND revoked_at IS NULL`)
      .run(options.now.toISOString(), session.userId, session.familyId, ...kinds).changes;
  }

  /** Revokes the user's login sessions (not API keys), except one session if given. */
  revokeSessions(userId: string, options: { now: Date; exceptFamily?: string | null | undefined }): number {
    return this.#db
      .prepare("UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND kind IN ('access', 'refresh') AND revoked_at IS NULL AND (? IS NULL OR parent_id IS NOT ?)")
      .run(options.now.toISOString(), userId, options.exceptFamily ?? null, options.exceptFamily ?? null).changes;
  }

  /** Revokes every token (sessions and API keys) the user holds for one scope, e.g. when their membership ends. */
  revokeScope(member: { userId: string; scope: string }, now: Date): number {
    return this.#db.prepare('UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND scope = ? AND revoked_at IS NULL').run(now.toISOString(), member.userId, member.scope).changes;
  }

  /** API keys of a project (optionally only one user's), newest first, revoked ones included. */
  apiKeys(scope: string, options: { userId?: string | undefined } = {}): TokenRecord[] {
    return this.#db
      .prepare<[string, string | null, string | null], JoinedRow>(
        `SELECT t.*, u.name AS user_name, u.disabled, NULL AS scope_role, NULL AS cloud_role
         FROM tokens t JOIN users u ON u.id = t.user_id
         WHERE t.kind = 'api-key' AND t.scope = ? AND (? IS NULL OR t.user_id = ?) ORDER BY t.created_at DESC, t.id`,
      )
      .all(scope, options.userId ?? null, options.userId ?? null)
      .map(toRecord);
  }
}

function toRecord(row: JoinedRow): TokenRecord {
  return {
    id: row.id,
    kind: row.kind,
    userId: row.user_id,
    userName: row.user_name,
    scope: row.scope,
    roles: JSON.parse(row.roles) as Role[],
    name: row.name,
    familyId: row.parent_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}
