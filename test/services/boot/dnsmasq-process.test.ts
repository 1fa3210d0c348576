// Real dnsmasq in a network namespace, real busybox udhcpc clients in others.
// The lease hook here is a small shell stand-in for `alliance boot lease-hook`
// (one file per lease, printed back on init), so this suite tests the process
// driver alone: start, lease, kill -9, restart with the leases read back, deny.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DnsmasqProcess, type DnsmasqStatus } from '../../../services/boot/dnsmasq-process.ts';
import { createTestNetwork, type TestNetwork } from '../../_support/netns.ts';
import { tempDir } from '../../_support/appliance-process.ts';

const CLIENT_MAC = '52:54:00:00:10:01';
const DENIED_MAC = '52:54:00:00:10:99';

let net: TestNetwork;
let dir: string;
let dnsmasq: DnsmasqProcess;
const logs: string[] = [];

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; dnsmasq said:\n${logs.slice(-20).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * busybox udhcpc once: the address it was acked, or null when no server answered.
 * -B asks for broadcast replies: a unicast offer over a veth does not reach
 * udhcpc's raw socket; 5 tries cover dnsmasq's ping check of a new address.
 */
function udhcpc(ns: string): string | null {
  const result = spawnSync('ip', ['netns', 'exec', ns, 'busybox', 'udhcpc', '-i', 'eth0', '-B', '-n', '-q', '-t', '5', '-T', '1', '-s', '/bin/true'], { encoding: 'utf8', timeout: 15_000 });
  const match = /lease of ([0-9.]+) obtained/.exec(`${result.stdout}${result.stderr}`);
  return match?.[1] ?? null;
}

function hookLog(): string {
  const file = join(dir, 'hook.log');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

test.before(() => {
  net = createTestNetwork('dnsq', 3, 79);
  net.run(net.hosts[1]!.ns, ['ip', 'link', 'set', 'eth0', 'address', CLIENT_MAC]);
  net.run(net.hosts[2]!.ns, ['ip', 'link', 'set', 'eth0', 'address', DENIED_MAC]);
  dir = tempDir('dnsmasq');
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'db'));
  // The appliance's part, in shell: store add/old, forget del, print everything on init.
  writeFileSync(
    join(dir, 'fake-hook'),
    [
      '#!/bin/sh',
      `db=${dir}/db`,
      `echo "$*" >> ${dir}/hook.log`,
      'case "$1" in',
      '  add|old) echo "${DNSMASQ_LEASE_EXPIRES:-0} $2 $3 * *" > "$db/$2" ;;',
      '  del) rm -f "$db/$2" ;;',
      '  init) cat "$db"/* 2>/dev/null ;;',
      'esac',
      'exit 0',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
});

test.after(async () => {
  await dnsmasq?.stop();
  net?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('DnsmasqProcess leases, restarts after kill -9 with the leases read back, and leaves an ignored MAC unanswered', async () => {
  const server = net.hosts[0]!;
  const states: DnsmasqStatus[] = [];
  dnsmasq = new DnsmasqProcess({
    runDir: join(dir, 'run'),
    prefix: ['ip', 'netns', 'exec', server.ns],
    spec: {
      interface: 'eth0',
      serverAddress: server.v4,
      mode: { kind: 'dhcp', rangeStart: '10.79.0.100', rangeEnd: '10.79.0.150', netmask: '255.255.255.0', leaseSeconds: 600 },
      httpPort: 8080,
      ipxePath: '/boot/ipxe',
      bootFiles: { bios: 'undionly.kpxe', efiX64: 'snponly.efi' },
      unknownMacs: 'discover',
    },
    hook: { executable: join(dir, 'fake-hook'), args: [] },
    hosts: [{ mac: DENIED_MAC, allow: false }],
    onLog: (line) => logs.push(line),
    onState: (status) => states.push(status),
  });
  dnsmasq.start();
  await until('dnsmasq to run and read the leases (init)', () => (dnsmasq.status().state === 'running' && hookLog().includes('init') ? true : undefined));
  assert.is(statSync(join(dir, 'run', 'lease-hook')).mode & 0o777, 0o755, 'the wrapper is 0755');

  const first = udhcpc(net.hosts[1]!.ns);
  assert.ok(first !== null, `the client got no lease; dnsmasq said:\n${logs.join('\n')}`);
  assert.match(first, /^10\.79\.0\.1[0-4][0-9]$|^10\.79\.0\.150$/);
  await until('the add to reach the hook', () => (hookLog().includes(`add ${CLIENT_MAC} ${first}`) ? true : undefined));

  const pid = dnsmasq.status().pid!;
  process.kill(pid, 'SIGKILL');
  await until('a new dnsmasq', () => {
    const status = dnsmasq.status();
    return status.state === 'running' && status.pid !== null && status.pid !== pid ? status : undefined;
  }, 5_000);
  assert.is(dnsmasq.status().restarts, 1);
  assert.is(dnsmasq.status().lastExit, 'killed by SIGKILL');
  assert.ok(states.some((s) => s.state === 'restarting'));
  await until('the restarted dnsmasq to ask for the leases', () => (hookLog().split('\n').filter((l) => l === 'init').length === 2 ? true : undefined));

  // The restarted dnsmasq knows the lease from init: the client keeps its address and the hook sees a renewal (old), not a new lease (add).
  const again = udhcpc(net.hosts[1]!.ns);
  assert.is(again, first);
  await until('the renewal to reach the hook', () => (hookLog().includes(`old ${CLIENT_MAC} ${first}`) ? true : undefined));
  assert.is(hookLog().split('\n').filter((l) => l.startsWith(`add ${CLIENT_MAC}`)).length, 1);

  assert.is(udhcpc(net.hosts[2]!.ns), null, 'a MAC,ignore host is not answered');
  assert.not.ok(hookLog().includes(DENIED_MAC));

  await dnsmasq.stop();
  assert.is(dnsmasq.status().state, 'stopped');
  assert.throws(() => execFileSync('kill', ['-0', String(pid)], { stdio: 'ignore' }));
});

test.run();
