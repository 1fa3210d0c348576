// Network boot end to end, with nothing simulated but the hardware: the
// appliance (`dist/alliance serve`, boot service on) runs dnsmasq in one
// namespace; two qemu machines with empty disks power on behind a bridge. The
// BIOS one boots iPXE from its e1000 ROM; the UEFI one (OVMF) PXE-boots
// snponly.efi over TFTP first. Both chain to the appliance's HTTP endpoint,
// boot the host image (image/out/host, `make -C image host`), and their agents
// enrol with the single-use join code on their kernel command line.
// Then, with unknown machines ignored, a MAC nobody knows gets no DHCP answer
// while a known one still does.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanEnv, ROOT, runCli, startServe, tempDir, type ServingAppliance } from '../../_support/appliance-process.ts';
import { dnsmasqDrained } from '../../_support/dnsmasq-drained.ts';
import { createTestNetwork, type TestHost } from '../../_support/netns.ts';
import { startPxeVm, type PxeVm } from '../../_support/pxe-vm.ts';
import { bootRunDir } from '../../../services/boot/boot-service.ts';

interface ListedHost {
  id: string;
  state: string;
  inventory: { cpu: { cores: number }; memory: { totalBytes: number }; nics: { mac: string }[]; disks: { sizeBytes: number }[] } | null;
}

const IMAGE_DIR = join(ROOT, 'image', 'out', 'host');
const BIOS_MAC = '52:54:00:92:00:11';
const UEFI_MAC = '52:54:00:92:00:12';
const STRANGER_MAC = '52:54:00:92:00:99';
const HTTPS_PORT = 18443;
const BOOT_HTTP_PORT = 18081;

const net = createTestNetwork('pxe', 2, 92);
const [applianceHost, probeHost] = net.hosts as [TestHost, TestHost];
const root = tempDir('netboot');
const env = cleanEnv({ HOME: join(root, 'home'), PKG_NATIVE_CACHE_PATH: join(root, 'pkg-cache') });
const dataDir = join(root, 'appliance');
const passwordFile = join(root, 'password');
const vms: PxeVm[] = [];
let appliance: ServingAppliance | undefined;
let nodeId: string | undefined;

function serveArgs(policy: 'admit' | 'ignore'): string[] {
  const settings = [
    `http.port=${HTTPS_PORT}`,
    'discovery.enabled=false',
    'boot.enabled=true',
    'boot.interface=eth0',
    `boot.server_address=${applianceHost.v4}`,
    'boot.range_start=10.92.0.100',
    'boot.range_end=10.92.0.150',
    `boot.http_port=${BOOT_HTTP_PORT}`,
    `boot.image_dir=${IMAGE_DIR}`,
    `boot.unknown_hosts=${policy}`,
  ];
  return ['--data-dir', dataDir, ...settings.flatMap((s) => ['--set', s])];
}

async function stopAppliance(): Promise<void> {
  if (appliance !== undefined && appliance.child.exitCode === null) {
    appliance.child.kill('SIGTERM');
    await appliance.exited;
  }
  appliance = undefined;
}

function listHosts(): ListedHost[] {
  const r = runCli(['hosts', 'list', '--json', '--data-dir', dataDir], { netns: applianceHost.ns, env });
  assert.is(r.code, 0, r.stderr);
  const body = JSON.parse(r.stdout) as ListedHost[] | { hosts: ListedHost[] };
  return Array.isArray(body) ? body : body.hosts;
}

const withMac = (mac: string) => (h: ListedHost) => h.inventory?.nics.some((n) => n.mac.toLowerCase() === mac) === true;

async function until<T>(ms: number, what: string, read: () => T, check: (value: T) => boolean, explain: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + ms;
  let last = read();
  while (!check(last)) {
    if (Date.now() > deadline) assert.unreachable(`${what} within ${ms} ms; last seen ${JSON.stringify(last).slice(0, 1500)}\n${explain()}`);
    await sleep(1000);
    last = read();
  }
  return last;
}

