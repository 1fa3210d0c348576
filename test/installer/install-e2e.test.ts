// The whole way from the installer ISO to a running appliance, in qemu (TCG):
// boot the ISO with a blank disk and an answers volume, install unattended,
// power off; boot the disk; the serial console draws the home screen with the
// name the installer was given, /healthz answers on a forwarded port, and the
// admin the installer was given can log in. Uses `make image`'s artefacts.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import xterm from '@xterm/headless';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort, ROOT, tempDir } from '../_support/appliance-process.ts';

const OUT = join(ROOT, 'image', 'out', 'appliance');
const ISO = join(OUT, 'alliance-installer.iso');
const MAC = '52:54:00:a1:1a:9c';
const HOSTNAME = 'gw-e2e';
const PASSWORD = 'installed by the answers file';
const work = tempDir('install-e2e');
let qemu: ChildProcess | undefined;

test.after(() => {
  qemu?.kill('SIGKILL');
});

/** A qemu machine whose serial line is read into an 80x24 terminal emulator and kept whole in a log. */
function boot(args: readonly string[]): { screen: () => string; log: () => string; send: (text: string) => void; saw: (pattern: RegExp) => Promise<void>; exited: Promise<number | null> } {
  const term = new xterm.Terminal({ cols: 80, rows: 24, allowProposedApi: true });
  let log = '';
  const watches: { pattern: RegExp; resolve: () => void }[] = [];
  const child = spawn('qemu-system-x86_64', ['-m', '2048', '-smp', '2', '-nodefaults', '-display', 'none', '-monitor', 'none', '-serial', 'stdio', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  qemu = child;
  const take = (chunk: Buffer): void => {
    log += chunk.toString('latin1');
    term.write(chunk);
    for (const w of watches) if (w.pattern.test(log)) w.resolve();
  };
  child.stdout.on('data', take);
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  return {
    screen: () => {
      const buffer = term.buffer.active;
      const lines: string[] = [];
      for (let y = 0; y < term.rows; y += 1) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
      return lines.join('\n');
    },
    log: () => log,
    send: (text) => child.stdin.write(text),
    // Resolves when the serial line has shown the pattern; an unresolved one holds nothing open.
    saw: (pattern) => new Promise<void>((resolve) => watches.push({ pattern, resolve })),
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
}

async function until<T>(what: string, deadlineMs: number, probe: () => T | undefined | Promise<T | undefined>, context: () => string): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what}: not within ${deadlineMs / 1000} s\n${context()}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function httpsJson(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    // The certificate was made at first boot inside the VM; this test checks reachability, not the pin.
    const req = request({ host: '127.0.0.1', port, method, path, rejectUnauthorized: false, timeout: 5000, headers: payload ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

const tail = (text: string): string => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split('\n').slice(-40).join('\n');

test('the installer ISO installs onto a blank disk unattended, and the installed appliance boots to its console and API', async () => {
  assert.ok(existsSync(ISO), `${ISO} is missing: run \`make image\` first`);
  const disk = join(work, 'disk.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '8G']);
  const answersDir = join(work, 'answers');
  mkdirSync(answersDir);
  writeFileSync(
    join(answersDir, 'alliance-install.toml'),
    [
      `hostname = "${HOSTNAME}"`,
      'after = "poweroff"',
      '[target]',
      'disk = "/dev/vda"',
      '[network]',
      `interface_mac = "${MAC}"`,
      'mode = "dhcp"',
      '[admin]',
      'name = "admin"',
      `password = "${PASSWORD}"`,
      '',
    ].join('\n'),
  );
  const answers = join(work, 'answers.iso');
  execFileSync('genisoimage', ['-quiet', '-V', 'ALLIANCE-ANSWERS', '-J', '-r', '-o', answers, answersDir]);
  const nic = ['-netdev', 'user,id=n0', '-device', `virtio-net-pci,netdev=n0,mac=${MAC}`];

  // 1. The ISO, the blank disk and the answers: it installs and powers off.
  const installStarted = Date.now();
  const installer = boot([
    '-drive', `file=${disk},format=qcow2,if=virtio,cache=unsafe`,
    '-drive', `file=${ISO},format=raw,media=cdrom,if=ide,index=0`,
    '-drive', `file=${answers},format=raw,media=cdrom,if=ide,index=1`,
    '-boot', 'order=d',
    '-no-reboot',
    ...nic,
  ]);
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 12 * 60_000).unref());
  // A failed install opens a rescue shell and never powers off: its message ends the wait at once.
  const installed = await Promise.race([installer.exited, timeout, installer.saw(/the installation failed/).then(() => 'failed' as const)]);
  assert.ok(installed !== 'failed', `the installer said it failed:\n${tail(installer.log())}`);
  assert.ok(installed !== 'timeout', `the install did not finish within 12 minutes:\n${tail(installer.log())}`);
  assert.match(installer.log(), /installed/i, `the installer did not say it installed:\n${tail(installer.log())}`);
  const installSeconds = (Date.now() - installStarted) / 1000;

  // 2. The disk alone: the appliance starts, the serial console draws its home screen, the API answers.
  const port = await freePort();
  const bootStarted = Date.now();
  const appliance = boot(['-drive', `file=${disk},format=qcow2,if=virtio,cache=unsafe`, '-boot', 'order=c', '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:8443`, '-device', `virtio-net-pci,netdev=n0,mac=${MAC}`]);
  await until('/healthz to answer 200', 8 * 60_000, async () => ((await httpsJson(port, 'GET', '/healthz').catch(() => ({ status: 0 }))).status === 200 ? true : undefined), () => tail(appliance.log()));
  const healthySeconds = (Date.now() - bootStarted) / 1000;
  // Kernel messages may have written over the console: Ctrl-L draws it whole.
  await until(
    'the console home screen on the serial line',
    3 * 60_000,
    () => {
      appliance.send('\x0c');
      const screen = appliance.screen();
      return /Manage +https:\/\//.test(screen) && screen.includes(HOSTNAME) ? screen : undefined;
    },
    () => `screen:\n${appliance.screen()}\nlog:\n${tail(appliance.log())}`,
  );
  const screen = appliance.screen();
  process.stdout.write(`\nserial console of the installed appliance:\n${screen}\n`);
  assert.match(screen, new RegExp(`^ Alliance  ${HOSTNAME} `, 'm'));
  assert.match(screen, /TLS      [0-9A-F:]{47}/);
  assert.match(screen, new RegExp(MAC));

  // The admin named in the answers was made at first boot.
  const login = await httpsJson(port, 'POST', '/api/v1/auth/login', { user: 'admin', password: PASSWORD });
  assert.is(login.status, 200, login.body);
  process.stdout.write(`install under TCG: ${installSeconds.toFixed(0)} s; power-on to healthy API: ${healthySeconds.toFixed(0)} s\n`);
});

test.run();
