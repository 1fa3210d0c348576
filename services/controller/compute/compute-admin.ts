import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ImageFormat } from '../../../appliance/contracts/index.ts';
import type { Store } from '../../../appliance/store/index.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Actor } from '../hosts/host-admin.ts';
import type { HostRecord } from '../hosts/host-repository.ts';
import type {
  ComputeRepository,
  ExtraSpecs,
  FlavorRecord,
  ImageRecord,
  InstanceRecord,
  KeyPairRecord,
  QuotaLimits,
  ServerGroupPolicy,
  ServerGroupRecord,
} from './compute-repository.ts';
import { computeErrors } from './errors.ts';
import { checkExtraSpecs } from './flavor-traits.ts';
import { allocationsOf, placementHosts, placementRequestOf } from './host-capacity.ts';
import { ImageTooLarge, type ImageFiles } from './image-files.ts';
import type { place, PlacementDecision, PlacementPolicy, PlacementRequest } from './placement/index.ts';
import { parsePublicKey } from './ssh-public-key.ts';
import { DEFAULT_QUOTA, quotaExcess } from './quota-check.ts';
import { rejectionSummary } from './rejection-summary.ts';

/** place() from ./placement: pure, so it runs inside the create transaction. */
export type PlaceFn = typeof place;

export interface ComputeAdminOptions {
  readonly store: Store;
  readonly repo: ComputeRepository;
  /** Every host the controller knows (placement considers the enrolled ones with an inventory). */
  readonly hosts: () => readonly HostRecord[];
  readonly audit: AuditLog;
  readonly files: ImageFiles;
  readonly place: PlaceFn;
  readonly policy: PlacementPolicy;
  readonly maxImageBytes: number;
  readonly now: () => Date;
}

export interface NewInstance {
  readonly name: string;
  readonly flavor: string;
  readonly image: string;
  readonly keyName?: string | undefined;
  readonly userData?: string | undefined;
  readonly serverGroup?: string | undefined;
  readonly priority?: number | undefined;
  /** Start it stopped (default running). */
  readonly power?: 'running' | 'stopped' | undefined;
}

/** What the create transaction stores as the instance's placement explanation. */
export interface StoredPlacement {
  readonly decidedAt: string;
  readonly request: PlacementRequest;
  readonly decision: PlacementDecision;
}

export type PowerAction = 'start' | 'stop' | 'reboot';

/** Hosts whose capacity placement counts: enrolled ones (placement itself filters on state and says why). */

/**
 * Every compute mutation: each runs in one store transaction with its audit
 * entry and, for instances, an instance event.
 */
export class ComputeAdmin {
  readonly #o: ComputeAdminOptions;

  constructor(options: ComputeAdminOptions) {
    this.#o = options;
  }

  // Flavors

