import type { Database } from 'better-sqlite3';
import type { Role } from '../access/access.ts';
import { newId } from './token-secret.ts';

export interface User {
  /** usr_...; never reused. */
  readonly id: string;
  readonly name: string;
  readonly disabled: boolean;
  readonly createdAt: string;
}

/** A role a user holds: in a project (scope = project id) or over the cloud (scope '*', cloud-admin). */
export interface Binding {
  readonly scope: string;
  readonly role: Role;
  readonly since: string;
}

interface UserRow {
  id: string;
  name: string;
  password_hash: string | null;
  disabled: number;
  created_at: string;
}

/** Users, their password hashes and their role bindings, over the store's users and role_bindings tables. */
export class UserRepository {
  readonly #db: Database;
  readonly #byName;
  readonly #role;
  readonly #countWithRole;

  constructor(db: Database) {
    this.#db = db;
    this.#byName = db.prepare<[string], UserRow>('SELECT * FROM users WHERE name = ?');
    this.#countWithRole = db.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM role_bindings WHERE scope = ? AND role = ?');
    this.#role = db.prepare<[string, string], { role: Role }>('SELECT role FROM role_bindings WHERE user_id = ? AND scope = ?');
  }

  find(name: string): User | undefined {
    const row = this.#byName.get(name);
    return row ? toUser(row) : undefined;
  }

  /** The stored password hash (null: the user cannot log in with a password). Never leaves the controller. */
  passwordHash(name: string): { user: User; hash: string | null } | undefined {
    const row = this.#byName.get(name);
    return row ? { user: toUser(row), hash: row.password_hash } : undefined;
  }

  create(input: { name: string; passwordHash: string }, now: Date): User {
    const user = { id: newId('usr'), name: input.name, disabled: false, createdAt: now.toISOString() };
    this.#db.prepare('INSERT INTO users (id, name, password_hash, created_at) VALUES (?, ?, ?, ?)').run(user.id, user.name, input.passwordHash, user.createdAt);
    return user;
  }

  setPasswordHash(userId: string, hash: string): void {
    this.#db.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(hash, userId);
  }

  list(): User[] {
    return this.#db.prepare<[], UserRow>('SELECT * FROM users ORDER BY name').all().map(toUser);
  }

  /** Deletes the user; its bindings and tokens go with it (foreign keys cascade). */
  delete(userId: string): boolean {
    return this.#db.prepare('DELETE FROM users WHERE id = ?').run(userId).changes > 0;
  }

  bindings(userId: string): Binding[] {
    return this.#db
      .prepare<[string], { scope: string; role: Role; created_at: string }>('SELECT scope, role, created_at FROM role_bindings WHERE user_id = ? ORDER BY scope')
      .all(userId)
      .map((r) => ({ scope: r.scope, role: r.role, since: r.created_at }));
  }

  role(userId: string, scope: string): Role | undefined {
    return this.#role.get(userId, scope)?.role;
  }

  /** Gives the user a role in scope, replacing the one it had there. */
  bind(userId: string, binding: { scope: string; role: Role }, now: Date): void {
    this.#db
      .prepare('INSERT INTO role_bindings (user_id, scope, role, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (user_id, scope) DO UPDATE SET role = excluded.role')
      .run(userId, binding.scope, binding.role, now.toISOString());
  }

  unbind(userId: string, scope: string): boolean {
    return this.#db.prepare('DELETE FROM role_bindings WHERE user_id = ? AND scope = ?').run(userId, scope).changes > 0;
  }

  /** How many users hold role in scope (cloud-admins: scope '*'). */
  countWithRole(scope: string, role: Role): number {
    return this.#countWithRole.get(scope, role)!.n;
  }
}

function toUser(row: UserRow): User {
  return { id: row.id, name: row.name, disabled: row.disabled === 1, createdAt: row.created_at };
}
