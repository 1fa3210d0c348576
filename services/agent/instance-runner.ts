import { Value } from '@sinclair/typebox/value';
import { HOST_METHODS, ImageChunkResult, type InstanceSpec, type InstancesReportParams } from '../../appliance/contracts/index.ts';
import type { Logger } from '../../appliance/log/index.ts';
import { applyInstances, type ApplyDeps } from './hypervisor/apply-instances.ts';
import { ImageCache } from './hypervisor/image-cache.ts';
import { hypervisorPaths } from './hypervisor/hypervisor-paths.ts';
import { VirshLibvirt } from './hypervisor/libvirt.ts';
import type { InstanceMemory } from './hypervisor/plan-instances.ts';
import { detectVirtType } from './hypervisor/virt-type.ts';
import { writeNoCloudSeed } from './metadata/write-nocloud-seed.ts';

// The agent's compute side between heartbeats: each pass applies the
// instances of the desired state with libvirt and says what the host now
// runs. Images come over the agent's own bus session (host.image-chunk), so
// the runner holds no credential of its own.

/** A bus call on the agent's session with the controller. */
export type SessionCall = (method: string, params: unknown) => Promise<unknown>;

export interface InstanceRunner {
  /** Applies `desired` and returns the report for host.instances. Never throws for one instance's failure. */
  pass(desired: readonly InstanceSpec[], call: SessionCall): Promise<InstancesReportParams>;
  close(): void;
}

export interface InstanceRunnerOptions {
  /** libvirt connection URI: qemu:///system on a host, test:///default in tests. */
  readonly uri: string;
  /** The agent's directory: images/ and instances/ go below it. */
  readonly agentDir: string;
  readonly log: Logger;
  /** Overrides for tests; production uses the real ones. */
  readonly deps?: Partial<Pick<ApplyDeps, 'libvirt' | 'prepareSeed' | 'virtType' | 'nowMs' | 'shutdownTimeoutMs'>>;
}

export function instanceRunner(options: InstanceRunnerOptions): InstanceRunner {
  const paths = hypervisorPaths(options.agentDir);
  const libvirt = options.deps?.libvirt ?? new VirshLibvirt(options.uri);
  const virtType = options.deps?.virtType ?? detectVirtType();
  let call: SessionCall | undefined;
  // One cache for the runner's life, so concurrent fetches of an image are shared; it asks over the current session.
  const images = new ImageCache(paths.images, async (imageId, offset) => {
    if (call === undefined) throw new Error('no bus session with the controller');
    const answer = await call(HOST_METHODS.imageChunk, { imageId, offset });
    if (!Value.Check(ImageChunkResult, answer)) throw new TypeError(`host.image-chunk answered something that is not an image chunk (${typeof answer})`);
    return answer;
  });
  let memory: ReadonlyMap<string, InstanceMemory> = new Map();
  return {
    async pass(desired, sessionCall) {
      call = sessionCall;
      const result = await applyInstances(desired, memory, {
        libvirt,
        images,
        paths,
        prepareSeed: options.deps?.prepareSeed ?? writeNoCloudSeed,
        virtType,
        nowMs: options.deps?.nowMs ?? Date.now,
        ...(options.deps?.shutdownTimeoutMs === undefined ? {} : { shutdownTimeoutMs: options.deps.shutdownTimeoutMs }),
      });
      memory = result.memory;
      if (result.applied.length > 0 || result.failed.size > 0) {
        options.log.info({ applied: result.applied.map((a) => `${a.kind} ${a.id}`), failed: Object.fromEntries(result.failed) }, 'instances applied');
      }
      return result.report;
    },
    close: () => libvirt.close(),
  };
}