  createFlavor(input: { name: string; vcpus: number; memoryMiB: number; diskGiB: number; extraSpecs: ExtraSpecs; public: boolean }, actor: Actor): FlavorRecord {
    checkExtraSpecs(input.extraSpecs);
    const { store, repo, audit } = this.#o;
    return store.transaction(() => {
      if (repo.flavor(input.name) !== undefined) throw computeErrors.FLAVOR_EXISTS({ flavor: input.name });
      const flavor: FlavorRecord = { id: randomUUID(), ...input, createdAt: this.#at() };
      repo.insertFlavor(flavor);
      audit.record({ ...actor, action: 'flavors.create', target: flavor.name, outcome: 'ok', detail: { id: flavor.id, vcpus: flavor.vcpus, memoryMiB: flavor.memoryMiB, diskGiB: flavor.diskGiB } });
      return flavor;
    });
  }

  deleteFlavor(ref: string, actor: Actor): FlavorRecord {
    const { store, repo, audit } = this.#o;
    return store.transaction(() => {
      const flavor = repo.flavor(ref);
      if (flavor === undefined) throw computeErrors.FLAVOR_NOT_FOUND({ flavor: ref });
      const count = repo.countUsing('flavor_id', flavor.id);
      if (count > 0) throw computeErrors.FLAVOR_IN_USE({ flavor: flavor.name, count });
      repo.deleteFlavor(flavor.id);
      audit.record({ ...actor, action: 'flavors.delete', target: flavor.name, outcome: 'ok', detail: { id: flavor.id } });
      return flavor;
    });
  }

  // Images

  /**
   * Streams an upload into <data-dir>/images/<id>. The row exists (uploading)
   * while the bytes arrive and becomes active only when they are all there and
   * match the expected checksum; on any failure row and file are removed.
   */
  async uploadImage(input: { projectId: string | null; name: string; format: ImageFormat; expectedSha256: string | undefined; body: Readable }, actor: Actor): Promise<ImageRecord> {
    const { store, repo, audit, files } = this.#o;
    const id = randomUUID();
    const target = input.projectId === null ? 'public' : input.projectId;
    store.transaction(() => repo.insertImage({ id, projectId: input.projectId, name: input.name, format: input.format, sha256: '', sizeBytes: 0, status: 'uploading', createdAt: this.#at() }));
    const fail = async (error: Error): Promise<never> => {
      await files.remove(id);
      store.transaction(() => {
        repo.deleteImage(id);
        audit.record({ ...actor, action: 'images.upload', target: id, projectId: input.projectId, outcome: 'failed', detail: { name: input.name, error: error.message } });
      });
      throw error;
    };
    let received;
    try {
      received = await files.receive(id, input.body, { maxBytes: this.#o.maxImageBytes });
    } catch (err) {
      if (err instanceof ImageTooLarge) return fail(computeErrors.IMAGE_TOO_LARGE({ image: input.name, limit: this.#o.maxImageBytes }));
      return fail(computeErrors.IMAGE_UPLOAD_FAILED({ image: input.name, reason: (err as Error).message }, { cause: err }));
    }
    if (received.sizeBytes === 0) return fail(computeErrors.IMAGE_EMPTY({ image: input.name }));
    if (input.expectedSha256 !== undefined && input.expectedSha256 !== received.sha256) {
      return fail(computeErrors.IMAGE_CHECKSUM_MISMATCH({ image: input.name, actual: received.sha256, expected: input.expectedSha256 }));
    }
    if (input.format === 'qcow2' && !received.looksQcow2) return fail(computeErrors.IMAGE_FORMAT_MISMATCH({ image: input.name }));
    return store.transaction(() => {
      repo.activateImage(id, received.sha256, received.sizeBytes);
      audit.record({ ...actor, action: 'images.upload', target: id, projectId: input.projectId, outcome: 'ok', detail: { name: input.name, in: target, sha256: received.sha256, sizeBytes: received.sizeBytes } });
      return repo.image(id)!;
    });
  }

  /** Deletes a project's image (projectId) or a public one (null); refused while an instance uses it. */
  async deleteImage(projectId: string | null, imageId: string, actor: Actor): Promise<ImageRecord> {
    const { store, repo, audit, files } = this.#o;
    const image = store.transaction(() => {
      const found = repo.image(imageId);
      if (found === undefined || found.projectId !== projectId) throw computeErrors.IMAGE_NOT_FOUND({ image: imageId });
      const count = repo.countUsing('image_id', found.id);
      if (count > 0) throw computeErrors.IMAGE_IN_USE({ image: found.name, count });
      repo.deleteImage(found.id);
      audit.record({ ...actor, action: 'images.delete', target: found.id, projectId, outcome: 'ok', detail: { name: found.name } });
      return found;
    });
    await files.remove(image.id);
    return image;
  }

  // Key pairs

  createKeyPair(projectId: string, input: { name: string; publicKey: string }, actor: Actor): KeyPairRecord {
    const parsed = parsePublicKey(input.publicKey);
    const { store, repo, audit } = this.#o;
    return store.transaction(() => {
      if (repo.keyPair(projectId, input.name) !== undefined) throw computeErrors.KEY_PAIR_EXISTS({ project: projectId, name: input.name });
      const key: KeyPairRecord = { projectId, name: input.name, publicKey: parsed.line, fingerprint: parsed.fingerprint, createdAt: this.#at() };
      repo.insertKeyPair(key);
      audit.record({ ...actor, action: 'key-pairs.create', target: key.name, projectId, outcome: 'ok', detail: { fingerprint: key.fingerprint } });
      return key;
    });
  }

  deleteKeyPair(projectId: string, name: string, actor: Actor): KeyPairRecord {
    const { store, repo, audit } = this.#o;
    return store.transaction(() => {
      const key = repo.keyPair(projectId, name);
      if (key === undefined) throw computeErrors.KEY_PAIR_NOT_FOUND({ project: projectId, name });
      repo.deleteKeyPair(projectId, name);
      audit.record({ ...actor, action: 'key-pairs.delete', target: name, projectId, outcome: 'ok', detail: { fingerprint: key.fingerprint } });
      return key;
    });
  }

  // Server groups

  createServerGroup(projectId: string, input: { name: string; policy: ServerGroupPolicy }, actor: Actor): ServerGroupRecord {
    const { store, repo, audit } = this.#o;
    return store.transaction(() => {
      if (repo.serverGroup(projectId, input.name) !== undefined) throw computeErrors.SERVER_GROUP_EXISTS({ project: projectId, group: input.name });
      const group: ServerGroupRecord = { id: randomUUID(), projectId, name: input.name, policy: input.policy, createdAt: this.#at() };
      repo.insertServerGroup(group);
      audit.record({ ...actor, action: 'server-groups.create', target: group.id, projectId, outcome: 'ok', detail: { name: group.name, policy: group.policy } });
      return group;
    });
  }

  deleteServerGroup(projectId: string, ref: string, actor: Actor): ServerGroupRecord {
    const { store, repo, audit } = this.#o;
    return store.transaction(() => {
      const group = repo.serverGroup(projectId, ref);
      if (group === undefined) throw computeErrors.SERVER_GROUP_NOT_FOUND({ project: projectId, group: ref });
      const count = repo.countUsing('server_group_id', group.id);
      if (count > 0) throw computeErrors.SERVER_GROUP_IN_USE({ group: group.name, count });
      repo.deleteServerGroup(group.id);
      audit.record({ ...actor, action: 'server-groups.delete', target: group.id, projectId, outcome: 'ok', detail: { name: group.name } });
      return group;
    });
  }

  // Quotas

  quota(projectId: string): { limits: QuotaLimits; isDefault: boolean; used: QuotaLimits } {
    const { repo } = this.#o;
    const set = repo.quota(projectId);
    return { limits: set ?? DEFAULT_QUOTA, isDefault: set === undefined, used: this.#used(projectId) };
  }

  setQuota(projectId: string, limits: QuotaLimits, actor: Actor): void {
    const { store, repo, audit } = this.#o;
    store.transaction(() => {
      const before = repo.quota(projectId) ?? DEFAULT_QUOTA;
      repo.setQuota(projectId, limits, this.#at());
      audit.record({ ...actor, action: 'quotas.set', target: projectId, projectId, outcome: 'ok', detail: { before, after: limits } });
    });
  }

  // Instances

  /**
   * Validates, checks the quota, places and stores the instance in ONE
   * transaction, so two creates cannot both take the last room (of a quota or
   * a host). An instance no host can take is stored in state error with the
   * reasons, and then APL_COMPUTE_NO_VALID_HOST is thrown (409).
   */
  createInstance(projectId: string, input: NewInstance, actor: Actor & { mayUsePrivateFlavors: boolean }): InstanceRecord {
    const { store, repo, audit } = this.#o;
    const { actor: who, actorKind, source } = actor;
    const created = store.transaction(() => {
      const flavor = repo.flavor(input.flavor);
      if (flavor === undefined || (!flavor.public && !actor.mayUsePrivateFlavors)) throw computeErrors.FLAVOR_NOT_FOUND({ flavor: input.flavor });
      const image = repo.image(input.image);
      if (image === undefined || (image.projectId !== null && image.projectId !== projectId)) throw computeErrors.IMAGE_NOT_FOUND({ image: input.image });
      if (image.status !== 'active') throw computeErrors.IMAGE_NOT_ACTIVE({ image: image.id });
      const key = input.keyName === undefined ? undefined : repo.keyPair(projectId, input.keyName);
      if (input.keyName !== undefined && key === undefined) throw computeErrors.KEY_PAIR_NOT_FOUND({ project: projectId, name: input.keyName });
      const group = input.serverGroup === undefined ? undefined : repo.serverGroup(projectId, input.serverGroup);
      if (input.serverGroup !== undefined && group === undefined) throw computeErrors.SERVER_GROUP_NOT_FOUND({ project: projectId, group: input.serverGroup });
      if (repo.projectInstance(projectId, input.name) !== undefined) throw computeErrors.INSTANCE_EXISTS({ project: projectId, name: input.name });

      const limits = repo.quota(projectId) ?? DEFAULT_QUOTA;
      const excess = quotaExcess(this.#used(projectId), { instances: 1, vcpus: flavor.vcpus, memoryMiB: flavor.memoryMiB }, limits);
      if (excess !== undefined) throw computeErrors.OVER_QUOTA({ name: input.name, project: projectId, ...excess });

      const id = randomUUID();
      const request = placementRequestOf(id, flavor, group, 'create');
      const hosts = placementHosts(this.#o.hosts());
      const allocations = allocationsOf(repo.sized({ placed: true }));
      const decision = this.#o.place(request, hosts, allocations, this.#o.policy);
      const at = this.#at();
      const placement: StoredPlacement = { decidedAt: at, request, decision };
      const placed = decision.kind === 'placed';
      const summary = placed ? '' : rejectionSummary(decision);
      const instance: InstanceRecord = {
        id,
        projectId,
        name: input.name,
        flavorId: flavor.id,
        imageId: image.id,
        hostId: placed ? decision.hostId : null,
        power: input.power ?? 'running',
        rebootGeneration: 0,
        state: placed ? 'building' : 'error',
        observedState: null,
        error: placed ? null : `no host can take it: ${summary}`,
        consoleTail: null,
        observedAt: null,
        serverGroupId: group?.id ?? null,
        keyName: key?.name ?? null,
        sshKey: key?.publicKey ?? null,
        userData: input.userData ?? null,
        priority: input.priority ?? 0,
        placement,
        createdAt: at,
        updatedAt: at,
      };
      repo.insertInstance(instance);
      repo.recordEvent(id, at, { kind: 'created', message: `created by ${who} with flavor ${flavor.name} and image ${image.name}` });
      if (decision.kind === 'placed') {
        const host = hosts.find((h) => h.id === decision.hostId);
        repo.recordEvent(id, at, { kind: 'placed', message: `placed on host ${host?.name ?? decision.hostId} (${decision.considered} considered, ${decision.rejected.length} rejected)` });
      } else {
        repo.recordEvent(id, at, { kind: 'unschedulable', message: `no host can take it: ${summary}` });
      }
      audit.record({
        actor: who,
        actorKind,
        source,
        action: 'instances.create',
        target: id,
        projectId,
        outcome: placed ? 'ok' : 'failed',
        detail: { name: input.name, flavor: flavor.name, image: image.id, host: instance.hostId, ...(placed ? {} : { reason: summary }) },
      });
      return { instance, summary };
    });
    if (created.instance.state === 'error') throw computeErrors.NO_VALID_HOST({ name: created.instance.name, instance: created.instance.id, summary: created.summary });
    return created.instance;
  }

  /** start, stop or reboot: changes what the instance's host is told (power, reboot generation) and its generation. */
  power(projectId: string, ref: string, action: PowerAction, actor: Actor): InstanceRecord {
    const { store, repo, audit } = this.#o;
    return store.transaction(() => {
      const instance = this.#instance(projectId, ref);
      if (instance.state === 'deleting') throw computeErrors.INSTANCE_WRONG_STATE({ action, instance: instance.id, state: instance.state, hint: 'it is being deleted' });
      if (instance.hostId === null) {
        throw computeErrors.INSTANCE_WRONG_STATE({ action, instance: instance.id, state: instance.state, hint: 'it was never placed on a host; delete it and create it again' });
      }
      if (action === 'reboot' && instance.power !== 'running') {
        throw computeErrors.INSTANCE_WRONG_STATE({ action, instance: instance.id, state: `${instance.state} (desired power stopped)`, hint: 'start it instead' });
      }
      const wanted = action === 'start' ? 'running' : action === 'stop' ? 'stopped' : instance.power;
      if (action !== 'reboot' && wanted === instance.power) return instance;
      const at = this.#touch(instance.hostId);
      repo.updateInstance(instance.id, action === 'reboot' ? { rebootGeneration: instance.rebootGeneration + 1 } : { power: wanted }, { touch: at });
      repo.recordEvent(instance.id, at, { kind: action, message: `${action} asked by ${actor.actor}` });
      audit.record({ ...actor, action: `instances.${action}`, target: instance.id, projectId, outcome: 'ok', detail: { name: instance.name } });
      return repo.instance(instance.id)!;
    });
  }

  /**
   * An instance without a host goes at once; one on a host becomes deleting,
   * leaves the host's desired state, and goes when the host reports it removed.
   */
  deleteInstance(projectId: string, ref: string, actor: Actor): InstanceRecord {
    const { store, repo, audit } = this.#o;
    return store.transaction(() => {
      const instance = this.#instance(projectId, ref);
      if (instance.state === 'deleting') return instance;
      const at = instance.hostId === null ? this.#at() : this.#touch(instance.hostId);
      audit.record({ ...actor, action: 'instances.delete', target: instance.id, projectId, outcome: 'ok', detail: { name: instance.name, host: instance.hostId } });
      if (instance.hostId === null) {
        repo.deleteInstance(instance.id);
        repo.recordEvent(instance.id, at, { kind: 'deleted', message: `deleted by ${actor.actor}` });
        return { ...instance, state: 'deleting' as const, updatedAt: at };
      }
      repo.updateInstance(instance.id, { state: 'deleting' }, { touch: at });
      repo.recordEvent(instance.id, at, { kind: 'deleting', message: `delete asked by ${actor.actor}; waiting for the host to remove it` });
      return repo.instance(instance.id)!;
    });
  }

  #instance(projectId: string, ref: string): InstanceRecord {
    const instance = this.#o.repo.projectInstance(projectId, ref);
    if (instance === undefined) throw computeErrors.INSTANCE_NOT_FOUND({ project: projectId, instance: ref });
    return instance;
  }

  #used(projectId: string): QuotaLimits {
    const sized = this.#o.repo.sized({ projectId });
    return { instances: sized.length, vcpus: sized.reduce((s, i) => s + i.vcpus, 0), memoryMiB: sized.reduce((s, i) => s + i.memoryMiB, 0) };
  }

  #at(): string {
    return this.#o.now().toISOString();
  }

  #touch(hostId: string): string {
    return this.#o.repo.touchTime(hostId, this.#o.now().getTime());
  }
}
