import type { Database } from 'better-sqlite3';
import type { ImageFormat, InstanceObservedState, InstancePower } from '../../../appliance/contracts/index.ts';

// The compute tables behind typed records. Writes run inside the caller's
// store.transaction(), so a change, its instance event and its audit entry
// commit together.

export type ExtraSpecs = Readonly<Record<string, string>>;

export interface FlavorRecord {
  readonly id: string;
  readonly name: string;
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly diskGiB: number;
  readonly extraSpecs: ExtraSpecs;
  readonly public: boolean;
  readonly createdAt: string;
}

export interface ImageRecord {
  readonly id: string;
  /** null: a public image. */
  readonly projectId: string | null;
  readonly name: string;
  readonly format: ImageFormat;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly status: 'uploading' | 'active';
  readonly createdAt: string;
}

export interface KeyPairRecord {
  readonly projectId: string;
  readonly name: string;
  readonly publicKey: string;
  readonly fingerprint: string;
  readonly createdAt: string;
}

export type ServerGroupPolicy = 'affinity' | 'anti-affinity';

export interface ServerGroupRecord {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly policy: ServerGroupPolicy;
  readonly createdAt: string;
}

export const INSTANCE_STATES = ['scheduling', 'building', 'running', 'stopped', 'error', 'deleting'] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

export interface InstanceRecord {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly flavorId: string;
  readonly imageId: string;
  readonly hostId: string | null;
  readonly power: InstancePower;
  readonly rebootGeneration: number;
  readonly state: InstanceState;
  readonly observedState: InstanceObservedState | null;
  readonly error: string | null;
  readonly consoleTail: string | null;
  readonly observedAt: string | null;
  readonly serverGroupId: string | null;
  readonly keyName: string | null;
  readonly sshKey: string | null;
  readonly userData: string | null;
  readonly priority: number;
  /** The placement decision made at create, as stored (JSON). */
  readonly placement: unknown;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type InstancePatch = Partial<Pick<InstanceRecord, 'hostId' | 'power' | 'rebootGeneration' | 'state' | 'observedState' | 'error' | 'consoleTail' | 'observedAt' | 'placement'>>;

export interface InstanceEvent {
  readonly id: number;
  readonly instanceId: string;
  readonly at: string;
  readonly kind: string;
  readonly message: string;
}

export interface QuotaLimits {
  readonly instances: number;
  readonly vcpus: number;
  readonly memoryMiB: number;
}

/** An instance with its flavor's sizes: what quotas and allocations count. */
export interface SizedInstance {
  readonly id: string;
  readonly projectId: string;
  readonly hostId: string | null;
  readonly serverGroupId: string | null;
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly diskGiB: number;
}

const INSTANCE_COLUMNS: Readonly<Record<keyof InstancePatch, string>> = {
  hostId: 'host_id',
  power: 'power',
  rebootGeneration: 'reboot_generation',
  state: 'state',
  observedState: 'observed_state',
  error: 'error',
  consoleTail: 'console_tail',
  observedAt: 'observed_at',
  placement: 'placement',
};

type Row = Record<string, unknown>;

export class ComputeRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  // Flavors

