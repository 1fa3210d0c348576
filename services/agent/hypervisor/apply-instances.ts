import { existsSync } from 'node:fs';
import { open, readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { domainNameOf, instanceIdOfDomain, isInstanceId, type InstanceReport, type InstanceSpec, type InstancesReportParams } from '../../../appliance/contracts/index.ts';
import { describeError, isAllianceError } from '../../../appliance/errors/index.ts';
import { writeFileAtomic } from '../../../appliance/files/index.ts';
import { backoffDelay } from '../backoff-delay.ts';
import { hypervisorErrors } from './errors.ts';
import { instanceFiles, type HypervisorPaths } from './hypervisor-paths.ts';
import type { ImageCache } from './image-cache.ts';
import { makeInstanceDisk, removeInstanceFiles } from './instance-disk.ts';
import type { Libvirt } from './libvirt.ts';
import { planInstances, type DomainState, type InstanceAction, type InstanceMemory, type ObservedInstance } from './plan-instances.ts';
import { renderDomain } from './render-domain.ts';

/** Makes the NoCloud seed ISO in the instance directory; its path, or undefined for none. */
export type PrepareSeed = (spec: InstanceSpec, instanceDir: string) => Promise<string | undefined>;

export interface ApplyDeps {
  readonly libvirt: Libvirt;
  readonly images: ImageCache;
  readonly paths: HypervisorPaths;
  readonly prepareSeed: PrepareSeed;
  readonly virtType: 'kvm' | 'qemu';
  readonly nowMs: () => number;
  /** Default 60 s. */
  readonly shutdownTimeoutMs?: number;
  /** Delays after a failed pass of one instance; default 5 s doubling to 5 min. */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
  readonly random?: () => number;
  readonly qemuImg?: string;
}

export interface ApplyResult {
  /** The params of host.instances. */
  readonly report: InstancesReportParams;
  /** Hand this to the next pass. */
  readonly memory: ReadonlyMap<string, InstanceMemory>;
  /** What was done, for the log. */
  readonly applied: readonly InstanceAction[];
  readonly failed: ReadonlyMap<string, string>;
}

const CONSOLE_TAIL_BYTES = 64 * 1024;
const MAX_ERROR_CHARS = 2048;

/**
 * One reconcile pass over the host's instances: observe, plan, run the plan
 * (an instance's first failure skips its remaining actions and backs it
 * off), observe again and report. Never throws for a failure of one
 * instance: it shows as state error on that instance's report.
 */
export async function applyInstances(desired: readonly InstanceSpec[], memory: ReadonlyMap<string, InstanceMemory>, deps: ApplyDeps): Promise<ApplyResult> {
  const nowMs = deps.nowMs();
  let before: ObservedInstance[];
  try {
    before = await observeInstances(deps);
  } catch (err) {
    // libvirt itself is away: nothing can be planned; every instance says why, and the next pass tries again.
    const error = describeError(err).slice(0, MAX_ERROR_CHARS);
    const instances = desired.map((s): InstanceReport => ({ id: s.id, state: 'error', error, rebootGeneration: 0, consoleTail: null }));
    return { report: { instances, removed: [] }, memory, applied: [], failed: new Map(desired.map((s) => [s.id, error])) };
  }
  const cachedImages = new Set(desired.filter((s) => deps.images.has(s.image)).map((s) => s.image.id));
  const plan = planInstances(desired, { observed: before, cachedImages, memory }, { nowMs, shutdownTimeoutMs: deps.shutdownTimeoutMs ?? 60_000 });

  const next = new Map(memory);
  const failed = new Map<string, string>();
  const applied: InstanceAction[] = [];
  const touched = new Set<string>();
  const shutdownAsked = new Set<string>();
  for (const action of plan.actions) {
    touched.add(action.id);
    if (failed.has(action.id)) continue;
    try {
      await runAction(action, deps);
      applied.push(action);
      if (action.kind === 'shutdown') shutdownAsked.add(action.id);
    } catch (err) {
      // Whatever went wrong (virsh, qemu-img, the file system) belongs to this instance alone.
      failed.set(action.id, describeError(err).slice(0, MAX_ERROR_CHARS));
    }
  }

  // Nothing was done: what was seen before the plan is still what there is.
  const after = plan.actions.length === 0 ? before : await observeInstances(deps).catch(() => before);
  const seen = new Map(after.map((o) => [o.id, o]));
  const backoff = deps.backoff ?? { minMs: 5000, maxMs: 300_000 };
  for (const id of touched) {
    const old = next.get(id);
    const error = failed.get(id);
    if (error !== undefined) {
      const failures = (old?.failures ?? 0) + 1;
      const retryAtMs = nowMs + backoffDelay(failures - 1, { ...backoff, random: deps.random?.() ?? 0.5 });
      next.set(id, { failures, retryAtMs, error, shutdownAtMs: old?.shutdownAtMs });
    } else {
      next.set(id, { failures: 0, retryAtMs: 0, error: null, shutdownAtMs: shutdownAsked.has(id) ? nowMs : old?.shutdownAtMs });
    }
  }
  const wanted = new Map(desired.map((s) => [s.id, s]));
  for (const [id, m] of next) {
    const o = seen.get(id);
    if (!wanted.has(id) && o === undefined) next.delete(id); // removed for good
    // A shutdown is over once the domain is off or the instance is wanted running again.
    else if (m.shutdownAtMs !== undefined && (wanted.get(id)?.power !== 'stopped' || !isActive(o?.domain))) next.set(id, { ...m, shutdownAtMs: undefined });
  }

  const instances: InstanceReport[] = [];
  for (const spec of desired) instances.push(await reportOf(spec.id, seen.get(spec.id), next.get(spec.id), deps));
  const removed = plan.removing.filter((id) => !wanted.has(id));
  for (const id of removed) if (seen.has(id)) instances.push(await reportOf(id, seen.get(id), next.get(id), deps));
  return { report: { instances, removed }, memory: next, applied, failed };
}

/** Our domains and instance directories as they are now. */
export async function observeInstances(deps: Pick<ApplyDeps, 'libvirt' | 'paths'>): Promise<ObservedInstance[]> {
  const ids = new Set<string>();
  const domains = new Map<string, DomainState>();
  for (const name of await deps.libvirt.listDomains()) {
    const id = instanceIdOfDomain(name);
    if (id === undefined) continue; // not ours: never touched
    ids.add(id);
    try {
      domains.set(id, await deps.libvirt.domainState(name));
    } catch (err) {
      // Undefined between the listing and now: it counts as gone.
      if (!isAllianceError(err, 'APL_HYPERVISOR_DOMAIN_NOT_FOUND')) throw err;
      ids.delete(id);
    }
  }
  for (const entry of await readdir(deps.paths.instances, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory() && isInstanceId(entry.name)) ids.add(entry.name);
  }
  const observed: ObservedInstance[] = [];
  for (const id of [...ids].sort()) {
    const files = instanceFiles(deps.paths, id);
    const generation = await readFile(files.rebootGeneration, 'utf8').then((t) => Number.parseInt(t, 10), () => Number.NaN);
    observed.push({ id, domain: domains.get(id), diskPresent: existsSync(files.disk), rebootGeneration: Number.isInteger(generation) ? generation : undefined });
  }
  return observed;
}

async function runAction(action: InstanceAction, deps: ApplyDeps): Promise<void> {
  const files = instanceFiles(deps.paths, action.id);
  const name = domainNameOf(action.id);
  // Atomic: a file torn by a crash would read as generation 0 and reboot a running guest for nothing.
  const recordGeneration = async (generation: number): Promise<void> => writeFileAtomic(files.rebootGeneration, `${generation}\n`, 0o644);
  switch (action.kind) {
    case 'fetch-image':
      await deps.images.ensure(action.image);
      return;
    case 'make-disk':
      await makeInstanceDisk(files.disk, { base: await deps.images.ensure(action.image), baseFormat: action.image.format, sizeGiB: action.diskGiB, qemuImg: deps.qemuImg });
      return;
    case 'define': {
      await mkdir(files.dir, { recursive: true });
      let seedIso: string | undefined;
      try {
        seedIso = await deps.prepareSeed(action.spec, files.dir);
      } catch (err) {
        throw hypervisorErrors.SEED_FAILED({ id: action.id, reason: describeError(err), dir: files.dir }, { cause: err });
      }
      await writeFile(files.domainXml, renderDomain(action.spec, { rootDisk: files.disk, seedIso, consoleLog: files.consoleLog }, { virtType: deps.virtType }));
      await deps.libvirt.define(files.domainXml);
      // A new domain has seen no reboot request yet: the ones before it are moot.
      await recordGeneration(action.spec.rebootGeneration);
      return;
    }
    case 'start':
      await deps.libvirt.start(name);
      await recordGeneration(action.rebootGeneration);
      return;
    case 'reboot':
      await deps.libvirt.reboot(name);
      await recordGeneration(action.rebootGeneration);
      return;
    case 'resume':
      await deps.libvirt.resume(name);
      return;
    case 'shutdown':
      await deps.libvirt.shutdown(name);
      return;
    case 'destroy':
      await deps.libvirt.destroy(name);
      return;
    case 'undefine':
      await deps.libvirt.undefine(name);
      return;
    case 'remove-files':
      await removeInstanceFiles(files.dir);
      return;
  }
}

async function reportOf(id: string, seen: ObservedInstance | undefined, memory: InstanceMemory | undefined, deps: ApplyDeps): Promise<InstanceReport> {
  const state: InstanceReport['state'] =
    memory?.error != null ? 'error' : seen?.domain === undefined ? 'missing' : isActive(seen.domain) ? 'running' : seen.domain === 'other' ? 'building' : 'stopped';
  return {
    id,
    state,
    error: memory?.error ?? null,
    rebootGeneration: seen?.rebootGeneration ?? 0,
    consoleTail: await consoleTail(instanceFiles(deps.paths, id).consoleLog),
  };
}

function isActive(domain: DomainState | undefined): boolean {
  return domain === 'running' || domain === 'paused' || domain === 'in shutdown';
}

async function consoleTail(path: string): Promise<string | null> {
  let file;
  try {
    file = await open(path, 'r');
  } catch {
    return null;
  }
  try {
    const { size } = await file.stat();
    const length = Math.min(size, CONSOLE_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await file.read(buffer, 0, length, size - length);
    // Replacement characters for a cut sequence keep it at most 64 Ki characters.
    return buffer.toString('utf8');
  } finally {
    await file.close();
  }
}
