import type { InstanceObservedState, InstanceSpec } from '../../../appliance/contracts/index.ts';
import type { Store } from '../../../appliance/store/index.ts';
import type { ComputeHostPort } from '../hosts/host-bus-methods.ts';
import type { ComputeRepository, FlavorRecord, ImageRecord, InstancePatch, InstanceRecord, InstanceState } from './compute-repository.ts';
import { computeErrors } from './errors.ts';
import type { ImageFiles } from './image-files.ts';

export interface ComputeHostPortOptions {
  readonly store: Store;
  readonly repo: ComputeRepository;
  readonly files: ImageFiles;
  readonly now: () => Date;
}

/** The controller's view after a host's observation; a deleting instance stays deleting. Pure. */
export function stateAfterReport(current: InstanceState, observed: InstanceObservedState): InstanceState {
  if (current === 'deleting') return current;
  return observed === 'missing' ? 'building' : observed;
}

/**
 * The compute side of the host methods: the instances placed on a host as
 * specs (desired), the host's reports (observed columns, state, an instance
 * event per change, removal of deleted ones), and image chunks for images
 * its instances use.
 */
export function computeHostPort(options: ComputeHostPortOptions): ComputeHostPort {
  const { store, repo, files, now } = options;

  return {
    desired(hostId) {
      const onHost = repo.instancesOnHost(hostId);
      const generation = Math.max(0, ...onHost.map((i) => Date.parse(i.updatedAt)));
      const flavors = new Map<string, FlavorRecord | undefined>();
      const images = new Map<string, ImageRecord | undefined>();
      const instances: InstanceSpec[] = [];
      for (const instance of onHost) {
        if (instance.state === 'deleting') continue;
        if (!flavors.has(instance.flavorId)) flavors.set(instance.flavorId, repo.flavor(instance.flavorId));
        if (!images.has(instance.imageId)) images.set(instance.imageId, repo.image(instance.imageId));
        const flavor = flavors.get(instance.flavorId);
        const image = images.get(instance.imageId);
        // Both are kept from deletion while an instance uses them (foreign keys and the delete routes).
        if (flavor === undefined || image === undefined || image.status !== 'active') continue;
        instances.push(specOf(instance, flavor, image));
      }
      return { instances, generation };
    },

    report(hostId, report) {
      const at = now().toISOString();
      return store.transaction(() => {
        let accepted = 0;
        for (const seen of report.instances) {
          const instance = repo.instance(seen.id);
          if (instance === undefined || instance.hostId !== hostId) continue;
          accepted += 1;
          const state = stateAfterReport(instance.state, seen.state);
          const patch: InstancePatch = { observedState: seen.state, error: seen.error, consoleTail: seen.consoleTail, observedAt: at, state };
          repo.updateInstance(instance.id, patch, {});
          if (seen.state !== instance.observedState || seen.error !== instance.error || state !== instance.state) {
            repo.recordEvent(instance.id, at, { kind: 'observed', message: observation(instance, state, seen.state, seen.error) });
          }
        }
        for (const id of report.removed) {
          const instance = repo.instance(id);
          if (instance === undefined || instance.hostId !== hostId || instance.state !== 'deleting') continue;
          accepted += 1;
          repo.deleteInstance(id);
          repo.recordEvent(id, at, { kind: 'deleted', message: 'the host removed it; deleted' });
        }
        return accepted;
      });
    },

    async imageChunk(hostId, imageId, offset) {
      const image = repo.image(imageId);
      if (image === undefined || image.status !== 'active' || !repo.hostUsesImage(hostId, imageId)) throw computeErrors.IMAGE_NOT_ON_HOST({ host: hostId, image: imageId });
      if (offset > image.sizeBytes) throw computeErrors.IMAGE_OFFSET_PAST_END({ image: imageId, offset, size: image.sizeBytes });
      return { data: await files.chunk(imageId, offset), sizeBytes: image.sizeBytes };
    },
  };
}

function specOf(instance: InstanceRecord, flavor: FlavorRecord, image: ImageRecord): InstanceSpec {
  return {
    id: instance.id,
    name: instance.name,
    power: instance.power,
    rebootGeneration: instance.rebootGeneration,
    vcpus: flavor.vcpus,
    memoryMiB: flavor.memoryMiB,
    diskGiB: flavor.diskGiB,
    image: { id: image.id, format: image.format, sha256: image.sha256, sizeBytes: image.sizeBytes },
    metadata: { hostname: instance.name, sshKeys: instance.sshKey === null ? [] : [instance.sshKey], userData: instance.userData, projectId: instance.projectId },
  };
}

function observation(before: InstanceRecord, state: InstanceState, observed: InstanceObservedState, error: string | null): string {
  const change = state === before.state ? `still ${state}` : `${before.state} -> ${state}`;
  return `host reports ${observed}${error === null ? '' : `: ${error}`} (${change})`;
}