  flavor(idOrName: string): FlavorRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM flavors WHERE id = ? OR name = ?').get(idOrName, idOrName) as Row | undefined;
    return row === undefined ? undefined : toFlavor(row);
  }

  flavors(options: { includePrivate: boolean }): FlavorRecord[] {
    const rows = this.#db.prepare(`SELECT * FROM flavors ${options.includePrivate ? '' : 'WHERE public = 1'} ORDER BY vcpus, memory_mib, name`).all() as Row[];
    return rows.map(toFlavor);
  }

  insertFlavor(flavor: FlavorRecord): void {
    this.#db
      .prepare('INSERT INTO flavors (id, name, vcpus, memory_mib, disk_gib, extra_specs, public, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(flavor.id, flavor.name, flavor.vcpus, flavor.memoryMiB, flavor.diskGiB, JSON.stringify(flavor.extraSpecs), flavor.public ? 1 : 0, flavor.createdAt);
  }

  deleteFlavor(id: string): void {
    this.#db.prepare('DELETE FROM flavors WHERE id = ?').run(id);
  }

  // Images

  image(id: string): ImageRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM images WHERE id = ?').get(id) as Row | undefined;
    return row === undefined ? undefined : toImage(row);
  }

  /** Public images, and with a project id that project's too. */
  images(projectId: string | null): ImageRecord[] {
    const rows = this.#db.prepare('SELECT * FROM images WHERE project_id IS NULL OR project_id = ? ORDER BY created_at, id').all(projectId) as Row[];
    return rows.map(toImage);
  }

  insertImage(image: ImageRecord): void {
    this.#db
      .prepare('INSERT INTO images (id, project_id, name, format, sha256, size_bytes, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(image.id, image.projectId, image.name, image.format, image.sha256, image.sizeBytes, image.status, image.createdAt);
  }

  activateImage(id: string, sha256: string, sizeBytes: number): void {
    this.#db.prepare("UPDATE images SET status = 'active', sha256 = ?, size_bytes = ? WHERE id = ?").run(sha256, sizeBytes, id);
  }

  /** Removes the rows of uploads that never finished; answers their ids. */
  deleteUploading(): string[] {
    return (this.#db.prepare("DELETE FROM images WHERE status = 'uploading' RETURNING id").pluck().all() as string[]).sort();
  }

  deleteImage(id: string): void {
    this.#db.prepare('DELETE FROM images WHERE id = ?').run(id);
  }

  // Key pairs

  keyPair(projectId: string, name: string): KeyPairRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM key_pairs WHERE project_id = ? AND name = ?').get(projectId, name) as Row | undefined;
    return row === undefined ? undefined : toKeyPair(row);
  }

  keyPairs(projectId: string): KeyPairRecord[] {
    return (this.#db.prepare('SELECT * FROM key_pairs WHERE project_id = ? ORDER BY name').all(projectId) as Row[]).map(toKeyPair);
  }

  insertKeyPair(key: KeyPairRecord): void {
    this.#db.prepare('INSERT INTO key_pairs (project_id, name, public_key, fingerprint, created_at) VALUES (?, ?, ?, ?, ?)').run(key.projectId, key.name, key.publicKey, key.fingerprint, key.createdAt);
  }

  deleteKeyPair(projectId: string, name: string): void {
    this.#db.prepare('DELETE FROM key_pairs WHERE project_id = ? AND name = ?').run(projectId, name);
  }

  // Server groups

  serverGroup(projectId: string, idOrName: string): ServerGroupRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM server_groups WHERE project_id = ? AND (id = ? OR name = ?)').get(projectId, idOrName, idOrName) as Row | undefined;
    return row === undefined ? undefined : toServerGroup(row);
  }

  serverGroups(projectId: string): ServerGroupRecord[] {
    return (this.#db.prepare('SELECT * FROM server_groups WHERE project_id = ? ORDER BY name').all(projectId) as Row[]).map(toServerGroup);
  }

  insertServerGroup(group: ServerGroupRecord): void {
    this.#db.prepare('INSERT INTO server_groups (id, project_id, name, policy, created_at) VALUES (?, ?, ?, ?, ?)').run(group.id, group.projectId, group.name, group.policy, group.createdAt);
  }

  deleteServerGroup(id: string): void {
    this.#db.prepare('DELETE FROM server_groups WHERE id = ?').run(id);
  }

  // Instances

  instance(id: string): InstanceRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM instances WHERE id = ?').get(id) as Row | undefined;
    return row === undefined ? undefined : toInstance(row);
  }

  /** An instance of a project by id or name. */
  projectInstance(projectId: string, idOrName: string): InstanceRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM instances WHERE project_id = ? AND (id = ? OR name = ?)').get(projectId, idOrName, idOrName) as Row | undefined;
    return row === undefined ? undefined : toInstance(row);
  }

  instances(projectId: string): InstanceRecord[] {
    return (this.#db.prepare('SELECT * FROM instances WHERE project_id = ? ORDER BY created_at, name').all(projectId) as Row[]).map(toInstance);
  }

  /**
   * A change time for an instance placed on or changed on `hostId`: now, or
   * just after the latest change of an instance there, so the host's
   * generation (the latest updated_at of its instances) grows even within one
   * millisecond.
   */
  touchTime(hostId: string, nowMs: number): string {
    // ISO times of one format sort as text.
    const latest = this.#db.prepare('SELECT max(updated_at) FROM instances WHERE host_id = ?').pluck().get(hostId) as string | null;
    return new Date(Math.max(nowMs, latest === null ? 0 : Date.parse(latest) + 1)).toISOString();
  }

  instancesOnHost(hostId: string): InstanceRecord[] {
    return (this.#db.prepare('SELECT * FROM instances WHERE host_id = ? ORDER BY created_at, id').all(hostId) as Row[]).map(toInstance);
  }

  /** Instances with their flavor sizes: of one project, or (null) every placed one. */
  sized(filter: { projectId: string } | { placed: true }): SizedInstance[] {
    const where = 'projectId' in filter ? 'i.project_id = ?' : 'i.host_id IS NOT NULL';
    const args = 'projectId' in filter ? [filter.projectId] : [];
    const rows = this.#db
      .prepare(
        `SELECT i.id, i.project_id, i.host_id, i.server_group_id, f.vcpus, f.memory_mib, f.disk_gib FROM instances i JOIN flavors f ON f.id = i.flavor_id WHERE ${where}`,
      )
      .all(...args) as Row[];
    return rows.map((r) => ({
      id: r.id as string,
      projectId: r.project_id as string,
      hostId: r.host_id as string | null,
      serverGroupId: r.server_group_id as string | null,
      vcpus: r.vcpus as number,
      memoryMiB: r.memory_mib as number,
      diskGiB: r.disk_gib as number,
    }));
  }

  countUsing(column: 'flavor_id' | 'image_id' | 'server_group_id', id: string): number {
    return this.#db.prepare(`SELECT count(*) FROM instances WHERE ${column} = ?`).pluck().get(id) as number;
  }

  /** Whether an instance placed on the host uses the image. */
  hostUsesImage(hostId: string, imageId: string): boolean {
    return this.#db.prepare('SELECT 1 FROM instances WHERE host_id = ? AND image_id = ? LIMIT 1').get(hostId, imageId) !== undefined;
  }

  insertInstance(instance: InstanceRecord): void {
    this.#db
      .prepare(
        `INSERT INTO instances (id, project_id, name, flavor_id, image_id, host_id, power, reboot_generation, state, observed_state, error, console_tail, observed_at,
           server_group_id, key_name, ssh_key, user_data, priority, placement, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        instance.id,
        instance.projectId,
        instance.name,
        instance.flavorId,
        instance.imageId,
        instance.hostId,
        instance.power,
        instance.rebootGeneration,
        instance.state,
        instance.observedState,
        instance.error,
        instance.consoleTail,
        instance.observedAt,
        instance.serverGroupId,
        instance.keyName,
        instance.sshKey,
        instance.userData,
        instance.priority,
        JSON.stringify(instance.placement),
        instance.createdAt,
        instance.updatedAt,
      );
  }

  /**
   * Changes an instance. `touch` sets updated_at, which is what a host's desired
   * generation is made of: give it for changes the host must apply, not for reports.
   */
  updateInstance(id: string, patch: InstancePatch, options: { touch?: string }): void {
    const sets: string[] = [];
    const args: unknown[] = [];
    for (const [key, value] of Object.entries(patch) as [keyof InstancePatch, unknown][]) {
      sets.push(`${INSTANCE_COLUMNS[key]} = ?`);
      args.push(key === 'placement' ? JSON.stringify(value) : value);
    }
    if (options.touch !== undefined) {
      sets.push('updated_at = ?');
      args.push(options.touch);
    }
    if (sets.length === 0) return;
    this.#db.prepare(`UPDATE instances SET ${sets.join(', ')} WHERE id = ?`).run(...args, id);
  }

  deleteInstance(id: string): void {
    this.#db.prepare('DELETE FROM instances WHERE id = ?').run(id);
  }

  // Instance events

  recordEvent(instanceId: string, at: string, event: { kind: string; message: string }): void {
    this.#db.prepare('INSERT INTO instance_events (instance_id, at, kind, message) VALUES (?, ?, ?, ?)').run(instanceId, at, event.kind, event.message);
  }

  events(instanceId: string): InstanceEvent[] {
    const rows = this.#db.prepare('SELECT * FROM instance_events WHERE instance_id = ? ORDER BY id').all(instanceId) as Row[];
    return rows.map((r) => ({ id: r.id as number, instanceId: r.instance_id as string, at: r.at as string, kind: r.kind as string, message: r.message as string }));
  }

  // Quotas

  quota(projectId: string): QuotaLimits | undefined {
    const row = this.#db.prepare('SELECT * FROM quotas WHERE project_id = ?').get(projectId) as Row | undefined;
    return row === undefined ? undefined : { instances: row.instances as number, vcpus: row.vcpus as number, memoryMiB: row.memory_mib as number };
  }

  setQuota(projectId: string, limits: QuotaLimits, at: string): void {
    this.#db
      .prepare(
        `INSERT INTO quotas (project_id, instances, vcpus, memory_mib, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (project_id) DO UPDATE SET instances = excluded.instances, vcpus = excluded.vcpus, memory_mib = excluded.memory_mib, updated_at = excluded.updated_at`,
      )
      .run(projectId, limits.instances, limits.vcpus, limits.memoryMiB, at);
  }
}

function toFlavor(r: Row): FlavorRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    vcpus: r.vcpus as number,
    memoryMiB: r.memory_mib as number,
    diskGiB: r.disk_gib as number,
    extraSpecs: JSON.parse(r.extra_specs as string) as ExtraSpecs,
    public: r.public === 1,
    createdAt: r.created_at as string,
  };
}

function toImage(r: Row): ImageRecord {
  return {
    id: r.id as string,
    projectId: r.project_id as string | null,
    name: r.name as string,
    format: r.format as ImageFormat,
    sha256: r.sha256 as string,
    sizeBytes: r.size_bytes as number,
    status: r.status as ImageRecord['status'],
    createdAt: r.created_at as string,
  };
}

function toKeyPair(r: Row): KeyPairRecord {
  return { projectId: r.project_id as string, name: r.name as string, publicKey: r.public_key as string, fingerprint: r.fingerprint as string, createdAt: r.created_at as string };
}

function toServerGroup(r: Row): ServerGroupRecord {
  return { id: r.id as string, projectId: r.project_id as string, name: r.name as string, policy: r.policy as ServerGroupPolicy, createdAt: r.created_at as string };
}

function toInstance(r: Row): InstanceRecord {
  return {
    id: r.id as string,
    projectId: r.project_id as string,
    name: r.name as string,
    flavorId: r.flavor_id as string,
    imageId: r.image_id as string,
    hostId: r.host_id as string | null,
    power: r.power as InstancePower,
    rebootGeneration: r.reboot_generation as number,
    state: r.state as InstanceState,
    observedState: r.observed_state as InstanceObservedState | null,
    error: r.error as string | null,
    consoleTail: r.console_tail as string | null,
    observedAt: r.observed_at as string | null,
    serverGroupId: r.server_group_id as string | null,
    keyName: r.key_name as string | null,
    sshKey: r.ssh_key as string | null,
    userData: r.user_data as string | null,
    priority: r.priority as number,
    placement: JSON.parse(r.placement as string) as unknown,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}
