import type { Database } from 'better-sqlite3';
import type { Evacuation, EvacuationPhase } from './evacuation-step.ts';

// instance_evacuations behind typed records. Writes run inside the caller's
// store.transaction(), with the instance change and its events.

type Row = Record<string, unknown>;

export class EvacuationRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  get(instanceId: string): Evacuation | undefined {
    const row = this.#db.prepare('SELECT * FROM instance_evacuations WHERE instance_id = ?').get(instanceId) as Row | undefined;
    return row === undefined ? undefined : toEvacuation(row);
  }

  /** The evacuations off one host, of any phase. */
  ofHost(hostId: string): Evacuation[] {
    return (this.#db.prepare('SELECT * FROM instance_evacuations WHERE failed_host_id = ? ORDER BY started_at, instance_id').all(hostId) as Row[]).map(toEvacuation);
  }

  /** Hosts with an evacuation still under way (fencing, unfenced, fenced). */
  hostsUnderWay(): string[] {
    return this.#db.prepare("SELECT DISTINCT failed_host_id FROM instance_evacuations WHERE phase IN ('fencing', 'unfenced', 'fenced') ORDER BY failed_host_id").pluck().all() as string[];
  }

  put(evacuation: Evacuation, at: string): void {
    this.#db
      .prepare(
        `INSERT INTO instance_evacuations (instance_id, failed_host_id, phase, fence_attempts, next_fence_at, target_host_id, reason, started_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (instance_id) DO UPDATE SET failed_host_id = excluded.failed_host_id, phase = excluded.phase, fence_attempts = excluded.fence_attempts,
           next_fence_at = excluded.next_fence_at, target_host_id = excluded.target_host_id, reason = excluded.reason, started_at = excluded.started_at, updated_at = excluded.updated_at`,
      )
      .run(
        evacuation.instanceId,
        evacuation.failedHostId,
        evacuation.phase,
        evacuation.fenceAttempts,
        evacuation.nextFenceAtMs === null ? null : new Date(evacuation.nextFenceAtMs).toISOString(),
        evacuation.targetHostId,
        evacuation.reason,
        evacuation.startedAt,
        at,
      );
  }
}

function toEvacuation(r: Row): Evacuation {
  return {
    instanceId: r.instance_id as string,
    failedHostId: r.failed_host_id as string,
    phase: r.phase as EvacuationPhase,
    fenceAttempts: r.fence_attempts as number,
    nextFenceAtMs: r.next_fence_at === null ? null : Date.parse(r.next_fence_at as string),
    targetHostId: r.target_host_id as string | null,
    reason: r.reason as string | null,
    startedAt: r.started_at as string,
  };
}
