import type { Database } from 'better-sqlite3';
import type { ProjectRole } from '../access/access.ts';
import { newId } from './token-secret.ts';

export interface Project {
  /** prj_...; never reused. */
  readonly id: string;
  /** Unique, DNS-label shaped: no underscore, so it never looks like an id. */
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
}

export interface Member {
  readonly userId: string;
  readonly user: string;
  readonly role: ProjectRole;
  readonly since: string;
}

interface ProjectRow {
  id: string;
  name: string;
  description: string;
  created_at: string;
}

/** Projects and who belongs to them, over the store's projects and role_bindings tables. */
export class ProjectRepository {
  readonly #db: Database;
  readonly #find;
  readonly #insert;

  constructor(db: Database) {
    this.#db = db;
    this.#find = db.prepare<[string, string], ProjectRow>('SELECT * FROM projects WHERE id = ? OR name = ?');
    this.#insert = db.prepare('INSERT INTO projects (id, name, description, created_at) VALUES (?, ?, ?, ?)');
  }

  /** A project by id or by name (names never contain "_", ids always do). */
  find(idOrName: string): Project | undefined {
    const row = this.#find.get(idOrName, idOrName);
    return row ? toProject(row) : undefined;
  }

  create(input: { name: string; description: string }, now: Date): Project {
    const project = { id: newId('prj'), name: input.name, description: input.description, createdAt: now.toISOString() };
    this.#insert.run(project.id, project.name, project.description, project.createdAt);
    return project;
  }

  /** Every project, by name. */
  list(): Project[] {
    return this.#db.prepare<[], ProjectRow>('SELECT * FROM projects ORDER BY name').all().map(toProject);
  }

  /** The projects a user has a role in, by name. */
  listForUser(userId: string): (Project & { role: ProjectRole })[] {
    return this.#db
      .prepare<[string], ProjectRow & { role: ProjectRole }>('SELECT p.*, b.role FROM projects p JOIN role_bindings b ON b.scope = p.id WHERE b.user_id = ? ORDER BY p.name')
      .all(userId)
      .map((r) => ({ ...toProject(r), role: r.role }));
  }

  /** Deletes the project with its role bindings and every token scoped to it. */
  delete(id: string): boolean {
    this.#db.prepare('DELETE FROM role_bindings WHERE scope = ?').run(id);
    this.#db.prepare('DELETE FROM tokens WHERE scope = ?').run(id);
    return this.#db.prepare('DELETE FROM projects WHERE id = ?').run(id).changes > 0;
  }

  members(projectId: string): Member[] {
    return this.#db
      .prepare<[string], { user_id: string; name: string; role: ProjectRole; created_at: string }>(
        'SELECT b.user_id, u.name, b.role, b.created_at FROM role_bindings b JOIN users u ON u.id = b.user_id WHERE b.scope = ? ORDER BY u.name',
      )
      .all(projectId)
      .map((r) => ({ userId: r.user_id, user: r.name, role: r.role, since: r.created_at }));
  }
}

function toProject(row: ProjectRow): Project {
  return { id: row.id, name: row.name, description: row.description, createdAt: row.created_at };
}
