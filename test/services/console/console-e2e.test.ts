// The real dist/alliance console in a pseudo terminal, against a real
// appliance: the down screen and its recovery, the home screen at 80x24,
// resizing and ASCII, a pending host approved, the first admin, the shell.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ApplianceStatus } from '../../../appliance/serve/index.ts';
import { binaryPath, cleanEnv, freePort, ROOT, runCli, startServe, tempDir, type ServingAppliance } from '../../_support/appliance-process.ts';
import { KEYS, openConsole, type ConsoleScreen } from '../../_support/console-pty.ts';
import { httpsGet } from '../../_support/https-get.ts';

const root = tempDir('console-e2e');
const dir = join(root, 'data');
const PASSWORD = 'correct horse battery staple';
let httpsPort = 0;
let appliance: ServingAppliance | undefined;
let screen: ConsoleScreen | undefined;
let agent: ChildProcess | undefined;

const args = (): string[] => ['console', '--data-dir', dir];
const status = (): ApplianceStatus => {
  const result = runCli(['status', '--json', '--data-dir', dir]);
  assert.is(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as ApplianceStatus;
};
const console1 = (): ConsoleScreen => {
  if (screen === undefined) throw new Error('the console is not open');
  return screen;
};

test.before(async () => {
  const init = runCli(['init', '--data-dir', dir]);
  assert.is(init.code, 0, init.stderr);
  httpsPort = await freePort();
  writeFileSync(
    join(dir, 'alliance.toml'),
    `[http]\nlisten = "127.0.0.1"\nport = ${httpsPort}\n[controller]\nlisten = "tls+tcp://127.0.0.1:${await freePort()}"\npassword_cost = 10\nheartbeat_interval_s = 1\n[discovery]\nenabled = false\n`,
  );
});

test.after(async () => {
  agent?.kill('SIGKILL');
  await screen?.close();
  if (appliance !== undefined && appliance.child.exitCode === null) {
    appliance.child.kill('SIGTERM');
    await appliance.exited;
  }
});

test('console says the appliance is not running and what to do, then shows it as soon as it starts', async () => {
  screen = openConsole(args(), { env: cleanEnv({ LANG: 'C.UTF-8', TERM: 'xterm-256color' }) });
  await console1().waitFor('THE APPLIANCE IS NOT RUNNING');
  // Wrapped lines read as one: the data directory's path decides where they break.
  const down = console1().text().replace(/\s+/g, ' ');
  assert.match(down, 'Start it: systemctl start alliance');
  assert.match(down, /Store .*alliance\.db: present and readable\./);

  appliance = await startServe(['--data-dir', dir]);
  // No key pressed and no console restarted: the screen follows the appliance by itself.
  await console1().waitFor('Manage');
  // What happened before the console followed the events comes from the journal.
  await console1().waitFor(/alliance \S+ starting \(pid \d+/);
});

test('console home screen at 80x24 shows the name, URL, fingerprint, node id, version, services, hosts, admin, events and interfaces', async () => {
  const s = status();
  const [first, second] = [s.https.fingerprint.split(':').slice(0, 16).join(':'), s.https.fingerprint.split(':').slice(16).join(':')];
  await console1().waitFor(`v${s.build.version}`);
  // The status, the controller's overview and the journal arrive one after the other.
  await console1().waitFor('Hosts    0 active');
  await console1().waitFor('Recent events');
  const lines = console1().lines();
  const text = lines.join('\n');
  process.stdout.write(`\nhome screen at 80x24:\n${'-'.repeat(80)}\n${text}\n${'-'.repeat(80)}\n`);
  assert.is(lines.length, 24);
  for (const l of lines) assert.ok(l.length <= 80, `wider than 80 columns: "${l}"`);
  assert.match(lines[0] ?? '', new RegExp(`^ Alliance  ${s.name} +v${s.build.version}  up `));
  assert.match(text, `Manage   https://127.0.0.1:${httpsPort}/`);
  assert.match(text, `TLS      ${first}  valid to ${s.https.notAfter.slice(0, 10)}`);
  assert.match(text, `         ${second}`);
  assert.match(text, `Node     ${s.nodeId}  health ${s.health}`);
  assert.match(text, /Services control running, bus running, https running/);
  assert.match(text, 'Hosts    0 active, 0 suspect, 0 offline, 0 rejected');
  assert.match(text, 'NO CLOUD ADMIN YET, nobody can log in: press A');
  const iface = readdirSync('/sys/class/net').filter((n) => n !== 'lo').sort()[0];
  if (iface !== undefined) assert.match(text, `  ${iface.padEnd(10)} ${readFileSync(`/sys/class/net/${iface}/address`, 'utf8').trim()}`);
  assert.match(lines[23] ?? '', /^ N net S system A admin H hosts J join D diagnose ! shell P power$/);
});

test('console redraws cleanly when the terminal is resized, and --ascii writes nothing but ASCII', async () => {
  const ascii = openConsole([...args(), '--ascii'], { env: cleanEnv({ LANG: 'C.UTF-8', TERM: 'xterm-256color' }) });
  try {
    await ascii.waitFor('Recent events');
    ascii.resize(100, 30);
    await ascii.waitFor(/^ N net S system/m);
    await ascii.waitFor(new RegExp(`-{${100 - 26}}`));
    let lines = ascii.lines();
    assert.is(lines.length, 30);
    assert.match(lines[29] ?? '', /^ N net S system/);
    ascii.resize(60, 20);
    await ascii.waitFor(new RegExp(`^-- Interfaces -{${60 - 15}}$`, 'm'));
    lines = ascii.lines();
    assert.is(lines.length, 20);
    for (const l of lines) assert.ok(l.length <= 60, `wider than 60 columns: "${l}"`);
    assert.match(lines[19] ?? '', /^ N net S system/);
    const raw = ascii.raw();
    assert.ok(raw.length > 0);
    const wide = [...raw].findIndex((b) => b > 0x7e);
    assert.is(wide, -1, `a byte above ASCII at ${wide}: ${raw.subarray(Math.max(0, wide - 20), wide + 20).toString('latin1')}`);
  } finally {
    await ascii.close();
  }
  // The UTF-8 console draws its rules with box-drawing characters.
  await console1().waitFor('── Interfaces ──');
});

test('console shows a host waiting for approval as it asks, and approves it', async () => {
  const agentDir = join(root, 'agent');
  writeFileSync(join(root, 'cmdline'), 'quiet\n');
  agent = spawn(
    binaryPath(),
    ['agent', '--data-dir', agentDir, '--set', `agent.controller=127.0.0.1:${httpsPort}`, '--set', `agent.cmdline_file=${join(root, 'cmdline')}`, '--set', 'discovery.enabled=false'],
    { env: cleanEnv(), cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  await console1().waitFor('1 host(s) WAIT FOR APPROVAL: press H', 30_000);
  console1().press('h');
  await console1().waitFor('Hosts waiting for approval');
  const row = console1().lines().find((l) => l.includes('waits'));
  assert.ok(row !== undefined, console1().text());
  console1().press('a');
  await console1().waitFor('Host approved');
  assert.match(console1().text(), /is approved; it enrols on its next request/);
  console1().press(KEYS.enter);
  await console1().waitFor('Hosts    1 active', 60_000);
  await console1().waitForGone('WAIT FOR APPROVAL');
  await console1().waitFor(/approved by console/);
});

test('console creates the first cloud admin, who can then log in', async () => {
  console1().press('a');
  await console1().waitFor('First cloud admin');
  console1().press(PASSWORD, KEYS.enter, `${PASSWORD}x`, KEYS.enter);
  await console1().waitFor('! the two passwords differ');
  console1().press(KEYS.backspace, KEYS.enter);
  await console1().waitFor('Cloud admin created');
  console1().press(KEYS.enter);
  await console1().waitForGone('NO CLOUD ADMIN YET');
  const ca = readFileSync(join(dir, 'tls', 'https.crt'));
  const login = await httpsGet(`https://localhost:${httpsPort}/api/v1/auth/whoami`, { ca });
  assert.is(login.status, 401, 'whoami without a token is refused');
  const passwordFile = join(root, 'password');
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  const answer = runCli(['login', `https://127.0.0.1:${httpsPort}`, '--user', 'admin', '--password-file', passwordFile, '--fingerprint', status().https.fingerprint, '--data-dir', dir], {
    env: cleanEnv({ HOME: root }),
  });
  assert.is(answer.code, 0, answer.stderr);
});

test('console rotates its join code, shows its secret once, and the controller knows it by its id', async () => {
  console1().press('j');
  await console1().waitFor('no console join code yet: press R to make one');
  console1().press('r');
  await console1().waitFor('Rotate the join code? Press Y');
  console1().press('y');
  await console1().waitFor(/^ {4,}[a-z2-7]{16}\.[a-z2-7]{32}$/m);
  const code = /^ {4,}([a-z2-7]{16})\.[a-z2-7]{32}$/m.exec(console1().text())?.[1];
  const overview = runCli(['bus', 'call', 'controller.console-overview', '{}', '--data-dir', dir]);
  assert.is(overview.code, 0, overview.stderr);
  assert.is((JSON.parse(overview.stdout) as { joinCode: { tokenId: string } }).joinCode.tokenId, code);
  const secret = /^ {4,}[a-z2-7]{16}\.([a-z2-7]{32})$/m.exec(console1().text())?.[1] ?? '';
  console1().press(KEYS.escape);
  // The home screen names the code but never shows its secret, and the join screen has forgotten it.
  await console1().waitFor(`Join     console code ${code}  0/50 used`);
  assert.not.match(console1().text(), secret);
  console1().press('j');
  await console1().waitFor('cannot be shown again: rotate');
  assert.not.match(console1().text(), secret);
  console1().press(KEYS.escape);
  await console1().waitFor('Manage');
});

test('console runs the discovery diagnostic and shows its findings', async () => {
  console1().press('d');
  await console1().waitFor('Discovery diagnostic', 30_000);
  const iface = readdirSync('/sys/class/net').filter((n) => n !== 'lo').sort()[0] ?? 'lo';
  await console1().waitFor(iface);
  console1().press(KEYS.enter);
  await console1().waitFor('Manage');
});

test('console opens a shell only after a confirmation, and comes back when it exits', async () => {
  console1().press('!');
  await console1().waitFor('Open a shell? Press Y');
  console1().press('n');
  await console1().waitFor('Manage');
  console1().press('!', 'y');
  await console1().waitFor('Type `exit` to go back');
  console1().press('echo shell-says-$((6*7))', KEYS.enter);
  await console1().waitFor('shell-says-42');
  console1().press('exit', KEYS.enter);
  await console1().waitFor('Shell closed');
  console1().press(KEYS.enter);
  await console1().waitFor('Manage');
});

test('console shows the appliance down when it dies, and an unreadable store for what it is', async () => {
  const storePath = status().store.path;
  appliance?.child.kill('SIGKILL');
  await appliance?.exited;
  await console1().waitFor('THE APPLIANCE IS NOT RUNNING', 20_000);
  assert.match(console1().text().replace(/\s+/g, ' '), /control\.sock is left from an appliance that stopped \(ECONNREFUSED\)/);
  writeFileSync(storePath, 'this is not a database at all');
  await console1().waitFor(/UNREADABLE \(not\s+a SQLite database\)/, 20_000);
  assert.match(console1().text().replace(/\s+/g, ' '), 'do not delete it');
  // Ctrl-C at home leaves the console and gives the terminal back.
  console1().press(KEYS.ctrl('c'));
  const exit = await console1().exited;
  assert.is(exit.exitCode, 0);
});

test.run();
