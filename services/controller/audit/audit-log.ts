import type { Database } from 'better-sqlite3';

export type ActorKind = 'user' | 'api-key' | 'host' | 'system' | 'anonymous';
export type Outcome = 'ok' | 'denied' | 'failed';

export interface AuditEntry {
  /** A user name, api-key id, host id, or "system". */
  readonly actor: string;
  readonly actorKind: ActorKind;
  /** Dotted verb, e.g. "hosts.approve", "auth.login". */
  readonly action: string;
  readonly target?: string;
  readonly projectId?: string | null;
  /** Where the request came from: a client address, "bus", "control-socket". */
  readonly source?: string;
  readonly outcome: Outcome;
  /** Never secrets: no passwords, tokens or credentials. */
  readonly detail?: Record<string, unknown>;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'projectId'>> {
  readonly id: number;
  readonly at: string;
  readonly projectId: string | null;
}

export interface AuditQuery {
  readonly projectId?: string | undefined;
  readonly action?: string | undefined;
  readonly after?: number | undefined;
  readonly limit: number;
}

interface Row {
  id: number;
  at: string;
  actor: string;
  actor_kind: ActorKind;
  action: string;
  target: string;
  project_id: string | null;
  source: string;
  outcome: Outcome;
  detail: string;
}

/**
 * Who did what, when, from where: one row per mutation or refusal. Written in
 * the same transaction as the change it describes where there is one, so a
 * crash never leaves a change without its entry.
 */
export class AuditLog {
  readonly #insert;
  readonly #db: Database;
  readonly #now: () => Date;

  constructor(db: Database, now: () => Date) {
    this.#db = db;
    this.#now = now;
    this.#insert = db.prepare(
      'INSERT INTO audit_log (at, actor, actor_kind, action, target, project_id, source, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  record(entry: AuditEntry): number {
    const info = this.#insert.run(
      this.#now().toISOString(),
      entry.actor,
      entry.actorKind,
      entry.action,
      entry.target ?? '',
      entry.projectId ?? null,
      entry.source ?? '',
      entry.outcome,
      JSON.stringify(entry.detail ?? {}),
    );
    return Number(info.lastInsertRowid);
  }

  /** Newest first. */
  list(query: AuditQuery): AuditRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (clause: string, value: unknown): void => {
      where.push(clause);
      args.push(value);
    };
    if (query.projectId !== undefined) add('project_id = ?', query.projectId);
    if (query.action !== undefined) add('action = ?', query.action);
    if (query.after !== undefined) add('id > ?', query.after);
    const sql = `SELECT * FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.#db.prepare(sql).all(...args, query.limit) as Row[]).map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      actorKind: r.actor_kind,
      action: r.action,
      target: r.target,
      projectId: r.project_id,
      source: r.source,
      outcome: r.outcome,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }
}
