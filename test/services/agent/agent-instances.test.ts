// runAgent() running instances: the controller side is ControllerDouble (a
// named test double, _controller-double.ts) listing instances in host.desired
// and serving the image over host.image-chunk; the agent side is all real:
// its bus session, the image cache, qemu-img, the NoCloud seed (genisoimage)
// and libvirt through virsh on the test:///default driver.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultConfig, type Config } from '../../../appliance/config/index.ts';
import type { InstanceReport, InstanceSpec } from '../../../appliance/contracts/index.ts';
import { dataDirLayout } from '../../../appliance/data-dir/index.ts';
import { createLogger } from '../../../appliance/log/index.ts';
import { runAgent } from '../../../services/agent/agent.ts';
import { toInventory, type RawInventory } from '../../../services/agent/to-inventory.ts';
import { tempDir } from '../../_support/appliance-process.ts';
import { killIfFrozen, within } from '../../_support/nng.ts';
import { ControllerDouble } from './_controller-double.ts';

killIfFrozen();

const FAST = { minMs: 20, maxMs: 200 };
const inventory = toInventory(JSON.parse(readFileSync(join(import.meta.dirname, 'testdata', 'raw-inventory-server.json'), 'utf8')) as RawInventory);
const root = tempDir('agent-instances');
// A raw image of 3 MiB + 5 bytes: several chunks (IMAGE_CHUNK_BYTES), and a last short one.
const image = Buffer.alloc(3 * 1024 * 1024 + 5, 7);
const imageId = randomUUID();
let double: ControllerDouble;

function spec(power: 'running' | 'stopped'): InstanceSpec {
  return {
    id: '5d0c7a52-35d6-4a49-9a3c-1a2b3c4d5e6f',
    name: 'web-1',
    power,
    rebootGeneration: 0,
    vcpus: 1,
    memoryMiB: 128,
    diskGiB: 1,
    image: { id: imageId, format: 'raw', sha256: createHash('sha256').update(image).digest('hex'), sizeBytes: image.length },
    metadata: { hostname: 'web-1', sshKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBm0c3QxG1mU8c1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b test@example'], userData: null, projectId: 'p1' },
  };
}

const lastReport = (hostId: string): InstanceReport[] | undefined => {
  const reports = double.events.flatMap((e) => (e.kind === 'instances' && e.hostId === hostId ? [e.report] : []));
  return reports.at(-1)?.instances;
};

test.before(async () => {
  double = await ControllerDouble.start();
  double.images.set(imageId, image);
});

test.after(async () => {
  await double.close();
  rmSync(root, { recursive: true, force: true });
});

test('runAgent() with agent.libvirt_uri makes, stops and removes the instances host.desired lists', async () => {
  const code = double.addToken();
  writeFileSync(join(root, 'join-code'), code);
  writeFileSync(join(root, 'cmdline'), 'quiet\n');
  const base = defaultConfig('agent-instances-host');
  const config: Config = {
    ...base,
    discovery: { ...base.discovery, enabled: false },
    agent: { ...base.agent, controller: double.controller, cmdline_file: join(root, 'cmdline'), join_code_file: join(root, 'join-code'), fingerprint: double.fingerprint, libvirt_uri: 'test:///default' },
  };
  let stop: (reason: string) => void = () => undefined;
  const stopRequested = new Promise<string>((resolve) => (stop = resolve));
  const logs: string[] = [];
  const dir = join(root, 'host');
  const exited = runAgent(
    { config, layout: dataDirLayout(dir), log: createLogger('debug', { write: (line: string) => void logs.push(line) }), hostname: 'agent-instances-host', stopRequested },
    { collect: async () => inventory, enrolBackoff: FAST, sessionBackoff: FAST },
  );
  try {
    double.desiredInstances = [spec('running')];
    const hostId = await within(
      double.until(() => [...double.hosts.keys()].some((id) => lastReport(id)?.[0]?.state === 'running')).then(() => [...double.hosts.keys()].find((id) => lastReport(id)?.[0]?.state === 'running')!),
      60_000,
      'a report of the instance running',
    );
    const instanceDir = join(dir, 'agent', 'instances', spec('running').id);
    assert.ok(existsSync(join(instanceDir, 'disk.qcow2')), 'the root disk was made over the cached image');
    assert.ok(existsSync(join(instanceDir, 'seed.iso')), 'the NoCloud seed was written');
    assert.ok(existsSync(join(dir, 'agent', 'images', `${imageId}.raw`)), 'the image is cached once, checked');
    // Converged: passes go on every round, but an unchanged report is not sent again.
    const reports = double.count('instances', hostId);
    const heartbeats = double.count('heartbeat', hostId);
    await within(double.until(() => double.count('heartbeat', hostId) >= heartbeats + 3), 15_000, 'three more heartbeats');
    assert.is(double.count('instances', hostId), reports, 'no report while nothing changed');

    double.desiredInstances = [spec('stopped')];
    await within(double.until(() => lastReport(hostId)?.[0]?.state === 'stopped'), 30_000, 'a report of the instance stopped');

    double.desiredInstances = [];
    await within(
      double.until(() => double.events.some((e) => e.kind === 'instances' && e.hostId === hostId && e.report.removed.includes(spec('stopped').id))),
      30_000,
      'a report of the instance removed',
    );
    await within(double.until(() => !existsSync(instanceDir)), 10_000, 'its files removed');
  } catch (err) {
    throw new Error(`${(err as Error).message}\nthe agent logged:\n${logs.slice(-20).join('')}`);
  } finally {
    stop('test');
    assert.is(await within(exited, 15_000, 'the agent to stop'), 0);
  }
});

test.run();