/** busybox udhcpc from the probe namespace with `mac`: the leased address, or null when nobody answered. */
function probeDhcp(mac: string): string | null {
  net.run(probeHost.ns, ['ip', 'link', 'set', 'eth0', 'address', mac]);
  const result = spawnSync('ip', ['netns', 'exec', probeHost.ns, 'busybox', 'udhcpc', '-i', 'eth0', '-B', '-n', '-q', '-t', '3', '-T', '1', '-s', '/bin/true'], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  return /lease of ([0-9.]+) obtained/.exec(`${result.stdout}${result.stderr}`)?.[1] ?? null;
}

test.before(async () => {
  for (const file of ['x86_64/vmlinuz', 'x86_64/initrd.img']) {
    if (!existsSync(join(IMAGE_DIR, file))) throw new Error(`The host image is missing (${join(IMAGE_DIR, file)}): build it with \`make -C image host\` (make test does)`);
  }
  writeFileSync(passwordFile, 'correct horse battery staple\n', { mode: 0o600 });
  const init = runCli(['init', '--data-dir', dataDir, '--admin', 'admin', '--password-file', passwordFile, '--json'], { netns: applianceHost.ns, env });
  assert.is(init.code, 0, init.stderr);
  const facts = JSON.parse(init.stdout) as { nodeId: string; certificate: { fingerprint: string } };
  nodeId = facts.nodeId;
  appliance = await startServe(serveArgs('admit'), { netns: applianceHost.ns, env, readyWithinMs: 30_000 });
  const login = runCli(['login', `https://127.0.0.1:${HTTPS_PORT}`, '--user', 'admin', '--password-file', passwordFile, '--fingerprint', facts.certificate.fingerprint, '--data-dir', dataDir], {
    netns: applianceHost.ns,
    env,
  });
  assert.is(login.code, 0, `${login.stdout}${login.stderr}`);
});

test.after(async () => {
  await Promise.all(vms.map((vm) => vm.destroy()));
  await stopAppliance();
  if (nodeId !== undefined) await dnsmasqDrained(bootRunDir(nodeId));
  net.destroy();
  rmSync(root, { recursive: true, force: true });
  if (nodeId !== undefined) rmSync(bootRunDir(nodeId), { recursive: true, force: true });
});

test('a BIOS and a UEFI machine with empty disks network-boot the host image and enrol with their inventory', async () => {
  const bios = startPxeVm({ ns: net.bridge, bridge: 'br0', tap: 'tapbios', mac: BIOS_MAC, firmware: 'bios', dir: root });
  vms.push(bios);
  const uefi = startPxeVm({ ns: net.bridge, bridge: 'br0', tap: 'tapuefi', mac: UEFI_MAC, firmware: 'uefi', dir: root });
  vms.push(uefi);
  const serials = () => vms.map((vm) => `--- ${vm.serialLog}\n${vm.serial().slice(-2500)}`).join('\n');
  const hosts = await until(
    12 * 60_000,
    'both machines to be active hosts with their inventory',
    () => listHosts(),
    (list) => [BIOS_MAC, UEFI_MAC].every((mac) => list.some((h) => withMac(mac)(h) && h.state === 'active')),
    serials,
  );
  for (const mac of [BIOS_MAC, UEFI_MAC]) {
    const host = hosts.find(withMac(mac))!;
    assert.ok((host.inventory?.cpu.cores ?? 0) > 0, `${mac}: cpu cores in the inventory`);
    assert.ok((host.inventory?.memory.totalBytes ?? 0) > 512 * 1024 * 1024, `${mac}: memory in the inventory`);
    assert.ok(host.inventory?.disks.some((d) => d.sizeBytes === 1024 ** 3), `${mac}: the empty 1 GiB disk in the inventory: ${JSON.stringify(host.inventory?.disks)}`);
  }
  // The operator's view of the provisioning network: each machine's lease, with the host its MAC belongs to.
  const listed = runCli(['hosts', 'machines', '--json', '--data-dir', dataDir], { netns: applianceHost.ns, env });
  assert.is(listed.code, 0, listed.stderr);
  const machines = (JSON.parse(listed.stdout) as { machines: { mac: string; address: string; host: { state: string } | null }[] }).machines;
  for (const mac of [BIOS_MAC, UEFI_MAC]) {
    const machine = machines.find((m) => m.mac === mac);
    assert.ok(machine !== undefined && /^10\.92\.0\.1\d\d$/.test(machine.address) && machine.host?.state === 'active', `${mac} in hosts machines: ${listed.stdout}`);
  }
  const logs = JSON.stringify(appliance?.logs ?? []);
  // The UEFI firmware's own PXE stage fetched iPXE by TFTP; the BIOS one needed no TFTP (iPXE in its ROM).
  assert.match(logs, /sent \/usr\/lib\/ipxe\/snponly\.efi to 10\.92\.0\.1\d\d/);
  // Each boot used a single-use join code of its own, minted for its MAC.
  const tokens = runCli(['join-tokens', 'list', '--json', '--data-dir', dataDir], { netns: applianceHost.ns, env });
  assert.is(tokens.code, 0, tokens.stderr);
  for (const mac of [BIOS_MAC, UEFI_MAC]) assert.match(tokens.stdout, new RegExp(`network boot of ${mac}`));
  await Promise.all(vms.map((vm) => vm.destroy()));
});

test('with unknown machines ignored, a stranger gets no DHCP answer and no boot script, a known machine still does', async () => {
  await stopAppliance();
  appliance = await startServe(serveArgs('ignore'), { netns: applianceHost.ns, env, readyWithinMs: 30_000 });
  assert.is(probeDhcp(STRANGER_MAC), null, 'an unknown MAC was answered');
  // The enrolled BIOS machine's MAC is a host record (from its inventory): dnsmasq answers it.
  const known = await until(20_000, 'the known MAC to get a lease', () => probeDhcp(BIOS_MAC), (ip) => ip !== null);
  assert.match(known!, /^10\.92\.0\.1\d\d$/);
  const script = httpGet(`http://${applianceHost.v4}:${BOOT_HTTP_PORT}/boot/host?mac=${STRANGER_MAC}&arch=x86_64&platform=pcbios`);
  assert.match(script, /^#!ipxe\n/);
  assert.match(script, /not booting 52:54:00:92:00:99: this MAC address belongs to no host/);
  assert.not.match(script, /alliance\.join=/);
});

/** An HTTP GET from the probe namespace with node's fetch: the body. */
function httpGet(url: string): string {
  const result = spawnSync('ip', ['netns', 'exec', probeHost.ns, process.execPath, '-e', `fetch(${JSON.stringify(url)}).then(r => r.text()).then(t => process.stdout.write(t))`], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  assert.is(result.status, 0, result.stderr);
  return result.stdout;
}

test.run();
