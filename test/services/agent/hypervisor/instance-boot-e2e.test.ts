// A real instance, end to end on the agent side: a private libvirtd (see
// test/_support/libvirt-daemon.ts), qemu under TCG, the test instance image
// (`make -C image test-instance`: a busybox initramfs that prints what its
// NoCloud seed says on the serial console) fetched into the image cache in
// 1 MiB chunks, the real seed writer. applyInstances boots it, stops it and
// removes it; the console log the domain XML names is the proof of the boot.
// Needs root, qemu-system-x86, genisoimage, qemu-utils, libvirt-daemon and
// libvirt-daemon-driver-qemu.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { domainNameOf, IMAGE_CHUNK_BYTES, type ImageRef, type InstanceSpec } from '../../../../appliance/contracts/index.ts';
import { applyInstances, type ApplyDeps, type ApplyResult } from '../../../../services/agent/hypervisor/apply-instances.ts';
import { hypervisorPaths, instanceFiles } from '../../../../services/agent/hypervisor/hypervisor-paths.ts';
import { ImageCache, type FetchChunk } from '../../../../services/agent/hypervisor/image-cache.ts';
import { VirshLibvirt } from '../../../../services/agent/hypervisor/libvirt.ts';
import type { InstanceMemory } from '../../../../services/agent/hypervisor/plan-instances.ts';
import { writeNoCloudSeed } from '../../../../services/agent/metadata/write-nocloud-seed.ts';
import { startLibvirtDaemon, type LibvirtDaemon } from '../../../_support/libvirt-daemon.ts';

const IMAGE_FILE = resolve(import.meta.dirname, '../../../../image/out/test-instance/disk.raw');
const BOOT_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 45_000;
const REMOVE_TIMEOUT_MS = 20_000;

const agentDir = mkdtempSync(join(tmpdir(), 'alliance-boot-e2e-'));
const paths = hypervisorPaths(agentDir);
let daemon: LibvirtDaemon | undefined;
let libvirt: VirshLibvirt | undefined;
let memory: ReadonlyMap<string, InstanceMemory> = new Map();

const imageId = randomUUID();
const spec: InstanceSpec = {
  id: randomUUID(),
  name: 'boot-e2e',
  power: 'running',
  rebootGeneration: 0,
  vcpus: 1,
  memoryMiB: 256,
  diskGiB: 1,
  image: { id: imageId, format: 'raw', sizeBytes: 0, sha256: '' },
  metadata: {
    hostname: 'boot-e2e-host',
    sshKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBootE2eKeyOne one@test', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBootE2eKeyTwo two@test'],
    userData: null,
    projectId: 'p',
  },
};
const files = instanceFiles(paths, spec.id);
const marker = `alliance-test-instance: instance-id=${spec.id} hostname=${spec.metadata.hostname} keys=2`;

/** host.image-chunk over the image file: 1 MiB a call, read at the offset asked. */
const fetchChunk: FetchChunk = async (id, offset) => {
  if (id !== imageId) throw new Error(`no image ${id}`);
  const file = await open(IMAGE_FILE, 'r');
  try {
    const { size } = await file.stat();
    const buffer = Buffer.alloc(Math.max(0, Math.min(IMAGE_CHUNK_BYTES, size - offset)));
    const { bytesRead } = await file.read(buffer, 0, buffer.byteLength, offset);
    return { data: buffer.subarray(0, bytesRead), sizeBytes: size };
  } finally {
    await file.close();
  }
};
let chunkCalls = 0;

