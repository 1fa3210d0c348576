// The real console sets a static management address in a network namespace:
// applied and kept when the gateway answers, rolled back at once when it does
// not, and rolled back when the operator does not keep it in time.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanEnv, tempDir } from '../../_support/appliance-process.ts';
import { KEYS, openConsole, type ConsoleScreen } from '../../_support/console-pty.ts';
import { createTestNetwork } from '../../_support/netns.ts';

const net = createTestNetwork('cnet', 2, 95);
const [gateway, machine] = net.hosts as [(typeof net.hosts)[0], (typeof net.hosts)[0]];
const root = tempDir('console-net');
const etc = join(root, 'etc');
let screen: ConsoleScreen | undefined;

interface IpAddr {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
}

function addresses(): string[] {
  const out = execFileSync('ip', ['-n', machine.ns, '-j', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' });
  return (JSON.parse(out) as IpAddr[]).flatMap((i) => i.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`));
}

function defaultGateway(): string | undefined {
  const out = execFileSync('ip', ['-n', machine.ns, '-j', 'route', 'show', 'default'], { encoding: 'utf8' });
  return (JSON.parse(out) as { gateway?: string }[])[0]?.gateway;
}

const subnet = gateway.v4.split('.').slice(0, 3).join('.');

/** From the home screen: the network form, the address and gateway typed over, applied. */
async function applyStatic(s: ConsoleScreen, address: string, via: string): Promise<void> {
  s.press('n');
  await s.waitFor('Management network');
  await s.waitFor('< eth0 >');
  s.press(KEYS.down, KEYS.down, KEYS.ctrl('u'), address, KEYS.down, KEYS.ctrl('u'), via, KEYS.enter, KEYS.enter);
  await s.waitFor('Apply the network change? Press Y');
  assert.match(s.text(), `eth0 gets ${address} via ${via}`);
  s.press('y');
}

test.after(async () => {
  await screen?.close();
  net.destroy();
});

test('console applies a static address whose gateway answers, and keeps it when told to', async () => {
  screen = openConsole(['console', '--data-dir', join(root, 'data'), '--set', `console.etc_dir=${etc}`, '--set', 'console.network_check_s=3', '--set', 'console.network_confirm_s=8', '--ascii'], {
    netns: machine.ns,
    env: cleanEnv({ TERM: 'vt220' }),
  });
  // Nothing was initialised here: the console still works, and says so.
  await screen.waitFor('THIS APPLIANCE IS NOT INITIALISED');
  assert.equal(addresses(), [`${machine.v4}/24`]);

  await applyStatic(screen, `${subnet}.50/24`, gateway.v4);
  await screen.waitFor('Keep the network change?');
  assert.equal(addresses(), [`${subnet}.50/24`], 'applied live before it is kept');
  assert.is(defaultGateway(), gateway.v4);
  screen.press('y');
  await screen.waitFor('Network settings saved');
  const file = readFileSync(join(etc, 'systemd', 'network', '10-alliance-management.network'), 'utf8');
  assert.match(file, /Name=eth0/);
  assert.match(file, `Address=${subnet}.50/24`);
  assert.match(file, `Gateway=${gateway.v4}`);
  screen.press(KEYS.enter);
  await screen.waitFor(new RegExp(`eth0 +\\S+ +up +${subnet.replace(/\./g, '\\.')}\\.50/24`));
});

test('console rolls a change back at once when the new gateway does not answer', async () => {
  const s = screen!;
  await applyStatic(s, `${subnet}.60/24`, `${subnet}.99`);
  await s.waitFor('Network change not kept (failed)');
  assert.match(s.text().replace(/\s+/g, ' '), `${subnet}.99`);
  assert.equal(addresses(), [`${subnet}.50/24`]);
  assert.is(defaultGateway(), gateway.v4);
  s.press(KEYS.enter);
  await s.waitFor('THIS APPLIANCE IS NOT INITIALISED');
});

test('console rolls a change back when the operator does not keep it in time', async () => {
  const s = screen!;
  await applyStatic(s, `${subnet}.70/24`, gateway.v4);
  await s.waitFor('Keep the network change?');
  assert.equal(addresses(), [`${subnet}.70/24`]);
  await s.waitFor('rolled back in 1 s');
  await s.waitFor('Network change rolled back', 15_000);
  assert.match(s.text().replace(/\s+/g, ' '), 'it was not kept within 8 s');
  assert.equal(addresses(), [`${subnet}.50/24`]);
  assert.is(defaultGateway(), gateway.v4);
  // What was kept before is still what a reboot would bring.
  assert.match(readFileSync(join(etc, 'systemd', 'network', '10-alliance-management.network'), 'utf8'), `Address=${subnet}.50/24`);
});

test.run();
