// The network change for real: a console namespace whose eth0 is one end of a
// veth pair, the other end in a gateway namespace. The change runs in a child
// process under `ip netns exec`, with the real ip and ping.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT, tempDir } from '../../../_support/appliance-process.ts';

const CONSOLE_NS = `alc-con-${process.pid % 100000}`;
const GATEWAY_NS = `alc-gw-${process.pid % 100000}`;
const DRIVER = join(import.meta.dirname, '_drive-network-change.ts');

function ip(args: readonly string[]): string {
  return execFileSync('ip', [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** eth0 in the console namespace starts on 198.51.100.5/24 with a default route via 198.51.100.1; the gateway namespace answers on 192.0.2.1 and 198.51.100.1. */
function createNetwork(): void {
  ip(['netns', 'add', CONSOLE_NS]);
  ip(['netns', 'add', GATEWAY_NS]);
  ip(['-n', CONSOLE_NS, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'gw0', 'netns', GATEWAY_NS]);
  ip(['-n', GATEWAY_NS, 'addr', 'add', '192.0.2.1/24', 'dev', 'gw0']);
  ip(['-n', GATEWAY_NS, 'addr', 'add', '198.51.100.1/24', 'dev', 'gw0']);
  ip(['-n', GATEWAY_NS, 'link', 'set', 'gw0', 'up']);
  ip(['-n', CONSOLE_NS, 'link', 'set', 'lo', 'up']);
  ip(['-n', CONSOLE_NS, 'addr', 'add', '198.51.100.5/24', 'dev', 'eth0']);
  ip(['-n', CONSOLE_NS, 'link', 'set', 'eth0', 'up']);
  ip(['-n', CONSOLE_NS, 'route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'eth0']);
}

function destroyNetwork(): void {
  for (const ns of [CONSOLE_NS, GATEWAY_NS]) {
    try {
      ip(['netns', 'del', ns]);
    } catch {
      /* not made, or already gone */
    }
  }
}

function drive(input: { network: unknown; etcDir: string; checkMs: number; then: 'keep' | 'revert' | 'none' }): unknown {
  const out = execFileSync('ip', ['netns', 'exec', CONSOLE_NS, process.execPath, '--import', 'tsx', DRIVER, JSON.stringify(input)], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out) as unknown;
}

/** The console's eth0 now: its global IPv4 addresses and the default routes. */
function live(): { addresses: string[]; gateways: string[] } {
  const links = JSON.parse(ip(['-n', CONSOLE_NS, '-j', 'addr', 'show', 'dev', 'eth0'])) as { addr_info: { family: string; scope: string; local: string; prefixlen: number }[] }[];
  const routes = JSON.parse(ip(['-n', CONSOLE_NS, '-j', 'route', 'show', 'default'])) as { gateway?: string; dev: string }[];
  return {
    addresses: links[0]!.addr_info.filter((a) => a.family === 'inet' && a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`),
    gateways: routes.map((r) => `${r.gateway ?? '-'} dev ${r.dev}`),
  };
}

const BEFORE = { addresses: ['198.51.100.5/24'], gateways: ['198.51.100.1 dev eth0'] };
const NETWORK = { interface: 'eth0', mode: 'static', address: '192.0.2.10', prefix: 24, gateway: '192.0.2.1', dns: ['192.0.2.53'] };

test('startNetworkChange() apply() and keep() move a real interface to the new address and gateway, and write the files', () => {
  createNetwork();
  try {
    assert.equal(live(), BEFORE);
    const etcDir = tempDir('console-netns');
    assert.equal(drive({ network: NETWORK, etcDir, checkMs: 3000, then: 'keep' }), { ok: true, detail: 'eth0 has 192.0.2.10/24; the gateway 192.0.2.1 answers' });
    assert.equal(live(), { addresses: ['192.0.2.10/24'], gateways: ['192.0.2.1 dev eth0'] });
    const file = readFileSync(join(etcDir, 'systemd', 'network', '10-alliance-management.network'), 'utf8');
    assert.match(file, /\[Match\]\nName=eth0\n\n\[Network\]\nAddress=192\.0\.2\.10\/24\nGateway=192\.0\.2\.1\nDNS=192\.0\.2\.53\n$/);
    assert.match(readFileSync(join(etcDir, 'resolv.conf'), 'utf8'), /\nnameserver 192\.0\.2\.53\n$/);
  } finally {
    destroyNetwork();
  }
});

test('startNetworkChange() apply() puts a real interface back when the gateway does not answer', () => {
  createNetwork();
  try {
    const outcome = drive({ network: { ...NETWORK, gateway: '192.0.2.99' }, etcDir: tempDir('console-netns'), checkMs: 3000, then: 'none' });
    assert.equal(outcome, { ok: false, reason: 'the gateway 192.0.2.99 did not answer on eth0 within 3 s; the previous settings of eth0 are back' });
    assert.equal(live(), BEFORE);
  } finally {
    destroyNetwork();
  }
});

test('startNetworkChange() revert() puts a real interface back after a change that worked', () => {
  createNetwork();
  try {
    assert.equal(drive({ network: NETWORK, etcDir: tempDir('console-netns'), checkMs: 3000, then: 'revert' }), { ok: true, detail: 'eth0 has 192.0.2.10/24; the gateway 192.0.2.1 answers' });
    assert.equal(live(), BEFORE);
  } finally {
    destroyNetwork();
  }
});

test.run();