function depsOf(daemonLibvirt: VirshLibvirt): ApplyDeps {
  return {
    libvirt: daemonLibvirt,
    images: new ImageCache(paths.images, (id, offset) => {
      chunkCalls += 1;
      return fetchChunk(id, offset);
    }),
    paths,
    virtType: 'qemu',
    nowMs: () => Date.now(),
    prepareSeed: (s, dir) => writeNoCloudSeed(s, dir),
    shutdownTimeoutMs: 30_000,
    backoff: { minMs: 500, maxMs: 2000 },
  };
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of createReadStream(path)) hash.update(piece as Buffer);
  return hash.digest('hex');
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Applies `desired` until `done` holds for a pass's result; the passes' actions, in order. */
async function applyUntil(desired: InstanceSpec[], done: (r: ApplyResult) => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<string[]> {
  const deps = depsOf(libvirt!);
  const applied: string[] = [];
  const until = Date.now() + timeoutMs;
  for (;;) {
    const result = await applyInstances(desired, memory, deps);
    memory = result.memory;
    applied.push(...result.applied.map((a) => a.kind));
    if (await done(result)) return applied;
    if (Date.now() > until) {
      const report = JSON.stringify(result.report.instances.map((i) => ({ ...i, consoleTail: i.consoleTail?.slice(-400) ?? null })));
      throw new Error(`${what}: not after ${timeoutMs} ms; actions ${applied.join(', ')}; report ${report}\nlibvirtd log:\n${daemon?.logTail() ?? ''}`);
    }
    await pause(500);
  }
}

const consoleText = (): string => (existsSync(files.consoleLog) ? readFileSync(files.consoleLog, 'utf8') : '');

test.before(async () => {
  if (!existsSync(IMAGE_FILE)) throw new Error(`${IMAGE_FILE} is missing: make -C image test-instance`);
  spec.image = { id: imageId, format: 'raw', sizeBytes: statSync(IMAGE_FILE).size, sha256: await sha256Of(IMAGE_FILE) } satisfies ImageRef;
  daemon = await startLibvirtDaemon();
  libvirt = new VirshLibvirt(daemon.uri);
});

test.after(async () => {
  // Whatever the test got to: no domain of ours outlives it, then the daemon and the files go.
  if (libvirt !== undefined) {
    const name = domainNameOf(spec.id);
    const names = await libvirt.listDomains().catch((): string[] => []);
    if (names.includes(name)) {
      await libvirt.destroy(name).catch(() => undefined);
      await libvirt.undefine(name).catch(() => undefined);
    }
    libvirt.close();
  }
  await daemon?.stop();
  rmSync(agentDir, { recursive: true, force: true });
});

test('applyInstances() boots the test image under TCG: the console shows the seed it read', async () => {
  const applied = await applyUntil([spec], (r) => r.report.instances[0]?.state === 'running', 60_000, 'the domain runs');
  assert.equal(applied, ['fetch-image', 'make-disk', 'define', 'start']);
  assert.is(chunkCalls, Math.ceil(spec.image.sizeBytes / IMAGE_CHUNK_BYTES));
  const xml = await libvirt!.dumpXml(domainNameOf(spec.id));
  assert.match(xml, /<domain type='qemu'/);
  assert.ok(xml.includes(`<log file='${files.consoleLog}'`));

  const until = Date.now() + BOOT_TIMEOUT_MS;
  while (!consoleText().includes(marker)) {
    if (Date.now() > until) assert.unreachable(`no "${marker}" on the console after ${BOOT_TIMEOUT_MS} ms:\n${consoleText().slice(-2000)}`);
    await pause(500);
  }
  // The report carries the same console.
  const again = await applyInstances([spec], memory, depsOf(libvirt!));
  memory = again.memory;
  assert.equal(again.applied, []);
  assert.ok(again.report.instances[0]?.consoleTail?.includes(marker));
});

test('applyInstances() shuts the instance off when it is wanted stopped', async () => {
  const stopped = { ...spec, power: 'stopped' as const };
  const applied = await applyUntil(
    [stopped],
    async (r) => r.report.instances[0]?.state === 'stopped' && (await libvirt!.domainState(domainNameOf(spec.id))) === 'shut off',
    STOP_TIMEOUT_MS,
    'the domain is shut off',
  );
  // The guest's acpid powers it off when the power button is pressed: no destroy needed.
  assert.equal(applied, ['shutdown']);
  assert.match(consoleText(), /power button pressed, powering off/);
});

test('applyInstances() undefines the domain and removes its files once it is no longer wanted', async () => {
  const name = domainNameOf(spec.id);
  const applied = await applyUntil([], async () => !(await libvirt!.listDomains()).includes(name) && !existsSync(files.dir), REMOVE_TIMEOUT_MS, 'the instance is gone');
  assert.equal(applied, ['undefine', 'remove-files']);
  assert.ok(existsSync(join(paths.images, `${imageId}.raw`)), 'the cached image stays for the next instance');
});

test.run();
