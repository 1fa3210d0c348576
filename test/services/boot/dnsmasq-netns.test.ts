// The boot service for real: `dist/alliance serve` with boot enabled runs
// dnsmasq in one namespace, busybox udhcpc asks from another; the lease goes
// through dnsmasq's hook (`alliance boot lease-hook`) into the appliance store;
// dnsmasq killed with SIGKILL is restarted and reads the leases back (init).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanEnv, runCli, startServe, tempDir, type ServingAppliance } from '../../_support/appliance-process.ts';
import { dnsmasqDrained } from '../../_support/dnsmasq-drained.ts';
import { createTestNetwork, type TestNetwork } from '../../_support/netns.ts';
import { bootRunDir } from '../../../services/boot/boot-service.ts';

const CLIENT_MAC = '52:54:00:00:20:01';
const LATE_MAC = '52:54:00:00:20:02';

let net: TestNetwork;
let dir: string;
let appliance: ServingAppliance | undefined;
let nodeId: string | undefined;

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; the appliance logged:\n${(appliance?.logs ?? []).slice(-25).map((l) => JSON.stringify(l)).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** busybox udhcpc once (-B: broadcast replies, which reach it over a veth); the acked address or null. */
function udhcpc(ns: string): string | null {
  const result = spawnSync('ip', ['netns', 'exec', ns, 'busybox', 'udhcpc', '-i', 'eth0', '-B', '-n', '-q', '-t', '5', '-T', '1', '-s', '/bin/true'], { encoding: 'utf8', timeout: 15_000 });
  return /lease of ([0-9.]+) obtained/.exec(`${result.stdout}${result.stderr}`)?.[1] ?? null;
}

interface Lease {
  ip: string;
  mac: string;
  updatedAt: string;
}

function leases(): Lease[] {
  const result = runCli(['bus', 'call', 'boot.leases', '--data-dir', dir], { netns: net.hosts[0]!.ns });
  if (result.code !== 0) throw new Error(`bus call boot.leases failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { leases: Lease[] }).leases;
}

function dnsmasqPids(): number[] {
  return (appliance?.logs ?? []).flatMap((l) => {
    const status = l.dnsmasq as { state?: string; pid?: number } | undefined;
    return status?.state === 'running' && typeof status.pid === 'number' ? [status.pid] : [];
  });
}

test.before(() => {
  net = createTestNetwork('bootn', 2, 81);
  net.run(net.hosts[1]!.ns, ['ip', 'link', 'set', 'eth0', 'address', CLIENT_MAC]);
  dir = tempDir('boot-netns');
});

test.after(async () => {
  if (appliance !== undefined) {
    appliance.child.kill('SIGTERM');
    await appliance.exited;
  }
  if (nodeId !== undefined) await dnsmasqDrained(bootRunDir(nodeId));
  net?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  // The boot service's run directory (dnsmasq.conf, the hook wrapper, hosts/) is left for inspection by design; not by tests.
  if (nodeId !== undefined) rmSync(bootRunDir(nodeId), { recursive: true, force: true });
});

function serveArgs(): string[] {
  const settings = ['controller.enabled=false', 'discovery.enabled=false', 'http.port=18443', 'boot.enabled=true', 'boot.interface=eth0', `boot.server_address=${net.hosts[0]!.v4}`, 'boot.range_start=10.81.0.100', 'boot.range_end=10.81.0.150', 'boot.lease_s=600'];
  return ['--data-dir', dir, ...settings.flatMap((s) => ['--set', s])];
}

test('bootService() leases through the appliance store and keeps the lease across a dnsmasq kill -9', async () => {
  const server = net.hosts[0]!;
  const init = runCli(['init', '--data-dir', dir, '--json'], { netns: server.ns, env: cleanEnv() });
  assert.is(init.code, 0, init.stderr);
  nodeId = (JSON.parse(init.stdout) as { nodeId: string }).nodeId;
  appliance = await startServe(serveArgs(), { netns: server.ns, readyWithinMs: 30_000 });
  const firstPid = await until('dnsmasq to run', () => dnsmasqPids()[0]);

  const first = udhcpc(net.hosts[1]!.ns);
  assert.ok(first !== null, 'the client got no lease');
  const stored = await until('the lease in the appliance store', () => leases().find((l) => l.mac === CLIENT_MAC));
  assert.is(stored.ip, first);

  process.kill(firstPid, 'SIGKILL');
  await until('dnsmasq to be restarted', () => dnsmasqPids().find((pid) => pid !== firstPid), 8_000);

  const again = udhcpc(net.hosts[1]!.ns);
  assert.is(again, first, 'the client keeps its address after the restart');
  const renewed = await until('the renewal in the store', () => leases().find((l) => l.mac === CLIENT_MAC && l.updatedAt !== stored.updatedAt));
  assert.is(renewed.ip, first);
  assert.is(leases().length, 1);
});

test('a lease dnsmasq gives while the appliance is dead is kept, and the dnsmasq it left behind is swept at restart', async () => {
  const server = net.hosts[0]!;
  const orphan = dnsmasqPids().at(-1)!;
  appliance!.child.kill('SIGKILL');
  await appliance!.exited;
  appliance = undefined;
  // The orphan still answers; its hook finds no appliance and keeps the lease on disk.
  net.run(net.hosts[1]!.ns, ['ip', 'link', 'set', 'eth0', 'address', LATE_MAC]);
  const late = udhcpc(net.hosts[1]!.ns);
  assert.ok(late !== null, 'the orphaned dnsmasq gave no lease');

  appliance = await startServe(serveArgs(), { netns: server.ns, readyWithinMs: 30_000 });
  await until('the orphan to be swept', () => appliance!.logs.find((l) => l.msg === 'killed dnsmasq left running by an appliance that did not stop it'));
  let orphanGone = false;
  try {
    process.kill(orphan, 0);
  } catch {
    orphanGone = true;
  }
  assert.ok(orphanGone, `dnsmasq ${orphan} still runs`);
  const kept = await until('the lease given while the appliance was dead', () => leases().find((l) => l.mac === LATE_MAC));
  assert.is(kept.ip, late);
  await until('the new dnsmasq to run', () => dnsmasqPids().find((pid) => pid !== orphan));
  // The new dnsmasq was told the lease at init: the client keeps its address.
  assert.is(udhcpc(net.hosts[1]!.ns), late);
});

test.run();
